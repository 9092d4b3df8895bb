//! The cookie-session envelope: version, mode and key id in clear, bound with the cookie's
//! name into an AEAD (encrypted) or an HMAC (signed) over the payload.
//!
//! Layout, then URL-safe base64 without padding:
//! - encrypted: `1 | 'E' | key id (4) | nonce (24) | XChaCha20-Poly1305(payload)`
//! - signed:    `1 | 'S' | key id (4) | payload | HMAC-SHA256 (32)`
//!
//! The associated data (encrypted) or the MAC input (signed) starts with a domain label,
//! the header and the cookie's name, so a value moved to another cookie or read as the
//! other mode fails to verify.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20::{R20, hchacha};
use hmac::{Hmac, KeyInit as _, Mac as _};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use sha2::Sha256;

use zeroize::Zeroizing;

use super::Key;
use crate::error::{Error, Result};

const VERSION: u8 = 1;
const HEADER: usize = 6;
const NONCE: usize = 24;
const TAG: usize = 32;

/// How a cookie session is protected.
///
/// # Example
/// ```
/// assert_eq!(satchel::cookie::Protection::default(), satchel::cookie::Protection::Encrypted);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protection {
    /// XChaCha20-Poly1305: the client can neither read nor change the session.
    #[default]
    Encrypted,
    /// HMAC-SHA256: the client can read the session (base64 JSON) but not change it.
    Signed,
}

impl Protection {
    fn tag(self) -> u8 {
        match self {
            Self::Encrypted => b'E',
            Self::Signed => b'S',
        }
    }
}

fn header(protection: Protection, key: &Key) -> [u8; HEADER] {
    let [a, b, c, d] = key.id().to_be_bytes();
    [VERSION, protection.tag(), a, b, c, d]
}

/// What is authenticated besides the payload: the header and the cookie's name.
fn bound(header: &[u8], cookie_name: &str) -> Vec<u8> {
    const LABEL: &[u8] = b"satchel cookie session\0";
    let mut bound = Vec::with_capacity(LABEL.len() + header.len() + 8 + cookie_name.len());
    bound.extend_from_slice(LABEL);
    bound.extend_from_slice(header);
    // Length first, so that where the name ends and the payload starts is never ambiguous.
    bound.extend_from_slice(&(cookie_name.len() as u64).to_be_bytes());
    bound.extend_from_slice(cookie_name.as_bytes());
    bound
}

/// Seals `payload` for the cookie `cookie_name` under `key`.
pub(crate) fn seal(
    protection: Protection,
    key: &Key,
    cookie_name: &str,
    payload: &[u8],
) -> Result<String> {
    let header = header(protection, key);
    // One buffer, sealed in place: header, nonce, then the payload the cipher overwrites.
    let mut out = Vec::with_capacity(HEADER + NONCE + payload.len() + TAG);
    out.extend_from_slice(&header);
    match protection {
        Protection::Encrypted => {
            let mut nonce = [0u8; NONCE];
            getrandom::fill(&mut nonce).map_err(std::io::Error::from)?;
            let aad = bound(&header, cookie_name);
            let (cipher, ietf_nonce) = xchacha(key, &nonce)?;
            out.extend_from_slice(&nonce);
            out.extend_from_slice(payload);
            let tag = cipher
                .seal_in_place_separate_tag(ietf_nonce, Aad::from(&aad), &mut out[HEADER + NONCE..])
                .map_err(|_| {
                    Error::InvalidConfig("the cookie cipher refused the payload".into())
                })?;
            out.extend_from_slice(tag.as_ref());
        }
        Protection::Signed => {
            out.extend_from_slice(payload);
            let tag = mac(key, &header, cookie_name, payload)?
                .finalize()
                .into_bytes();
            out.extend_from_slice(&tag);
        }
    }
    Ok(URL_SAFE_NO_PAD.encode(out))
}

