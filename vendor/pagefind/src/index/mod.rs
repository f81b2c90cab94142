use hashbrown::HashMap;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

use crate::{
    fossick::{FossickedData, FossickedWord, MetaFossickedWord},
    index::index_metadata::MetaFilter,
    utils::full_hash,
    SearchOptions,
};
use anyhow::{bail, Result};
use index_filter::{FilterIndex, PackedValue};
use index_metadata::{MetaChunk, MetaIndex, MetaPage};
#[cfg(test)]
use index_words::PackedWord;

use self::index_metadata::MetaSort;

mod index_filter;
mod index_metadata;
mod index_words;

pub struct PagefindIndexes {
    pub word_indexes: HashMap<String, Vec<u8>>,
    pub filter_indexes: HashMap<String, Vec<u8>>,
    pub meta_index: (String, Vec<u8>),
    pub fragments: Vec<(String, String)>,
    pub sorts: Vec<String>,
    pub language: String,
    pub word_count: usize,
    pub page_count: usize,
}

#[derive(Clone)]
struct IntermediaryPageData {
    full_hash: String,
    encoded_data: String,
    word_count: usize,
    page_number: usize,
}

#[derive(Debug)]
enum SortType {
    String,
    Number,
}

/// kaca patch: a page's body words packed for the index as soon as the
/// page is parsed, on the thread that parsed it: each word, the
/// positions of its plain form and those of each form with diacritics
/// (sorted and delta-encoded as in the index), written as CBOR into one
/// buffer per page. A few bytes per word instead of a `FossickedWord` per
/// position in a map of strings, so that a large site holds a fraction of
/// the memory until the index is built. The page number is set then.
#[derive(Clone, Debug, Default)]
pub struct PackedBodyWords {
    bytes: Vec<u8>,
    count: usize,
}

impl PackedBodyWords {
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

const WRITING: &str = "writing to memory cannot fail";
const READING: &str = "written by pack_body_words";
const PUSHED: &str = "written by EncodedPages::push";

fn encode_locs(encoder: &mut minicbor::Encoder<&mut Vec<u8>>, locs: &[i32]) {
    encoder.array(locs.len() as u64).expect(WRITING);
    for loc in locs {
        encoder.i32(*loc).expect(WRITING);
    }
}

fn decode_locs(decoder: &mut minicbor::Decoder<'_>, locs: &mut Vec<i32>) {
    locs.clear();
    let count = decoder.array().expect(READING).expect(READING);
    for _ in 0..count {
        locs.push(decoder.i32().expect(READING));
    }
}

/// Packs a page's body words (see [`PackedBodyWords`]).
pub fn pack_body_words(word_data: HashMap<String, Vec<FossickedWord>>) -> PackedBodyWords {
    let mut bytes = Vec::new();
    let mut encoder = minicbor::Encoder::new(&mut bytes);
    let count = word_data.len();
    for (word, positions) in word_data {
        // Group positions by original_word for this page
        let mut normalized_positions: Vec<FossickedWord> = Vec::new();
        let mut variant_positions: BTreeMap<String, Vec<FossickedWord>> = BTreeMap::new();
        for mut fossicked in positions {
            match fossicked.original_word.take() {
                // No diacritics - original matches normalized form
                None => normalized_positions.push(fossicked),
                // Original form differs (has diacritics) - stored instead in additional_variants
                Some(original) => variant_positions.entry(original).or_default().push(fossicked),
            }
        }
        encoder.str(&word).expect(WRITING);
        if normalized_positions.is_empty() {
            encode_locs(&mut encoder, &[]);
        } else {
            encode_locs(&mut encoder, &pack_positions(normalized_positions));
        }
        encoder.array(variant_positions.len() as u64).expect(WRITING);
        for (form, positions) in variant_positions {
            encoder.str(&form).expect(WRITING);
            encode_locs(&mut encoder, &pack_positions(positions));
        }
    }
    PackedBodyWords { bytes, count }
}

/// kaca patch: one list of pages of a word (its plain form, or one form
/// with diacritics) kept as the bytes the index file holds: the CBOR of
/// each `PackedPage`, page numbers as deltas from the page before. A
/// large site's index then costs a few bytes per page and word while it
/// is built instead of a `PackedPage` each, and is copied, not encoded,
/// into the index chunks.
#[derive(Default)]
struct EncodedPages {
    bytes: Vec<u8>,
    count: usize,
    last_page: usize,
}

impl EncodedPages {
    fn push(&mut self, page_number: usize, locs: &[i32], meta_locs: &[i32]) {
        let mut encoder = minicbor::Encoder::new(&mut self.bytes);
        encoder
            .array(3)
            .and_then(|e| e.u64((page_number - self.last_page) as u64))
            .expect(WRITING);
        encode_locs(&mut encoder, locs);
        encode_locs(&mut encoder, meta_locs);
        self.count += 1;
        self.last_page = page_number;
    }

