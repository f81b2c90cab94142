//! How pages, sections and taxonomies look to templates: MiniJinja objects
//! that read the `Content` structs when a template asks for a field. Values
//! are finished for presentation (URLs with the base path, dates already
//! written in the page's language).

use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr};
use minijinja::{Value, context};

use super::Shared;
use crate::content::Target;

pub struct PageView {
    shared: Arc<Shared>,
    index: usize,
    /// `taxonomies`, made on first read: a theme commonly reads it twice
    /// (whether there are any, then each), and each making builds every
    /// term's links.
    taxonomies: std::sync::OnceLock<Value>,
}

impl PageView {
    pub fn value(shared: &Arc<Shared>, index: usize) -> Value {
        Value::from_object(PageView {
            shared: shared.clone(),
            index,
            taxonomies: std::sync::OnceLock::new(),
        })
    }
}

impl std::fmt::Debug for PageView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "<page {}>",
            self.shared.site.content.pages[self.index].path
        )
    }
}

const PAGE_FIELDS: &[&str] = &[
    "title",
    "description",
    "date",
    "date_text",
    "updated",
    "updated_text",
    "url",
    "permalink",
    "path",
    "lang",
    "slug",
    "content",
    "summary",
    "toc",
    "word_count",
    "reading_time",
    "weight",
    "draft",
    "in_search_index",
    "authors",
    "taxonomies",
    "extra",
    "translations",
    "ancestors",
    "source",
];

impl Object for PageView {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        super::incremental::read_page(self.index);
        let shared = &self.shared;
        let page = &shared.site.content.pages[self.index];
        Some(match key.as_str()? {
            "title" => Value::from(page.meta.title.as_str()),
            "description" => Value::from(page.meta.description.clone()),
            "date" => Value::from(page.meta.date.map(|d| d.iso())),
            "date_text" => shared.page_dates(self.index).published.clone(),
            "updated" => Value::from(page.meta.updated.map(|d| d.iso())),
            "updated_text" => shared.page_dates(self.index).updated.clone(),
            "url" => Value::from(shared.url(&page.path)),
            "permalink" => Value::from(shared.permalink(&page.path)),
            "path" => Value::from(page.path.as_str()),
            "lang" => Value::from(page.lang.as_str()),
            "slug" => Value::from(page.slug.as_str()),
            "content" => Value::from_safe_string(super::stats_view::fill_placements(
                shared,
                &page.body.html,
                &page.lang,
            )),
            "summary" => match &page.body.summary {
                Some(summary) => Value::from_safe_string(summary.clone()),
                None => Value::from(()),
            },
            "toc" => Value::from_serialize(&page.body.toc),
            "word_count" => Value::from(page.body.word_count),
            // 200 words a minute, at least one minute.
            "reading_time" => Value::from(page.body.word_count.div_ceil(200).max(1)),
            "weight" => Value::from(page.meta.weight),
            "draft" => Value::from(page.meta.draft),
            "in_search_index" => Value::from(page.meta.in_search_index),
            "authors" => Value::from(page.meta.authors.clone()),
            "taxonomies" => self
                .taxonomies
                .get_or_init(|| taxonomy_links(shared, &page.lang, &page.meta.taxonomies))
                .clone(),
            "extra" => Value::from_serialize(&page.meta.extra),
            "translations" => translations(shared, Target::Page(self.index), &page.key),
            "ancestors" => ancestors(shared, Some(page.section)),
            "source" => Value::from(page.file.to_string_lossy().replace('\\', "/")),
            "key" => Value::from(page.key.as_str()),
            "statistics" => super::stats_view::page_statistics(shared, &page.key, &page.lang),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(PAGE_FIELDS)
    }
}

pub struct SectionView {
    shared: Arc<Shared>,
    index: usize,
}

impl SectionView {
    pub fn value(shared: &Arc<Shared>, index: usize) -> Value {
        Value::from_object(SectionView {
            shared: shared.clone(),
            index,
        })
    }
}

impl std::fmt::Debug for SectionView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "<section {}>",
            self.shared.site.content.sections[self.index].path
        )
    }
}

const SECTION_FIELDS: &[&str] = &[
    "title",
    "description",
    "url",
    "permalink",
    "path",
    "lang",
    "content",
    "toc",
    "pages",
    "subsections",
    "extra",
    "translations",
    "ancestors",
    "is_home",
    "page_count",
];

