//! `list` and `count`: what a store holds.

use std::io::Write;

use satchel::SessionStore;

use crate::error::Failure;

/// Prints every stored key, one a line, and nothing else.
pub(crate) async fn list(store: &impl SessionStore, out: &mut impl Write) -> Result<(), Failure> {
    for key in store.list().await? {
        writeln!(out, "{key}")?;
    }
    Ok(())
}

/// Prints how many sessions are stored, including expired ones that were not pruned yet.
pub(crate) async fn count(store: &impl SessionStore, out: &mut impl Write) -> Result<(), Failure> {
    writeln!(out, "{}", store.list().await?.len())?;
    Ok(())
}
