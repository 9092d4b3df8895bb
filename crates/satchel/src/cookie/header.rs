//! The cookie's wire format, both ways: finding our cookie in `Cookie` headers and writing
//! the `Set-Cookie` line. Written by hand because they run on every request: the `cookie`
//! crate's parser and `Display` allocate per pair and format through `fmt`, thousands of
//! instructions for what is a scan and a few appends. The `cookie` crate stays the oracle
//! the tests compare against.

use ::cookie::SameSite;
use http::HeaderMap;
use http::header::COOKIE;
use time::{Duration, OffsetDateTime, UtcOffset};

/// The value of the first cookie called `name` in the request's `Cookie` headers, and
/// whether another one of that name followed it.
///
/// As RFC 6265 §5.4 sends them: `name=value` pairs split by `;`, each trimmed of spaces and
/// tabs; pairs without `=` or with an empty name are skipped, as the `cookie` crate does.
/// A scan over bytes: only a value under our name is checked for UTF-8 (the store or the
/// envelope refuses any byte an id or a sealed session cannot hold), so the other cookies
/// of a long header cost a search for `;` and `=`, not a decoding.
pub(super) fn find<'h>(headers: &'h HeaderMap, name: &str) -> (Option<&'h str>, bool) {
    let mut pairs = headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|line| Pairs(line.as_bytes()))
        .filter_map(|pair| {
            let eq = memchr::memchr(b'=', pair)?;
            let (key, value) = (&pair[..eq], &pair[eq + 1..]);
            if trim(key) != name.as_bytes() {
                return None;
            }
            std::str::from_utf8(trim(value)).ok()
        });
    let first = pairs.next();
    (first, first.is_some() && pairs.next().is_some())
}

/// The `;`-separated pairs of one line, found with `memchr` (a cookie line of several
/// sealed cookies runs to kilobytes).
struct Pairs<'h>(&'h [u8]);

impl<'h> Iterator for Pairs<'h> {
    type Item = &'h [u8];

    fn next(&mut self) -> Option<&'h [u8]> {
        if self.0.is_empty() {
            return None;
        }
        let (pair, rest) = match memchr::memchr(b';', self.0) {
            Some(at) => (&self.0[..at], &self.0[at + 1..]),
            None => (self.0, &[][..]),
        };
        self.0 = rest;
        Some(pair)
    }
}

fn trim(bytes: &[u8]) -> &[u8] {
    let blank = |byte: &u8| *byte == b' ' || *byte == b'\t';
    let start = bytes.iter().position(|b| !blank(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |last| last + 1);
    &bytes[start..end]
}

/// The attributes of one `Set-Cookie` line besides name and value.
pub(super) struct Attributes<'a> {
    pub(super) http_only: bool,
    pub(super) same_site: SameSite,
    pub(super) secure: bool,
    pub(super) path: &'a str,
    pub(super) domain: Option<&'a str>,
    pub(super) max_age: Option<Duration>,
    pub(super) expires: Option<OffsetDateTime>,
}

/// `name=value; HttpOnly; SameSite=…; Secure; Path=…; Domain=…; Max-Age=…; Expires=…`,
/// in the `cookie` crate's order, so the bytes are the ones it would send.
pub(super) fn set_cookie(name: &str, value: &str, attributes: &Attributes<'_>) -> String {
    let mut line = String::with_capacity(name.len() + value.len() + 120);
    line.push_str(name);
    line.push('=');
    line.push_str(value);
    if attributes.http_only {
        line.push_str("; HttpOnly");
    }
    line.push_str(match attributes.same_site {
        SameSite::Strict => "; SameSite=Strict",
        SameSite::Lax => "; SameSite=Lax",
        SameSite::None => "; SameSite=None",
    });
    if attributes.secure {
        line.push_str("; Secure");
    }
    line.push_str("; Path=");
    line.push_str(attributes.path);
    if let Some(domain) = attributes.domain {
        line.push_str("; Domain=");
        line.push_str(domain);
    }
    if let Some(max_age) = attributes.max_age {
        line.push_str("; Max-Age=");
        push_number(&mut line, max_age.whole_seconds());
    }
    if let Some(expires) = attributes.expires {
        line.push_str("; Expires=");
        push_http_date(&mut line, expires);
    }
    line
}

fn push_number(line: &mut String, number: i64) {
    use std::fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = write!(line, "{number}");
}

/// RFC 9110's IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT` (the year unpadded, as the
/// `cookie` crate writes it).
fn push_http_date(line: &mut String, at: OffsetDateTime) {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let at = at.to_offset(UtcOffset::UTC);
    line.push_str(DAYS[usize::from(at.weekday().number_days_from_monday())]);
    line.push_str(", ");
    push_two_digits(line, at.day());
    line.push(' ');
    line.push_str(MONTHS[usize::from(u8::from(at.month()) - 1)]);
    line.push(' ');
    push_number(line, i64::from(at.year()));
    line.push(' ');
    push_two_digits(line, at.hour());
    line.push(':');
    push_two_digits(line, at.minute());
    line.push(':');
    push_two_digits(line, at.second());
    line.push_str(" GMT");
}

