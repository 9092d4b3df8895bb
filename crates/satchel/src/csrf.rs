//! A CSRF token bound to the session, for HTML forms.
//!
//! A cross-site page can make a visitor's browser post a form to your site (and with
//! `SameSite=Lax` cookies a top-level POST to a login form still works, since logging in
//! needs no cookie). The defence is a secret the other site cannot read: a random token kept
//! in the session, written into every form as a hidden field, and compared (in constant
//! time) when the form comes back. A POST without it, or with another session's, is refused.
//!
//! [`token`] gives the session's token, making one on first use (which stores the session,
//! so a page showing a form starts one); [`verify`] checks what a form sent. The token
//! lives under [`KEY`] in the session's data and survives [`rotate_id`] at login.
//!
//! JSON APIs are better protected without tokens: require `Content-Type: application/json`
//! (a cross-site page can only send it after a CORS preflight your server refuses), and
//! refuse unsafe requests whose `Sec-Fetch-Site` or `Origin` header says another site
//! sent them. The demo does both.
//!
//! [`rotate_id`]: crate::Session::rotate_id
//!
//! # Example
//! ```
//! use satchel::{MemoryStore, SessionHandle, csrf};
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let handle = SessionHandle::new(MemoryStore::new(), None);
//! let token = csrf::token(&handle).await?; // into the form: <input type="hidden" name="csrf" value="…">
//! assert_eq!(csrf::token(&handle).await?, token, "one token per session");
//! assert!(csrf::verify(&handle, &token).await?);
//! assert!(!csrf::verify(&handle, "forged").await?);
//! # Ok::<(), satchel::Error>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::Result;
use crate::handle::SessionHandle;

/// The session key the token is kept under.
///
/// # Example
/// ```
/// assert_eq!(satchel::csrf::KEY, "_csrf");
/// ```
pub const KEY: &str = "_csrf";

/// The token's entropy, in bytes (256 bits, as the session id's own strength would do).
const TOKEN_BYTES: usize = 32;

/// The session's CSRF token, made (and stored with the session) on first use.
///
/// # Errors
/// As [`SessionHandle::load`]; [`Error::Io`](crate::Error::Io) when the operating system cannot provide
/// randomness.
///
/// # Example
/// ```
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let handle = satchel::SessionHandle::new(satchel::MemoryStore::new(), None);
/// let token = satchel::csrf::token(&handle).await?;
/// assert_eq!(token.len(), 43);
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn token(handle: &SessionHandle) -> Result<String> {
    let mut session = handle.load().await?;
    if let Some(token) = session.get_value(KEY).and_then(|v| v.as_str()) {
        return Ok(token.to_owned());
    }
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(std::io::Error::from)?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    session.insert(KEY, &token)?;
    Ok(token)
}

/// Whether `presented` (what a form sent) is the session's token; `false` when the session
/// has none. The comparison takes the same time wherever the two differ.
///
/// # Errors
/// As [`SessionHandle::load`].
///
/// # Example
/// ```
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let handle = satchel::SessionHandle::new(satchel::MemoryStore::new(), None);
/// assert!(!satchel::csrf::verify(&handle, "").await?, "a session without a token accepts none");
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn verify(handle: &SessionHandle, presented: &str) -> Result<bool> {
    let session = handle.load().await?;
    let Some(expected) = session.get_value(KEY).and_then(|v| v.as_str()) else {
        return Ok(false);
    };
    Ok(constant_time_eq(expected.as_bytes(), presented.as_bytes()))
}

/// Equal bytes, compared without an early exit (the length is no secret: it is fixed).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_is_exact() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
