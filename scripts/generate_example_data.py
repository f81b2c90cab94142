#!/usr/bin/env python3
"""Generate the synthetic example data of the Balikpapan transparency portal.

Writes every CSV file under data/ and data/datapackage.json. The person-level
rows are SYNTHETIC: they are drawn from a fixed seed so that their totals
reproduce, exactly, the figures published in the local press (see
data/README.md). Nothing in them describes a real person: identifiers are
sequence numbers (SUB-000001, PLT-0001, ...), and there are no names,
NIK numbers, addresses, phone numbers or birth dates.

The breakdowns below the published totals (district, sex, age band, month,
sector, training type, school major) are invented to look plausible; they do
not describe the real programmes.

Running the script twice gives byte-identical files: one seeded generator,
draws in a fixed order, sorted output, no timestamps.

    python3 scripts/generate_example_data.py

The statistics declarations in data/stats/*.toml are written by hand and are
not touched by this script.
"""

import csv
import json
import math
import random
from collections import Counter
from pathlib import Path

SEED = 20251103
DATA = Path(__file__).resolve().parent.parent / "data"

UPDATED = "2025-11-10"
NEXT_UPDATE = "2026-05-10"  # within six months, as the public-information law expects

# ---------------------------------------------------------------------------
# Published totals (facts.md). The script fails if the data does not give them.
# ---------------------------------------------------------------------------
SUBSIDY_RECIPIENTS = 7140
JOB_FAIR_COMPANIES = 102
JOB_FAIR_VACANCIES = 1742  # "more than 1,700" was published; the exact sum is ours
TRAINING_TYPES = 6
TRAINING_PARTICIPANTS = 68
INTERNSHIP_COMPANIES = 3
INTERNS = 19
PROSTHETIC_RECIPIENTS = 13
ELDERLY_RECIPIENTS = 80
MONTHS_2025 = [f"2025-{m:02d}" for m in range(1, 13)]

# ---------------------------------------------------------------------------
# Lookups and category lists (the order here is the order in the schema enums)
# ---------------------------------------------------------------------------
# Codes follow the shape of BPS district codes but are illustrative only.
KECAMATAN = [
    ("6471010", "Balikpapan Barat"),
    ("6471020", "Balikpapan Kota"),
    ("6471030", "Balikpapan Selatan"),
    ("6471040", "Balikpapan Tengah"),
    ("6471050", "Balikpapan Timur"),
    ("6471060", "Balikpapan Utara"),
]
KECAMATAN_NAMES = [name for _, name in KECAMATAN]

# Rough population weights: Selatan and Utara largest, Kota and Barat smallest.
POPULATION_WEIGHTS = {
    "Balikpapan Barat": 0.12,
    "Balikpapan Kota": 0.11,
    "Balikpapan Selatan": 0.23,
    "Balikpapan Tengah": 0.15,
    "Balikpapan Timur": 0.15,
    "Balikpapan Utara": 0.24,
}

SEX = ["L", "P"]
SEX_EN = {"L": "Male", "P": "Female"}
SEX_ID = {"L": "Laki-laki", "P": "Perempuan"}

# Occupation: (recipients, share of women, district weights, age-band weights).
# District weights in the order of KECAMATAN_NAMES; fishers and fish farmers
# live along the coast (Timur, Barat), farmers in the peri-urban north and east.
SUBSIDY_AGE_BANDS = ["18-25", "26-35", "36-45", "46-55", "56-65"]
OCCUPATIONS = {
    "Tukang bangunan": (1640, 0.03, [0.12, 0.10, 0.23, 0.15, 0.13, 0.27], [0.12, 0.27, 0.29, 0.22, 0.10]),
    "Pedagang kecil": (2050, 0.58, [0.11, 0.14, 0.27, 0.20, 0.09, 0.19], [0.08, 0.22, 0.30, 0.26, 0.14]),
    "Nelayan": (1180, 0.06, [0.20, 0.09, 0.16, 0.06, 0.30, 0.19], [0.09, 0.21, 0.28, 0.26, 0.16]),
    "Petani": (690, 0.28, [0.06, 0.02, 0.05, 0.03, 0.32, 0.52], [0.05, 0.14, 0.25, 0.31, 0.25]),
    "Pekerja rumah tangga": (1020, 0.86, [0.09, 0.14, 0.29, 0.19, 0.09, 0.20], [0.14, 0.26, 0.28, 0.22, 0.10]),
    "Pembudidaya ikan": (560, 0.22, [0.14, 0.04, 0.10, 0.05, 0.30, 0.37], [0.07, 0.20, 0.30, 0.27, 0.16]),
}
OCCUPATIONS_EN = {
    "Tukang bangunan": "Construction worker",
    "Pedagang kecil": "Small trader",
    "Nelayan": "Fisher",
    "Petani": "Farmer",
    "Pekerja rumah tangga": "Domestic worker",
    "Pembudidaya ikan": "Fish farmer",
}
# Most enrolments at the start of the year, then a steady trickle.
SUBSIDY_MONTHS = [f"2025-{m:02d}" for m in range(1, 11)]
SUBSIDY_MONTH_WEIGHTS = [0.30, 0.12, 0.10, 0.08, 0.08, 0.07, 0.07, 0.07, 0.06, 0.05]

KUOTA_FREE = "Kuota asuransi ketenagakerjaan gratis (APBD Kota Balikpapan)"
KUOTA_PROVINCE = "Kuota tambahan Pemprov Kaltim"
KUOTA_ROWS = [
    (KUOTA_FREE, "Kota Balikpapan", 2025, 7100),
    (KUOTA_PROVINCE, "Provinsi Kalimantan Timur", 2025, 12000),
]
PROGRAM_EN = {
    KUOTA_FREE: "Free employment-insurance quota (Balikpapan city budget)",
    KUOTA_PROVINCE: "Additional quota of the East Kalimantan provincial government",
}
REGION_EN = {
    "Kota Balikpapan": "Balikpapan City",
    "Provinsi Kalimantan Timur": "East Kalimantan Province",
    "Kota Bontang": "Bontang City",
    "Kabupaten Kutai Timur": "East Kutai Regency",
}