    /// Appends the list of the pages that follow. Its first page number
    /// was written as a delta from nothing (the number itself); it becomes
    /// a delta from this list's last page.
    fn append(&mut self, next: EncodedPages) {
        if next.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = next;
            return;
        }
        let mut decoder = minicbor::Decoder::new(&next.bytes);
        decoder.array().expect(PUSHED);
        let first_page = decoder.u64().expect(PUSHED) as usize;
        let rest = decoder.position();
        minicbor::Encoder::new(&mut self.bytes)
            .array(3)
            .and_then(|e| e.u64((first_page - self.last_page) as u64))
            .expect(WRITING);
        self.bytes.extend_from_slice(&next.bytes[rest..]);
        self.count += next.count;
        self.last_page = next.last_page;
    }

    fn encode_into(&self, encoder: &mut minicbor::Encoder<&mut Vec<u8>>) {
        encoder
            .array(self.count as u64)
            .expect(WRITING);
        encoder.writer_mut().extend_from_slice(&self.bytes);
    }
}

/// kaca patch: a word of the index as it is built (see [`EncodedPages`]).
#[derive(Default)]
struct EncodedWord {
    pages: EncodedPages,
    /// Forms with diacritics, in the order they first appear.
    variants: Vec<(String, EncodedPages)>,
    /// Positions, plus one per page, over all forms: what the index
    /// chunks are sized by.
    size: usize,
}

impl EncodedWord {
    fn push(&mut self, page_number: usize, locs: &[i32], meta_locs: &[i32]) {
        self.pages.push(page_number, locs, meta_locs);
        self.size += locs.len() + meta_locs.len() + 1;
    }

    fn push_variant(&mut self, form: &str, page_number: usize, locs: &[i32], meta_locs: &[i32]) {
        let list = match self.variants.iter().position(|(f, _)| f == form) {
            Some(at) => &mut self.variants[at].1,
            None => {
                self.variants.push((form.to_string(), EncodedPages::default()));
                &mut self.variants.last_mut().expect("just pushed").1
            }
        };
        list.push(page_number, locs, meta_locs);
        self.size += locs.len() + meta_locs.len() + 1;
    }

    /// A page's meta positions of forms the page's body does not have.
    fn push_meta_only(
        &mut self,
        page_number: usize,
        meta_locs: &[i32],
        variants: Vec<(String, Vec<i32>)>,
    ) {
        if !meta_locs.is_empty() {
            self.push(page_number, &[], meta_locs);
        }
        for (form, meta_locs) in variants {
            self.push_variant(&form, page_number, &[], &meta_locs);
        }
    }

    fn append(&mut self, next: EncodedWord) {
        self.pages.append(next.pages);
        for (form, list) in next.variants {
            match self.variants.iter_mut().find(|(f, _)| *f == form) {
                Some((_, existing)) => existing.append(list),
                None => self.variants.push((form, list)),
            }
        }
        self.size += next.size;
    }
}

/// kaca patch: what consecutive pages add to the index. Pages are folded
/// into one of these per run of pages on each thread, and runs are merged
/// in page order, so the result is the one a single loop over the pages
/// in order gives.
#[derive(Default)]
struct IndexedRun {
    word_map: HashMap<String, EncodedWord>,
    filter_entries: Vec<(String, String, usize)>, // (filter, value, page_number)
    encoded_pages: Vec<IntermediaryPageData>,
}

impl IndexedRun {
    fn word(&mut self, word: &str) -> &mut EncodedWord {
        self.word_map.entry_ref(word).or_default()
    }

    /// Appends the run that follows this one.
    fn append(mut self, next: IndexedRun) -> IndexedRun {
        if self.encoded_pages.is_empty() {
            return next;
        }
        for (word, encoded) in next.word_map {
            match self.word_map.entry(word) {
                hashbrown::hash_map::Entry::Occupied(mut entry) => entry.get_mut().append(encoded),
                hashbrown::hash_map::Entry::Vacant(entry) => {
                    entry.insert(encoded);
                }
            }
        }
        self.filter_entries.extend(next.filter_entries);
        self.encoded_pages.extend(next.encoded_pages);
        self
    }
}

/// kaca patch: writes a word as the derived encoding of a `PackedWord`
/// would (its pages already encoded by [`EncodedPages`]).
fn encoded_word_into(encoder: &mut minicbor::Encoder<&mut Vec<u8>>, word: &str, encoded: &EncodedWord) {
    encoder.array(3).and_then(|e| e.str(word)).expect(WRITING);
    encoded.pages.encode_into(encoder);
    encoder.array(encoded.variants.len() as u64).expect(WRITING);
    for (form, list) in &encoded.variants {
        encoder.array(2).and_then(|e| e.str(form)).expect(WRITING);
        list.encode_into(encoder);
    }
}