fn push_two_digits(line: &mut String, number: u8) {
    line.push(char::from(b'0' + number / 10));
    line.push(char::from(b'0' + number % 10));
}

#[cfg(test)]
mod tests {
    use ::cookie::Cookie;

    use super::*;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(COOKIE, line.parse().unwrap());
        }
        headers
    }

    fn try_headers(lines: &[&str]) -> Option<HeaderMap> {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(COOKIE, line.parse().ok()?);
        }
        Some(headers)
    }

    /// What the `cookie` crate finds in the same headers.
    fn oracle(headers: &HeaderMap, name: &str) -> Vec<String> {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .filter(|cookie| cookie.name() == name)
            .map(|cookie| cookie.value().to_owned())
            .collect()
    }

    #[test]
    fn finds_what_the_cookie_crate_finds() {
        let cases: &[&[&str]] = &[
            &["session_id=abc"],
            &["a=1; session_id=first", "session_id=second"],
            &["  session_id =  spaced\t ;b=2"],
            &["session_id"],
            &["=session_id; session_id=x=y"],
            &["session_idx=1; xsession_id=2"],
            &["session_id=; other=1"],
            &[";;; ; session_id=z;"],
            &["a=1", "b=2"],
            &["session_id=\"quoted\""],
        ];
        for lines in cases {
            let headers = headers(lines);
            let expected = oracle(&headers, "session_id");
            let (first, more) = find(&headers, "session_id");
            assert_eq!(first, expected.first().map(String::as_str), "{lines:?}");
            assert_eq!(more, expected.len() > 1, "{lines:?}");
        }
    }

    #[test]
    fn ignores_header_values_that_are_not_utf8() {
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            http::HeaderValue::from_bytes(b"session_id=\xff").unwrap(),
        );
        assert_eq!(find(&headers, "session_id"), (None, false));
    }

    #[test]
    fn another_cookies_bad_bytes_do_not_hide_ours() {
        // The `cookie` crate drops the whole line; one broken cookie of another app on the
        // same domain should not log the visitor out.
        let mut headers = HeaderMap::new();
        headers.append(
            COOKIE,
            http::HeaderValue::from_bytes(b"other=\xff; session_id=abc").unwrap(),
        );
        assert_eq!(find(&headers, "session_id"), (Some("abc"), false));
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_cookie_crate_on_visible_ascii(
            // Pairs made of our name, near misses and odd spacing, so matches are common.
            lines in proptest::collection::vec(
                "((session_id|a|x y| a |\ta|)[ \t]?(=[ -:<-~\t]{0,12})?;[ ]?){0,5}",
                1..4,
            )
        ) {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            let Some(headers) = try_headers(&lines) else { return Ok(()) };
            for name in ["session_id", "a", "x y"] {
                let expected = oracle(&headers, name);
                let (first, more) = find(&headers, name);
                proptest::prop_assert_eq!(first, expected.first().map(String::as_str));
                proptest::prop_assert_eq!(more, expected.len() > 1);
            }
        }
    }

    #[test]
    fn writes_what_the_cookie_crate_writes() {
        let at = OffsetDateTime::from_unix_timestamp(784_111_777).unwrap(); // 1994-11-06
        for (same_site, secure, http_only, domain, max_age, expires) in [
            (SameSite::Lax, true, true, None, None, None),
            (
                SameSite::Strict,
                false,
                false,
                Some("example.com"),
                Some(90),
                None,
            ),
            (SameSite::None, true, true, None, Some(0), Some(at)),
            (
                SameSite::Lax,
                true,
                false,
                Some("a.b"),
                None,
                Some(at + Duration::days(40_000)),
            ),
        ] {
            let attributes = Attributes {
                http_only,
                same_site,
                secure,
                path: "/app",
                domain,
                max_age: max_age.map(Duration::seconds),
                expires,
            };
            let mut cookie = Cookie::new("sid", "v4lue");
            cookie.set_http_only(http_only);
            cookie.set_same_site(same_site);
            cookie.set_secure(secure);
            cookie.set_path("/app");
            if let Some(domain) = domain {
                cookie.set_domain(domain);
            }
            if let Some(max_age) = attributes.max_age {
                cookie.set_max_age(max_age);
            }
            if let Some(expires) = expires {
                cookie.set_expires(expires);
            }
            assert_eq!(set_cookie("sid", "v4lue", &attributes), cookie.to_string());
        }
    }
}