# Coverage rows: written with Indonesian number format (decimal comma).
CAKUPAN_ROWS = [
    (
        "Kota Balikpapan",
        "2024-02-15",
        65.0,
        "Disampaikan Kanwil BPJS Ketenagakerjaan Kalimantan saat berkunjung ke Balai Kota Balikpapan",
    ),
    (
        "Kota Bontang",
        "2025-05-14",
        100.0,
        "Menurut BPJS Ketenagakerjaan Cabang Samarinda, satu dari dua daerah di Kaltim yang cakupannya sudah 100 persen",
    ),
    (
        "Kabupaten Kutai Timur",
        "2025-05-14",
        100.0,
        "Menurut BPJS Ketenagakerjaan Cabang Samarinda, satu dari dua daerah di Kaltim yang cakupannya sudah 100 persen",
    ),
]

# Job-fair sectors: (companies, typical vacancies per company).
SECTORS = {
    "Minyak dan gas": (12, 22),
    "Konstruksi": (14, 20),
    "Perdagangan": (18, 18),
    "Perhotelan dan restoran": (13, 17),
    "Logistik dan transportasi": (12, 16),
    "Jasa keuangan": (8, 12),
    "Manufaktur": (9, 20),
    "Kesehatan": (7, 14),
    "Pendidikan": (4, 8),
    "Teknologi informasi": (5, 10),
}
SECTORS_EN = {
    "Minyak dan gas": "Oil and gas",
    "Konstruksi": "Construction",
    "Perdagangan": "Trade",
    "Perhotelan dan restoran": "Hotels and restaurants",
    "Logistik dan transportasi": "Logistics and transport",
    "Jasa keuangan": "Financial services",
    "Manufaktur": "Manufacturing",
    "Kesehatan": "Health care",
    "Pendidikan": "Education",
    "Teknologi informasi": "Information technology",
}

# Training: (participants, share of women). The source does not name the six
# types; these names are invented for the example.
TRAINING_AGE_BANDS = ["18-25", "26-35", "36-45", "46-55"]
TRAINING_AGE_WEIGHTS = [0.38, 0.32, 0.20, 0.10]
TRAININGS = {
    "Menjahit": (12, 0.90),
    "Tata boga": (14, 0.80),
    "Teknisi pendingin ruangan": (10, 0.05),
    "Pengelasan": (11, 0.03),
    "Operator komputer perkantoran": (12, 0.60),
    "Tata rias": (9, 0.95),
}
TRAININGS_EN = {
    "Menjahit": "Sewing",
    "Tata boga": "Cooking and catering",
    "Teknisi pendingin ruangan": "Air-conditioning technician",
    "Pengelasan": "Welding",
    "Operator komputer perkantoran": "Office computer operator",
    "Tata rias": "Make-up and beauty",
}

# Internships: host company -> (interns, the SMK majors it takes).
INTERN_HOSTS = {
    "Perusahaan Mitra A": (8, ["Teknik Ketenagalistrikan", "Teknik Pengelasan dan Fabrikasi Logam", "Teknik Otomotif"]),
    "Perusahaan Mitra B": (6, ["Akuntansi dan Keuangan Lembaga", "Manajemen Perkantoran dan Layanan Bisnis"]),
    "Perusahaan Mitra C": (5, ["Teknik Jaringan Komputer dan Telekomunikasi", "Teknik Otomotif"]),
}
HOSTS_EN = {
    "Perusahaan Mitra A": "Partner company A",
    "Perusahaan Mitra B": "Partner company B",
    "Perusahaan Mitra C": "Partner company C",
}
# SMK major -> share of women.
MAJORS = {
    "Teknik Ketenagalistrikan": 0.10,
    "Teknik Pengelasan dan Fabrikasi Logam": 0.05,
    "Teknik Otomotif": 0.08,
    "Akuntansi dan Keuangan Lembaga": 0.75,
    "Manajemen Perkantoran dan Layanan Bisnis": 0.80,
    "Teknik Jaringan Komputer dan Telekomunikasi": 0.35,
}
MAJORS_EN = {
    "Teknik Ketenagalistrikan": "Electrical power engineering",
    "Teknik Pengelasan dan Fabrikasi Logam": "Welding and metal fabrication",
    "Teknik Otomotif": "Automotive engineering",
    "Akuntansi dan Keuangan Lembaga": "Accounting and finance",
    "Manajemen Perkantoran dan Layanan Bisnis": "Office management and business services",
    "Teknik Jaringan Komputer dan Telekomunikasi": "Computer networks and telecommunications",
}

# Prosthetic legs: a few recipients in every district, so that small cells exist.
PROSTHETIC_DISTRICTS = {
    "Balikpapan Barat": 2,
    "Balikpapan Kota": 1,
    "Balikpapan Selatan": 3,
    "Balikpapan Tengah": 2,
    "Balikpapan Timur": 2,
    "Balikpapan Utara": 3,
}
PROSTHETIC_AGE_BANDS = ["18-39", "40-59", "60+"]
PROSTHETIC_AGE_WEIGHTS = [0.25, 0.45, 0.30]
PROSTHETIC_MONTHS = [f"2025-{m:02d}" for m in range(2, 11)]

ELDERLY_AGE_BANDS = ["60-69", "70-79", "80+"]
ELDERLY_AGE_WEIGHTS = [0.45, 0.38, 0.17]
ELDERLY_SHARE_WOMEN = 0.62


# ---------------------------------------------------------------------------
# Drawing helpers. Only Random.random() is used, so the draws do not depend
# on how a Python version implements choices() or shuffle().
# ---------------------------------------------------------------------------
def pick(rng, items, weights):
    total = sum(weights)
    target = rng.random() * total
    running = 0.0
    for item, weight in zip(items, weights):
        running += weight
        if target < running:
            return item
    return items[-1]


def shuffled(rng, items):
    items = list(items)
    for i in range(len(items) - 1, 0, -1):
        j = int(rng.random() * (i + 1))
        items[i], items[j] = items[j], items[i]
    return items


