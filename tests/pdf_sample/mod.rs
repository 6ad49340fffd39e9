//! A hand-built multi-page Document for the PDF writer's tests: text shaped with
//! harfrust (real glyph ids, kerning, ligatures), greedy lines, headings, an outline
//! and internal links both ways.

#![allow(clippy::unwrap_used, dead_code)]

use quire::fonts::FontSet;
use quire::typeset::document::*;

pub const WIDTH: f32 = 420.0;
pub const HEIGHT: f32 = 595.0;
const LEFT: f32 = 54.0;
const MEASURE: f32 = WIDTH - 2.0 * LEFT;

/// Shape `text` in `face` at `size`: glyphs with cluster text (the first glyph of a
/// cluster carries its characters, the others "").
pub fn shape(fonts: &FontSet, face: FaceId, size: f32, text: &str) -> Vec<Glyph> {
    let data = fonts.face(face);
    let font = data.shaping().unwrap();
    let sf = harfrust::ShaperFont::new(font);
    let scale = size / f32::from(font.units_per_em());
    let mut buf = harfrust::Buffer::new();
    buf.push_str(text);
    buf.guess_segment_properties();
    harfrust::shape(&sf, &mut buf, harfrust::ShapeOptions::new()).unwrap();
    let out = &buf;
    let infos = out.glyph_infos();
    let pos = out.glyph_positions();
    let mut glyphs = Vec::new();
    for (i, (info, p)) in infos.iter().zip(pos).enumerate() {
        let start = info.cluster as usize;
        let first = i == 0 || infos[i - 1].cluster != info.cluster;
        let end = infos[i..]
            .iter()
            .map(|g| g.cluster as usize)
            .find(|&c| c != start)
            .unwrap_or(text.len());
        glyphs.push(Glyph {
            raise: 0,
            id: info.glyph_id as u16,
            advance: p.x_advance as f32 * scale,
            text: if first {
                text[start..end].into()
            } else {
                Default::default()
            },
        });
    }
    glyphs
}

/// Lays text out top to bottom, page by page.
pub struct Builder {
    pub fonts: FontSet,
    pub doc: Document,
    y: f32,
}

impl Builder {
    pub fn new(title: &str) -> Builder {
        let doc = Document {
            width: WIDTH,
            height: HEIGHT,
            pages: vec![Page::default()],
            outline: Vec::new(),
            info: DocumentInfo {
                title: title.into(),
                author: "Ada Quill".into(),
                subject: Some("A sample for the PDF writer".into()),
                keywords: vec!["typesetting".into(), "tests".into()],
                lang: "en".into(),
                date: Some("2024-03-09".into()),
                rtl: false,
                identifier: String::new(),
            },
            page_map: Default::default(),
        };
        Builder {
            fonts: FontSet::embedded(),
            doc,
            y: 60.0,
        }
    }

    fn page(&mut self) -> &mut Page {
        self.doc.pages.last_mut().unwrap()
    }

    pub fn new_page(&mut self) {
        self.doc.pages.push(Page::default());
        self.y = 60.0;
    }

    /// A heading: one line in bold, an outline item; returns its destination.
    pub fn heading(&mut self, level: u8, text: &str) -> Destination {
        let size = if level == 1 { 18.0 } else { 13.0 };
        if self.y + size * 2.0 > HEIGHT - 60.0 {
            self.new_page();
        }
        self.y += size;
        let dest = Destination {
            page: self.doc.pages.len() - 1,
            x: LEFT,
            y: self.y - size,
        };
        let glyphs = shape(&self.fonts, FaceId::Bold, size, text);
        let y = self.y;
        self.page().runs.push(GlyphRun {
            face: FaceId::Bold,
            size,
            x: LEFT,
            y,
            glyphs: glyphs.into(),
        });
        self.y += size * 0.8;
        self.doc.outline.push(OutlineItem {
            title: text.into(),
            level,
            dest,
        });
        dest
    }

