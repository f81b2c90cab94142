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
trap 'rm -rf "$work"' EXIT

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
time_runs kaca "$kaca" --root "$work/site" build --output "$work/out"
if command -v hugo >/dev/null 2>&1; then
  cp -r bench/hugo/* "$work/site/"
  time_runs hugo hugo --quiet -s "$work/site" -d "$work/out"
fi
