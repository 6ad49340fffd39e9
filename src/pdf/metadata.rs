//! Document metadata: the information dictionary (ISO 32000-1 §14.3.3), the XMP
//! metadata stream (§14.3.2), and the catalog's `/Lang` and `/ViewerPreferences`.
//!
//! Dates come from [`DocumentInfo::date`] only, never the clock, so the same manuscript
//! gives the same bytes.

use crate::typeset::document::DocumentInfo;
use lopdf::{Dictionary, Object, Stream, StringFormat};

/// The Producer string: what wrote the bytes.
const PRODUCER: &str = concat!(
    "quire ",
    env!("CARGO_PKG_VERSION"),
    " (printpdf 0.12.8, lopdf 0.44)"
);

/// A PDF text string (§7.9.2.2): literal when plain ASCII, else UTF-16BE with a BOM, so
/// any title survives.
pub(crate) fn text_string(s: &str) -> Object {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in s.encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

/// `YYYY-MM-DD`, `YYYY-MM` or `YYYY` as (year, month, day) when it is one.
fn parse_date(date: &str) -> Option<(u16, u8, u8)> {
    let mut parts = date.trim().split('-');
    let year: u16 = parts.next().filter(|y| y.len() == 4)?.parse().ok()?;
    let month: u8 = parts.next().map_or(Some(1), |m| m.parse().ok())?;
    let day: u8 = parts.next().map_or(Some(1), |d| d.parse().ok())?;
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some((year, month, day))
}

/// The information dictionary.
pub(crate) fn info_dict(info: &DocumentInfo) -> Dictionary {
    let mut d = Dictionary::new();
    d.set("Title", text_string(&info.title));
    if !info.author.is_empty() {
        d.set("Author", text_string(&info.author));
    }
    if let Some(subject) = info.subject.as_deref().filter(|s| !s.is_empty()) {
        d.set("Subject", text_string(subject));
    }
    if !info.keywords.is_empty() {
        d.set("Keywords", text_string(&info.keywords.join(", ")));
    }
    d.set("Creator", text_string("quire"));
    d.set("Producer", text_string(PRODUCER));
    if let Some((y, m, day)) = info.date.as_deref().and_then(parse_date) {
        // §7.9.4: D:YYYYMMDDHHmmSSOHH'mm; midnight UTC, as the manuscript gives a day.
        let date = text_string(&format!("D:{y:04}{m:02}{day:02}000000Z"));
        d.set("CreationDate", date.clone());
        d.set("ModDate", date);
    }
    d
}

/// The XMP packet (Adobe XMP Specification Part 1; Dublin Core, PDF and XMP basic
/// schemas), kept consistent with the information dictionary. Left uncompressed so
/// tools that scan files for XMP find it (§14.3.2).
pub(crate) fn xmp_stream(info: &DocumentInfo) -> Stream {
    let mut x = String::new();
    x.push_str("<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n");
    x.push_str("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n");
    x.push_str("<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n");
    x.push_str(
        "<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
         xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\n",
    );
    x.push_str("<dc:format>application/pdf</dc:format>\n");
    // `x-default` is the alternative readers pick when they match no language.
    let lang = "x-default";
    push_alt(&mut x, "dc:title", &info.title, lang);
    if !info.author.is_empty() {
        x.push_str(&format!(
            "<dc:creator><rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq></dc:creator>\n",
            esc(&info.author)
        ));
    }
    if let Some(subject) = info.subject.as_deref().filter(|s| !s.is_empty()) {
        push_alt(&mut x, "dc:description", subject, lang);
    }
    if !info.keywords.is_empty() {
        x.push_str("<dc:subject><rdf:Bag>");
        for k in &info.keywords {
            x.push_str(&format!("<rdf:li>{}</rdf:li>", esc(k)));
        }
        x.push_str("</rdf:Bag></dc:subject>\n");
        x.push_str(&format!(
            "<pdf:Keywords>{}</pdf:Keywords>\n",
            esc(&info.keywords.join(", "))
        ));
    }
    if !info.lang.is_empty() {
        x.push_str(&format!(
            "<dc:language><rdf:Bag><rdf:li>{}</rdf:li></rdf:Bag></dc:language>\n",
            esc(&info.lang)
        ));
    }
    if !info.identifier.is_empty() {
        x.push_str(&format!(
            "<dc:identifier>{}</dc:identifier>\n",
            esc(&info.identifier)
        ));
    }
    x.push_str(&format!("<pdf:Producer>{}</pdf:Producer>\n", esc(PRODUCER)));
    x.push_str("<xmp:CreatorTool>quire</xmp:CreatorTool>\n");
    if let Some((y, m, d)) = info.date.as_deref().and_then(parse_date) {
        let date = format!("{y:04}-{m:02}-{d:02}T00:00:00Z");
        for key in ["xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"] {
            x.push_str(&format!("<{key}>{date}</{key}>\n"));
        }
    }
    x.push_str("</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>");
    let dict = Dictionary::from_iter(vec![
        ("Type", Object::Name(b"Metadata".to_vec())),
        ("Subtype", Object::Name(b"XML".to_vec())),
    ]);
    Stream::new(dict, x.into_bytes()).with_compression(false)
}

fn push_alt(x: &mut String, key: &str, value: &str, lang: &str) {
    x.push_str(&format!(
        "<{key}><rdf:Alt><rdf:li xml:lang=\"{}\">{}</rdf:li></rdf:Alt></{key}>\n",
        esc(lang),
        esc(value)
    ));
}

/// XML character escaping; control characters XML 1.0 forbids are dropped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_only_when_they_are_dates() {
        assert_eq!(parse_date("2024-03-09"), Some((2024, 3, 9)));
        assert_eq!(parse_date("2024"), Some((2024, 1, 1)));
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("spring 2024"), None);
    }

    #[test]
    fn non_ascii_text_is_utf16_with_bom() {
        let Object::String(bytes, _) = text_string("Ωx") else {
            panic!()
        };
        assert_eq!(bytes, vec![0xFE, 0xFF, 0x03, 0xA9, 0x00, 0x78]);
    }

    #[test]
    fn xmp_escapes_markup() {
        let info = DocumentInfo {
            title: "A <b> & c".into(),
            lang: "en".into(),
            ..Default::default()
        };
        let s = String::from_utf8(xmp_stream(&info).content).unwrap();
        assert!(s.contains("A &lt;b&gt; &amp; c"));
        assert!(!s.contains("<b>"));
    }
}