    /// A paragraph of (face, text) spans, broken greedily into lines; a span may carry a
    /// link target. Returns the link areas' rects.
    pub fn paragraph(&mut self, spans: &[(FaceId, &str, Option<LinkTarget>)]) {
        let size = 10.5;
        let lead = 14.0;
        // Words, each remembering its face and link.
        // (face, word, link, preceded by a space)
        let mut words: Vec<(FaceId, String, Option<LinkTarget>, bool)> = Vec::new();
        for (face, text, link) in spans {
            for (i, w) in text.split(' ').enumerate().filter(|(_, w)| !w.is_empty()) {
                words.push((*face, w.to_string(), link.clone(), i > 0));
            }
        }
        let space = |b: &Builder, face| shape(&b.fonts, face, size, " ");
        let mut line: Vec<(FaceId, Vec<Glyph>, Option<LinkTarget>)> = Vec::new();
        let mut width = 0.0f32;
        let flush = |b: &mut Builder, line: &mut Vec<(FaceId, Vec<Glyph>, Option<LinkTarget>)>| {
            if line.is_empty() {
                return;
            }
            if b.y + lead > HEIGHT - 60.0 {
                b.new_page();
            }
            b.y += lead;
            let mut x = LEFT;
            let y = b.y;
            for (face, glyphs, link) in line.drain(..) {
                let w: f32 = glyphs.iter().map(|g| g.advance).sum();
                if let Some(target) = link {
                    b.page().links.push(Link {
                        rect: Rect {
                            x,
                            y: y - size,
                            width: w,
                            height: size * 1.3,
                        },
                        target,
                    });
                }
                b.page().runs.push(GlyphRun {
                    face,
                    size,
                    x,
                    y,
                    glyphs: glyphs.into(),
                });
                x += w;
            }
        };
        for (face, word, link, spaced) in words {
            let mut glyphs = shape(&self.fonts, face, size, &word);
            let w: f32 = glyphs.iter().map(|g| g.advance).sum();
            let sp = space(self, face);
            let sw: f32 = sp.iter().map(|g| g.advance).sum();
            if spaced && !line.is_empty() && width + sw + w > MEASURE {
                flush(self, &mut line);
                width = 0.0;
            }
            if spaced && !line.is_empty() {
                // The space joins the previous word's run when the face matches.
                let mut sp = sp;
                sp.append(&mut glyphs);
                glyphs = sp;
                width += sw;
            }
            width += w;
            match line.last_mut() {
                Some((f, g, l)) if *f == face && *l == link => g.extend(glyphs),
                _ => line.push((face, glyphs, link)),
            }
        }
        flush(self, &mut line);
        self.y += 6.0;
    }

    /// A horizontal rule across the measure.
    pub fn rule(&mut self) {
        self.y += 8.0;
        let y = self.y;
        self.page().rules.push(Rect {
            x: LEFT,
            y,
            width: MEASURE,
            height: 0.5,
        });
        self.y += 8.0;
    }
}

/// The sample: three chapters with sections, italic/bold runs, ligatures, accented,
/// Cyrillic and Greek text, internal links both ways and an external link.
pub fn sample() -> Document {
    // The book faces by name (associated constants: `FaceId` is an index into the face
    // table, not an enum).
    #[allow(non_upper_case_globals)]
    const Regular: FaceId = FaceId::Regular;
    #[allow(non_upper_case_globals)]
    const Italic: FaceId = FaceId::Italic;
    #[allow(non_upper_case_globals)]
    const Bold: FaceId = FaceId::Bold;
    #[allow(non_upper_case_globals)]
    const BoldItalic: FaceId = FaceId::BoldItalic;
    let mut b = Builder::new("The Office of Small Things");
    let filler = "The affinity of the office for efficient workflows is fine, though the staff \
                  differ on whether the first draft or the final proof deserves more care.";
    b.heading(1, "Chapter One: Beginnings");
    b.paragraph(&[
        (Regular, "This office is where the story starts. ", None),
        (Italic, "Café crème", None),
        (Regular, " and naïve façades, déjà vu. See", None),
        (
            Regular,
            " the notes on Greek",
            Some(LinkTarget::Internal(Destination {
                page: 2,
                x: 54.0,
                y: 60.0,
            })),
        ),
        (Regular, " later, or the project site", None),
        (
            Regular,
            " quire.example",
            Some(LinkTarget::External("https://quire.example/".into())),
        ),
        (Regular, ".", None),
    ]);
    b.heading(2, "Section 1.1: Office hours");
    for _ in 0..3 {
        b.paragraph(&[
            (Regular, filler, None),
            (Bold, " Bold words", None),
            (BoldItalic, " and bold italic.", None),
        ]);
    }
    b.rule();
    b.heading(2, "Section 1.2: Кириллица");
    b.paragraph(&[(
        Regular,
        "Съешь же ещё этих мягких французских булок, да выпей чаю.",
        None,
    )]);
    b.new_page();
    b.heading(1, "Chapter Two: Middles");
    b.heading(2, "Section 2.1: Filler");
    for _ in 0..4 {
        b.paragraph(&[(Regular, filler, None)]);
    }
    b.new_page();
    let back = Destination {
        page: 0,
        x: 54.0,
        y: 60.0,
    };
    b.heading(1, "Chapter Three: Ελληνικά");
    b.paragraph(&[
        (Regular, "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Back to", None),
        (Italic, " the beginning", Some(LinkTarget::Internal(back))),
        (Regular, ".", None),
    ]);
    b.heading(3, "A deep heading under a chapter");
    b.paragraph(&[(Regular, "Skipped level two on purpose.", None)]);
    b.doc
}
