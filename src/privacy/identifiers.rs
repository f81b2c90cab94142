//! Finds values that identify a person, whatever the declarations say: NIK
//! and KK numbers (16 digits, also written with separators or inside
//! text), Indonesian phone numbers, e-mail addresses, and columns named for
//! names, addresses, ID numbers, phones, e-mail or birth dates. Matches are
//! only ever shown masked.

use regex::Regex;

use crate::config::AllowEntry;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A 16-digit population number (NIK) or family-card number (KK).
    IdNumber,
    Phone,
    Email,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::IdNumber => "a 16-digit NIK or KK number",
            Kind::Phone => "a phone number",
            Kind::Email => "an e-mail address",
        }
    }
}

/// One match in a text, masked for showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: Kind,
    pub masked: String,
}

pub struct Detector {
    id_number: Regex,
    phone: Regex,
    email: Regex,
    /// Allowed values, as their digits (phones, numbers) or lowercase text.
    allowed: Vec<String>,
}

impl Detector {
    /// The detector for `allow`, made once and shared: compiling its
    /// patterns costs some 2 ms, and a build asks twice (content and
    /// data), `kaca serve` again on every rebuild.
    pub fn shared(allow: &[AllowEntry]) -> std::sync::Arc<Detector> {
        use std::sync::{Arc, Mutex, PoisonError};
        static LAST: Mutex<Option<(Vec<String>, Arc<Detector>)>> = Mutex::new(None);
        // The allow list's values are all the detector depends on.
        let values: Vec<String> = allow.iter().map(|entry| entry.value.clone()).collect();
        let mut last = LAST.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((known, detector)) = &*last
            && *known == values
        {
            return detector.clone();
        }
        let detector = Arc::new(Detector::new(allow));
        *last = Some((values, detector.clone()));
        detector
    }

    pub fn new(allow: &[AllowEntry]) -> Detector {
        Detector {
            // 16 digits, each group separated by at most one space, dot or
            // hyphen; not part of a longer run of digits.
            id_number: Regex::new(r"(?:^|[^\d])(\d(?:[ .\-]?\d){15})(?:[^\d]|$)").expect("a valid pattern"),
            // Mobile 08…, +62 8…, 62 8…, and +62 landlines, in the usual
            // spellings: spaces, dots, hyphens, brackets around the area code.
            phone: Regex::new(
                r"(?:^|[^\d+])((?:\+62|62|0)[ .\-]?\(?8\d\)?(?:[ .\-]?\d){6,10}|\+62[ .\-]?\(?\d{2,3}\)?(?:[ .\-]?\d){5,8}|\(0\d{2,3}\)[ .\-]?\d(?:[ .\-]?\d){4,7})(?:[^\d]|$)",
            )
            .expect("a valid pattern"),
            email: Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}").expect("a valid pattern"),
            allowed: allow.iter().map(|a| normalise(&a.value)).collect(),
        }
    }

    /// Every identifying value in `text` not on the allow-list.
    pub fn scan(&self, text: &str) -> Vec<Found> {
        self.find(text)
            .into_iter()
            .map(|(_, found)| found)
            .collect()
    }

    /// Every identifying value in `text` not on the allow-list, with the
    /// byte offset where it starts. `text` may have many lines (a page's
    /// markdown); each is looked at alone, as no value spans lines, and
    /// most lines are skipped by counting their digits.
    pub fn find(&self, text: &str) -> Vec<(usize, Found)> {
        let mut found = Vec::new();
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', text.as_bytes()).chain([text.len()]) {
            let line = &text[start..end];
            for (at, one) in self.find_in_line(line) {
                found.push((start + at, one));
            }
            start = end + 1;
        }
        found
    }

    fn find_in_line(&self, text: &str) -> Vec<(usize, Found)> {
        // Most values and lines are short words or numbers: skip them
        // cheaply. This runs on every text cell of every resource and
        // every line of every page.
        let has_at = memchr::memchr(b'@', text.as_bytes()).is_some();
        let digits = count_digits(text.as_bytes());
        if digits < 8 && !has_at {
            return Vec::new();
        }
        let mut found = Vec::new();
        if has_at {
            for m in self.email.find_iter(text) {
                self.push(&mut found, m.start(), Kind::Email, m.as_str());
            }
        }
        // Telling whether a pattern matches at all runs a fast automaton;
        // finding its groups is several times slower and allocates, and
        // most texts with eight digits (amounts, dates) hold no number of
        // a person: ask first.
        if digits >= 8 && (self.id_number.is_match(text) || self.phone.is_match(text)) {
            let mut id_spans = Vec::new();
            for c in self.id_number.captures_iter(text) {
                let Some(m) = c.get(1) else { continue };
                id_spans.push(m.range());
                self.push(&mut found, m.start(), Kind::IdNumber, m.as_str());
            }
            for c in self.phone.captures_iter(text) {
                let Some(m) = c.get(1) else { continue };
                // Part of a 16-digit number, which was reported as such.
                if id_spans
                    .iter()
                    .any(|span| m.start() < span.end && span.start < m.end())
                {
                    continue;
                }
                self.push(&mut found, m.start(), Kind::Phone, m.as_str());
            }
        }
        found
    }

    fn push(&self, found: &mut Vec<(usize, Found)>, at: usize, kind: Kind, value: &str) {
        if self.allowed.iter().any(|a| *a == normalise(value)) {
            return;
        }
        found.push((
            at,
            Found {
                kind,
                masked: mask(value),
            },
        ));
    }
}

