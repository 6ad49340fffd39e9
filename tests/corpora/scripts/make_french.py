#!/usr/bin/env python3
"""Convert the plain-text French *Candide* (Project Gutenberg #4650, Beuchot's notes)
into tests/corpora/french/roman.md.

    python3 make_french.py candide.txt > french/roman.md

candide.txt: the text from the title block to "FIN DE CANDIDE." (the Gutenberg
licence after it is ignored).  See tests/corpora/README.md.
"""
import re
import sys

NNBSP, NBSP = "\u202f", "\u00a0"

FRONT = """---
title: "Candide, ou l\u2019Optimisme"
author:
  - Voltaire
lang: fr
date: "1759"
rights: Domaine public.
description: >-
  Conte philosophique de Voltaire (1759), avec les notes de l\u2019\u00e9dition Beuchot,
  converti en Markdown pandoc pour tester la typographie et la c\u00e9sure fran\u00e7aises.
---
"""

# Editor's notes added to the text: (chapter, text that precedes the call, note).
EDITOR_NOTES = [
    ("I", "Thunder-ten-tronckh",
     ["Note de l\u2019\u00e9diteur. Nom forg\u00e9 par Voltaire pour railler les noms "
      "allemands \u00e0 rallonge et l\u2019orgueil nobiliaire des barons de Westphalie."]),
    ("I", "il fesait",
     ["Note de l\u2019\u00e9diteur. Le texte garde l\u2019orthographe de l\u2019\u00e9dition "
      "suivie\u202f: *fesait*, *long-temps*, *parceque*, *Vestphalie*, *Paraguai*.",
      "Ces graphies, courantes au dix-huiti\u00e8me si\u00e8cle, ne sont pas des coquilles\u202f; "
      "elles mettent \u00e0 l\u2019\u00e9preuve la c\u00e9sure et le dictionnaire "
      "fran\u00e7ais du moteur de mise en page."]),
    ("XIX", "qu'optimisme",
     ["Note de l\u2019\u00e9diteur. Le mot *optimisme*, tir\u00e9 du latin *optimum*, "
      "\u00e9tait r\u00e9cent en 1759\u202f; le sous-titre du conte l\u2019a rendu c\u00e9l\u00e8bre."]),
    ("XXVIII", "Leibnitz",
     ["Note de l\u2019\u00e9diteur. Gottfried Wilhelm Leibniz (1646-1716), dont la "
      "*Th\u00e9odic\u00e9e* (1710) soutient que Dieu a cr\u00e9\u00e9 le meilleur des "
      "mondes possibles.",
      "Pangloss caricature cette doctrine et l\u2019\u00ab\u202fharmonie "
      "pr\u00e9\u00e9tablie\u202f\u00bb\u202f; le tremblement de terre de Lisbonne (1755) "
      "avait d\u00e9j\u00e0 inspir\u00e9 \u00e0 Voltaire un po\u00e8me contre "
      "l\u2019optimisme."]),
]

ORDINAL = {"I": "premier"}


def typo(s):
    """French typography on one paragraph (no Markdown note syntax in it yet)."""
    s = re.sub(r"\s+", " ", s).strip()
    s = s.replace("'", "\u2019")
    s = re.sub(r"\s*--\s*", " \u2014" + NBSP, s)
    s = re.sub(r"^ \u2014", "\u2014", s)
    s = re.sub(r"«\s*", "«" + NNBSP, s)
    s = re.sub(r"\s*»", NNBSP + "»", s)
    s = re.sub(r"(?<=\S)\s*([;!?])", NNBSP + r"\1", s)
    s = re.sub(r"(?<=\S)\s*:", NBSP + ":", s)
    return s


def escape_start(s):
    if re.match(r"^(\d+[.)]|[*+\-] |[#>\[_*])", s) and not s.startswith("[^"):
        return "\\" + s
    return s


