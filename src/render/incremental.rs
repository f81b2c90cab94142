//! Rendering again only what an edit changed (`kaca serve`).
//!
//! While a job renders, every page, section, taxonomy and term a template
//! reads through its view is written down. The next render compares the
//! two sites: a job is rendered again when something it read changed,
//! when it is new, or when it reads what no view records (the figure
//! register). The rest keep last time's file.
//!
//! What views cannot see (every page's address, used by `url_for`, the
//! language switcher and translation links, and which terms exist) is the
//! site's *structure*: when it changes, for instance when a page is added,
//! moved or renamed, everything is rendered again.

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet, FxHasher};

use super::Site;
use crate::content::Content;

/// Something a template read, named so that it means the same in the next
/// build (indexes change when pages come and go).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Read {
    /// A page by key and language.
    Page(String, String),
    /// A section (and its list of pages) by key and language.
    Section(String, String),
    /// A taxonomy's list of terms, by name and language.
    Taxonomy(String, String),
    /// A term's list of pages: taxonomy, language, term slug.
    Term(String, String, String),
    /// Any figure, table or dataset (statistics placed in a page, the
    /// template functions over them, the dataset pages).
    Statistics,
    /// That a page (by key) has no statistics of its own: it changes only
    /// when a declaration names the page.
    NoStatisticsOn(String),
}

/// Reads of the job rendering on this thread, by index into the site.
#[derive(Default)]
struct Reads {
    pages: FxHashSet<usize>,
    sections: FxHashSet<usize>,
    taxonomies: FxHashSet<usize>,
    terms: FxHashSet<(usize, usize)>,
    statistics: bool,
    no_statistics_on: FxHashSet<String>,
}

thread_local! {
    static READS: RefCell<Option<Reads>> = const { RefCell::new(None) };
}

fn note(f: impl FnOnce(&mut Reads)) {
    READS.with(|reads| {
        if let Some(reads) = reads.borrow_mut().as_mut() {
            f(reads);
        }
    });
}

pub(super) fn read_page(index: usize) {
    note(|r| {
        r.pages.insert(index);
    });
}

pub(super) fn read_section(index: usize) {
    note(|r| {
        r.sections.insert(index);
    });
}

pub(super) fn read_taxonomy(index: usize) {
    note(|r| {
        r.taxonomies.insert(index);
    });
}

pub(super) fn read_term(taxonomy: usize, term: usize) {
    note(|r| {
        r.terms.insert((taxonomy, term));
    });
}

pub(super) fn read_statistics() {
    note(|r| r.statistics = true);
}

pub(super) fn read_no_statistics_on(key: &str) {
    note(|r| {
        r.no_statistics_on.insert(key.to_string());
    });
}

/// Runs `render` with reading noted, and returns what it read.
pub(super) fn recording<T>(content: &Content, render: impl FnOnce() -> T) -> (T, Vec<Read>) {
    READS.with(|reads| *reads.borrow_mut() = Some(Reads::default()));
    let result = render();
    let reads = READS
        .with(|reads| reads.borrow_mut().take())
        .unwrap_or_default();
    let mut named: Vec<Read> = Vec::new();
    named.extend(reads.pages.into_iter().map(|i| page_read(content, i)));
    named.extend(reads.sections.into_iter().map(|i| section_read(content, i)));
    named.extend(reads.taxonomies.into_iter().map(|i| {
        let taxonomy = &content.taxonomies[i];
        Read::Taxonomy(taxonomy.name.clone(), taxonomy.lang.clone())
    }));
    named.extend(reads.terms.into_iter().map(|(t, term)| {
        let taxonomy = &content.taxonomies[t];
        Read::Term(
            taxonomy.name.clone(),
            taxonomy.lang.clone(),
            taxonomy.terms[term].slug.clone(),
        )
    }));
    if reads.statistics {
        named.push(Read::Statistics);
    }
    named.extend(reads.no_statistics_on.into_iter().map(Read::NoStatisticsOn));
    (result, named)
}

fn page_read(content: &Content, index: usize) -> Read {
    let page = &content.pages[index];
    Read::Page(page.key.clone(), page.lang.clone())
}

fn section_read(content: &Content, index: usize) -> Read {
    let section = &content.sections[index];
    Read::Section(section.key.clone(), section.lang.clone())
}

/// What the last render leaves for the next one.
pub struct RenderMemo {
    pub(super) site: Arc<Site>,
    pub(super) structure: u64,
    /// Each template job, by output path.
    pub(super) jobs: FxHashMap<String, JobMemo>,
}