/// How many ASCII digits `bytes` holds, counted 32 bytes at a time into a
/// byte-wide sum, which the compiler turns into a few vector instructions
/// per block (a plain filter-and-count goes byte by byte).
fn count_digits(bytes: &[u8]) -> usize {
    let is_digit = |b: &u8| u8::from(b.wrapping_sub(b'0') < 10);
    let mut blocks = bytes.chunks_exact(32);
    let mut total: usize = blocks
        .by_ref()
        .map(|block| usize::from(block.iter().map(is_digit).sum::<u8>()))
        .sum();
    total += blocks
        .remainder()
        .iter()
        .filter(|b| b.is_ascii_digit())
        .count();
    total
}

/// Digits only for numbers (so `0542 123 456` matches `0542-123-456`),
/// lowercase for e-mail addresses.
fn normalise(value: &str) -> String {
    if value.contains('@') {
        return value.trim().to_lowercase();
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    // +62 812… and 0812… are the same number.
    match digits.strip_prefix("62") {
        Some(rest) if value.trim_start().starts_with('+') || digits.len() > 11 => {
            format!("0{rest}")
        }
        _ => digits,
    }
}

/// Shows enough to find the value, never enough to use it: the first two
/// and last two characters, the rest as `•` (e-mail: first letter and the
/// domain's first letter).
pub fn mask(value: &str) -> String {
    if let Some((user, domain)) = value.split_once('@') {
        let first = user.chars().next().unwrap_or('•');
        let domain_first = domain.chars().next().unwrap_or('•');
        return format!("{first}•••@{domain_first}•••");
    }
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 2 || i + 2 >= n || !c.is_ascii_digit() {
                *c
            } else {
                '•'
            }
        })
        .collect()
}

/// What a column's name says it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// A name or an address: a person's, or a place's or an office's.
    NameOrAddress(&'static str),
    /// An ID number, phone, e-mail or birth date: always a person's here.
    Contact(&'static str),
}

impl Column {
    pub fn describe(self) -> &'static str {
        match self {
            Column::NameOrAddress(what) | Column::Contact(what) => what,
        }
    }
}