/// kaca patch: a page's meta words, packed: the positions of the plain
/// form (empty when there are none) and of each form with diacritics, in
/// order of form.
type PackedMetaWord = (Vec<i32>, Vec<(String, Vec<i32>)>);

pub async fn build_indexes(
    mut pages: Vec<FossickedData>,
    language: String,
    options: &SearchOptions,
) -> Result<PagefindIndexes> {
    let mut meta = MetaIndex {
        version: options.version.into(),
        pages: Vec::new(),
        index_chunks: Vec::new(),
        filters: Vec::new(),
        sorts: Vec::new(),
        meta_fields: Vec::new(),
    };

    /*
        - Collect all sort keys
        - Sort `pages` by one of them and set `default_sort`
        - Do the main enumerate loop as an iter_mut and set page numbers
        - Later on, for each other sort key:
            - Sort the `pages` array and output the page numbers to `alternate_sorts`
    */

    let mut filter_map: HashMap<String, HashMap<String, Vec<usize>>> = HashMap::new();
    let mut fragment_hashes: HashMap<String, IntermediaryPageData> = HashMap::new();
    let mut fragments: Vec<(usize, (String, IntermediaryPageData))> = Vec::new();

    for (page_number, page) in pages.iter_mut().enumerate() {
        page.fragment.page_number = page_number;
    }

    // Get all possible sort keys
    let mut sorts: Vec<_> = pages
        .iter()
        .flat_map(|page| page.sort.keys().cloned())
        .collect();
    sorts.sort_unstable();
    sorts.dedup();

    // Determine the best sorting parser that fits all available values for each given key
    let mut sort_types: BTreeMap<String, SortType> = BTreeMap::new();
    for sort in sorts.iter() {
        let mut sort_values = pages.iter().flat_map(|page| page.sort.get(sort));
        sort_types.insert(
            sort.clone(),
            if sort_values.all(|v| parse_int_sort(v).is_some() || parse_float_sort(v).is_some()) {
                SortType::Number
            } else {
                SortType::String
            },
        );
    }

    for (sort_key, sort_type) in sort_types {
        let mut page_values: Vec<_> = pages
            .iter()
            .flat_map(|page| {
                page.sort
                    .get(&sort_key)
                    .map(|v| (v, page.fragment.page_number))
            })
            .collect();
        options.logger.v_info(format!(
            "Prebuilding sort order for {sort_key}, processed as type: {sort_type:#?}"
        ));
        match sort_type {
            SortType::String => page_values.sort_by_key(|p| p.0),
            SortType::Number => page_values.sort_by(|p1, p2| {
                let p1 = parse_int_sort(p1.0)
                    .map(|i| i as f32)
                    .unwrap_or_else(|| parse_float_sort(p1.0).unwrap_or_default());
                let p2 = parse_int_sort(p2.0)
                    .map(|i| i as f32)
                    .unwrap_or_else(|| parse_float_sort(p2.0).unwrap_or_default());

                p1.total_cmp(&p2)
            }),
        }
        meta.sorts.push(MetaSort {
            sort: sort_key,
            pages: page_values.into_iter().map(|p| p.1).collect(),
        });
    }

    let mut meta_fields_set: BTreeSet<String> = BTreeSet::new();
    for page in pages.iter() {
        meta_fields_set.extend(page.fragment.data.meta.keys().cloned());
    }
    meta.meta_fields = meta_fields_set.into_iter().collect();

    // Clone meta_fields for use in parallel processing
    let meta_fields_ref = meta.meta_fields.clone();
    let language_ref = language.clone();

    // kaca patch: pages are folded into runs on each thread and the runs
    // merged in page order (the published code built a word map per page
    // and merged them all on one thread).
    let run = pages
        .into_par_iter()
        .fold(IndexedRun::default, |mut run, mut page| {
            let page_number = page.fragment.page_number;
            // Meta field IDs were assigned per-page,
            // but need to be remapped to the global meta_fields order.
            let field_id_map: Vec<u16> = page
                .fragment
                .data
                .meta
                .keys()
                .map(|name| meta_fields_ref.iter().position(|f| f == name).unwrap() as u16)
                .collect();

            // A word's page entry holds its body and its meta positions,
            // so the meta words are packed first.
            let mut meta_words: HashMap<String, PackedMetaWord> = HashMap::new();
            for (word, meta_positions) in std::mem::take(&mut page.meta_word_data) {
                let mut normalized_meta_positions: Vec<MetaFossickedWord> = Vec::new();
                let mut variant_meta_positions: BTreeMap<String, Vec<MetaFossickedWord>> =
                    BTreeMap::new();

                for mut meta_fossicked in meta_positions {
                    meta_fossicked.field_id = field_id_map[meta_fossicked.field_id as usize];
                    if let Some(original) = meta_fossicked.original_word.clone() {
                        variant_meta_positions
                            .entry(original)
                            .or_default()
                            .push(meta_fossicked);
                    } else {
                        normalized_meta_positions.push(meta_fossicked);
                    }
                }
                let meta_locs = if normalized_meta_positions.is_empty() {
                    vec![]
                } else {
                    meta_positions_to_packed(normalized_meta_positions)
                };
                let variants = variant_meta_positions
                    .into_iter()
                    .map(|(form, positions)| (form, meta_positions_to_packed(positions)))
                    .collect();
                meta_words.insert(word, (meta_locs, variants));
            }

            let body = match page.packed_words.take() {
                Some(packed) => packed,
                None => pack_body_words(std::mem::take(&mut page.word_data)),
            };
            let mut decoder = minicbor::Decoder::new(&body.bytes);
            let (mut locs, mut variant_locs) = (Vec::new(), Vec::new());
            for _ in 0..body.count {
                let word = decoder.str().expect(READING);
                decode_locs(&mut decoder, &mut locs);
                let (meta_locs, mut meta_variants) = meta_words.remove(word).unwrap_or_default();
                let encoded = run.word(word);
                if !locs.is_empty() || !meta_locs.is_empty() {
                    encoded.push(page_number, &locs, &meta_locs);
                }
                let variants = decoder.array().expect(READING).expect(READING);
                for _ in 0..variants {
                    let form = decoder.str().expect(READING);
                    decode_locs(&mut decoder, &mut variant_locs);
                    let meta_locs = match meta_variants.iter().position(|(f, _)| f == form) {
                        Some(at) => meta_variants.remove(at).1,
                        None => vec![],
                    };
                    encoded.push_variant(form, page_number, &variant_locs, &meta_locs);
                }
                encoded.push_meta_only(page_number, &[], meta_variants);
            }
            // Words only in the meta fields.
            for (word, (meta_locs, meta_variants)) in meta_words {
                run.word(&word)
                    .push_meta_only(page_number, &meta_locs, meta_variants);
            }

            // Collect filter entries for this page
            for (filter, values) in &page.fragment.data.filters {
                for value in values {
                    run.filter_entries
                        .push((filter.clone(), value.clone(), page_number));
                }
            }

            // Compute encoded page data
            let encoded_data = serde_json::to_string(&page.fragment.data).unwrap();
            run.encoded_pages.push(IntermediaryPageData {
                full_hash: format!("{}_{}", language_ref, full_hash(encoded_data.as_bytes())),
                word_count: page.fragment.data.word_count,
                page_number,
                encoded_data,
            });
            run
        })
        .reduce(IndexedRun::default, IndexedRun::append);

    let IndexedRun {
        word_map,
        filter_entries,
        encoded_pages,
    } = run;

    // Merge filter entries using or_default for cleaner code
    for (filter, value, page_number) in filter_entries {
        filter_map
            .entry(filter)
            .or_default()
            .entry(value)
            .or_default()
            .push(page_number);
    }

    for encoded_page in encoded_pages {
        // Handle fragment hashing (must be sequential due to collision handling)
        let mut short_hash = &encoded_page.full_hash[0..=(language.len() + 7)];

        // If we hit a collision, extend one until we stop colliding
        // TODO: There are some collision issues here.
        // If two builds match a collision in different orders the hashes will swap,
        // which could return incorrect data due to files being cached.
        while let Some(collision) = fragment_hashes.get(short_hash) {
            if collision.full_hash == encoded_page.full_hash {
                // These pages are identical. Add both under the same hash.
                fragments.push((
                    collision.word_count,
                    (collision.full_hash.clone(), collision.clone()),
                ));
            } else {
                let new_length = short_hash.len();
                short_hash = &encoded_page.full_hash[0..=new_length];
            }
        }
        fragment_hashes.insert(short_hash.to_string(), encoded_page);
    }

    // (kaca patch: each word's pages are in page order as they are built.)

    fragments.extend(
        fragment_hashes
            .into_iter()
            .map(|(hash, frag)| (frag.word_count, (hash, frag))),
    );
    fragments.sort_by_cached_key(|(_, (_, fragment))| fragment.page_number);

    let page_count = fragments.len();
    let mut final_fragments = Vec::new();

    if let Some(max_fragments) =
        options.max_fragments.filter(|&m| m > 0 && (m as usize) < fragments.len())
    {
        let group_size = (fragments.len() as f32 / max_fragments as f32).ceil() as usize;
        options.logger.info(format!(
            "Bundling {} fragments into groups of {}, resulting in {} files",
            fragments.len(),
            group_size,
            fragments.chunks(group_size).len()
        ));
        let mut group_hashes: BTreeSet<String> = BTreeSet::new();
        for chunk in fragments.chunks(group_size) {
            let mut group_map = BTreeMap::new();
            for (_, (hash, frag)) in chunk {
                let val: serde_json::Value = serde_json::from_str(&frag.encoded_data).unwrap();
                group_map.insert(hash.clone(), val);
            }
            let group_json = serde_json::to_string(&group_map).unwrap();
            let prefix = format!("{language}_group_");
            let group_hash = format!("{prefix}{}", full_hash(group_json.as_bytes()));

            // If we hit a collision, extend one hash until we stop colliding
            let mut hash_length = 7;
            let mut short_group_hash = &group_hash[..prefix.len() + hash_length];
            while group_hashes.contains(short_group_hash) && hash_length < 40 {
                hash_length += 1;
                short_group_hash = &group_hash[..prefix.len() + hash_length];
            }
            group_hashes.insert(short_group_hash.to_string());

            final_fragments.push((short_group_hash.to_string(), group_json));

            for (word_count, (hash, _)) in chunk {
                meta.pages.push(MetaPage {
                    hash: hash.clone(),
                    word_count: *word_count as u32,
                    group_hash: short_group_hash.to_string(),
                });
            }
        }
    } else {
        for (word_count, (hash, frag)) in fragments {
            final_fragments.push((hash.clone(), frag.encoded_data));
            meta.pages.push(MetaPage {
                hash: hash.clone(),
                word_count: word_count as u32,
                group_hash: "".into(),
            });
        }
    }

    // Encode filter indexes in parallel
    // Accumulate into HashMap for O(1) inserts, then sort once before encoding
    // to produce a stable hash without paying BTreeMap's per-insert overhead.
    let mut filter_map_vec: Vec<_> = filter_map.into_iter().collect();
    filter_map_vec.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    let encoded_filters: Vec<(String, Vec<u8>, String)> = filter_map_vec
        .into_par_iter()
        .map(|(filter, values)| {
            let mut sorted_values: Vec<_> = values.into_iter().collect();
            sorted_values.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
            let mut filter_index: Vec<u8> = Vec::new();
            let _ = minicbor::encode::<FilterIndex, &mut Vec<u8>>(
                FilterIndex {
                    filter: filter.clone(),
                    values: sorted_values
                        .into_iter()
                        .map(|(value, pages)| PackedValue { value, pages })
                        .collect(),
                },
                filter_index.as_mut(),
            );
            let hash = format!("{}_{}", language, full_hash(&filter_index));
            (filter, filter_index, hash)
        })
        .collect();

    // Handle hash collisions sequentially (required for correctness)
    let mut filter_indexes = HashMap::new();
    for (filter, filter_index, hash) in encoded_filters {
        let mut short_hash = &hash[0..=(language.len() + 7)];

        // If we hit a collision, extend one hash until we stop colliding
        // TODO: DRY
        while filter_indexes.contains_key(short_hash) {
            let new_length = short_hash.len() + 1;
            short_hash = &hash[0..=new_length];

            if short_hash.len() == hash.len() {
                break;
            }
        }
        filter_indexes.insert(short_hash.to_string(), filter_index);
        meta.filters.push(MetaFilter {
            filter,
            hash: short_hash.to_string(),
        })
    }

    if TryInto::<u32>::try_into(meta.pages.len()).is_err() {
        options.logger.error(format!(
            "Language {} has too many documents to index, must be < {}",
            language,
            u32::MAX
        ));
        bail!(
            "Language {language} has too many documents to index, must be < {}",
            u32::MAX
        );
    }

    // TODO: Parameterize these chunk sizes via byte size rather than word count
    let word_count = word_map.len();
    let chunks = chunk_words(word_map.into_iter().collect(), options.index_chunk_size);
    meta.index_chunks = chunk_meta(&chunks);

    // Encode word index chunks in parallel (kaca patch: each word's pages
    // are encoded already, delta page numbers included; the chunk's
    // `WordIndex` is written around them).
    let encoded_chunks: Vec<(usize, Vec<u8>, String)> = chunks
        .into_par_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let mut word_index: Vec<u8> = Vec::new();
            let mut encoder = minicbor::Encoder::new(&mut word_index);
            encoder
                .array(1)
                .and_then(|e| e.array(chunk.len() as u64))
                .expect(WRITING);
            for (word, encoded) in &chunk {
                encoded_word_into(&mut encoder, word, encoded);
            }

            let hash = format!("{}_{}", language, full_hash(&word_index));
            (i, word_index, hash)
        })
        .collect();

    // Handle hash collisions sequentially (required for correctness)
    let mut word_indexes: HashMap<String, Vec<u8>> = HashMap::new();
    for (i, word_index, hash) in encoded_chunks {
        let mut short_hash = &hash[0..=(language.len() + 7)];

        // If we hit a collision, extend one hash until we stop colliding
        while word_indexes.contains_key(short_hash) {
            let new_length = short_hash.len() + 1;
            short_hash = &hash[0..=new_length];

            if short_hash.len() == hash.len() {
                break;
            }
        }
        word_indexes.insert(short_hash.to_string(), word_index);
        meta.index_chunks[i].hash = short_hash.into();
    }

    let mut meta_index: Vec<u8> = Vec::new();
    let _ = minicbor::encode::<MetaIndex, &mut Vec<u8>>(meta, meta_index.as_mut());

    let meta_hash = format!(
        "{}_{}",
        language,
        &full_hash(&meta_index)[0..=(language.len() + 7)]
    );

    Ok(PagefindIndexes {
        word_indexes,
        filter_indexes,
        sorts,
        meta_index: (meta_hash, meta_index),
        fragments: final_fragments,
        language,
        word_count,
        page_count,
    })
}