impl Object for SectionView {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        super::incremental::read_section(self.index);
        let shared = &self.shared;
        let section = &shared.site.content.sections[self.index];
        let language = shared.site.config.language(&section.lang);
        Some(match key.as_str()? {
            // A section without a title (often the home page) is called by
            // the site's title in its language.
            "title" => Value::from(
                section
                    .meta
                    .title
                    .clone()
                    .or_else(|| language.map(|l| l.title.clone()))
                    .unwrap_or_default(),
            ),
            "description" => Value::from(section.meta.description.clone().or_else(|| {
                language
                    .map(|l| l.description.clone())
                    .filter(|d| !d.is_empty())
            })),
            "url" => Value::from(shared.url(&section.path)),
            "permalink" => Value::from(shared.permalink(&section.path)),
            "path" => Value::from(section.path.as_str()),
            "lang" => Value::from(section.lang.as_str()),
            "content" => Value::from_safe_string(super::stats_view::fill_placements(
                shared,
                &section.body.html,
                &section.lang,
            )),
            "toc" => Value::from_serialize(&section.body.toc),
            "pages" => PageList::value(shared, PagesOf::Section(self.index)),
            "page_count" => Value::from(section.pages.len()),
            "subsections" => Value::from(
                section
                    .subsections
                    .iter()
                    .map(|&i| SectionView::value(shared, i))
                    .collect::<Vec<_>>(),
            ),
            "extra" => Value::from_serialize(&section.meta.extra),
            "translations" => translations(shared, Target::Section(self.index), &section.key),
            "ancestors" => ancestors(shared, section.parent),
            "is_home" => Value::from(section.key == "_index.md"),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(SECTION_FIELDS)
    }
}

/// Which of the site's lists of pages a [`PageList`] shows.
#[derive(Debug, Clone, Copy)]
pub enum PagesOf {
    /// A section's pages, in the section's order.
    Section(usize),
    /// The pages of a taxonomy's term.
    Term { taxonomy: usize, term: usize },
}

/// A list of pages that makes page objects only for the items a template
/// reaches (`section.pages[:5]` builds five). It reads a part of one of
/// the site's lists where it is, never a copy: a section of 50,000 pages
/// has 2,500 pagers, and a copy for each would grow with the square of
/// the pages.
pub struct PageList {
    shared: Arc<Shared>,
    of: PagesOf,
    /// Positions in the list as shown (after reversing, when `reversed`).
    shown: std::ops::Range<usize>,
    reversed: bool,
}

impl PageList {
    /// The whole of a list.
    pub fn value(shared: &Arc<Shared>, of: PagesOf) -> Value {
        let len = Self::all(shared, of).len();
        Self::part(shared, of, false, 0..len)
    }

    /// Positions `shown` of a list, counted from its end when `reversed`.
    pub fn part(
        shared: &Arc<Shared>,
        of: PagesOf,
        reversed: bool,
        shown: std::ops::Range<usize>,
    ) -> Value {
        Value::from_object(PageList {
            shared: shared.clone(),
            of,
            shown,
            reversed,
        })
    }

    /// Every page of the list, in the site's order.
    pub fn all(shared: &Shared, of: PagesOf) -> &[usize] {
        let content = &shared.site.content;
        match of {
            PagesOf::Section(index) => &content.sections[index].pages,
            PagesOf::Term { taxonomy, term } => &content.taxonomies[taxonomy].terms[term].pages,
        }
    }

    fn page(&self, position: usize) -> Option<usize> {
        if position >= self.shown.len() {
            return None;
        }
        let all = Self::all(&self.shared, self.of);
        let at = self.shown.start + position;
        if self.reversed {
            all.len().checked_sub(at + 1).map(|at| all[at])
        } else {
            all.get(at).copied()
        }
    }
}

impl std::fmt::Debug for PageList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} pages>", self.shown.len())
    }
}

impl Object for PageList {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let page = self.page(key.as_usize()?)?;
        Some(PageView::value(&self.shared, page))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.shown.len())
    }
}

pub struct TaxonomyView {
    shared: Arc<Shared>,
    index: usize,
}

impl TaxonomyView {
    pub fn value(shared: &Arc<Shared>, index: usize) -> Value {
        Value::from_object(TaxonomyView {
            shared: shared.clone(),
            index,
        })
    }
}

impl std::fmt::Debug for TaxonomyView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "<taxonomy {}>",
            self.shared.site.content.taxonomies[self.index].path
        )
    }
}

impl Object for TaxonomyView {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        super::incremental::read_taxonomy(self.index);
        let shared = &self.shared;
        let taxonomy = &shared.site.content.taxonomies[self.index];
        Some(match key.as_str()? {
            "name" => Value::from(taxonomy.name.as_str()),
            "lang" => Value::from(taxonomy.lang.as_str()),
            "url" => Value::from(shared.url(&taxonomy.path)),
            "permalink" => Value::from(shared.permalink(&taxonomy.path)),
            "terms" => Value::from(
                (0..taxonomy.terms.len())
                    .map(|term| term_value(shared, self.index, term))
                    .collect::<Vec<_>>(),
            ),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["name", "lang", "url", "permalink", "terms"])
    }
}

pub fn term_value(shared: &Arc<Shared>, taxonomy: usize, term_index: usize) -> Value {
    super::incremental::read_term(taxonomy, term_index);
    let term = &shared.site.content.taxonomies[taxonomy].terms[term_index];
    context! {
        name => term.name,
        slug => term.slug,
        url => shared.url(&term.path),
        permalink => shared.permalink(&term.path),
        page_count => term.pages.len(),
        pages => PageList::value(shared, PagesOf::Term { taxonomy, term: term_index }),
    }
}

