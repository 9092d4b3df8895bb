//! Keys for cookie sessions: at least 256 bits, never built in, wiped on drop.

use std::fmt;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The shortest key accepted: 256 bits.
pub const MIN_KEY_BYTES: usize = 32;

/// A secret for signing and encrypting cookie sessions.
///
/// Keys are at least 32 bytes; there is no default or built-in key. The bytes are wiped
/// from memory when the key is dropped, and `Debug` never shows them. The keys actually
/// used for encryption and signing are derived from this one with HKDF-SHA256, one per
/// purpose, so one secret never serves two algorithms.
///
/// # Example
/// ```
/// use satchel::cookie::Key;
///
/// let key = Key::generate()?;
/// assert!(Key::from_bytes(b"too short").is_err());
/// let derived = Key::derive(b"a master secret of at least thirty-two bytes", "sessions")?;
/// assert_ne!(derived.id(), key.id());
/// # Ok::<(), satchel::Error>(())
/// ```
#[derive(Clone)]
pub struct Key {
    bytes: Zeroizing<Vec<u8>>,
    /// Derived once: every cookie names its key and is opened with a subkey.
    id: u32,
    encryption: Zeroizing<Vec<u8>>,
    signing: Zeroizing<Vec<u8>>,
}

impl Key {
    /// A fresh random 64-byte key from the OS CSPRNG.
    ///
    /// # Errors
    /// [`Error::Io`] when the operating system cannot provide randomness.
    ///
    /// # Example
    /// ```
    /// assert_ne!(satchel::cookie::Key::generate()?.id(), satchel::cookie::Key::generate()?.id());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new(vec![0u8; 64]);
        getrandom::fill(&mut bytes).map_err(std::io::Error::from)?;
        Ok(Self::with_bytes(bytes))
    }

    /// A key from secret bytes (at least 32).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for fewer than 32 bytes.
    ///
    /// # Example
    /// ```
    /// let key = satchel::cookie::Key::from_bytes(&[7u8; 32])?;
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(Error::InvalidConfig(format!(
                "a cookie key needs at least {MIN_KEY_BYTES} bytes, got {}",
                bytes.len()
            )));
        }
        Ok(Self::with_bytes(Zeroizing::new(bytes.to_vec())))
    }

    /// A key derived from a master secret (at least 32 bytes) for one `purpose`, with
    /// HKDF-SHA256: one secret can key several applications without sharing keys.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a master secret shorter than 32 bytes.
    ///
    /// # Example
    /// ```
    /// use satchel::cookie::Key;
    /// let master = [9u8; 48];
    /// assert_eq!(Key::derive(&master, "a")?.id(), Key::derive(&master, "a")?.id());
    /// assert_ne!(Key::derive(&master, "a")?.id(), Key::derive(&master, "b")?.id());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn derive(master: &[u8], purpose: &str) -> Result<Self> {
        let master = Self::from_bytes(master)?;
        Ok(Self::with_bytes(subkey(
            &master.bytes,
            &format!("satchel derived key: {purpose}"),
        )))
    }

    /// A short public name for the key (from HKDF, not the secret): cookies carry it so the
    /// right key is tried after rotation.
    ///
    /// # Example
    /// ```
    /// let key = satchel::cookie::Key::from_bytes(&[1u8; 32])?;
    /// assert_eq!(key.id(), key.clone().id());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn id(&self) -> u32 {
        self.id
    }

    fn with_bytes(bytes: Zeroizing<Vec<u8>>) -> Self {
        let id = subkey(&bytes, "satchel cookie v1 key id");
        Self {
            id: u32::from_be_bytes([id[0], id[1], id[2], id[3]]),
            encryption: subkey(&bytes, "satchel cookie v1 encryption"),
            signing: subkey(&bytes, "satchel cookie v1 signing"),
            bytes,
        }
    }

    /// The XChaCha20-Poly1305 key.
    pub(crate) fn encryption_key(&self) -> &[u8] {
        &self.encryption
    }

    /// The HMAC-SHA256 key.
    pub(crate) fn signing_key(&self) -> &[u8] {
        &self.signing
    }
}

/// 32 bytes of `secret` for one purpose (HKDF-SHA256), wiped when dropped.
fn subkey(secret: &[u8], purpose: &str) -> Zeroizing<Vec<u8>> {
    let mut okm = Zeroizing::new(vec![0u8; 32]);
    // Proven: 32 bytes is far below HKDF-SHA256's 8160-byte output limit.
    #[allow(clippy::expect_used)]
    Hkdf::<Sha256>::new(None, secret)
        .expand(purpose.as_bytes(), &mut okm)
        .expect("32 bytes is within HKDF-SHA256's output limit");
    okm
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key(id {:08x})", self.id())
    }
}