/// Convert fossicked word positions to a packed page representation.
/// Sorts by weight (with common weight 25 first) then by position for delta encoding.
/// (kaca patch: the positions only; the page number is set by the caller.)
fn pack_positions(mut positions: Vec<FossickedWord>) -> Vec<i32> {
    // A page weight of 1 is encoded as 25. Since most words should be this weight,
    // we want to sort them to be first in the locations array to reduce filesize
    // when we inline weight changes.
    // We then sort by position within each weight group,
    // which helps us delta encode the index.
    positions.sort_by_cached_key(|p| (if p.weight == 25 { 0 } else { p.weight }, p.position));

    let mut current_weight = 25;
    let mut weighted_positions = Vec::with_capacity(positions.len());
    let mut last_position = 0;

    // Calculate our output list of positions with weights.
    // This is a vec of page positions, with a change in weight for subsequent positions
    // denoted by a negative integer.
    for FossickedWord {
        position, weight, ..
    } in positions
    {
        if weight != current_weight {
            // Weight change: emit marker + absolute position, new delta base
            weighted_positions.push(-(weight as i32) - 1);
            weighted_positions.push(position as i32);
            last_position = position;
            current_weight = weight;
        } else {
            // emit delta from previous position
            weighted_positions.push((position - last_position) as i32);
            last_position = position;
        }
    }

    weighted_positions
}

