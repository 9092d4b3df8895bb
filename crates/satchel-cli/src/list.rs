//! `list` and `count`: what a store holds.

use std::io::Write;

use satchel::SessionStore;

use crate::error::Failure;
use crate::target::listed_key;

/// Prints every stored key, one a line, and nothing else: for werkzeug's files, named by
/// raw ids, the SHA-256 of each id instead.
pub(crate) async fn list(store: &impl SessionStore, out: &mut impl Write) -> Result<(), Failure> {
    let mut keys: Vec<_> = store
        .list()
        .await?
        .iter()
        .filter_map(|key| listed_key(store, key))
        .collect();
    // Hashes do not keep the stored order.
    keys.sort();
    for key in keys {
        writeln!(out, "{key}")?;
    }
    Ok(())
}

/// Prints how many sessions are stored, including expired ones that were not pruned yet.
pub(crate) async fn count(store: &impl SessionStore, out: &mut impl Write) -> Result<(), Failure> {
    writeln!(out, "{}", store.list().await?.len())?;
    Ok(())
}
