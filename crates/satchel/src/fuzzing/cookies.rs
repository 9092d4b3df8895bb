//! The cookie parsers: finding the session cookie in `Cookie` headers, and opening a
//! cookie session's envelope.

use std::sync::OnceLock;

use ::cookie::Cookie;
use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};
use time::OffsetDateTime;

use crate::clock::Clock;
use crate::cookie::{CookieConfig, CookieSessions, Key, Protection, open_envelope, seal_envelope};
use crate::error::Error;
use crate::session::Session;

/// The cookie the envelope target opens; `tests/fixtures/cookie-sessions-v1.json` uses it.
///
/// # Example
/// ```
/// assert_eq!(satchel::fuzzing::ENVELOPE_COOKIE, satchel::CookieConfig::new().name());
/// ```
pub const ENVELOPE_COOKIE: &str = "session_id";

/// The first line names the cookie (`session_id` unless it is a valid name), every later
/// line is one `Cookie` header. What the middleware finds must be a trimmed, `;`-free
/// part of a header, and, where every header is visible ASCII, what the `cookie` crate
/// finds first under that name.
///
/// # Example
/// ```
/// satchel::fuzzing::cookie_header(b"session_id\na=1; session_id=abc\nsession_id=def");
/// ```
pub fn cookie_header(data: &[u8]) {
    let mut lines = data.split(|&b| b == b'\n');
    let name = lines.next().and_then(|line| std::str::from_utf8(line).ok());
    let mut config = CookieConfig::new();
    if let Some(name) = name.filter(|name| config.clone().with_name(*name).validate().is_ok()) {
        config = config.with_name(name);
    }
    let mut headers = HeaderMap::new();
    for line in lines {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append(COOKIE, value);
        }
    }
    let found = config.find(&headers);
    if let Some(value) = &found {
        assert!(!value.contains(';'), "{value:?}");
        assert_eq!(value.trim_matches([' ', '\t']), value);
        let in_a_header = value.is_empty()
            || headers.get_all(COOKIE).iter().any(|line| {
                line.as_bytes()
                    .windows(value.len())
                    .any(|w| w == value.as_bytes())
            });
        assert!(in_a_header, "{value:?} is in no header");
    }
    if headers.iter().all(|(_, line)| line.to_str().is_ok()) {
        assert_eq!(found, first_by_the_cookie_crate(&headers, config.name()));
    }
}

fn first_by_the_cookie_crate(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|line| line.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

/// The keys of the v1 fixture's `session_id` cookies: 32 bytes of 0x11 (the newest, that
/// seals) and of 0x33 (a previous key, that still opens).
///
/// # Example
/// ```
/// assert_eq!(satchel::fuzzing::envelope_keys().len(), 2);
/// ```
pub fn envelope_keys() -> &'static [Key; 2] {
    static KEYS: OnceLock<[Key; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        [0x11, 0x33].map(|byte| Key::from_bytes(&[byte; 32]).expect("32 bytes are a key"))
    })
}

/// Cookie sessions under [`envelope_keys`], judged at the epoch so no seed ever expires.
///
/// # Example
/// ```
/// use satchel::cookie::Protection;
/// let sessions = satchel::fuzzing::envelope_sessions(Protection::Signed);
/// assert!(sessions.open("session_id", "garbage").is_none());
/// ```
pub fn envelope_sessions(protection: Protection) -> &'static CookieSessions {
    static SESSIONS: OnceLock<[CookieSessions; 2]> = OnceLock::new();
    let both = SESSIONS.get_or_init(|| {
        [Protection::Encrypted, Protection::Signed].map(|protection| {
            let [newest, previous] = envelope_keys().clone();
            CookieSessions::new(newest)
                .with_previous_key(previous)
                .with_protection(protection)
                .with_clock(Clock::manual(OffsetDateTime::UNIX_EPOCH))
        })
    });
    &both[usize::from(protection == Protection::Signed)]
}

/// The first byte picks the mode: bit 0 signed (else encrypted); bit 1 seals the rest as
/// a payload first (so the fuzzer reaches the payload parser behind the MAC), else the
/// rest is the cookie's value. What opens must be what the key seals: re-sealed it opens
/// to the same payload (signed: to the same value), and the session in it survives a
/// seal and open unchanged.
///
/// # Example
/// ```
/// satchel::fuzzing::cookie_envelope(b"\x03{\"i\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"c\":1,\"d\":{}}");
/// ```
pub fn cookie_envelope(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let protection = if mode & 1 == 0 {
        Protection::Encrypted
    } else {
        Protection::Signed
    };
    if mode & 2 == 0 {
        if let Ok(value) = std::str::from_utf8(rest) {
            open_value(protection, value);
        }
    } else {
        let keys = envelope_keys();
        let value =
            seal_envelope(protection, &keys[0], ENVELOPE_COOKIE, rest).expect("any payload seals");
        let opened = open_envelope(protection, keys, ENVELOPE_COOKIE, &value);
        assert_eq!(opened, Some((rest.to_vec(), 0)));
        open_value(protection, &value);
    }
}

fn open_value(protection: Protection, value: &str) {
    let keys = envelope_keys();
    let opened = open_envelope(protection, keys, ENVELOPE_COOKIE, value);
    if let Some((payload, index)) = &opened {
        let resealed = seal_envelope(protection, &keys[*index], ENVELOPE_COOKIE, payload)
            .expect("an opened payload seals");
        if protection == Protection::Signed {
            assert_eq!(
                resealed, value,
                "a signed value is exactly what its key seals"
            );
        }
        let reopened = open_envelope(protection, keys, ENVELOPE_COOKIE, &resealed);
        assert_eq!(reopened.as_ref(), Some(&(payload.clone(), *index)));
        assert_eq!(open_envelope(protection, keys, "other_name", value), None);
        let other = match protection {
            Protection::Signed => Protection::Encrypted,
            _ => Protection::Signed,
        };
        assert_eq!(open_envelope(other, keys, ENVELOPE_COOKIE, value), None);
    }
    let sessions = envelope_sessions(protection);
    let Some(session) = sessions.open(ENVELOPE_COOKIE, value) else {
        return;
    };
    assert!(
        opened.is_some(),
        "a session opened where its envelope did not"
    );
    assert!(!session.is_new());
    match sessions.seal(ENVELOPE_COOKIE, &session) {
        Ok(resealed) => {
            let again = sessions
                .open(ENVELOPE_COOKIE, &resealed)
                .expect("a re-sealed session opens");
            assert_same_session(&again, &session);
        }
        // JSON written back can be longer than it was read (`1e2` is `100.0`).
        Err(Error::TooLarge { .. }) => {}
        Err(err) => panic!("an opened session does not seal again: {err}"),
    }
}

fn assert_same_session(a: &Session, b: &Session) {
    assert_eq!(a.id(), b.id());
    assert_eq!(a.data(), b.data());
    assert_eq!(a.created_at(), b.created_at());
    assert_eq!(a.expires_at(), b.expires_at());
    assert_eq!(a.owner(), b.owner());
}
