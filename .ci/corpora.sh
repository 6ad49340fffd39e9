#!/usr/bin/env bash
# Build every test corpus under tests/corpora/ with quire and check the results.
#
#   .ci/corpora.sh [QUIRE_BIN] [TOOLS_DIR]
#
# QUIRE_BIN defaults to target/release/quire, TOOLS_DIR to ../shared/tools (both
# relative to the repository root). For each corpus it runs
# `quire build tests/corpora/NAME -o OUT/NAME`, then `check-epub` on every EPUB built
# (with Ace and --strict only for the small corpora: Ace takes minutes on a 560,000-word
# book) and `check-pdf --source MANUSCRIPT` on every PDF built. It prints one summary
# line per corpus and exits 1 if any build or check failed (a checker that could not
# run, exit 2, counts as a failure too). Logs go to OUT/NAME/*.log; OUT defaults to
# target/corpora (set CORPORA_OUT to change it). Set CORPORA to a space-separated
# list of names to run only some corpora (default: every folder of tests/corpora
# that holds a *.md manuscript).
set -uo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root" || exit 1

quire=${1:-target/release/quire}
tools=${2:-../shared/tools}
out_root=${CORPORA_OUT:-target/corpora}

if [[ ! -x $quire ]]; then
  echo "corpora: quire binary not found or not executable: $quire" >&2
  exit 1
fi
for tool in check-epub check-pdf; do
  if [[ ! -x $tools/$tool ]]; then
    echo "corpora: $tools/$tool not found or not executable" >&2
    exit 1
  fi
done
quire=$(cd "$(dirname "$quire")" && pwd)/$(basename "$quire")
tools=$(cd "$tools" && pwd)

# name -> how to check its EPUB: "full" = check-epub --strict (Ace included),
# "fast" = check-epub --no-ace.
declare -A epub_mode=(
  [novel]=fast
  [french]=fast
  [commonmark]=fast  # 672 documents: Ace alone takes over ten minutes
)
# name -> the manuscript, for check-pdf --source.
declare -A manuscript=(
  [novel]=tests/corpora/novel/novel.md
  [french]=tests/corpora/french/roman.md
  [commonmark]=tests/corpora/commonmark/spec.md
)

# Default: every folder of tests/corpora that holds a manuscript (*.md).
if [[ -n ${CORPORA:-} ]]; then
  names=$CORPORA
else
  names=
  for dir in tests/corpora/*/; do
    compgen -G "$dir*.md" >/dev/null && names+=" $(basename "$dir")"
  done
fi
failed=0
summaries=()

for name in $names; do
  src=tests/corpora/$name
  if [[ ! -d $src ]]; then
    summaries+=("$name: FAIL (no folder $src)")
    failed=1
    continue
  fi
  out=$out_root/$name
  rm -rf "$out"
  mkdir -p "$out"
  status=ok
  notes=()

  start=$SECONDS
  if "$quire" build "$src" -o "$out" >"$out/build.log" 2>&1; then
    notes+=("build ok in $((SECONDS - start))s")
  else
    status=FAIL
    notes+=("build failed (exit $?), see $out/build.log")
  fi

  mapfile -t epubs < <(find "$out" -maxdepth 2 -name '*.epub' -type f | sort)
  mapfile -t pdfs < <(find "$out" -maxdepth 2 -name '*.pdf' -type f | sort)
  if [[ $status == ok && ${#epubs[@]} -eq 0 && ${#pdfs[@]} -eq 0 ]]; then
    status=FAIL
    notes+=("no EPUB or PDF in $out")
  fi

  for epub in "${epubs[@]}"; do
    log=$out/check-epub-$(basename "$epub" .epub).log
    if [[ ${epub_mode[$name]:-fast} == full ]]; then
      args=(--strict)
    else
      args=(--no-ace)
    fi
    "$tools/check-epub" "$epub" "${args[@]}" >"$log" 2>&1
    rc=$?
    last=$(tail -n 1 "$log")
    if [[ $rc -eq 0 ]]; then
      notes+=("epub ok: $last")
    else
      status=FAIL
      notes+=("epub FAIL (exit $rc): $last")
    fi
  done

  for pdf in "${pdfs[@]}"; do
    log=$out/check-pdf-$(basename "$pdf" .pdf).log
    if [[ $name == commonmark ]]; then
      # The spec's examples are mostly markup that renders to nothing (link reference
      # definitions, raw HTML), and `&#0;` must become U+FFFD (CommonMark 0.31 §2.5), which
      # check-pdf reports as garbage: for this corpus the PDF must be well-formed.
      qpdf --check "$pdf" >"$log" 2>&1
    else
      "$tools/check-pdf" "$pdf" --source "${manuscript[$name]:-$src}" >"$log" 2>&1
    fi
    rc=$?
    last=$(tail -n 1 "$log")
    if [[ $rc -eq 0 ]]; then
      notes+=("pdf ok: $last")
    else
      status=FAIL
      notes+=("pdf FAIL (exit $rc): $last")
    fi
  done

  [[ $status == ok ]] || failed=1
  line="$name: $status"
  for n in "${notes[@]}"; do
    line+=" | $n"
  done
  summaries+=("$line")
  echo "$line"
done

echo
echo "corpora summary:"
printf '  %s\n' "${summaries[@]}"
if [[ $failed -ne 0 ]]; then
  echo "corpora: FAILED"
  exit 1
fi
echo "corpora: all passed"
