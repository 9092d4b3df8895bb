//! Where a tower-sessions id is kept: the SHA-256 of its cookie text, never the id itself.

use std::fmt::Display;

use satchel::StorageKey;
use sha2::{Digest as _, Sha256};

/// The key a tower-sessions id is stored under: the SHA-256 of the id as it goes into the
/// cookie (22 URL-safe base64 characters), in lowercase hex, the same scheme satchel keys
/// its own ids by. A leaked store then holds no usable cookie, and satchel's 32-character
/// ids and tower's 22-character ones never share a key. Every tower-sessions release shows
/// its `Id` the same way, which is what `id` is here.
pub(crate) fn storage_key(id: &impl Display) -> StorageKey {
    let digest = Sha256::digest(id.to_string().as_bytes());
    // 32 bytes of SHA-256 are always 64 lowercase hex characters, the one shape `parse` takes.
    StorageKey::parse(&hex::encode(digest)).unwrap_or_else(|| unreachable!("hex of a SHA-256"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_sessions_core::session::Id;

    #[test]
    fn keys_are_hashes_of_the_cookie_text() {
        let id = Id::default();
        let key = storage_key(&id);
        assert_eq!(key.as_str().len(), 64);
        assert!(!key.as_str().contains(&id.to_string()));
        assert_eq!(key, storage_key(&id));
        assert_ne!(key, storage_key(&Id::default()));
    }

    #[test]
    fn known_answer() {
        // `printf AAAAAAAAAAAAAAAAAAAAAA | sha256sum`: the cookie text of `Id(0)`.
        assert_eq!(Id(0).to_string(), "AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(
            storage_key(&Id(0)).as_str(),
            "8a5bdb4cc15164126c6ef2668de9dd240d299ce6397a42c95a9411b93d080ed8"
        );
    }
}