/// kaca patch: what chunking needs of a word, for the words of the index
/// as it is built and for [`PackedWord`] (the tests' words).
trait ChunkedWord {
    fn word(&self) -> &str;
    fn size(&self) -> usize;
}

#[cfg(test)]
impl ChunkedWord for PackedWord {
    fn word(&self) -> &str {
        &self.word
    }

    fn size(&self) -> usize {
        self.pages
            .iter()
            .chain(self.additional_variants.iter().flat_map(|v| &v.pages))
            .map(|p| p.locs.len() + p.meta_locs.len() + 1)
            .sum::<usize>()
            + self.additional_variants.len()
    }
}

impl ChunkedWord for (String, EncodedWord) {
    fn word(&self) -> &str {
        &self.0
    }

    fn size(&self) -> usize {
        self.1.size + self.1.variants.len()
    }
}

#[cfg(test)]
fn chunk_index(word_map: HashMap<String, PackedWord>, chunk_size: usize) -> Vec<Vec<PackedWord>> {
    chunk_words(word_map.into_values().collect(), chunk_size)
}

fn chunk_words<W: ChunkedWord>(mut words: Vec<W>, chunk_size: usize) -> Vec<Vec<W>> {
    // kaca patch: compared in place (the key was a copy of every word, made
    // at each comparison); words are unique, so the order is the same.
    words.sort_unstable_by(|a, b| a.word().cmp(b.word()));

    let mut index_chunks = Vec::new();

    let mut index_chunk = Vec::new();
    let mut index_chunk_size = 0;
    for word in words.into_iter() {
        index_chunk_size += word.size();
        index_chunk.push(word);
        if index_chunk_size >= chunk_size {
            // kaca patch: moved, not copied with every page's positions.
            index_chunks.push(std::mem::take(&mut index_chunk));
            index_chunk_size = 0;
        }
    }
    if !index_chunk.is_empty() {
        index_chunks.push(index_chunk);
    }

    index_chunks
}