/// Column names that say the column holds a name, an address, an ID
/// number, a phone number, an e-mail address or a birth date (Indonesian
/// and English).
pub fn identifying_column(name: &str) -> Option<Column> {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |word: &str| words.contains(&word);
    let joined = words.join("_");
    const BIRTH: [&str; 8] = [
        "tanggal_lahir",
        "tgl_lahir",
        "tanggallahir",
        "tgllahir",
        "date_of_birth",
        "birth_date",
        "birthdate",
        "dob",
    ];
    if BIRTH.iter().any(|b| joined.contains(b)) || (has("lahir") && (has("tanggal") || has("tgl")))
    {
        return Some(Column::Contact("a birth date"));
    }
    if has("nik")
        || has("no_kk")
        || joined.contains("no_kk")
        || joined.contains("nomor_kk")
        || has("kk")
        || has("ktp")
        || has("nkk")
    {
        return Some(Column::Contact("a NIK, KK or ID-card number"));
    }
    if has("nama") || has("name") || has("fullname") || joined == "full_name" {
        return Some(Column::NameOrAddress("a name"));
    }
    if has("alamat") || has("address") || has("rt") && has("rw") {
        return Some(Column::NameOrAddress("an address"));
    }
    if has("hp")
        || has("telepon")
        || has("telp")
        || has("phone")
        || has("telephone")
        || has("whatsapp")
        || has("wa")
        || has("handphone")
        || joined.contains("no_hp")
    {
        return Some(Column::Contact("a phone number"));
    }
    if has("email") || has("surel") || joined.contains("e_mail") {
        return Some(Column::Contact("an e-mail address"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Kind> {
        Detector::new(&[])
            .scan(text)
            .into_iter()
            .map(|f| f.kind)
            .collect()
    }

    #[test]
    fn id_numbers_in_every_spelling() {
        assert_eq!(kinds("1234567890123456"), [Kind::IdNumber]);
        assert_eq!(kinds("NIK 1234.5678.9012.3456 terdaftar"), [Kind::IdNumber]);
        assert_eq!(kinds("12 3456 7890 1234 56"), [Kind::IdNumber]);
        assert_eq!(kinds("6471-0101-0101-0001"), [Kind::IdNumber]);
        // Shorter or longer runs of digits are not NIKs.
        assert!(kinds("123456789012345").is_empty());
        assert!(kinds("12345678901234567").is_empty());
    }

    #[test]
    fn phone_numbers_in_common_spellings() {
        for text in [
            "0812-3456-7890",
            "+62 812 3456 7890",
            "6281234567890",
            "hubungi 0812 345 678 90 segera",
            "+62 542 123456",
            "(0542) 123456",
            "+62-21-555-0000",
        ] {
            assert_eq!(kinds(text), [Kind::Phone], "{text}");
        }
        // Figures, years and codes are not phones.
        for text in ["7.140", "2025-11-03", "6471010", "1.700.000", "Rp5.000.000"] {
            assert!(kinds(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn a_phone_beside_an_id_number_is_found_too() {
        assert_eq!(
            kinds("Hubungi 0812-3456-7890 atau NIK 1234 5678 9012 3456."),
            [Kind::IdNumber, Kind::Phone]
        );
    }

    #[test]
    fn emails_and_masking() {
        let found = Detector::new(&[]).scan("tulis ke budi.santoso@contoh.example ya");
        assert_eq!(found[0].kind, Kind::Email);
        assert_eq!(found[0].masked, "b•••@c•••");
        assert_eq!(mask("0812-3456-7890"), "08••-••••-••90");
        assert_eq!(mask("1234567890123456"), "12••••••••••••56");
    }

    /// An office's hotline on the allow list.
    fn hotline_allowed() -> AllowEntry {
        AllowEntry {
            value: "0542-123456".into(),
            reason: "hotline".into(),
            reviewed_by: "PPID".into(),
            reviewed_on: "2025-11-01".parse().unwrap(),
        }
    }

    #[test]
    fn allowed_values_match_in_any_spelling() {
        let detector = Detector::new(&[hotline_allowed()]);
        assert!(detector.scan("(0542) 123456").is_empty());
        assert!(detector.scan("+62 542 123456").is_empty());
        assert_eq!(detector.scan("0812 3456 7890").len(), 1);
    }

    /// The shared detector follows the allow list it is asked for: a
    /// list changed in site.toml while `kaca serve` runs takes effect.
    #[test]
    fn the_shared_detector_follows_the_allow_list() {
        let allow = hotline_allowed();
        let hotline = "(0542) 123456";
        for _ in 0..2 {
            assert!(
                Detector::shared(std::slice::from_ref(&allow))
                    .scan(hotline)
                    .is_empty()
            );
            assert_eq!(Detector::shared(&[]).scan(hotline).len(), 1);
        }
    }

    #[test]
    fn digits_are_counted_across_block_edges() {
        // Digits at every position of texts longer and shorter than a
        // block, among letters, separators and non-ASCII text.
        let filler = "a.-(é) 0";
        for len in 0..100 {
            let text: String = filler.chars().cycle().take(len).collect();
            for at in 0..text.len() {
                let mut bytes = text.clone().into_bytes();
                bytes[at] = b'7';
                let plain = bytes.iter().filter(|b| b.is_ascii_digit()).count();
                assert_eq!(count_digits(&bytes), plain, "{len} {at}");
            }
        }
    }

    #[test]
    fn values_are_found_on_their_own_line() {
        let text = "judul: Rapat\n\nTabel 7,048,038,129 dan 6,959,357,648\n\
                    Hubungi 0812-3456-7890\r\nsurat: budi@contoh.example\n1234567890123456";
        let found = Detector::new(&[]).find(text);
        let lines: Vec<(usize, Kind)> = found
            .iter()
            .map(|(at, f)| (text[..*at].matches('\n').count() + 1, f.kind))
            .collect();
        assert_eq!(
            lines,
            [(4, Kind::Phone), (5, Kind::Email), (6, Kind::IdNumber)]
        );
        // Each offset is where the value starts.
        assert!(text[found[0].0..].starts_with("0812"));
        assert!(text[found[1].0..].starts_with("budi@"));
        assert!(text[found[2].0..].starts_with("1234"));
        // Digits of two lines do not join into one number.
        assert!(Detector::new(&[]).find("12345678\n12345678").is_empty());
    }

    #[test]
    fn identifying_column_names() {
        for name in [
            "nama",
            "nama_lengkap",
            "Name",
            "alamat",
            "no_hp",
            "nik",
            "no_kk",
            "tanggal_lahir",
            "email",
            "Nomor Telepon",
            "NIK Penerima",
        ] {
            assert!(identifying_column(name).is_some(), "{name}");
        }
        for name in [
            "kecamatan",
            "jenis_kelamin",
            "kelompok_umur",
            "pekerjaan",
            "bulan_mulai",
            "id_penerima",
            "namespace_x",
            "rtrw_code",
        ] {
            assert!(identifying_column(name).is_none(), "{name}");
        }
    }
}
