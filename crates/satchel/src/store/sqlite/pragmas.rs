//! `SqliteStore` with the app's own pragmas, run on every connection the store opens.

use std::path::Path;

use rusqlite::Connection;

use super::SqliteStore;
use crate::error::{Error, Result};

/// Pragmas the app asked for, checked once, then run on each connection the store opens
/// (its writer and every reader), after the store's own.
#[derive(Clone, Debug, Default)]
pub(super) struct Pragmas(Vec<(String, String)>);

impl Pragmas {
    fn checked<N: Into<String>, V: Into<String>>(
        pragmas: impl IntoIterator<Item = (N, V)>,
    ) -> Result<Self> {
        let pragmas = pragmas
            .into_iter()
            .map(|(name, value)| check(name.into().to_ascii_lowercase(), value.into()))
            .collect::<Result<_>>()?;
        Ok(Self(pragmas))
    }

    pub(super) fn apply(&self, connection: &Connection) -> rusqlite::Result<()> {
        self.0
            .iter()
            .try_for_each(|(name, value)| connection.pragma_update(None, name, value))
    }
}

/// Refuses a malformed name, and the settings the store's promises rest on: WAL (readers
/// read while the writer commits), `synchronous` at least FULL (a committed save survives
/// power loss), a shared lock and a writable database.
fn check(name: String, value: String) -> Result<(String, String)> {
    let refuse = |why: &str| Err(Error::InvalidConfig(format!("pragma {name}: {why}")));
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return refuse("not a pragma name");
    }
    let value_is = |allowed: &[&str]| allowed.contains(&value.to_ascii_lowercase().as_str());
    match name.as_str() {
        "journal_mode" if !value_is(&["wal"]) => refuse("the store needs WAL"),
        "synchronous" if !value_is(&["full", "extra", "2", "3"]) => {
            refuse("below FULL, an acknowledged save can be lost")
        }
        "locking_mode" if !value_is(&["normal"]) => refuse("readers need a shared lock"),
        "query_only" => refuse("the store writes"),
        _ => Ok((name, value)),
    }
}

impl SqliteStore {
    /// [`SqliteStore::open`], then the app's own pragmas (`cache_size`, `mmap_size`,
    /// `temp_store`, …) on every connection the store opens, its writer and each reader.
    /// The store's settings come first; pragmas that would break its promises are refused:
    /// a `journal_mode` other than WAL, `synchronous` below FULL, an exclusive
    /// `locking_mode`, `query_only`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a refused or malformed pragma; as
    /// [`SqliteStore::open`] otherwise, and [`Error::Backend`] when SQLite rejects one.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let pragmas = [("cache_size", "-16000"), ("mmap_size", "268435456")];
    /// let store = satchel::SqliteStore::open_with_pragmas(dir.path().join("s.db"), pragmas)?;
    /// # let _ = store;
    /// let weaker = [("synchronous", "OFF")];
    /// assert!(satchel::SqliteStore::open_with_pragmas(dir.path().join("t.db"), weaker).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_with_pragmas<N: Into<String>, V: Into<String>>(
        path: impl AsRef<Path>,
        pragmas: impl IntoIterator<Item = (N, V)>,
    ) -> Result<Self> {
        Self::open_configured(path.as_ref(), Pragmas::checked(pragmas)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_promises_are_checked() {
        assert!(Pragmas::checked([("Cache_Size", "-2000")]).is_ok());
        assert!(Pragmas::checked([("journal_mode", "wal")]).is_ok());
        assert!(Pragmas::checked([("synchronous", "EXTRA")]).is_ok());
        for (name, value) in [
            ("cache_size; DROP TABLE x", "1"),
            ("", "1"),
            ("journal_mode", "DELETE"),
            ("synchronous", "NORMAL"),
            ("locking_mode", "EXCLUSIVE"),
            ("query_only", "ON"),
        ] {
            assert!(
                Pragmas::checked([(name, value)]).is_err(),
                "{name} = {value}"
            );
        }
    }

    #[test]
    fn pragmas_reach_the_writer_and_the_readers() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            SqliteStore::open_with_pragmas(dir.path().join("p.db"), [("cache_size", "-1234")])
                .unwrap();
        let size = store
            .inner
            .read(
                &|db| db.query_row("PRAGMA cache_size", [], |row| row.get::<_, i64>(0)),
                super::super::Wait::No,
            )
            .unwrap();
        assert_eq!(size, -1234);
    }
}