fn chunk_meta<W: ChunkedWord>(indexes: &[Vec<W>]) -> Vec<MetaChunk> {
    let mut named_chunks: Vec<MetaChunk> = Vec::new();

    for chunk in indexes.iter() {
        named_chunks.push(MetaChunk {
            from: chunk.first().map_or("".into(), |w| w.word().to_string()),
            to: chunk.last().map_or("".into(), |w| w.word().to_string()),
            hash: "".into(),
        });
    }
    if named_chunks.len() > 1 {
        for i in 0..named_chunks.len() - 1 {
            let chunks = &mut named_chunks[i..=i + 1];
            let prefixes = get_prefixes((&chunks[0].to, &chunks[1].from));
            // Only trim 'to' if it won't create an invalid range (to < from)
            if prefixes.0 >= chunks[0].from {
                chunks[0].to = prefixes.0;
            }
            // Always trim the next chunk's 'from'
            chunks[1].from = prefixes.1;
        }
    }

    named_chunks
}

fn get_prefixes((a, b): (&str, &str)) -> (String, String) {
    let common_prefix_length: usize = b
        .chars()
        .zip(a.chars())
        .take_while(|&(a, b)| a == b)
        .count();

    let a_prefix = a.chars().take(common_prefix_length + 1).collect::<String>();
    let b_prefix = b.chars().take(common_prefix_length + 1).collect::<String>();

    (a_prefix, b_prefix)
}

