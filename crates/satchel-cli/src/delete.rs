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
    if !store.delete(target.key()).await? {
        return Err(target.not_found());
    }
    writeln!(out, "deleted")?;
    Ok(())
}