def main():
    raw = open(sys.argv[1], encoding="utf-8").read().replace("\r\n", "\n")
    raw = raw[raw.index("CHAPITRE I.\n"):]
    raw = raw.replace("l'_ Essai", "l'_Essai")  # stray space that breaks the emphasis
    blocks = [b for b in re.split(r"\n\s*\n", raw) if b.strip()]
    note_no = 0
    pending = {}      # label -> global number, refs seen in the text, awaiting notes
    notes = {}        # global number -> list of paragraphs
    order = []        # output items: ("p", text) | ("h", text) | ("q", text) | ("n", num)
    chapter = None
    in_note = None
    editor = list(EDITOR_NOTES)
    after = []        # editor's notes to place after the current paragraph
    k = 0

    def refs(text, chap):
        nonlocal note_no
        # Editor's notes first (marked with a placeholder, numbered in order).
        for e in list(editor):
            if e[0] == chap and e[1] in text:
                text = text.replace(e[1], e[1] + "\x00ED%d\x00" % EDITOR_NOTES.index(e), 1)
                editor.remove(e)

        def rep(m):
            nonlocal note_no
            note_no += 1
            pending[m.group(1)] = note_no
            return "\x00N%d\x00" % note_no

        def ed(m):
            nonlocal note_no
            note_no += 1
            notes[note_no] = EDITOR_NOTES[int(m.group(1))][2]
            after.append(("n", note_no))
            return "\x00N%d\x00" % note_no

        # Number in reading order: editor placeholders and source refs together.
        def both(m):
            if m.group(1):
                return ed(type("M", (), {"group": lambda self, i: m.group(1)})())
            return rep(type("M", (), {"group": lambda self, i: m.group(2)})())
        return re.sub(r"\x00ED(\d+)\x00|\[(\d+|a)\]", both, text)

    while k < len(blocks):
        b = blocks[k]
        m = re.match(r"^CHAPITRE ([IVXL]+)((?:\[\d+\])?)\.?$", b.strip())
        if m:
            chapter = m.group(1)
            title = blocks[k + 1]
            num = ORDINAL.get(chapter, chapter)
            head = "Chapitre %s%s. %s" % (num, m.group(2), " ".join(title.split()))
            order.append(("h", refs(head, chapter)))
            order.extend(after); after.clear()
            in_note = None
            k += 2
            continue
        if b.strip() == "FIN DE CANDIDE.":
            order.append(("p", "Fin de Candide."))
            k += 1
            continue
        if b.startswith(" "):
            nm = re.match(r"^\s*\[(\d+|a)\]\s*", b)
            lines = [ln.strip() for ln in b.split("\n")]
            if nm:
                num = pending.pop(nm.group(1))
                notes[num] = []
                order.append(("n", num))
                in_note = num
                lines[0] = re.sub(r"^\[(\d+|a)\]\s*", "", lines[0])
            if in_note is not None:
                # Verse lines (indented deeper than the note text) keep their line breaks.
                deep = all(re.match(r"^ {6,}", ln) for ln in b.split("\n"))
                notes[in_note].append(("verse" if deep else "para", lines))
            else:
                order.append(("q", lines))
            k += 1
            continue
        in_note = None
        order.append(("p", refs(b, chapter)))
        order.extend(after); after.clear()
        k += 1

    assert not pending, pending
    assert not editor, editor

    def fin(s):
        s = typo(s)
        return re.sub(r"\x00N(\d+)\x00", r"[^\1]", s)

    body = []
    for kind, val in order:
        if kind == "h":
            body.append("# " + fin(val))
        elif kind == "p":
            body.append(escape_start(fin(val)))
        elif kind == "q":
            body.append("> " + escape_start(fin(" ".join(val))))
        elif kind == "n":
            paras = []
            for item in notes[val]:
                if isinstance(item, str):
                    paras.append(fin(item))
                elif item[0] == "verse":
                    paras.append("\\\n".join(fin(ln) for ln in item[1]))
                else:
                    paras.append(fin(" ".join(item[1])))
            first = "[^%d]: %s" % (val, paras[0])
            rest = ["    " + p.replace("\n", "\n    ") for p in paras[1:]]
            body.append("\n\n".join([first] + rest))
    sys.stdout.write(FRONT + "\n" + "\n\n".join(body) + "\n")


if __name__ == "__main__":
    main()
