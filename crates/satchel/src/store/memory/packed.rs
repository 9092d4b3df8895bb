//! `MemoryStore`'s map key: a storage key's characters, held inline.
//!
//! A `StorageKey` is 64 hex characters on the heap. As a map key that is an allocation
//! of 80 bytes per stored session, written on every create, and a pointer to follow on
//! every probe (at a million sessions, a cache miss per lookup). Inline, the characters
//! sit in the map's own entry; copying them in costs less than decoding the hex would.

use std::hash::{Hash, Hasher};

use crate::error::{Error, Result};
use crate::id::StorageKey;

/// Room for the longest key: satchel's are 64 characters (SHA-256), werkzeug's raw ids 40.
const MAX_LEN: usize = 64;

/// A storage key's characters, inline (safe to show, as the key is).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct PackedKey {
    text: [u8; MAX_LEN],
    len: u8,
}

impl PackedKey {
    /// Packs `key`; every `StorageKey` has at most 64 characters, so the error is for a
    /// broken invariant, not for input.
    pub(super) fn of(key: &StorageKey) -> Result<Self> {
        let bytes = key.as_str().as_bytes();
        let Some(len) = u8::try_from(bytes.len())
            .ok()
            .filter(|&n| usize::from(n) <= MAX_LEN)
        else {
            return Err(Error::Backend(
                format!("storage key {key} is too long to pack").into(),
            ));
        };
        let mut text = [0; MAX_LEN];
        text[..bytes.len()].copy_from_slice(bytes);
        Ok(Self { text, len })
    }

    /// The storage key again.
    pub(super) fn to_key(self) -> StorageKey {
        // Lossless: the bytes were a `str`'s (hex, in fact).
        let text = String::from_utf8_lossy(&self.text[..usize::from(self.len)]);
        StorageKey::from_checked(text.into_owned())
    }
}

impl Hash for PackedKey {
    /// The first 16 characters, one write, as the `StorageKey` it packs would hash (see
    /// `KeyHasher`); keys equal in full are equal there.
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(&self.text[..16]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::SessionId;

    #[test]
    fn keys_pack_and_come_back_unchanged() {
        for _ in 0..100 {
            let key = SessionId::generate().unwrap().storage_key();
            assert_eq!(PackedKey::of(&key).unwrap().to_key(), key);
        }
        let werkzeug = StorageKey::from_checked("0123456789abcdef0123456789abcdef01234567".into());
        assert_eq!(PackedKey::of(&werkzeug).unwrap().to_key(), werkzeug);
    }

    #[test]
    fn keys_of_different_lengths_stay_apart() {
        let short = StorageKey::from_checked("ab".repeat(20));
        // Padded as the inline text is: only the length tells them apart.
        let long = StorageKey::from_checked(format!("{}{}", "ab".repeat(20), "\0".repeat(24)));
        assert_ne!(
            PackedKey::of(&short).unwrap(),
            PackedKey::of(&long).unwrap()
        );
    }

    #[test]
    fn a_key_too_long_is_an_error_not_a_panic() {
        assert!(PackedKey::of(&StorageKey::from_checked("a".repeat(65))).is_err());
        assert!(PackedKey::of(&StorageKey::from_checked("a".repeat(300))).is_err());
    }
}
