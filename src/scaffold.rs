//! `kaca new DIR`: a small, complete portal that builds as it is: config,
//! a home page and an announcements section in both languages, one
//! announcement, and an empty data package. It uses the built-in default
//! theme, so no theme files are copied.

use std::path::Path;

use anyhow::{Context, Result, bail};

pub fn create(dir: &Path) -> Result<()> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read `{}`", dir.display()))?
            .next()
            .is_none();
        if !empty {
            bail!(
                "`{}` already exists and is not empty; kaca new only writes into a new or empty folder",
                dir.display()
            );
        }
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "portal".into());
    let slug = match slug::slugify(&name) {
        s if s.is_empty() => "portal".to_string(),
        s => s,
    };
    let today = jiff::Zoned::now().date().to_string();
    for (path, text) in files(&slug, &today) {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        std::fs::write(&path, text)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    Ok(())
}

fn files(slug: &str, today: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "site.toml",
            format!(
                r#"# The portal's settings. Every key is checked: a typo is an error.
base_url = "https://example.org/{slug}/"
theme = "default"
default_language = "id"

[languages.id]
name = "Bahasa Indonesia"
locale = "id"
title = "Portal Transparansi"
description = "Program, angka, dan data terbuka."

[languages.en]
name = "English"
locale = "en-GB"
title = "Transparency Portal"
description = "Programmes, figures and open data."

[[taxonomies]]
name = "programs"
paginate_by = 10

[[taxonomies]]
name = "tags"
paginate_by = 10

[extra]
organisation = "Nama instansi"
"#
            ),
        ),
        (
            "content/_index.md",
            "---\ntitle: Portal Transparansi\ndescription: Program, angka, dan data terbuka.\n---\n\nSelamat datang. Tulis pengantar portal di sini.\n".into(),
        ),
        (
            "content/_index.en.md",
            "---\ntitle: Transparency Portal\ndescription: Programmes, figures and open data.\n---\n\nWelcome. Write the portal's introduction here.\n".into(),
        ),
        (
            "content/pengumuman/_index.md",
            "---\ntitle: Pengumuman\ndescription: Pengumuman terbaru.\nsort_by: date\npaginate_by: 10\n---\n".into(),
        ),
        (
            "content/pengumuman/_index.en.md",
            "---\ntitle: Announcements\ndescription: The latest announcements.\nsort_by: date\npaginate_by: 10\n---\n".into(),
        ),
        (
            "content/pengumuman/selamat-datang.md",
            format!(
                "---\ntitle: Portal ini dibuka\ndate: {today}\ndescription: Pengumuman pertama portal.\ntags: [portal]\n---\n\nIni pengumuman pertama. Ganti dengan isi Anda sendiri.\n"
            ),
        ),
        (
            "content/pengumuman/selamat-datang.en.md",
            format!(
                "---\ntitle: This portal is open\ndate: {today}\ndescription: The portal's first announcement.\ntags: [portal]\n---\n\nThis is the first announcement. Replace it with your own.\n"
            ),
        ),
        (
            "data/datapackage.json",
            format!(
                "{{\n  \"$schema\": \"https://datapackage.org/profiles/2.0/datapackage.json\",\n  \"name\": \"{slug}\",\n  \"title\": \"Data\",\n  \"licenses\": [{{\"name\": \"CC-BY-4.0\", \"path\": \"https://creativecommons.org/licenses/by/4.0/\", \"title\": \"Creative Commons Attribution 4.0\"}}],\n  \"resources\": []\n}}\n"
            ),
        ),
        (".gitignore", "public/\n".into()),
    ]
}
