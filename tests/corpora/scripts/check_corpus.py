#!/usr/bin/env python3
"""Minimal checks of a corpus manuscript (not a Markdown parser).

    python3 check_corpus.py FILE.md [--no-notes]

Checks: a YAML front-matter block with title and lang; every footnote reference [^x]
has exactly one definition and every definition is referenced (skipped with
--no-notes, for the CommonMark corpus, whose examples are not pandoc notes); prints
counts of level-1 headings (outside fenced code), notes, notes in headings,
multi-paragraph notes, pipe tables and words.  Exits 1 on a failed check.
"""
import re
import sys


def main():
    path = sys.argv[1]
    check_notes = "--no-notes" not in sys.argv
    text = open(path, encoding="utf-8").read()
    ok = True
    if not text.startswith("---\n"):
        print("FAIL: no front matter"); return 1
    end = text.index("\n---\n", 4)
    front, body = text[4:end], text[end + 5:]
    for key in ("title", "lang"):
        if not re.search(r"^%s:" % key, front, re.M):
            print("FAIL: front matter lacks %s" % key); ok = False
    lang = re.search(r"^lang:\s*(\S+)", front, re.M).group(1)
    lines = body.split("\n")
    h1 = 0
    fence = None
    tables = 0
    for k, ln in enumerate(lines):
        m = re.match(r"^ {0,3}(`{3,}|~{3,})", ln)
        if m:
            if fence is None:
                fence = m.group(1)
            elif ln.strip().startswith(fence[0] * len(fence)) and ln.strip().strip(fence[0]) == "":
                fence = None
            continue
        if fence:
            continue
        if re.match(r"^# ", ln):
            h1 += 1
        if re.match(r"^\|?\s*:?-{3,}:?\s*\|", ln) and k > 0 and lines[k - 1].lstrip().startswith("|"):
            tables += 1
    refs, defs, in_heads, multi = [], [], 0, 0
    if check_notes:
        for k, ln in enumerate(lines):
            dm = re.match(r"^\[\^([^\]]+)\]:", ln)
            if dm:
                defs.append(dm.group(1))
                # Multi-paragraph: a blank line then a 4-space indented paragraph.
                if k + 2 < len(lines) and lines[k + 1] == "" and lines[k + 2].startswith("    "):
                    multi += 1
                rest = ln[dm.end():]
            else:
                rest = ln
            found = re.findall(r"\[\^([^\]]+)\](?!:)", rest)
            refs.extend(found)
            if ln.startswith("#") and found:
                in_heads += len(found)
        from collections import Counter
        dc, rc = Counter(defs), Counter(refs)
        for lab, n in dc.items():
            if n != 1:
                print("FAIL: note %s defined %d times" % (lab, n)); ok = False
            if lab not in rc:
                print("FAIL: note %s never referenced" % lab); ok = False
        for lab in rc:
            if lab not in dc:
                print("FAIL: note %s referenced but not defined" % lab); ok = False
    words = len(re.findall(r"\w+(?:['’]\w+)*", body))
    print("%s: lang=%s level1=%d notes=%d refs=%d notes-in-headings=%d "
          "multi-paragraph-notes=%d tables=%d words=%d nbsp=%d nnbsp=%d"
          % (path, lang, h1, len(defs), len(refs), in_heads, multi, tables, words,
             body.count("\u00a0"), body.count("\u202f")))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