/// `{programs: [{name, url}], tags: [...]}` for a page's terms.
fn taxonomy_links(
    shared: &Arc<Shared>,
    lang: &str,
    terms: &std::collections::BTreeMap<String, Vec<String>>,
) -> Value {
    let mut map = std::collections::BTreeMap::new();
    for (name, values) in terms {
        let taxonomy = shared
            .site
            .content
            .taxonomies
            .iter()
            .find(|t| &t.name == name && t.lang == lang);
        let links: Vec<Value> = values
            .iter()
            .map(|value| {
                let slug = slug::slugify(value);
                let url = taxonomy
                    .and_then(|t| t.terms.iter().find(|term| term.slug == slug))
                    .map(|term| shared.url(&term.path));
                context! { name => value, url => url }
            })
            .collect();
        map.insert(name.clone(), Value::from(links));
    }
    Value::from(map)
}

/// Other-language versions that exist, for `hreflang` links.
fn translations(shared: &Arc<Shared>, this: Target, key: &str) -> Value {
    let content = &shared.site.content;
    let list: Vec<Value> = shared
        .site
        .config
        .languages
        .iter()
        .filter_map(|language| {
            let target = content.find(key, &language.code)?;
            (target != this).then(|| {
                context! {
                    lang => language.code,
                    url => shared.url(content.target_path(target)),
                    permalink => shared.permalink(content.target_path(target)),
                }
            })
        })
        .collect();
    Value::from(list)
}

/// The language switcher: every language, linking to this page's
/// translation there, or to that language's home page when there is none.
pub fn alternates(shared: &Arc<Shared>, this: Option<Target>, key: &str, lang: &str) -> Value {
    let content = &shared.site.content;
    let list: Vec<Value> = shared
        .site
        .config
        .languages
        .iter()
        .map(|language| {
            let translation = if key.is_empty() {
                None
            } else {
                content.find(key, &language.code)
            };
            let path = match translation {
                Some(target) => content.target_path(target).to_string(),
                None if language.code == lang && this.is_none() => String::new(),
                None => language.path_prefix.clone(),
            };
            context! {
                lang => language.code,
                name => language.name,
                url => shared.url(&path),
                permalink => shared.permalink(&path),
                is_current => language.code == lang,
                is_translation => translation.is_some(),
            }
        })
        .collect();
    Value::from(list)
}

/// Taxonomy pages: terms differ between languages, so the switcher goes to
/// the same taxonomy's list in the other language.
pub fn taxonomy_alternates(shared: &Arc<Shared>, name: &str, lang: &str) -> Value {
    let content = &shared.site.content;
    let list: Vec<Value> = shared
        .site
        .config
        .languages
        .iter()
        .map(|language| {
            let taxonomy = content
                .taxonomies
                .iter()
                .find(|t| t.name == name && t.lang == language.code);
            let path = taxonomy
                .map(|t| t.path.clone())
                .unwrap_or_else(|| language.path_prefix.clone());
            context! {
                lang => language.code,
                name => language.name,
                url => shared.url(&path),
                permalink => shared.permalink(&path),
                is_current => language.code == lang,
                is_translation => taxonomy.is_some(),
            }
        })
        .collect();
    Value::from(list)
}

/// Sections from the home page down to `section`, for breadcrumbs.
fn ancestors(shared: &Arc<Shared>, mut section: Option<usize>) -> Value {
    let mut chain = Vec::new();
    while let Some(index) = section {
        chain.push(SectionView::value(shared, index));
        section = shared.site.content.sections[index].parent;
    }
    chain.reverse();
    Value::from(chain)
}

/// The switcher for pages that exist at the same path in every language
/// (the figure register).
pub fn fixed_alternates(shared: &Arc<Shared>, path: &str, lang: &str) -> Value {
    let list: Vec<Value> = shared
        .site
        .config
        .languages
        .iter()
        .map(|language| {
            let full = format!("{}{path}", language.path_prefix);
            context! {
                lang => language.code,
                name => language.name,
                url => shared.url(&full),
                permalink => shared.permalink(&full),
                is_current => language.code == lang,
                is_translation => true,
            }
        })
        .collect();
    Value::from(list)
}

/// What the search page needs: where the index is, and the list pages to
/// browse instead when the browser runs no JavaScript.
pub fn search_value(shared: &Arc<Shared>, lang: &str) -> Value {
    let content = &shared.site.content;
    let home = content
        .sections
        .iter()
        .position(|s| s.lang == lang && s.parent.is_none());
    let sections: Vec<Value> = home
        .map(|home| {
            content.sections[home]
                .subsections
                .iter()
                .map(|&i| SectionView::value(shared, i))
                .collect()
        })
        .unwrap_or_default();
    let taxonomies: Vec<Value> = content
        .taxonomies
        .iter()
        .enumerate()
        .filter(|(_, t)| t.lang == lang)
        .map(|(i, _)| TaxonomyView::value(shared, i))
        .collect();
    context! {
        bundle_url => shared.url(crate::output::search::BUNDLE_DIR),
        sections => sections,
        taxonomies => taxonomies,
    }
}