/// What a template job read, and the file it made (handed back after the
/// build wrote it, see [`RenderMemo::keep_outputs`]).
pub(super) struct JobMemo {
    pub(super) reads: Vec<Read>,
    pub(super) file: Option<super::OutputFile>,
}

impl RenderMemo {
    /// Takes back, from all the files of the build, those made by template
    /// jobs: the next render hands on the ones nothing changed for.
    pub fn keep_outputs(&mut self, files: Vec<super::OutputFile>) {
        for file in files {
            if let Some(job) = self.jobs.get_mut(&file.path) {
                job.file = Some(file);
            }
        }
    }
}

/// Every page's and section's address and place, and every term: what
/// templates may reach without a view.
pub(super) fn structure(site: &Site) -> u64 {
    let content = &site.content;
    let mut hasher = FxHasher::default();
    // What every page shows of the data, through the links and notes
    // common to all templates: whether there are datasets and statistics,
    // and the stricter group sizes of person-level resources.
    let resources: Vec<(&str, bool, Option<u32>)> = site
        .package
        .iter()
        .flat_map(|p| &p.resources)
        .map(|r| (r.name.as_str(), r.persons, r.min_cell_size))
        .collect();
    resources.hash(&mut hasher);
    (
        site.statistics.figures.is_empty(),
        site.statistics.tables.is_empty(),
    )
        .hash(&mut hasher);
    for page in &content.pages {
        (&page.key, &page.lang, &page.path, page.section).hash(&mut hasher);
    }
    for section in &content.sections {
        (&section.key, &section.lang, &section.path, section.parent).hash(&mut hasher);
        section.subsections.hash(&mut hasher);
    }
    for taxonomy in &content.taxonomies {
        (&taxonomy.name, &taxonomy.lang, &taxonomy.path).hash(&mut hasher);
        for term in &taxonomy.terms {
            (&term.slug, &term.path).hash(&mut hasher);
        }
    }
    hasher.finish()
}

/// Metadata from the same parse is the same object: compared by value only
/// when the file was parsed again.
fn same<T: PartialEq>(a: &Arc<T>, b: &Arc<T>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

/// Everything whose view shows something different in `now` than in
/// `before`. Called only when the structure is the same, so pages and
/// sections sit at the same indexes in both.
pub(super) fn changed(before_site: &Site, now_site: &Site) -> FxHashSet<Read> {
    let (before, now) = (&before_site.content, &now_site.content);
    // Same structure: an index names the same page in both sites, so
    // lists of pages compare as lists of indexes.
    let mut changed = FxHashSet::default();
    // Statistics and the data package as the templates see them (their
    // values, declarations, hidden cells, resources' facts and schemas).
    if before_site.statistics != now_site.statistics || before_site.package != now_site.package {
        changed.insert(Read::Statistics);
        let pages_with_statistics = |site: &Site| -> FxHashSet<String> {
            let pages = site.statistics.declaring_pages();
            pages.flatten().map(str::to_string).collect()
        };
        let (had, has) = (
            pages_with_statistics(before_site),
            pages_with_statistics(now_site),
        );
        changed.extend(
            had.symmetric_difference(&has)
                .cloned()
                .map(Read::NoStatisticsOn),
        );
    }
    for (index, (old, new)) in before.pages.iter().zip(&now.pages).enumerate() {
        if !Arc::ptr_eq(&old.body, &new.body) || !same(&old.meta, &new.meta) || old.slug != new.slug
        {
            changed.insert(page_read(now, index));
        }
    }
    for (index, (old, new)) in before.sections.iter().zip(&now.sections).enumerate() {
        if !Arc::ptr_eq(&old.body, &new.body)
            || !same(&old.meta, &new.meta)
            || old.pages != new.pages
        {
            changed.insert(section_read(now, index));
        }
    }
    for (old, new) in before.taxonomies.iter().zip(&now.taxonomies) {
        let mut any_term = false;
        for (old_term, new_term) in old.terms.iter().zip(&new.terms) {
            if old_term.pages != new_term.pages {
                changed.insert(Read::Term(
                    new.name.clone(),
                    new.lang.clone(),
                    new_term.slug.clone(),
                ));
                any_term = true;
            }
        }
        // The taxonomy's view lists its terms with their pages and counts.
        if any_term {
            changed.insert(Read::Taxonomy(new.name.clone(), new.lang.clone()));
        }
    }
    changed
}
