//! `show`: a session's data as JSON.

use std::io::Write;

use satchel::{Record, SessionStore};
use time::format_description::well_known::Rfc3339;

use crate::error::Failure;
use crate::target::Target;

/// Prints the data of the session `text` names as pretty JSON.
pub(crate) async fn show(
    store: &impl SessionStore,
    text: &str,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let target = Target::parse(store, text)?;
    let key = target
        .stored_key(store)
        .await?
        .ok_or_else(|| target.not_found())?;
    let record = store.load(&key).await?.ok_or_else(|| target.not_found())?;
    // Stores keep expired records until pruned; they are never shown as live sessions.
    if record.is_expired(store.clock().now()) {
        return Err(expired(&record));
    }
    let json = serde_json::to_string_pretty(&record.data)
        .map_err(|err| Failure::new(format!("cannot encode the session data: {err}")))?;
    writeln!(out, "{json}")?;
    Ok(())
}

/// The error for an expired session, with when it expired.
fn expired(record: &Record) -> Failure {
    let when = record
        .expires_at
        .and_then(|at| at.format(&Rfc3339).ok())
        .map(|at| format!(" at {at}"))
        .unwrap_or_default();
    Failure::new(format!(
        "the session expired{when}; `satchel prune` removes it"
    ))
}
