#!/usr/bin/env bash
# .ci/pandoc.sh QUIRE TOOLS: does a book quire builds say what pandoc reads in the same
# manuscript? (issues 12 and 16.) Builds our pandoc-construct book and our citations
# book with quire and with pandoc (3.9, from install-validators.sh without --no-samples),
# then compares their words (.ci/compare-words; see its header for what a word is) and
# counts Markdown syntax left as text (compare-with-pandoc's syntax-like extra words).
# Skipped, saying so, when pandoc is not installed.
set -euo pipefail
QUIRE=$(realpath "$1")
TOOLS=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

# The pandoc compare-with-pandoc itself runs (PANDOC, install-validators.sh's, or PATH's).
PANDOC=$(python3 -c 'import sys; from importlib.machinery import SourceFileLoader as L; print(L("cwp", sys.argv[1]).load_module().find_pandoc())' "$TOOLS/compare-with-pandoc")
if ! command -v "$PANDOC" >/dev/null 2>&1; then
  echo "pandoc not installed (install-validators.sh without --no-samples): comparison skipped"
  exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/quire-pandoc.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
status=0

# compare NAME SOURCE MAX_PERCENT [pandoc options]: both outputs against pandoc's EPUB.
compare() {
  local name=$1 src=$2 max=$3
  shift 3
  local dir
  dir=$(dirname "$src")
  (cd "$dir" && "$PANDOC" -f markdown -t epub3 "$@" "$(basename "$src")" -o "$WORK/$name-pandoc.epub" 2>/dev/null)
  "$QUIRE" build "$src" -o "$WORK/$name" >/dev/null
  for book in "$WORK/$name"/*.epub "$WORK/$name"/*.pdf; do
    echo "-- $name $(basename "$book")"
    "$HERE/compare-words" "$book" "$WORK/$name-pandoc.epub" --max-missing "$max" --max-extra "$max" || {
      echo "over $max %"
      status=1
    }
    leaks=$("$TOOLS/compare-with-pandoc" "$book" "$WORK/$name-pandoc.epub" | head -1 | sed 's/.*syntax-like extra //')
    echo "syntax left as text: $leaks"
    [ "$leaks" = "0" ] || status=1
  done
}

# Our book of pandoc's constructs asks for a contents page (`toc: true`): pandoc's
# `--toc`. Issue 12: within 5 %.
compare constructs "$ROOT/tests/fixtures/pandoc/book.md" 5 --citeproc --toc
# Citations in pandoc's default style (Chicago author-date). Issue 16: within 3 %.
compare citations "$ROOT/tests/fixtures/citations/book.md" 3 --citeproc
exit $status
