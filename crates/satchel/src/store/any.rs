//! One enum over the compiled-in stores, and store URLs.

use crate::{Changes, Error, Record, Result, SessionId, SessionStore, StorageKey};

#[cfg(all(feature = "fs", unix))]
use super::FilesystemStore;
use super::MemoryStore;

/// Any of the stores compiled into this build, chosen at run time from a store URL (see
/// [`open`]). The demo and the CLI use it.
///
/// # Example
/// ```
/// use satchel::{SessionStore, store::AnyStore};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let store = satchel::store::open("memory:")?;
/// assert!(matches!(store, AnyStore::Memory(_)));
/// assert!(store.list().await?.is_empty());
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnyStore {
    /// `memory:`
    Memory(MemoryStore),
    /// `file:DIR`
    #[cfg(all(feature = "fs", unix))]
    Filesystem(FilesystemStore),
}

/// Opens the store a URL names: `memory:` or `file:DIR` in this version.
///
/// # Errors
/// [`Error::InvalidConfig`] for a URL that names no store, or a store this build does not
/// have; the store's own errors when it cannot be opened (e.g. an unsafe directory).
///
/// # Example
/// ```
/// let dir = tempfile::tempdir()?;
/// let store = satchel::store::open(&format!("file:{}", dir.path().join("s").display()))?;
/// assert!(satchel::store::open("gopher://x").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open(url: &str) -> Result<AnyStore> {
    let (scheme, rest) = url.split_once(':').ok_or_else(|| {
        Error::InvalidConfig(format!(
            "`{url}` is not a store URL (expected e.g. file:DIR or memory:)"
        ))
    })?;
    match scheme {
        "memory" if rest.is_empty() => Ok(AnyStore::Memory(MemoryStore::new())),
        #[cfg(all(feature = "fs", unix))]
        "file" if !rest.is_empty() => Ok(AnyStore::Filesystem(FilesystemStore::new(rest)?)),
        "memory" | "file" => Err(Error::InvalidConfig(format!(
            "`{url}` is malformed: use memory: or file:DIR"
        ))),
        "werkzeug" | "sqlite" | "redis" | "postgres" | "postgresql" | "cookie" => {
            Err(Error::InvalidConfig(format!(
                "the `{scheme}:` store is not supported yet by this build of satchel"
            )))
        }
        _ => Err(Error::InvalidConfig(format!(
            "unknown store URL scheme `{scheme}:`"
        ))),
    }
}

impl SessionStore for AnyStore {
    async fn create(&self, id: &SessionId, record: &Record) -> Result<bool> {
        match self {
            Self::Memory(store) => store.create(id, record).await,
            #[cfg(all(feature = "fs", unix))]
            Self::Filesystem(store) => store.create(id, record).await,
        }
    }

    async fn load(&self, id: &SessionId) -> Result<Option<Record>> {
        match self {
            Self::Memory(store) => store.load(id).await,
            #[cfg(all(feature = "fs", unix))]
            Self::Filesystem(store) => store.load(id).await,
        }
    }

    async fn update(&self, id: &SessionId, changes: &Changes) -> Result<bool> {
        match self {
            Self::Memory(store) => store.update(id, changes).await,
            #[cfg(all(feature = "fs", unix))]
            Self::Filesystem(store) => store.update(id, changes).await,
        }
    }

    async fn delete(&self, id: &SessionId) -> Result<bool> {
        match self {
            Self::Memory(store) => store.delete(id).await,
            #[cfg(all(feature = "fs", unix))]
            Self::Filesystem(store) => store.delete(id).await,
        }
    }

    async fn list(&self) -> Result<Vec<StorageKey>> {
        match self {
            Self::Memory(store) => store.list().await,
            #[cfg(all(feature = "fs", unix))]
            Self::Filesystem(store) => store.list().await,
        }
    }

    fn renews_missing(&self) -> bool {
        match self {
            Self::Memory(store) => store.renews_missing(),
            #[cfg(all(feature = "fs", unix))]
            Self::Filesystem(store) => store.renews_missing(),
        }
    }
}
