//! `sessions` and `revoke`: one user's sessions, listed or ended.

use std::io::Write;

use satchel::{Expiry, Handle, SessionStore, UserKey, UserSessions as _};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::Failure;

/// Whose sessions: the user's name as the app tied it (hashed, unless it asked for plain keys).
pub(crate) fn user_key(user: &str, plain: bool) -> Result<UserKey, Failure> {
    if plain {
        return Ok(UserKey::plain(user)?);
    }
    Ok(UserKey::hashed(user))
}

/// Prints one line per live session of `user`, oldest first: handle, created, last seen
/// (told by the app's idle timeout), expires (`-` for never) and the app's label,
/// tab-separated.
pub(crate) async fn sessions(
    store: &impl SessionStore,
    user: &UserKey,
    idle_timeout: std::time::Duration,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let idle = time::Duration::try_from(idle_timeout)
        .map_err(|err| Failure::new(format!("--idle-timeout: {err}")))?;
    let expiry = &Expiry::new().with_idle_timeout(idle);
    for session in store.sessions_of(user).await? {
        let expires = session
            .expires_at()
            .map_or_else(|| Ok("-".to_owned()), rfc3339)?;
        writeln!(
            out,
            "{}\t{}\t{}\t{expires}\t{}",
            session.handle(),
            rfc3339(session.created_at())?,
            rfc3339(session.last_seen(expiry))?,
            session.label().unwrap_or_default(),
        )?;
    }
    Ok(())
}

/// Ends every session of `user` but the one `keep` names, and prints how many ended.
pub(crate) async fn revoke(
    store: &impl SessionStore,
    user: &UserKey,
    keep: Option<&str>,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let keep = keep
        .map(|text| {
            Handle::parse(text).ok_or_else(|| {
                Failure::new(format!(
                    "`{text}` is not a session handle (32 hex digits, as `sessions` prints)"
                ))
            })
        })
        .transpose()?;
    let ended = store.end_sessions_of(user, keep.as_ref()).await?;
    writeln!(out, "{ended}")?;
    Ok(())
}

fn rfc3339(at: OffsetDateTime) -> Result<String, Failure> {
    at.format(&Rfc3339)
        .map_err(|err| Failure::new(format!("a session time cannot be shown: {err}")))
}
