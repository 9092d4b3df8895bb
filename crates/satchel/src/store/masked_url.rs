//! `MaskedUrl`: a store URL as it may be printed, with every secret in it replaced.

use std::fmt;

/// What stands in for a secret.
const MASK: &str = "***";

/// A store URL as logs, errors and start-up lines may show it: every password in it is
/// replaced by `***`, in each form a URL can carry one.
///
/// - the password of `scheme://user:password@host` (`redis://:password@host` too);
/// - query parameters whose name holds `pass`, `secret` or `token`, in any case:
///   `?password=`, redis' `?pass=`, PostgreSQL's `?sslpassword=`;
/// - the same keys in a PostgreSQL `key=value` connection string
///   (`host=db password='s3 cret'`).
///
/// A URL it cannot take apart with certainty (a password with an unescaped `/`, `?` or
/// `#`, say) loses more to the mask rather than less. Its `Debug` form is masked too.
///
/// # Example
/// ```
/// use satchel::store::MaskedUrl;
///
/// let url = "postgres://app:s3cret@db:5432/x?sslmode=require&sslpassword=k3y";
/// assert_eq!(
///     MaskedUrl::new(url).to_string(),
///     "postgres://app:***@db:5432/x?sslmode=require&sslpassword=***"
/// );
/// assert_eq!(MaskedUrl::new("host=db password=s3cret").to_string(), "host=db password=***");
/// assert_eq!(MaskedUrl::new("file:./sessions").to_string(), "file:./sessions");
/// ```
#[derive(Clone, Copy)]
pub struct MaskedUrl<'a>(&'a str);

impl<'a> MaskedUrl<'a> {
    /// `url`, to be shown masked.
    ///
    /// # Example
    /// ```
    /// let shown = satchel::store::MaskedUrl::new("redis://:pw@127.0.0.1:6379/0");
    /// assert_eq!(shown.to_string(), "redis://:***@127.0.0.1:6379/0");
    /// ```
    #[must_use]
    pub fn new(url: &'a str) -> Self {
        Self(url)
    }
}

impl fmt::Display for MaskedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mask(self.0))
    }
}

impl fmt::Debug for MaskedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MaskedUrl").field(&mask(self.0)).finish()
    }
}

fn mask(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", mask_hierarchical(rest)),
        None if is_key_value_string(url) => mask_key_values(url),
        None => mask_query(url),
    }
}

/// What follows `scheme://`: `[userinfo@]host[/path][?query]`.
fn mask_hierarchical(rest: &str) -> String {
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    // RFC 3986 ends the authority at the first `/`, `?` or `#`; a password that holds one
    // unescaped would then show, so an `@` further on with a `:` before it ends the
    // userinfo instead (hiding more than needed when a query value holds an `@`).
    let userinfo_end = rest[..authority_end].rfind('@').or_else(|| {
        let at = rest.rfind('@')?;
        rest[..authority_end].contains(':').then_some(at)
    });
    let Some(userinfo_end) = userinfo_end else {
        return mask_query(rest);
    };
    let (userinfo, after) = rest.split_at(userinfo_end);
    let userinfo = match userinfo.split_once(':') {
        Some((user, _password)) => format!("{user}:{MASK}"),
        None => userinfo.to_owned(),
    };
    format!("{userinfo}{}", mask_query(after))
}

/// The text with the values of secret query parameters masked.
fn mask_query(text: &str) -> String {
    let Some((before, query)) = text.split_once('?') else {
        return text.to_owned();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((key, _value)) if is_secret(key) => format!("{key}={MASK}"),
            _ => param.to_owned(),
        })
        .collect();
    format!("{before}?{}", params.join("&"))
}