fn parse_int_sort(value: &str) -> Option<i32> {
    lexical_core::parse::<i32>(value.as_bytes()).ok()
}

fn parse_float_sort(value: &str) -> Option<f32> {
    lexical_core::parse::<f32>(value.as_bytes()).ok()
}

/// Encode meta positions with field ID markers.
/// Negative numbers switch field IDs, positive numbers are delta-encoded positions.
/// e.g., [-1, 0, 5, -4, 2] means: field 0 positions [0, 5], field 3 positions [2]
fn meta_positions_to_packed(mut positions: Vec<MetaFossickedWord>) -> Vec<i32> {
    if positions.is_empty() {
        return vec![];
    }

    positions.sort_by_key(|p| (p.field_id, p.position));

    let mut current_field: Option<u16> = None;
    let mut last_position: u32 = 0;
    let mut result = Vec::with_capacity(positions.len() + 8);

    for MetaFossickedWord {
        field_id, position, ..
    } in positions
    {
        if Some(field_id) != current_field {
            result.push(-((field_id as i32) + 1));
            current_field = Some(field_id);
            last_position = 0;
        }
        result.push((position - last_position) as i32);
        last_position = position;
    }

    result
}

#[cfg(test)]
mod tests {
    use super::index_words::{PackedPage, PackedVariant, WordIndex};
    use super::*;

    trait Mock {
        fn word(&mut self, word: &str, page_number: usize, locs: Vec<i32>);
    }
    impl Mock for HashMap<String, PackedWord> {
        fn word(&mut self, word: &str, page_number: usize, locs: Vec<i32>) {
            let page = PackedPage {
                page_number,
                locs,
                meta_locs: vec![],
            };
            match self.get_mut(word) {
                Some(w) => w.pages.push(page),
                None => {
                    let _ = self.insert(
                        word.into(),
                        PackedWord {
                            word: word.into(),
                            pages: vec![page],
                            additional_variants: vec![],
                        },
                    );
                }
            }
        }
    }

    fn test_words() -> HashMap<String, PackedWord> {
        let mut words = HashMap::new();
        words.word("apple", 1, vec![20, 40, 60]);
        words.word("apple", 5, vec![3, 6, 9]);
        words.word("apricot", 5, vec![45, 3432, 6003]);
        words.word("banana", 5, vec![100, 500, 900, 566]);
        words.word("peach", 5, vec![383, 2, 678]);

        words
    }

    /// The same postings, but held as diacritic variants rather than on the word itself
    fn test_variant_words() -> HashMap<String, PackedWord> {
        let mut words = test_words();
        for word in words.values_mut() {
            word.additional_variants.push(PackedVariant {
                form: format!("{}\u{0301}", word.word),
                pages: std::mem::take(&mut word.pages),
            });
        }
        words
    }

