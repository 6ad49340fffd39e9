//! External link URLs → strings every consumer accepts.
//!
//! A Markdown link destination is whatever the author typed: CommonMark keeps `\`, `[`,
//! `]`, spaces (in `<…>`) and non-ASCII as they are. EPUBCheck checks `href`s twice (the
//! message RSC-020 quotes both): with a WHATWG parser (which rejects hosts such as `..`)
//! and with `java.net.URI`, which follows RFC 2396/3986 strictly ("Illegal character in
//! query"). So a URL is (1) percent-encoded wherever RFC 3986 §2 does not allow a
//! character as written (§2.1: UTF-8 octets as `%XX`), keeping `[`/`]` only around an IP
//! literal host (§3.2.2), and (2) parsed with the `url` crate (the WHATWG URL Standard)
//! to check the scheme and host; a URL that fails is refused and its link dropped.

use crate::diag::Diagnostic;
use crate::source::Span;

/// The schemes quire links to.
const SCHEMES: [&str; 5] = ["http", "https", "mailto", "ftp", "tel"];

/// Why an external URL is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UrlProblem {
    /// A scheme quire does not link to (`javascript:`, `file:` …).
    Scheme(String),
    /// Not a URL at all, or its host is not a host name or address.
    Invalid(String),
}

/// The scheme of `url`, lowercase, if it has one. Whitespace and control characters are
/// ignored first, as browsers do (WHATWG URL §4.4 strips tabs and newlines), so
/// `java\tscript:` is still `javascript`.
pub(crate) fn url_scheme(url: &str) -> Option<String> {
    let compact: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let (scheme, _) = compact.split_once(':')?;
    let mut chars = scheme.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    ok.then(|| scheme.to_ascii_lowercase())
}

/// The warning for a refused external URL; `what` names where it was written (empty for
/// a Markdown link).
pub(crate) fn url_warning(span: Span, dest: &str, problem: &UrlProblem, what: &str) -> Diagnostic {
    match problem {
        UrlProblem::Scheme(scheme) => Diagnostic::warning(
            span,
            format!("link to a `{scheme}:` URL{what} is removed; its text is kept"),
        )
        .with_hint("links may go to http, https, mailto, ftp and tel URLs, or inside the book"),
        UrlProblem::Invalid(why) => Diagnostic::warning(
            span,
            format!("link to `{dest}`{what} is not a valid URL ({why}); its text is kept"),
        )
        .with_hint("check the address; write spaces as `%20`"),
    }
}

/// The URL as a valid RFC 3986 URI with a WHATWG-valid host, or why it is refused.
pub(crate) fn external_url(raw: &str) -> Result<String, UrlProblem> {
    let raw = raw.trim();
    let Some(scheme) = url_scheme(raw) else {
        return Err(UrlProblem::Invalid("it has no scheme".into()));
    };
    if !SCHEMES.contains(&scheme.as_str()) {
        return Err(UrlProblem::Scheme(scheme));
    }
    // `java.net.URI` rejects a URI that is only a scheme ("Expected scheme-specific part").
    if raw
        .split_once(':')
        .is_none_or(|(_, rest)| rest.trim().is_empty())
    {
        return Err(UrlProblem::Invalid("it is only a scheme".into()));
    }
    let encoded = percent_encode(raw);
    let parsed = url::Url::parse(&encoded).map_err(|e| UrlProblem::Invalid(e.to_string()))?;
    if !SCHEMES.contains(&parsed.scheme()) {
        return Err(UrlProblem::Scheme(parsed.scheme().to_string()));
    }
    if matches!(parsed.scheme(), "http" | "https" | "ftp") {
        match parsed.host() {
            Some(url::Host::Domain(domain)) => check_domain(domain)?,
            Some(_) => {}
            None => return Err(UrlProblem::Invalid("it has no host".into())),
        }
        // A non-ASCII host was percent-encoded above; the `url` crate's form (IDNA,
        // `xn--…`) is the one every reader resolves.
        if host_part(raw).is_some_and(|h| !h.is_ascii()) {
            return Ok(percent_encode(parsed.as_str()));
        }
    }
    Ok(encoded)
}