/// Whether a parameter of this name carries a secret (its name percent-decoded first, so
/// `pass%77ord` is caught too).
fn is_secret(name: &str) -> bool {
    let name = percent_decoded(name).to_ascii_lowercase();
    ["pass", "secret", "token"]
        .iter()
        .any(|word| name.contains(word))
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes.get(at + 1..at + 3).and_then(|hex| {
            let hex = std::str::from_utf8(hex).ok()?;
            u8::from_str_radix(hex, 16).ok()
        });
        match (bytes[at], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                at += 3;
            }
            (byte, _) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A libpq connection string starts with `keyword =` (letters, digits and `_`).
fn is_key_value_string(text: &str) -> bool {
    let text = text.trim_start();
    let key_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    key_end > 0 && text[key_end..].trim_start().starts_with('=')
}

/// A libpq `key=value ...` string with the values of secret keys masked. Values may be
/// `'quoted'`, with `\` escaping the next character; a string that ends inside a quote
/// is masked to its end.
fn mask_key_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let (space, tail) = rest.split_at(rest.len() - rest.trim_start().len());
        out.push_str(space);
        let Some(eq) = tail.find('=') else {
            out.push_str(tail);
            break;
        };
        let key = &tail[..eq];
        let after_eq = &tail[eq + 1..];
        let value_start = after_eq.len() - after_eq.trim_start().len();
        let value_len = value_length(&after_eq[value_start..]);
        let value_end = value_start + value_len;
        out.push_str(key);
        out.push('=');
        if is_secret(key.trim()) {
            out.push_str(&after_eq[..value_start]);
            out.push_str(MASK);
        } else {
            out.push_str(&after_eq[..value_end]);
        }
        rest = &after_eq[value_end..];
    }
    out
}

/// The length of one libpq value at the start of `text`: quoted, or up to whitespace.
fn value_length(text: &str) -> usize {
    let quoted = text.starts_with('\'');
    let mut chars = text.char_indices().skip(usize::from(quoted));
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => drop(chars.next()),
            '\'' if quoted => return at + 1,
            c if !quoted && c.is_whitespace() => return at,
            _ => {}
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(url: &str) -> String {
        MaskedUrl::new(url).to_string()
    }

    #[test]
    fn passwords_in_the_userinfo_are_masked() {
        let cases = [
            (
                "postgres://app:s3cret@db:5432/x",
                "postgres://app:***@db:5432/x",
            ),
            (
                "redis://:s3cret@127.0.0.1:6379/0",
                "redis://:***@127.0.0.1:6379/0",
            ),
            ("redis://u:s3:cret@h", "redis://u:***@h"),
            (
                "redis+cluster://u:s3cret@h1:1,h2:2",
                "redis+cluster://u:***@h1:1,h2:2",
            ),
            (
                "postgres://me@azure:s3cret@db/x",
                "postgres://me@azure:***@db/x",
            ),
            // Unescaped `/`, `?` and `@` in the password: masked all the same.
            ("postgres://u:s3/cr?e@t@db/x", "postgres://u:***@db/x"),
            ("postgres://app@db/x", "postgres://app@db/x"),
        ];
        for (url, want) in cases {
            assert_eq!(shown(url), want, "{url}");
        }
    }

    #[test]
    fn secret_query_parameters_are_masked() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/test?password=s3cret",
                "postgres://postgres@127.0.0.1:5432/test?password=***",
            ),
            (
                "postgres://db/x?sslmode=require&sslpassword=s3cret&PassWord=s3cret",
                "postgres://db/x?sslmode=require&sslpassword=***&PassWord=***",
            ),
            (
                "redis://h:6379/0?pass=s3cret&db=1",
                "redis://h:6379/0?pass=***&db=1",
            ),
            ("redis://h/?pass%77ord=s3cret", "redis://h/?pass%77ord=***"),
            ("redis://h/?token=s3cret", "redis://h/?token=***"),
            ("sqlite:./s.db?secret=s3cret", "sqlite:./s.db?secret=***"),
        ];
        for (url, want) in cases {
            assert_eq!(shown(url), want, "{url}");
        }
    }

    #[test]
    fn key_value_connection_strings_are_masked() {
        let cases = [
            ("host=db password=s3cret", "host=db password=***"),
            (
                "host=db password = s3cret dbname=x",
                "host=db password = *** dbname=x",
            ),
            ("password='s3 c\\'ret' user=app", "password=*** user=app"),
            ("sslpassword=s3cret", "sslpassword=***"),
            ("user=app password='s3cret", "user=app password=***"),
            ("host=db port=5432", "host=db port=5432"),
        ];
        for (url, want) in cases {
            assert_eq!(shown(url), want, "{url}");
        }
        assert_eq!(shown("memory:"), "memory:");
        assert_eq!(shown("no-scheme"), "no-scheme");
    }

    #[test]
    fn the_debug_form_is_masked_too() {
        let debug = format!("{:?}", MaskedUrl::new("redis://:s3cret@h"));
        assert!(!debug.contains("s3cret"), "{debug}");
    }
}