    /// kaca patch: `EncodedPages` writes, byte for byte, what encoding a
    /// `WordIndex` of delta-numbered `PackedWord`s writes, also when two
    /// runs of pages are joined.
    #[test]
    fn encoded_words_are_the_derived_encoding() {
        let pages = |numbers: &[usize]| -> Vec<PackedPage> {
            numbers
                .iter()
                .map(|&n| PackedPage {
                    page_number: n,
                    locs: vec![n as i32, -26, 300 + n as i32],
                    meta_locs: if n % 2 == 0 { vec![-1, 4] } else { vec![] },
                })
                .collect()
        };
        let words = vec![
            PackedWord {
                word: "cafe".into(),
                pages: pages(&[0, 3, 40, 41, 70_000]),
                additional_variants: vec![
                    PackedVariant { form: "café".into(), pages: pages(&[3, 41]) },
                    PackedVariant { form: "cafè".into(), pages: pages(&[300]) },
                ],
            },
            PackedWord { word: "meta".into(), pages: pages(&[2]), additional_variants: vec![] },
        ];

        // Built in two runs, split between pages 40 and 41, then joined.
        let mut encoded: Vec<(String, EncodedWord)> = Vec::new();
        for word in &words {
            let mut runs = [EncodedWord::default(), EncodedWord::default()];
            let run = |n: usize| usize::from(n > 40);
            for page in &word.pages {
                runs[run(page.page_number)].push(page.page_number, &page.locs, &page.meta_locs);
            }
            for variant in &word.additional_variants {
                for page in &variant.pages {
                    runs[run(page.page_number)].push_variant(
                        &variant.form,
                        page.page_number,
                        &page.locs,
                        &page.meta_locs,
                    );
                }
            }
            let [mut first, second] = runs;
            first.append(second);
            encoded.push((word.word.clone(), first));
        }
        let mut written: Vec<u8> = Vec::new();
        let mut encoder = minicbor::Encoder::new(&mut written);
        encoder.array(1).and_then(|e| e.array(encoded.len() as u64)).expect(WRITING);
        for (word, encoded) in &encoded {
            encoded_word_into(&mut encoder, word, encoded);
        }

        let delta = |pages: &[PackedPage]| -> Vec<PackedPage> {
            let mut last = 0;
            pages
                .iter()
                .map(|p| {
                    let page = PackedPage { page_number: p.page_number - last, ..p.clone() };
                    last = p.page_number;
                    page
                })
                .collect()
        };
        let derived_words: Vec<PackedWord> = words
            .iter()
            .map(|w| PackedWord {
                word: w.word.clone(),
                pages: delta(&w.pages),
                additional_variants: w
                    .additional_variants
                    .iter()
                    .map(|v| PackedVariant { form: v.form.clone(), pages: delta(&v.pages) })
                    .collect(),
            })
            .collect();
        let mut derived: Vec<u8> = Vec::new();
        minicbor::encode::<WordIndex, &mut Vec<u8>>(WordIndex { words: derived_words }, &mut derived)
            .expect(WRITING);
        assert_eq!(written, derived);
        // And the index chunks are sized as before.
        for (encoded, word) in encoded.iter().zip(&words) {
            assert_eq!(encoded.size(), word.size());
        }
    }

    #[test]
    fn build_index_chunks() {
        let chunks = chunk_index(test_words(), 8);

        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0][0].word, "apple");
        assert_eq!(chunks[1][0].word, "apricot");
        assert_eq!(chunks[1][1].word, "banana");
        assert_eq!(chunks[2][0].word, "peach");
    }

    #[test]
    fn build_index_chunks_from_variant_words() {
        let chunks = chunk_index(test_variant_words(), 8);

        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0][0].word, "apple");
        assert_eq!(chunks[1][0].word, "apricot");
        assert_eq!(chunks[1][1].word, "banana");
        assert_eq!(chunks[2][0].word, "peach");
    }

    #[test]
    fn build_chunk_meta() {
        let chunks = chunk_index(test_words(), 8);
        let meta = chunk_meta(&chunks);
        assert_eq!(meta.len(), 3);
        assert_eq!(
            meta[0],
            MetaChunk {
                from: "apple".into(),
                to: "apple".into(), // Not trimmed to "app" since that would make to < from
                hash: "".into(),
            }
        );
        assert_eq!(
            meta[1],
            MetaChunk {
                from: "apr".into(),
                to: "b".into(),
                hash: "".into(),
            }
        );
        assert_eq!(
            meta[2],
            MetaChunk {
                from: "p".into(),
                to: "peach".into(),
                hash: "".into(),
            }
        );
    }

    #[test]
    fn common_prefix() {
        assert_eq!(
            get_prefixes(("apple", "apricot")),
            ("app".into(), "apr".into())
        );
        assert_eq!(
            get_prefixes(("cataraman", "yacht")),
            ("c".into(), "y".into())
        );
        assert_eq!(
            get_prefixes(("cath", "cathartic")),
            ("cath".into(), "catha".into())
        );
        // This should be an invalid state, but just in case:
        assert_eq!(
            get_prefixes(("catha", "cath")),
            ("catha".into(), "cath".into())
        );
    }
}