/// Host labels as a WHATWG-conforming validator wants them: none empty (a single
/// trailing dot is allowed), none longer than 63 bytes (RFC 1035 §2.3.4).
fn check_domain(domain: &str) -> Result<(), UrlProblem> {
    let trimmed = domain.strip_suffix('.').unwrap_or(domain);
    if trimmed.is_empty() || trimmed.split('.').any(|l| l.is_empty() || l.len() > 63) {
        return Err(UrlProblem::Invalid(format!(
            "`{domain}` is not a host name"
        )));
    }
    Ok(())
}

/// The authority of a hierarchical URL (`scheme://authority/…`), if any.
fn host_part(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Characters RFC 3986 allows unencoded somewhere in a URI (§2.2 reserved, §2.3
/// unreserved); `%` is handled apart, `[`/`]` only in the authority.
fn is_uri_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '-' | '.'
                | '_'
                | '~'
                | ':'
                | '/'
                | '?'
                | '#'
                | '@'
                | '!'
                | '$'
                | '&'
                | '\''
                | '('
                | ')'
                | '*'
                | '+'
                | ','
                | ';'
                | '='
        )
}

/// `url` with every character RFC 3986 does not allow where it stands percent-encoded as
/// UTF-8; a `%` that starts no `%XX` escape becomes `%25`; a second `#` becomes `%23`
/// (the fragment may not hold one, §3.5). Valid URIs come out unchanged.
fn percent_encode(url: &str) -> String {
    let authority = url.find("://").map(|i| {
        let from = i + 3;
        let len = url[from..]
            .find(['/', '?', '#'])
            .unwrap_or(url.len() - from);
        from..from + len
    });
    let bytes = url.as_bytes();
    let mut out = String::with_capacity(url.len());
    let mut seen_hash = false;
    for (i, c) in url.char_indices() {
        let in_authority = authority.as_ref().is_some_and(|r| r.contains(&i));
        let keep = match c {
            '%' => {
                bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
            }
            '[' | ']' => in_authority,
            '#' => !std::mem::replace(&mut seen_hash, true),
            c => is_uri_char(c),
        };
        if keep {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn valid_urls_are_kept_as_written() {
        for url in [
            "https://x.org",
            "http://example.com/a/b?c=d&e=f#g",
            "mailto:foo@bar.example.com",
            "https://[::1]:8080/x",
            "https://example.com/%20space",
            "tel:+15550100",
            "ftp://ftp.example.org/pub/",
        ] {
            assert_eq!(external_url(url).as_deref(), Ok(url), "{url}");
        }
    }

    #[test]
    fn characters_rfc3986_forbids_are_encoded() {
        // The CommonMark spec examples EPUBCheck rejected (RSC-020).
        for (raw, want) in [
            (
                "https://example.com/?search=](uri)",
                "https://example.com/?search=%5D(uri)",
            ),
            (
                "https://example.com/?search=][ref]",
                "https://example.com/?search=%5D%5Bref%5D",
            ),
            ("https://example.com/\\[\\", "https://example.com/%5C%5B%5C"),
            (
                "https://example.com?find=\\*",
                "https://example.com?find=%5C*",
            ),
            (
                "http://a.b/c d\"<>^`{|}é",
                "http://a.b/c%20d%22%3C%3E%5E%60%7B%7C%7D%C3%A9",
            ),
            ("http://a.b/100%", "http://a.b/100%25"),
            ("http://a.b/#x#y", "http://a.b/#x%23y"),
            ("mailto:a b@c.d", "mailto:a%20b@c.d"),
        ] {
            assert_eq!(external_url(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn non_ascii_hosts_become_punycode() {
        assert_eq!(
            external_url("https://bücher.de/é").as_deref(),
            Ok("https://xn--bcher-kva.de/%C3%A9")
        );
    }

    #[test]
    fn bad_hosts_and_schemes_are_refused() {
        for raw in [
            "https://../",
            "https://",
            "http://exa mple.com/",
            "https://a..b/",
            "http://[zz]/",
            "mailto:",
            "tel:",
            "https://example.com:99999/",
            "h\u{a0}ttp:",
        ] {
            assert!(
                matches!(external_url(raw), Err(UrlProblem::Invalid(_))),
                "{raw}: {:?}",
                external_url(raw)
            );
        }
        assert_eq!(
            external_url("javascript:alert(1)"),
            Err(UrlProblem::Scheme("javascript".into()))
        );
    }
}
