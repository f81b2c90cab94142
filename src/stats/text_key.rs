//! Text values as keys of the hash maps the data pass looks up for every
//! row: the codes of group values, distinct counts and filters.
//!
//! Written here rather than keyed by `Box<str>` because of what a lookup
//! costs: a `str` key is hashed byte by byte and compared by a call to
//! `memcmp`, and with a million rows and a handful of fields that was a
//! tenth of the data pass. The values looked up are mostly short (names of
//! districts, programmes, bands, codes); up to 16 bytes a value is read as
//! two machine words once, then hashed and compared as those words and its
//! length. A longer value is hashed by its first 16 and last 8 bytes and
//! compared in full. Lookups borrow the row's text ([`TextRef`], through
//! hashbrown's `Equivalent`); only a new value is copied ([`TextKey`]).

use std::hash::{Hash, Hasher};

/// A map keyed by text values, looked up with [`TextRef`].
pub type TextMap<V> = hashbrown::HashMap<TextKey, V, rustc_hash::FxBuildHasher>;

/// A set of text values, looked up with [`TextRef`].
pub type TextSet = hashbrown::HashSet<TextKey, rustc_hash::FxBuildHasher>;

/// A text value kept in a [`TextMap`] or [`TextSet`].
#[derive(Clone, Debug)]
pub struct TextKey {
    words: [u64; 2],
    text: Box<str>,
}

/// A text value to look up, borrowed from a row.
#[derive(Clone, Copy, Debug)]
pub struct TextRef<'a> {
    words: [u64; 2],
    text: &'a str,
}

impl<'a> TextRef<'a> {
    #[inline(always)]
    pub fn new(text: &'a str) -> Self {
        TextRef {
            words: words(text.as_bytes()),
            text,
        }
    }

    /// The value as a key of its own (a copy of the text).
    pub fn to_key(self) -> TextKey {
        TextKey {
            words: self.words,
            text: self.text.into(),
        }
    }
}

impl From<String> for TextKey {
    fn from(text: String) -> Self {
        TextKey {
            words: words(text.as_bytes()),
            text: text.into_boxed_str(),
        }
    }
}

/// The bytes of a value of up to 16 bytes as two words, which with the
/// length tell the value (reads that overlap cover every byte); of a
/// longer value, its first 16 bytes. Reads of whole words, not a copy of
/// a length known only when run.
#[inline(always)]
fn words(bytes: &[u8]) -> [u64; 2] {
    let n = bytes.len();
    let word = |at: usize| {
        u64::from_le_bytes(
            bytes[at..at + 8]
                .try_into()
                .expect("eight bytes were taken"),
        )
    };
    let half = |at: usize| {
        u64::from(u32::from_le_bytes(
            bytes[at..at + 4].try_into().expect("four bytes were taken"),
        ))
    };
    match n {
        16.. => [word(0), word(8)],
        8..=15 => [word(0), word(n - 8)],
        4..=7 => [half(0) | (half(n - 4) << 32), 0],
        1..=3 => [
            u64::from(bytes[0]) | (u64::from(bytes[n / 2]) << 8) | (u64::from(bytes[n - 1]) << 16),
            0,
        ],
        0 => [0, 0],
    }
}

#[inline(always)]
fn hash_value<H: Hasher>(head: [u64; 2], text: &str, state: &mut H) {
    state.write_u64(head[0]);
    state.write_u64(head[1]);
    state.write_usize(text.len());
    if text.len() > 16 {
        // Long values often share their start (`Kelurahan ...`): their
        // ends tell them apart.
        state.write_u64(words(&text.as_bytes()[text.len() - 8..])[0]);
    }
}

#[inline(always)]
fn same(a_words: [u64; 2], a: &str, b_words: [u64; 2], b: &str) -> bool {
    a.len() == b.len()
        && a_words == b_words
        && (a.len() <= 16 || a.as_bytes()[16..] == b.as_bytes()[16..])
}

impl Hash for TextKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_value(self.words, &self.text, state);
    }
}

impl Hash for TextRef<'_> {
    #[inline(always)]
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_value(self.words, self.text, state);
    }
}

impl PartialEq for TextKey {
    fn eq(&self, other: &Self) -> bool {
        same(self.words, &self.text, other.words, &other.text)
    }
}

impl Eq for TextKey {}

impl hashbrown::Equivalent<TextKey> for TextRef<'_> {
    #[inline(always)]
    fn equivalent(&self, key: &TextKey) -> bool {
        same(self.words, self.text, key.words, &key.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair of short values over a small alphabet, and long values
    /// that differ only in the middle or only at the end, are equal as keys
    /// exactly when they are equal as text, and found in a set exactly
    /// then.
    #[test]
    fn keys_are_equal_exactly_when_their_texts_are() {
        let alphabet = ["a", "b", "é", "\0"];
        let mut values: Vec<String> = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = values
                .iter()
                .flat_map(|v| alphabet.iter().map(move |c| format!("{v}{c}")))
                .collect();
            values.extend(longer);
        }
        values.sort();
        values.dedup();
        // Lengths around every boundary of `words`: 3/4, 7/8, 15/16/17.
        for length in [3, 4, 7, 8, 9, 15, 16, 17, 24, 40] {
            for position in 0..length {
                let mut bytes = vec![b'k'; length];
                values.push(String::from_utf8(bytes.clone()).unwrap());
                bytes[position] = b'x';
                values.push(String::from_utf8(bytes).unwrap());
            }
        }
        let mut set = TextSet::default();
        for value in &values {
            set.insert(TextRef::new(value).to_key());
        }
        let distinct: std::collections::HashSet<&String> = values.iter().collect();
        assert_eq!(set.len(), distinct.len());
        for a in &values {
            assert!(set.contains(&TextRef::new(a)), "{a:?}");
            let found = set.get(&TextRef::new(a)).map(|key| &*key.text);
            assert_eq!(found, Some(a.as_str()));
            for b in values.iter().take(400) {
                let key_a = TextKey::from(a.clone());
                let key_b = TextKey::from(b.clone());
                assert_eq!(key_a == key_b, a == b, "{a:?} {b:?}");
            }
        }
        assert!(!set.contains(&TextRef::new("not there at all, not at all")));
    }
}