/// The payload of a cookie value sealed by [`seal`] under one of `keys`, and the index of
/// that key; `None` for anything else, whatever is wrong with it.
pub(crate) fn open(
    protection: Protection,
    keys: &[Key],
    cookie_name: &str,
    value: &str,
) -> Option<(Vec<u8>, usize)> {
    let mut bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
    let (header, body) = bytes.split_at_checked(HEADER)?;
    if header[0] != VERSION || header[1] != protection.tag() {
        return None;
    }
    let id = u32::from_be_bytes([header[2], header[3], header[4], header[5]]);
    let index = keys.iter().position(|key| key.id() == id)?;
    let key = &keys[index];
    // Where the payload lies in `bytes`, which becomes the payload: no second buffer.
    let (start, end) = match protection {
        Protection::Encrypted => {
            let nonce: [u8; NONCE] = body.get(..NONCE)?.try_into().ok()?;
            let aad = bound(header, cookie_name);
            let (cipher, ietf_nonce) = xchacha(key, &nonce).ok()?;
            let sealed = bytes.get_mut(HEADER + NONCE..)?;
            let plain = cipher
                .open_in_place(ietf_nonce, Aad::from(&aad), sealed)
                .ok()?;
            (HEADER + NONCE, HEADER + NONCE + plain.len())
        }
        Protection::Signed => {
            let (payload, tag) = body.split_at_checked(body.len().checked_sub(TAG)?)?;
            mac(key, header, cookie_name, payload)
                .ok()?
                .verify_slice(tag)
                .ok()?;
            (HEADER, HEADER + payload.len())
        }
    };
    bytes.truncate(end);
    bytes.drain(..start);
    let payload = bytes;
    Some((payload, index))
}

/// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03) for one nonce: HChaCha20 of the key
/// and the nonce's first 16 bytes is the key of IETF ChaCha20-Poly1305, whose nonce is
/// four zero bytes and the nonce's last 8. ring seals and opens (its assembly is several
/// times faster than the portable crates); the 24-byte random nonce never repeats in
/// practice, where a random 12-byte one could after 2^32 cookies under one key.
fn xchacha(key: &Key, nonce: &[u8; NONCE]) -> Result<(LessSafeKey, Nonce)> {
    let config = || Error::InvalidConfig("cookie key length".into());
    let master = chacha20::Key::try_from(key.encryption_key()).map_err(|_| config())?;
    let (prefix, suffix) = nonce.split_at(16);
    let prefix = chacha20::cipher::array::Array::try_from(prefix).map_err(|_| config())?;
    let subkey = Zeroizing::new(<[u8; 32]>::from(hchacha::<R20>(&master, &prefix)));
    let cipher = UnboundKey::new(&CHACHA20_POLY1305, subkey.as_slice()).map_err(|_| config())?;
    let mut ietf = [0u8; 12];
    ietf[4..].copy_from_slice(suffix);
    Ok((LessSafeKey::new(cipher), Nonce::assume_unique_for_key(ietf)))
}

fn mac(key: &Key, header: &[u8], cookie_name: &str, payload: &[u8]) -> Result<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.signing_key())
        .map_err(|_| Error::InvalidConfig("cookie key length".into()))?;
    mac.update(&bound(header, cookie_name));
    mac.update(payload);
    Ok(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<Key> {
        vec![
            Key::from_bytes(&[1; 32]).unwrap(),
            Key::from_bytes(&[2; 32]).unwrap(),
        ]
    }

    #[test]
    fn both_modes_round_trip_and_bind_the_name_and_mode() {
        for protection in [Protection::Encrypted, Protection::Signed] {
            let keys = keys();
            let sealed = seal(protection, &keys[1], "sid", b"{\"a\":1}").unwrap();
            assert_eq!(
                open(protection, &keys, "sid", &sealed),
                Some((b"{\"a\":1}".to_vec(), 1))
            );
            assert_eq!(open(protection, &keys, "other", &sealed), None);
            assert_eq!(open(protection, &keys[..1], "sid", &sealed), None);
        }
        let signed = seal(Protection::Signed, &keys()[0], "sid", b"{}").unwrap();
        assert_eq!(open(Protection::Encrypted, &keys(), "sid", &signed), None);
    }

    #[test]
    fn garbage_is_rejected() {
        for value in ["", "A", "AQ", "!!!!", "AUUAAAAA", &"A".repeat(5000)] {
            assert_eq!(open(Protection::Encrypted, &keys(), "sid", value), None);
            assert_eq!(open(Protection::Signed, &keys(), "sid", value), None);
        }
    }
}
