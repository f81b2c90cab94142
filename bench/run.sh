#!/usr/bin/env bash
# Times clean builds of a large generated portal. Usage:
#   bench/run.sh [PAGES] [ROWS]        (default 10000 pages, 0 rows)
# Generates the corpus with bench/gen_corpus.py (seeded, byte-identical for
# the same arguments), adds a site.toml, builds it with the release binary
# (median of 5 runs, peak memory), and, when `hugo` is installed, times Hugo
# on the same corpus in the same run so the two can be compared as a ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
pages=${1:-10000}
rows=${2:-0}
# In memory when possible: this measures the programs, not the disk (on the
# development VM, creating 280 small files on disk alone takes 1.6 s).
scratch=${BENCH_DIR:-$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp )}
work=$(mktemp -d "$scratch/kaca-bench-XXXXXX")
[ -n "${BENCH_KEEP:-}" ] && echo "corpus kept in $work" || trap 'rm -rf "$work"' EXIT

python3 bench/gen_corpus.py --pages "$pages" --rows "$rows" --out "$work/site" >/dev/null
cat > "$work/site/site.toml" <<'TOML'
base_url = "https://bench.example.org/"
default_language = "id"

[languages.id]
name = "Bahasa Indonesia"
title = "Portal Transparansi"

[[taxonomies]]
name = "program"
paginate_by = 20

[[taxonomies]]
name = "tags"
paginate_by = 20
TOML

# With rows, the corpus's records.csv is declared as data and grouped by
# district × program (the reference figures' "1,000,000 rows" workload),
# counted and summed in kaca's streaming engine.
if [ "$rows" -gt 0 ]; then
  mkdir -p "$work/site/data/stats" "$work/site/content/statistik"
  cat > "$work/site/data/datapackage.json" <<'JSON'
{
  "name": "bench",
  "resources": [{
    "name": "records",
    "path": "records.csv",
    "schema": {"fields": [
      {"name": "id", "type": "integer", "privacy": "identifier"},
      {"name": "program", "type": "string", "privacy": "public"},
      {"name": "district", "type": "string", "privacy": "public"},
      {"name": "kelurahan", "type": "string", "privacy": "public"},
      {"name": "sector", "type": "string", "privacy": "public"},
      {"name": "gender", "type": "string", "privacy": "public"},
      {"name": "age_band", "type": "string", "privacy": "public"},
      {"name": "month", "type": "yearmonth", "privacy": "public"},
      {"name": "amount", "type": "integer", "privacy": "public"}
    ]}
  }]
}
JSON
  cat > "$work/site/content/statistik/_index.md" <<'MD'
---
title: Statistik
---
MD
  cat > "$work/site/content/statistik/rekap.md" <<'MD'
---
title: Rekap
---

{{ table(id="per-district-program") }}
MD
  cat > "$work/site/data/stats/rekap.toml" <<'TOML'
page = "statistik/rekap.md"

[[table]]
id = "per-district-program"
label = { id = "Penerima per kecamatan dan program" }
resource = "records"
measure = "count"
by = ["district", "program"]
chart = "stacked-bar"

[[table]]
id = "amount-per-district-program"
label = { id = "Jumlah dana per kecamatan dan program" }
resource = "records"
measure = "sum"
field = "amount"
by = ["district", "program"]
chart = "none"
TOML
fi

cargo build --release --quiet
kaca=$PWD/target/release/kaca

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

time_runs() { # label, command...
  local label=$1; shift
  local times=() peak=0
  for _ in 1 2 3 4 5; do
    rm -rf "$work/out"
    local line
    /usr/bin/time -o "$work/time" -f "%e %M" "$@" >/dev/null 2>&1
    line=$(tail -1 "$work/time")
    times+=("${line% *}")
    local mem=${line#* }
    (( mem > peak )) && peak=$mem
  done
  printf '%-6s %6s pages: median %s s, peak %d MiB\n' "$label" "$pages" \
    "$(printf '%s\n' "${times[@]}" | median)" $((peak / 1024))
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m)"
[ -n "${BENCH_ONLY_SETUP:-}" ] && exit 0
time_runs kaca "$kaca" --root "$work/site" build --output "$work/out"
if command -v hugo >/dev/null 2>&1; then
  cp -r bench/hugo/* "$work/site/"
  time_runs hugo hugo --quiet -s "$work/site" -d "$work/out"
fi
