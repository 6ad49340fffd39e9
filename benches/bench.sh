#!/usr/bin/env bash
# Whole-process build benchmarks for quire: wall time and peak memory (RSS), medians of
# several runs, on the sample essay (manuscript/) and on inputs generated from it
# (the essay 10 and 100 times). See BENCHMARKS.md for figures and method.
#
# Usage: benches/bench.sh [runs]          (default 7 runs per case)
#   QUIRE=path/to/quire   benchmark that binary instead of building target/release/quire
#   NO_BUILD=1            do not run `cargo build --release`
#   NO_OTHERS=1           skip pandoc/typst even when installed
#
# Needs GNU time (/usr/bin/time). Uses hyperfine for the time medians when installed
# (falls back to the median of /usr/bin/time's wall time), and /usr/bin/time for peak RSS.
set -euo pipefail

RUNS=${1:-7}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

if [[ -z "${QUIRE:-}" ]]; then
    if [[ -z "${NO_BUILD:-}" ]]; then
        cargo build --release --quiet
    fi
    QUIRE="$ROOT/target/release/quire"
fi
[[ -x "$QUIRE" ]] || { echo "no quire binary at $QUIRE" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/quire-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The essay repeated N times: N copies of every chapter, renamed NNN-<name>.md so they
# sort in order, with the sample's book.yaml.
make_copies() {
    local n=$1 dir=$2
    mkdir -p "$dir"
    cp manuscript/book.yaml "$dir/"
    for ((i = 0; i < n; i++)); do
        local p
        p=$(printf '%03d' "$i")
        for f in manuscript/*.md; do
            cp "$f" "$dir/$p-$(basename "$f")"
        done
    done
}
make_copies 1 "$WORK/x1"
make_copies 10 "$WORK/x10"
make_copies 100 "$WORK/x100"
# One Markdown file per input for pandoc/typst comparisons.
for n in 1 10 100; do
    cat "$WORK"/x$n/*.md > "$WORK/x$n.md"
done

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# measure LABEL CMD... : median wall seconds and median peak RSS (MiB) of RUNS runs.
measure() {
    local label=$1
    shift
    local times=() rss=() cpus=()
    "$@" >/dev/null 2>&1 || { printf '%-34s FAILED: %s\n' "$label" "$*"; return; }  # warm-up
    for ((r = 0; r < RUNS; r++)); do
        local out
        /usr/bin/time -o "$WORK/time" -f "%e %M %U %S" "$@" >/dev/null 2>&1
        read -r e m u s < <(tail -1 "$WORK/time")
        times+=("$e")
        rss+=("$m")
        cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')")
    done
    local t m
    t=$(printf '%s\n' "${times[@]}" | median)
    # GNU time reports wall time in 10 ms steps; for short runs, hyperfine's median is
    # precise to the microsecond.
    if command -v hyperfine >/dev/null && awk -v t="$t" 'BEGIN{exit !(t < 0.5)}'; then
        local json="$WORK/hf.json"
        hyperfine -N --warmup 2 --runs "$((RUNS * 3))" --export-json "$json" -- "$(printf '%q ' "$@")" >/dev/null 2>&1
        t=$(grep -o '"median": *[0-9.e-]*' "$json" | head -1 | sed 's/.*: *//')
    fi
    m=$(printf '%s\n' "${rss[@]}" | median)
    local c
    c=$(printf '%s\n' "${cpus[@]}" | median)
    printf '%-34s %9.1f ms %9.1f MiB %9.0f ms\n' "$label" "$(awk -v t="$t" 'BEGIN{print t*1000}')" \
        "$(awk -v m="$m" 'BEGIN{print m/1024}')" "$(awk -v c="$c" 'BEGIN{print c*1000}')"
}

echo "quire: $QUIRE ($RUNS runs per case, medians)"
printf '%-34s %12s %13s %12s\n' case "wall time" "peak RSS" "CPU (u+s)"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
OUT="$WORK/out"
measure "sample, EPUB + PDF" "$QUIRE" build "$WORK/x1" -o "$OUT"
measure "sample, EPUB only" "$QUIRE" build --epub "$WORK/x1" -o "$OUT"
measure "sample, PDF only" "$QUIRE" build --pdf "$WORK/x1" -o "$OUT"
measure "10x, EPUB + PDF" "$QUIRE" build "$WORK/x10" -o "$OUT"
measure "100x, EPUB + PDF" "$QUIRE" build "$WORK/x100" -o "$OUT"
measure "100x, EPUB only" "$QUIRE" build --epub "$WORK/x100" -o "$OUT"
measure "100x, PDF only" "$QUIRE" build --pdf "$WORK/x100" -o "$OUT"

if [[ -z "${NO_OTHERS:-}" ]]; then
    if command -v pandoc >/dev/null; then
        for n in 1 10 100; do
            measure "pandoc ${n}x, EPUB" pandoc "$WORK/x$n.md" -o "$OUT/p$n.epub"
        done
    fi
    # typst: the CLI when installed, else the PyPI `typst` package (the compiler as a
    # Python module; its figures include ~40 ms of Python start-up). Set TYPST_PYTHON to
    # a python that has it, e.g. after `python3 -m venv v && v/bin/pip install typst`.
    TYPST_PYTHON=${TYPST_PYTHON:-python3}
    typst_cmd=()
    if command -v typst >/dev/null; then
        typst_cmd=(typst compile)
    elif "$TYPST_PYTHON" -c 'import typst' 2>/dev/null; then
        typst_cmd=("$TYPST_PYTHON" -c 'import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2])')
    fi
    if [[ ${#typst_cmd[@]} -gt 0 ]] && command -v pandoc >/dev/null; then
        # Typst gets the same text as justified, hyphenated paragraphs: pandoc's plain
        # text (older pandocs have no typst writer) with Typst's markup characters
        # escaped. Converted once, not timed. Headings, emphasis and notes are lost, so
        # this times Typst's paragraph layout of the same words, not the same book.
        for n in 1 10 100; do
            {
                printf '#set page("us-letter")\n#set text(lang: "en", size: 11.5pt)\n'
                printf '#set par(justify: true)\n#set text(hyphenate: true)\n\n'
                pandoc "$WORK/x$n.md" -t plain --wrap=none 2>/dev/null | sed -e 's|[][\\#$*_@<>`~=/+-]|\\&|g'
            } > "$WORK/x$n.typ"
            measure "typst ${n}x, PDF" "${typst_cmd[@]}" "$WORK/x$n.typ" "$OUT/t$n.pdf"
        done
    fi
fi
