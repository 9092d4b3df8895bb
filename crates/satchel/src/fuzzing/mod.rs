//! Entry points for the fuzz targets in `fuzz/` and for their corpus replay
//! (`tests/fuzz_corpus.rs`); not an API, and outside semver.
//!
//! Each function takes the fuzzer's bytes, runs them through the parser the library uses
//! on input from outside, and panics when a property that must hold does not: so libFuzzer
//! and the replay under `cargo test` check exactly the same things. Input that is merely
//! malformed returns quietly; only a panic is a finding.
// A failed assertion is this module's way of reporting a finding.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod cookies;
mod files;

pub use cookies::{
    ENVELOPE_COOKIE, cookie_envelope, cookie_header, envelope_keys, envelope_sessions,
};
pub use files::{pickle, session_file};

use crate::id::{SessionId, StorageKey};
use crate::id_policy::IdPolicy;

/// One target's check: panics on a finding.
///
/// # Example
/// ```
/// let check: satchel::fuzzing::Check = satchel::fuzzing::session_id;
/// check(b"not an id");
/// ```
pub type Check = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` and corpus directory.
///
/// # Example
/// ```
/// for (name, check) in satchel::fuzzing::TARGETS {
///     check(b"");
///     assert!(!name.is_empty());
/// }
/// ```
pub const TARGETS: [(&str, Check); 5] = [
    ("cookie_header", cookie_header),
    ("session_id", session_id),
    ("session_file", session_file),
    ("cookie_envelope", cookie_envelope),
    ("pickle", pickle),
];

/// Parses `data` as a session id and a storage key, in satchel's shape and werkzeug's:
/// exactly the documented shapes parse, and what parses is the text itself, whose storage
/// key parses back and is never an id.
///
/// # Example
/// ```
/// satchel::fuzzing::session_id(b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
/// satchel::fuzzing::session_id(b"../../../../etc/passwd");
/// ```
pub fn session_id(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let id_shape = text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let parsed = SessionId::parse(text);
    assert_eq!(parsed.is_some(), id_shape, "SessionId::parse({text:?})");
    assert_eq!(IdPolicy::new().parse(text), parsed);
    assert_eq!(IdPolicy::new().accepts(text), id_shape);
    if let Some(id) = parsed {
        assert_eq!(id.as_str(), text);
        stored_under_its_key(IdPolicy::new(), &id);
        assert!(SessionId::parse(id.storage_key().as_str()).is_none());
    }
    let key = StorageKey::parse(text);
    assert_eq!(
        key.is_some(),
        is_hex(text, 64),
        "StorageKey::parse({text:?})"
    );
    if let Some(key) = key {
        assert_eq!(key.as_str(), text);
    }
    werkzeug_id(text);
}

/// werkzeug's `is_valid_key` (40 lowercase hex); its files are named by the raw id.
fn werkzeug_id(text: &str) {
    let policy = IdPolicy::werkzeug();
    let parsed = policy.parse(text);
    assert_eq!(parsed.is_some(), is_hex(text, 40), "werkzeug id {text:?}");
    assert_eq!(policy.accepts(text), parsed.is_some());
    if let Some(id) = parsed {
        assert_eq!(id.as_str(), text);
        stored_under_its_key(policy, &id);
    }
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn stored_under_its_key(policy: IdPolicy, id: &SessionId) {
    let key = policy.storage_key(id);
    assert_eq!(policy.parse_storage_key(key.as_str()), Some(key));
}