def allocate(total, weights):
    """Splits `total` in proportion to `weights` (largest remainder; ties by order)."""
    shares = [total * w / sum(weights) for w in weights]
    counts = [math.floor(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def sex_for(rng, share_women):
    return "P" if rng.random() < share_women else "L"


# ---------------------------------------------------------------------------
# Generators: each returns (header, rows) with rows in their final order.
# ---------------------------------------------------------------------------
def kecamatan():
    return ["kode", "nama"], [list(row) for row in KECAMATAN]


def subsidi(rng):
    people = []
    for occupation, (count, women, district_weights, age_weights) in OCCUPATIONS.items():
        for _ in range(count):
            people.append(
                [
                    occupation,
                    pick(rng, KECAMATAN_NAMES, district_weights),
                    sex_for(rng, women),
                    pick(rng, SUBSIDY_AGE_BANDS, age_weights),
                    pick(rng, SUBSIDY_MONTHS, SUBSIDY_MONTH_WEIGHTS),
                ]
            )
    # Numbered in the order the subsidy started; random order within a month.
    people = shuffled(rng, people)
    people.sort(key=lambda p: p[4])
    rows = [[f"SUB-{i:06d}"] + p for i, p in enumerate(people, start=1)]
    header = ["id_penerima", "pekerjaan", "kecamatan", "jenis_kelamin", "kelompok_umur", "bulan_mulai"]
    return header, rows


def kuota():
    return ["program", "wilayah", "tahun", "kuota"], [list(row) for row in KUOTA_ROWS]


def indonesian_number(value):
    return f"{value:.1f}".replace(".", ",")


def cakupan():
    rows = [[w, d, indonesian_number(p), k] for w, d, p, k in CAKUPAN_ROWS]
    return ["wilayah", "tanggal", "persen_cakupan", "keterangan"], rows


def bursa(rng):
    sectors = []
    for sector, (companies, _) in SECTORS.items():
        sectors += [sector] * companies
    sectors = shuffled(rng, sectors)
    raw = []
    for sector in sectors:
        typical = SECTORS[sector][1]
        raw.append(typical * (0.45 + 1.1 * rng.random()) ** 2)
    vacancies = allocate(JOB_FAIR_VACANCIES, raw)
    assert min(vacancies) >= 1, "every company offers at least one vacancy"
    rows = [[f"PRS-{i:03d}", s, v, "2025-07"] for i, (s, v) in enumerate(zip(sectors, vacancies), start=1)]
    return ["id_perusahaan", "sektor", "lowongan", "bulan"], rows


def pelatihan(rng):
    people = []
    for training, (count, women) in TRAININGS.items():
        for _ in range(count):
            people.append(
                [
                    training,
                    pick(rng, KECAMATAN_NAMES, [POPULATION_WEIGHTS[k] for k in KECAMATAN_NAMES]),
                    sex_for(rng, women),
                    pick(rng, TRAINING_AGE_BANDS, TRAINING_AGE_WEIGHTS),
                    "2025-08",
                ]
            )
    people = shuffled(rng, people)
    rows = [[f"PLT-{i:04d}"] + p for i, p in enumerate(people, start=1)]
    return ["id_peserta", "jenis_pelatihan", "kecamatan", "jenis_kelamin", "kelompok_umur", "bulan"], rows


def magang(rng):
    people = []
    for host, (count, majors) in INTERN_HOSTS.items():
        for _ in range(count):
            major = pick(rng, majors, [1] * len(majors))
            people.append([host, major, sex_for(rng, MAJORS[major]), "2025-08"])
    people = shuffled(rng, people)
    rows = [[f"MAG-{i:04d}"] + p for i, p in enumerate(people, start=1)]
    return ["id_peserta", "perusahaan_mitra", "jurusan_smk", "jenis_kelamin", "bulan_mulai"], rows


def kaki_palsu(rng):
    people = []
    for district, count in PROSTHETIC_DISTRICTS.items():
        for _ in range(count):
            people.append(
                [
                    district,
                    sex_for(rng, 0.30),
                    pick(rng, PROSTHETIC_AGE_BANDS, PROSTHETIC_AGE_WEIGHTS),
                    pick(rng, PROSTHETIC_MONTHS, [1] * len(PROSTHETIC_MONTHS)),
                ]
            )
    people = shuffled(rng, people)
    people.sort(key=lambda p: p[3])
    rows = [[f"KPL-{i:04d}"] + p for i, p in enumerate(people, start=1)]
    return ["id_penerima", "kecamatan", "jenis_kelamin", "kelompok_umur", "bulan_serah"], rows


def sembako(rng):
    counts = allocate(ELDERLY_RECIPIENTS, [POPULATION_WEIGHTS[k] for k in KECAMATAN_NAMES])
    districts = []
    for district, count in zip(KECAMATAN_NAMES, counts):
        districts += [district] * count
    districts = shuffled(rng, districts)
    recipients = []
    for i, district in enumerate(districts, start=1):
        recipients.append(
            [
                f"LNS-{i:03d}",
                district,
                sex_for(rng, ELDERLY_SHARE_WOMEN),
                pick(rng, ELDERLY_AGE_BANDS, ELDERLY_AGE_WEIGHTS),
            ]
        )
    # One delivery a month for every recipient; a recipient's district,
    # sex and age band stay the same all year.
    rows = []
    for month in MONTHS_2025:
        for rid, district, sex, age in recipients:
            rows.append([rid, month, district, sex, age])
    return ["id_penerima", "bulan", "kecamatan", "jenis_kelamin", "kelompok_umur"], rows


# ---------------------------------------------------------------------------
# The data package descriptor
# ---------------------------------------------------------------------------
SOURCE_GERBANG = {
    "title": "Gerbangkaltim.com, 3 November 2025: subsidi iuran BPJS Ketenagakerjaan bagi pekerja rentan, bursa kerja, pelatihan, pemagangan, bantuan kaki palsu dan sembako lansia di Balikpapan",
}
SOURCE_APRIANTO = {
    "title": "Artikel berita oleh Aprianto, 2 September 2025: kuota asuransi ketenagakerjaan gratis Kota Balikpapan dan kuota tambahan Pemprov Kaltim",
}
SOURCE_IBUKOTAKINI = {
    "title": "ibukotakini.com, 15 Februari 2024: kunjungan BPJS Ketenagakerjaan ke Pemkot Balikpapan, cakupan kepesertaan 65 persen",
}
SOURCE_DISKOMINFO = {
    "title": "Diskominfo Kaltim (advertorial), 14 Mei 2025: cakupan jaminan sosial ketenagakerjaan kabupaten/kota di Kalimantan Timur",
}
SOURCE_KOTAKU = {
    "title": "Kotaku (Metro Advertorial), 1 Mei 2025: pertemuan Hari Buruh dengan serikat pekerja, Bus Kesemas 24 jam",
}


def used(canonical, rows, column):
    """The categories of `canonical` that occur in the data, in canonical order."""
    present = {row[column] for row in rows}
    unknown = present - set(canonical)
    assert not unknown, f"values outside the category list: {sorted(unknown)}"
    return [value for value in canonical if value in present]


def field(name, type_, title, title_en, description, description_en, privacy, *,
          constraints=None, labels_en=None, **extra):
    f = {
        "name": name,
        "type": type_,
        "title": title,
        "title_en": title_en,
        "description": description,
        "description_en": description_en,
    }
    f.update(extra)
    if constraints:
        f["constraints"] = constraints
    f["privacy"] = privacy
    if labels_en:
        f["labels_en"] = labels_en
    return f


def labels(mapping, values):
    return {value: mapping[value] for value in values}


def kecamatan_field(rows, column):
    return field(
        "kecamatan", "string", "Kecamatan", "District",
        "Kecamatan tempat tinggal (salah satu dari enam kecamatan di Kota Balikpapan).",
        "District of residence (one of the six districts of Balikpapan).",
        "quasi-identifier",
        constraints={"required": True, "enum": used(KECAMATAN_NAMES, rows, column)},
    )


def sex_field(rows, column):
    values = used(SEX, rows, column)
    return field(
        "jenis_kelamin", "string", "Jenis kelamin", "Sex",
        "L = laki-laki, P = perempuan.",
        "L = male, P = female.",
        "quasi-identifier",
        constraints={"required": True, "enum": values},
        labels_en=labels(SEX_EN, values),
        # Written out in Indonesian too: charts and tables show these, not the codes.
        labels_id=labels(SEX_ID, values),
    )


def age_field(rows, column, bands):
    return field(
        "kelompok_umur", "string", "Kelompok umur", "Age band",
        "Kelompok umur dalam tahun.",
        "Age band in years.",
        "quasi-identifier",
        constraints={"required": True, "enum": used(bands, rows, column)},
    )


def month_field(name, title, title_en, description, description_en, rows, column, privacy):
    months = sorted({row[column] for row in rows})
    return field(
        name, "yearmonth", title, title_en, description, description_en, privacy,
        constraints={"required": True, "minimum": months[0], "maximum": months[-1]},
    )


def id_field(name, prefix, digits, title, title_en, what, what_en):
    return field(
        name, "string", title, title_en,
        f"Nomor urut sintetis {what}; bukan NIK dan tidak merujuk pada orang sungguhan.",
        f"Synthetic sequence number of the {what_en}; not an ID-card number and not linked to a real person.",
        "identifier",
        constraints={"required": True, "unique": True, "pattern": f"{prefix}-[0-9]{{{digits}}}"},
    )


KECAMATAN_FK = {"fields": "kecamatan", "reference": {"resource": "kecamatan", "fields": "nama"}}


def resource(name, title, title_en, description, description_en, persons, fields,
             primary_key, sources, foreign_keys=(), dialect=None, sensitive=False):
    r = {
        "name": name,
        "path": f"{name}.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "title": title,
        "title_en": title_en,
        "description": description,
        "description_en": description_en,
        "persons": persons,
    }
    if sensitive:
        r["sensitive"] = True
    r["updated"] = UPDATED
    r["next_update"] = NEXT_UPDATE
    if sources:
        r["sources"] = sources
    if dialect:
        r["dialect"] = dialect
    schema = {"fields": fields, "primaryKey": primary_key}
    if foreign_keys:
        schema["foreignKeys"] = list(foreign_keys)
    r["schema"] = schema
    return r


SYNTHETIC_ID = (
    "Data contoh sintetis: baris-baris ini dibuat oleh scripts/generate_example_data.py "
    "agar jumlahnya sama persis dengan angka yang dipublikasikan; rinciannya rekaan."
)
SYNTHETIC_EN = (
    "Synthetic example data: these rows are generated by scripts/generate_example_data.py "
    "so that their totals match the published figures exactly; the breakdowns are invented."
)


def datapackage(tables):
    kec = tables["kecamatan"][1]
    sub = tables["subsidi_iuran_penerima"][1]
    kuo = tables["kuota_asuransi"][1]
    cak = tables["cakupan_jaminan_sosial"][1]
    bur = tables["bursa_kerja_perusahaan"][1]
    pel = tables["pelatihan_peserta"][1]
    mag = tables["magang_peserta"][1]
    kak = tables["kaki_palsu_penerima"][1]
    sem = tables["sembako_lansia_penyaluran"][1]

    resources = [
        resource(
            "kecamatan",
            "Kecamatan di Kota Balikpapan",
            "Districts of Balikpapan",
            "Daftar enam kecamatan di Kota Balikpapan, dipakai sebagai rujukan kolom kecamatan di dataset lain. Kode wilayah bersifat ilustratif, bukan kode resmi BPS.",
            "The six districts (kecamatan) of Balikpapan, referred to by the district column of the other datasets. The area codes are illustrative, not official BPS codes.",
            False,
            [
                field("kode", "string", "Kode kecamatan", "District code",
                      "Kode wilayah tujuh angka (ilustratif).", "Seven-digit area code (illustrative).",
                      "public", constraints={"required": True, "unique": True, "pattern": "[0-9]{7}"}),
                field("nama", "string", "Nama kecamatan", "District name",
                      "Nama resmi kecamatan.", "Official name of the district.",
                      "public", constraints={"required": True, "unique": True, "enum": used(KECAMATAN_NAMES, kec, 1)}),
            ],
            "nama",
            [],
        ),
        resource(
            "subsidi_iuran_penerima",
            "Penerima subsidi iuran BPJS Ketenagakerjaan bagi pekerja rentan",
            "Recipients of the employment-insurance contribution subsidy for vulnerable workers",
            "Satu baris per pekerja rentan yang iuran BPJS Ketenagakerjaannya disubsidi Pemerintah Kota Balikpapan pada 2025, dengan pekerjaan, kecamatan, jenis kelamin, kelompok umur dan bulan mulai subsidi. " + SYNTHETIC_ID,
            "One row per vulnerable worker whose BPJS Ketenagakerjaan contributions the Balikpapan city government subsidised in 2025, with occupation, district, sex, age band and the month the subsidy started. " + SYNTHETIC_EN,
            True,
            [
                id_field("id_penerima", "SUB", 6, "Nomor penerima", "Recipient number", "penerima", "recipient"),
                field("pekerjaan", "string", "Pekerjaan", "Occupation",
                      "Kelompok pekerjaan penerima, sesuai enam kelompok yang disebut pemerintah kota.",
                      "Occupation group of the recipient, one of the six groups named by the city government.",
                      "quasi-identifier",
                      constraints={"required": True, "enum": used(list(OCCUPATIONS), sub, 1)},
                      labels_en=labels(OCCUPATIONS_EN, used(list(OCCUPATIONS), sub, 1))),
                kecamatan_field(sub, 2),
                sex_field(sub, 3),
                age_field(sub, 4, SUBSIDY_AGE_BANDS),
                month_field("bulan_mulai", "Bulan mulai subsidi", "Month the subsidy started",
                            "Bulan pertama iuran penerima disubsidi.",
                            "First month in which the recipient's contributions were subsidised.",
                            sub, 5, "quasi-identifier"),
            ],
            "id_penerima",
            [SOURCE_GERBANG],
            [KECAMATAN_FK],
        ),
        resource(
            "kuota_asuransi",
            "Kuota asuransi ketenagakerjaan gratis bagi pekerja rentan",
            "Free employment-insurance quotas for vulnerable workers",
            "Kuota kepesertaan asuransi ketenagakerjaan gratis yang diumumkan pada 2 September 2025: kuota dari APBD Kota Balikpapan dan kuota tambahan Pemerintah Provinsi Kalimantan Timur untuk seluruh Kaltim. Data agregat, bukan data perorangan.",
            "Places in free employment insurance announced on 2 September 2025: the quota funded by the Balikpapan city budget and the additional quota of the East Kalimantan provincial government for the whole province. Aggregate data, not person-level.",
            False,
            [
                field("program", "string", "Program", "Programme",
                      "Nama kuota dan sumber dananya.", "Name of the quota and who funds it.",
                      "public", constraints={"required": True, "enum": used([KUOTA_FREE, KUOTA_PROVINCE], kuo, 0)},
                      labels_en=labels(PROGRAM_EN, used([KUOTA_FREE, KUOTA_PROVINCE], kuo, 0))),
                field("wilayah", "string", "Wilayah", "Area",
                      "Wilayah yang dicakup kuota.", "Area the quota covers.",
                      "public", constraints={"required": True, "enum": used(["Kota Balikpapan", "Provinsi Kalimantan Timur"], kuo, 1)},
                      labels_en=labels(REGION_EN, used(["Kota Balikpapan", "Provinsi Kalimantan Timur"], kuo, 1))),
                field("tahun", "year", "Tahun", "Year",
                      "Tahun berlakunya kuota.", "Year the quota applies to.",
                      "public", constraints={"required": True}),
                field("kuota", "integer", "Kuota", "Quota",
                      "Jumlah tempat kepesertaan yang disediakan.", "Number of places offered.",
                      "public", constraints={"required": True, "minimum": 1}),
            ],
            ["program", "tahun"],
            [SOURCE_APRIANTO],
        ),
        resource(
            "cakupan_jaminan_sosial",
            "Cakupan jaminan sosial ketenagakerjaan menurut daerah",
            "Employment social-security coverage by region",
            "Persentase pekerja yang tercakup BPJS Ketenagakerjaan di beberapa kabupaten/kota Kalimantan Timur, seperti yang dilaporkan pada tanggal masing-masing. Berkas memakai format spreadsheet Indonesia: pemisah kolom titik koma dan desimal koma. Data agregat, bukan data perorangan.",
            "Share of workers covered by BPJS Ketenagakerjaan in some regencies and cities of East Kalimantan, as reported on the given dates. The file uses the Indonesian spreadsheet format: semicolons between columns and a decimal comma. Aggregate data, not person-level.",
            False,
            [
                field("wilayah", "string", "Wilayah", "Region",
                      "Kabupaten atau kota.", "Regency or city.",
                      "public", constraints={"required": True, "enum": used(["Kota Balikpapan", "Kota Bontang", "Kabupaten Kutai Timur"], cak, 0)},
                      labels_en=labels(REGION_EN, used(["Kota Balikpapan", "Kota Bontang", "Kabupaten Kutai Timur"], cak, 0))),
                field("tanggal", "date", "Tanggal", "Date",
                      "Tanggal angka cakupan disampaikan.", "Date the coverage figure was stated.",
                      "public", constraints={"required": True}),
                field("persen_cakupan", "number", "Cakupan (%)", "Coverage (%)",
                      "Persentase pekerja yang menjadi peserta BPJS Ketenagakerjaan, ditulis dengan desimal koma.",
                      "Percentage of workers enrolled in BPJS Ketenagakerjaan, written with a decimal comma.",
                      "public", constraints={"required": True, "minimum": 0, "maximum": 100},
                      decimalChar=",", groupChar="."),
                field("keterangan", "string", "Keterangan", "Note",
                      "Catatan singkat tentang pernyataan sumber.", "Short note on the source statement.",
                      "public"),
            ],
            ["wilayah", "tanggal"],
            [SOURCE_IBUKOTAKINI, SOURCE_DISKOMINFO],
            dialect={"delimiter": ";"},
        ),
        resource(
            "bursa_kerja_perusahaan",
            "Perusahaan peserta bursa kerja Juli 2025",
            "Companies at the July 2025 job fair",
            "Satu baris per perusahaan peserta bursa kerja Kota Balikpapan Juli 2025, dengan sektor usaha dan jumlah lowongan yang ditawarkan. Perusahaan tidak disebut namanya; jumlah perusahaan sama dengan angka yang dipublikasikan, sedangkan sektor dan lowongan per perusahaan adalah data contoh sintetis.",
            "One row per company at Balikpapan's July 2025 job fair, with its sector and the number of vacancies it offered. Companies are not named; the number of companies matches the published figure, while sectors and vacancies per company are synthetic example data.",
            False,
            [
                field("id_perusahaan", "string", "Nomor perusahaan", "Company number",
                      "Nomor urut sintetis perusahaan peserta; perusahaan tidak disebut namanya.",
                      "Synthetic sequence number of the company; companies are not named.",
                      "identifier", constraints={"required": True, "unique": True, "pattern": "PRS-[0-9]{3}"}),
                field("sektor", "string", "Sektor usaha", "Sector",
                      "Sektor usaha perusahaan.", "The company's line of business.",
                      "public", constraints={"required": True, "enum": used(list(SECTORS), bur, 1)},
                      labels_en=labels(SECTORS_EN, used(list(SECTORS), bur, 1))),
                field("lowongan", "integer", "Lowongan", "Vacancies",
                      "Jumlah lowongan yang ditawarkan perusahaan di bursa kerja.", "Number of vacancies the company offered at the fair.",
                      "public", constraints={"required": True, "minimum": 1}),
                month_field("bulan", "Bulan", "Month",
                            "Bulan penyelenggaraan bursa kerja.", "Month the job fair took place.",
                            bur, 3, "public"),
            ],
            "id_perusahaan",
            [SOURCE_GERBANG],
        ),
        resource(
            "pelatihan_peserta",
            "Peserta pelatihan kerja Agustus 2025",
            "Vocational training participants, August 2025",
            "Satu baris per peserta pelatihan kerja Pemerintah Kota Balikpapan (data Agustus 2025), dengan jenis pelatihan, kecamatan, jenis kelamin dan kelompok umur. Sumber tidak menyebut nama keenam jenis pelatihan; nama yang dipakai di sini rekaan. " + SYNTHETIC_ID,
            "One row per participant in the Balikpapan city government's vocational training (August 2025 data), with training type, district, sex and age band. The source does not name the six training types; the names used here are invented. " + SYNTHETIC_EN,
            True,
            [
                id_field("id_peserta", "PLT", 4, "Nomor peserta", "Participant number", "peserta", "participant"),
                field("jenis_pelatihan", "string", "Jenis pelatihan", "Training type",
                      "Jenis pelatihan yang diikuti (nama rekaan).", "Type of training attended (invented name).",
                      "quasi-identifier",
                      constraints={"required": True, "enum": used(list(TRAININGS), pel, 1)},
                      labels_en=labels(TRAININGS_EN, used(list(TRAININGS), pel, 1))),
                kecamatan_field(pel, 2),
                sex_field(pel, 3),
                age_field(pel, 4, TRAINING_AGE_BANDS),
                month_field("bulan", "Bulan", "Month",
                            "Bulan data pelatihan.", "Month of the training data.",
                            pel, 5, "quasi-identifier"),
            ],
            "id_peserta",
            [SOURCE_GERBANG],
            [KECAMATAN_FK],
        ),
        resource(
            "magang_peserta",
            "Peserta pemagangan siswa SMK Agustus 2025",
            "Vocational-school interns, August 2025",
            "Satu baris per siswa SMK yang magang di perusahaan mitra pada tiga bulan menjelang kelulusan (data Agustus 2025), dengan perusahaan, jurusan dan jenis kelamin. Perusahaan tidak disebut namanya. " + SYNTHETIC_ID,
            "One row per vocational-school (SMK) student placed with a partner company in the three months before graduating (August 2025 data), with company, school major and sex. Companies are not named. " + SYNTHETIC_EN,
            True,
            [
                id_field("id_peserta", "MAG", 4, "Nomor peserta", "Intern number", "peserta magang", "intern"),
                field("perusahaan_mitra", "string", "Perusahaan mitra", "Host company",
                      "Perusahaan tempat magang, disamarkan.", "The host company, anonymised.",
                      "quasi-identifier",
                      constraints={"required": True, "enum": used(list(INTERN_HOSTS), mag, 1)},
                      labels_en=labels(HOSTS_EN, used(list(INTERN_HOSTS), mag, 1))),
                field("jurusan_smk", "string", "Jurusan SMK", "School major",
                      "Jurusan (konsentrasi keahlian) siswa di SMK.", "The student's major at the vocational school.",
                      "quasi-identifier",
                      constraints={"required": True, "enum": used(list(MAJORS), mag, 2)},
                      labels_en=labels(MAJORS_EN, used(list(MAJORS), mag, 2))),
                sex_field(mag, 3),
                month_field("bulan_mulai", "Bulan mulai magang", "Month the internship started",
                            "Bulan data pemagangan.", "Month of the internship data.",
                            mag, 4, "quasi-identifier"),
            ],
            "id_peserta",
            [SOURCE_GERBANG],
        ),
        resource(
            "kaki_palsu_penerima",
            "Penerima bantuan kaki palsu 2025",
            "Recipients of prosthetic legs, 2025",
            "Satu baris per penyandang disabilitas yang menerima kaki palsu dari Pemerintah Kota Balikpapan pada 2025, dengan kecamatan, jenis kelamin, kelompok umur dan bulan penyerahan. Menerima alat bantu adalah informasi kesehatan, sehingga seluruh dataset ini sensitif; rincian yang jumlahnya kecil tidak ditampilkan. " + SYNTHETIC_ID,
            "One row per person with a disability who received a prosthetic leg from the Balikpapan city government in 2025, with district, sex, age band and month of handover. Receiving an assistive device is health information, so the whole dataset is sensitive; small breakdowns are not shown. " + SYNTHETIC_EN,
            True,
            [
                id_field("id_penerima", "KPL", 4, "Nomor penerima", "Recipient number", "penerima", "recipient"),
                kecamatan_field(kak, 1),
                sex_field(kak, 2),
                age_field(kak, 3, PROSTHETIC_AGE_BANDS),
                month_field("bulan_serah", "Bulan penyerahan", "Month of handover",
                            "Bulan kaki palsu diserahkan.", "Month the prosthetic leg was handed over.",
                            kak, 4, "quasi-identifier"),
            ],
            "id_penerima",
            [SOURCE_GERBANG],
            [KECAMATAN_FK],
            sensitive=True,
        ),
        resource(
            "sembako_lansia_penyaluran",
            "Penyaluran sembako bulanan bagi lansia tidak mampu 2025",
            "Monthly food packages for poor elderly residents, 2025",
            "Satu baris per paket sembako yang disalurkan: setiap lansia penerima mendapat satu paket setiap bulan sepanjang 2025. Kecamatan, jenis kelamin dan kelompok umur penerima tetap sepanjang tahun. " + SYNTHETIC_ID,
            "One row per food package delivered: every elderly recipient gets one package each month of 2025. A recipient's district, sex and age band stay the same all year. " + SYNTHETIC_EN,
            True,
            [
                field("id_penerima", "string", "Nomor penerima", "Recipient number",
                      "Nomor urut sintetis penerima; bukan NIK dan tidak merujuk pada orang sungguhan. Satu penerima muncul sekali setiap bulan.",
                      "Synthetic sequence number of the recipient; not an ID-card number and not linked to a real person. Each recipient appears once a month.",
                      "identifier", constraints={"required": True, "pattern": "LNS-[0-9]{3}"}),
                month_field("bulan", "Bulan penyaluran", "Month of delivery",
                            "Bulan paket disalurkan.", "Month the package was delivered.",
                            sem, 1, "quasi-identifier"),
                kecamatan_field(sem, 2),
                sex_field(sem, 3),
                age_field(sem, 4, ELDERLY_AGE_BANDS),
            ],
            ["id_penerima", "bulan"],
            [SOURCE_GERBANG],
            [KECAMATAN_FK],
        ),
    ]
    assert [r["name"] for r in resources] == list(tables), "one resource per table, same order"
    for r in resources:
        r["temporal_coverage"] = temporal_coverage(r, tables[r["name"]])
    cakupan_resource = resources[[r["name"] for r in resources].index("cakupan_jaminan_sosial")]
    cakupan_resource["spatial_coverage"] = "Kabupaten dan kota di Provinsi Kalimantan Timur, Indonesia"
    cakupan_resource["spatial_coverage_en"] = "Regencies and cities of East Kalimantan province, Indonesia"
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "balikpapan-perlindungan-sosial",
        "title": "Data program perlindungan sosial dan ketenagakerjaan Kota Balikpapan (contoh sintetis)",
        "description": (
            "Dataset program perlindungan sosial dan ketenagakerjaan di Kota Balikpapan dan Kalimantan Timur: "
            "subsidi iuran BPJS Ketenagakerjaan, kuota asuransi gratis, cakupan jaminan sosial, bursa kerja, "
            "pelatihan, pemagangan, bantuan kaki palsu dan sembako lansia. Data tingkat perorangan adalah data "
            "contoh sintetis, dibuat oleh scripts/generate_example_data.py agar totalnya sama persis dengan angka "
            "yang dipublikasikan media; rincian di bawah total (kecamatan, jenis kelamin, umur, bulan) rekaan dan "
            "tidak menggambarkan keadaan sebenarnya. Data agregat (kuota dan cakupan) menyalin angka yang dilaporkan."
        ),
        "description_en": (
            "Datasets of social-protection and employment programmes in Balikpapan and East Kalimantan: "
            "the employment-insurance contribution subsidy, free insurance quotas, social-security coverage, the job fair, "
            "vocational training, internships, prosthetic legs and food packages for the elderly. Person-level data is "
            "synthetic example data, generated by scripts/generate_example_data.py so that its totals match the figures "
            "published in the press exactly; the breakdowns below the totals (district, sex, age, month) are invented and "
            "do not describe reality. Aggregate data (quotas and coverage) copies the reported figures."
        ),
        "licenses": [
            {
                "name": "CC-BY-4.0",
                "path": "https://creativecommons.org/licenses/by/4.0/",
                "title": "Creative Commons Attribution 4.0 International",
            }
        ],
        "sources": [SOURCE_GERBANG, SOURCE_APRIANTO, SOURCE_IBUKOTAKINI, SOURCE_DISKOMINFO, SOURCE_KOTAKU],
        "contributors": [
            {
                "title": "Pemerintah Kota Balikpapan (portal contoh)",
                "path": "https://portal-balikpapan.example.org/",
                "roles": ["publisher"],
            }
        ],
        "spatial_coverage": "Kota Balikpapan, Provinsi Kalimantan Timur, Indonesia",
        "spatial_coverage_en": "City of Balikpapan, East Kalimantan province, Indonesia",
        "keywords": [
            "Balikpapan",
            "Kalimantan Timur",
            "perlindungan sosial",
            "ketenagakerjaan",
            "BPJS Ketenagakerjaan",
            "pekerja rentan",
            "bursa kerja",
            "pelatihan kerja",
            "pemagangan",
            "disabilitas",
            "lansia",
            "data contoh sintetis",
        ],
        "keywords_en": [
            "Balikpapan",
            "East Kalimantan",
            "social protection",
            "employment",
            "BPJS Ketenagakerjaan",
            "vulnerable workers",
            "job fair",
            "vocational training",
            "internships",
            "disability",
            "older people",
            "synthetic example data",
        ],
        "resources": resources,
    }


def temporal_coverage(resource, table):
    """The period the rows describe, from their date, month or year
    columns (ISO 8601: "2025-01/2025-10"); a reference list without dates
    is valid for the year of the portal's data."""
    header, rows = table
    kinds = {f["name"]: f["type"] for f in resource["schema"]["fields"]}
    values = sorted(
        str(row[i])
        for i, name in enumerate(header)
        if kinds.get(name) in ("date", "yearmonth", "year")
        for row in rows
        if row[i] not in (None, "")
    )
    if not values:
        return UPDATED[:4]
    first, last = values[0], values[-1]
    return first if first == last else f"{first}/{last}"


# ---------------------------------------------------------------------------
# Checks of the published totals, before anything is written
# ---------------------------------------------------------------------------
def check(tables):
    _, sub = tables["subsidi_iuran_penerima"]
    assert len(sub) == SUBSIDY_RECIPIENTS
    assert {r[1] for r in sub} == set(OCCUPATIONS) and len(OCCUPATIONS) == 6
    assert len({r[0] for r in sub}) == len(sub)

    _, kuo = tables["kuota_asuransi"]
    assert sum(r[3] for r in kuo if r[0] == KUOTA_FREE) == 7100
    assert sum(r[3] for r in kuo if r[0] == KUOTA_PROVINCE) == 12000

    _, cak = tables["cakupan_jaminan_sosial"]
    assert [r[2] for r in cak if r[0] == "Kota Balikpapan"] == ["65,0"]
    assert sorted(r[0] for r in cak if r[2] == "100,0" and r[1] == "2025-05-14") == ["Kabupaten Kutai Timur", "Kota Bontang"]

    _, bur = tables["bursa_kerja_perusahaan"]
    assert len(bur) == JOB_FAIR_COMPANIES
    vacancies = sum(r[2] for r in bur)
    assert vacancies == JOB_FAIR_VACANCIES and vacancies > 1700
    assert all(r[2] >= 1 for r in bur)

    _, pel = tables["pelatihan_peserta"]
    assert len(pel) == TRAINING_PARTICIPANTS
    assert len({r[1] for r in pel}) == TRAINING_TYPES

    _, mag = tables["magang_peserta"]
    assert len(mag) == INTERNS
    assert len({r[1] for r in mag}) == INTERNSHIP_COMPANIES

    _, kak = tables["kaki_palsu_penerima"]
    assert len(kak) == PROSTHETIC_RECIPIENTS
    assert {r[1] for r in kak} == set(KECAMATAN_NAMES), "prosthetic recipients in all six districts"

    _, sem = tables["sembako_lansia_penyaluran"]
    assert len(sem) == ELDERLY_RECIPIENTS * 12 == 960
    assert len({r[0] for r in sem}) == ELDERLY_RECIPIENTS
    per_recipient = Counter(r[0] for r in sem)
    assert set(per_recipient.values()) == {12}
    for rid in per_recipient:
        mine = [r for r in sem if r[0] == rid]
        assert sorted(r[1] for r in mine) == MONTHS_2025
        assert len({(r[2], r[3], r[4]) for r in mine}) == 1, "attributes constant per recipient"

    # Every district value is in the lookup (the foreign key).
    names = {r[1] for r in tables["kecamatan"][1]}
    for name, column in [("subsidi_iuran_penerima", 2), ("pelatihan_peserta", 2),
                         ("kaki_palsu_penerima", 1), ("sembako_lansia_penyaluran", 2)]:
        assert {r[column] for r in tables[name][1]} <= names


def summary(tables):
    """The computed totals, printed so that a reviewer can compare with facts.md."""
    sub = tables["subsidi_iuran_penerima"][1]
    bur = tables["bursa_kerja_perusahaan"][1]
    pel = tables["pelatihan_peserta"][1]
    mag = tables["magang_peserta"][1]
    kak = tables["kaki_palsu_penerima"][1]
    sem = tables["sembako_lansia_penyaluran"][1]
    lines = [
        f"subsidi iuran: {len(sub)} penerima, {len({r[1] for r in sub})} pekerjaan",
        "  per pekerjaan: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r[1] for r in sub).items())),
        "  per kecamatan: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r[2] for r in sub).items())),
        "  per jenis kelamin: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r[3] for r in sub).items())),
        f"kuota: " + ", ".join(f"{r[0]} = {r[3]}" for r in tables["kuota_asuransi"][1]),
        f"cakupan: " + ", ".join(f"{r[0]} {r[1]} {r[2]}" for r in tables["cakupan_jaminan_sosial"][1]),
        f"bursa kerja: {len(bur)} perusahaan, {sum(r[2] for r in bur)} lowongan",
        f"pelatihan: {len(pel)} peserta, {len({r[1] for r in pel})} jenis, perempuan {sum(r[3] == 'P' for r in pel)}",
        f"magang: {len(mag)} peserta, {len({r[1] for r in mag})} perusahaan: "
        + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r[1] for r in mag).items())),
        f"kaki palsu: {len(kak)} penerima, per kecamatan: "
        + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r[1] for r in kak).items())),
        f"sembako lansia: {len({r[0] for r in sem})} penerima, {len(sem)} penyaluran, "
        f"{len({r[1] for r in sem})} bulan",
    ]
    return "\n".join(lines)


def write_csv(path, header, rows, delimiter=","):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main():
    rng = random.Random(SEED)
    # The draws happen in this fixed order; the dict keeps the resource order.
    tables = {
        "kecamatan": kecamatan(),
        "subsidi_iuran_penerima": subsidi(rng),
        "kuota_asuransi": kuota(),
        "cakupan_jaminan_sosial": cakupan(),
        "bursa_kerja_perusahaan": bursa(rng),
        "pelatihan_peserta": pelatihan(rng),
        "magang_peserta": magang(rng),
        "kaki_palsu_penerima": kaki_palsu(rng),
        "sembako_lansia_penyaluran": sembako(rng),
    }
    check(tables)
    package = datapackage(tables)

    DATA.mkdir(exist_ok=True)
    for name, (header, rows) in tables.items():
        delimiter = ";" if name == "cakupan_jaminan_sosial" else ","
        write_csv(DATA / f"{name}.csv", header, rows, delimiter)
    with open(DATA / "datapackage.json", "w", encoding="utf-8", newline="") as f:
        f.write(json.dumps(package, ensure_ascii=False, indent=2) + "\n")
    print(summary(tables))


if __name__ == "__main__":
    main()
