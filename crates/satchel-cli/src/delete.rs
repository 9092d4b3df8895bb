//! `delete`: remove one session.

use std::io::Write;

use satchel::SessionStore;

use crate::error::Failure;
use crate::target::Target;

/// Deletes the session `text` names, expired or not, and prints `deleted`.
pub(crate) async fn delete(
    store: &impl SessionStore,
    text: &str,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let target = Target::parse(store, text)?;
    let key = target
        .stored_key(store)
        .await?
        .ok_or_else(|| target.not_found())?;
    if !store.delete(&key).await? {
        return Err(target.not_found());
    }
    writeln!(out, "deleted")?;
    Ok(())
}
