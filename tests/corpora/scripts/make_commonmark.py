#!/usr/bin/env python3
"""Build tests/corpora/commonmark/spec.md: every example of the CommonMark spec, one
level-1 section each.

Source: the npm package commonmark-spec@0.31.2 (spec.txt, CommonMark 0.31.2,
2024-01-28, CC-BY-SA 4.0).

    npm pack commonmark-spec@0.31.2 && tar xzf commonmark-spec-0.31.2.tgz
    python3 make_commonmark.py package/spec.txt > spec.md

Each example's Markdown input is copied verbatim (the spec's `→` is a tab) under
`# Example N`.  A few examples leave a block open at their end (an unclosed code
fence, an HTML block that runs to `-->` or `</script>`...), which would swallow
every later section; after those only, a closing line is added, found by parsing the example followed by the next
heading with markdown-it-py (a CommonMark 0.31.2 parser) until the heading is a
top-level level-1 heading.  The closers used are listed in the README.
"""
import re
import sys

from markdown_it import MarkdownIt

FENCE = "`" * 32


def examples(spec):
    spec = spec.replace("\r\n", "\n")
    spec = spec.split("<!-- END TESTS -->")[0]
    pat = re.compile(r"^`{32} example\n([\s\S]*?)^\.\n([\s\S]*?)^`{32}$|^(#{1,6}) *(.*)$", re.M)
    section = ""
    n = 0
    for m in pat.finditer(spec):
        if m.group(4) is not None and m.group(1) is None:
            section = m.group(4)
            continue
        n += 1
        yield n, section, m.group(1).replace("\u2192", "\t")


MD = MarkdownIt("commonmark")


def heading_closed(md, n_next):
    """Is `# Example n_next` a top-level h1 when it follows md and a blank line?"""
    toks = MD.parse(md + "\n# Example %d\n" % n_next)
    for k, t in enumerate(toks):
        if t.type == "heading_open" and t.tag == "h1" and t.level == 0:
            if toks[k + 1].content == "Example %d" % n_next:
                return True
    return False


def closers(md):
    yield ""
    # An HTML block of type 1 is closed by the end tag that matches its start tag
    # (pulldown-cmark 0.13 needs the matching one; the spec accepts any of the four).
    for m in re.finditer(r"^ {0,3}<(script|pre|style|textarea)\b", md, re.M | re.I):
        yield "</%s>" % m.group(1).lower()
    for ch in "`~":
        for length in range(3, 12):
            yield ch * length
    for c in ("-->", "?>", ">", "]]>", "</script>", "</pre>", "</style>", "</textarea>"):
        yield c


def main(path):
    spec = open(path, encoding="utf-8").read()
    ver = re.search(r"^version: '([^']+)'", spec, re.M).group(1)
    date = re.search(r"^date: '([^']+)'", spec, re.M).group(1)
    exs = list(examples(spec))
    out = ["---",
           "title: CommonMark examples",
           "subtitle: Every example of the CommonMark Spec %s (%s)" % (ver, date),
           "author:",
           "  - John MacFarlane",
           "lang: en",
           "date: \"%s\"" % date,
           "rights: >-",
           "  The CommonMark Spec is licensed under the Creative Commons Attribution-ShareAlike",
           "  4.0 International licence (CC-BY-SA 4.0).",
           "description: A stress manuscript, one section per spec example, raw HTML included.",
           "---",
           ""]
    report = []
    for n, section, md in exs:
        if not md.endswith("\n") and md:
            md += "\n"
        closer = None
        for c in closers(md):
            cand = md + (c + "\n" if c else "")
            if heading_closed(cand, n + 1):
                closer = c
                break
        if closer is None:
            raise SystemExit("example %d: no closer found" % n)
        out.append("# Example %d" % n)
        out.append("")
        body = md
        if closer:
            body += closer + "\n"
            report.append((n, section, closer))
        out.append(body)
    sys.stdout.write("\n".join(out))
    for n, section, c in report:
        print("example %d (%s): closed with %r" % (n, section, c), file=sys.stderr)
    print("spec %s (%s): %d examples" % (ver, date, len(exs)), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
