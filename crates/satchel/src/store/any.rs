//! One enum over the compiled-in stores, and store URLs.

use time::OffsetDateTime;

use crate::{
    Changes, Clock, DynSessionStore, Error, Record, Result, Session, SessionId, SessionStore,
    StorageKey,
};

#[cfg(feature = "cookie-store")]
use super::CookieStore;
#[cfg(all(feature = "fs", unix))]
use super::FilesystemStore;
#[cfg(feature = "postgres")]
use super::PostgresStore;
#[cfg(feature = "redis")]
use super::RedisStore;
#[cfg(feature = "sqlite")]
use super::SqliteStore;
use super::{MemoryStore, Progress, SaveOutcome};

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
    /// `sqlite:PATH`
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteStore),
    /// `postgres://USER@HOST:PORT/DB`
    #[cfg(feature = "postgres")]
    Postgres(PostgresStore),
    /// `redis://HOST:PORT[/DB]`, or a Redis Cluster as `redis+cluster://HOST:PORT[,HOST:PORT...]`
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    Redis(RedisStore),
    /// `cookie:` (the key from `SATCHEL_KEY`)
    #[cfg(feature = "cookie-store")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cookie-store")))]
    Cookie(CookieStore),
}

/// Opens the store a URL names: `memory:`, `file:DIR`, `sqlite:PATH`,
/// `postgres://USER@HOST:PORT/DB`, `redis://HOST:PORT[/DB]` or, for a Redis Cluster,
/// `redis+cluster://HOST:PORT[,HOST:PORT...]` naming one or more of its nodes (each when
/// its feature is compiled in). A Redis store connects on first use, not here.
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
        "file" if !rest.is_empty() => open_file(rest),
        "sqlite" if !rest.is_empty() => open_sqlite(rest),
        "postgres" | "postgresql" => open_postgres(url),
        "redis" | "redis+cluster" => open_redis(url),
        "cookie" if rest.is_empty() => open_cookie(),
        "werkzeug" if !rest.is_empty() => open_werkzeug(rest),
        "memory" | "file" | "sqlite" | "werkzeug" | "cookie" => Err(Error::InvalidConfig(format!(
            "`{url}` is malformed: use memory:, cookie:, file:DIR, werkzeug:DIR or sqlite:PATH"
        ))),
        _ => Err(Error::InvalidConfig(format!(
            "unknown store URL scheme `{scheme}:`"
        ))),
    }
}

/// The environment variable `cookie:` takes its key from.
pub const KEY_VARIABLE: &str = "SATCHEL_KEY";

/// `cookie:`: encrypted cookie sessions keyed from `SATCHEL_KEY` (at least 32 bytes).
#[cfg(feature = "cookie-store")]
fn open_cookie() -> Result<AnyStore> {
    let secret = zeroize::Zeroizing::new(std::env::var(KEY_VARIABLE).map_err(|_| {
        Error::InvalidConfig(format!(
            "the cookie: store needs a secret of at least 32 bytes in {KEY_VARIABLE} \
             (e.g. `export {KEY_VARIABLE}=$(openssl rand -base64 48)`)"
        ))
    })?);
    let key = crate::cookie::Key::derive(secret.as_bytes(), "satchel cookie: store")
        .map_err(|err| Error::InvalidConfig(format!("{KEY_VARIABLE}: {err}")))?;
    Ok(AnyStore::Cookie(CookieStore::new(key)))
}

#[cfg(not(feature = "cookie-store"))]
fn open_cookie() -> Result<AnyStore> {
    Err(not_built("cookie-store"))
}

/// The error for a store whose cargo feature this build lacks.
#[allow(dead_code)] // every store may be compiled in
fn not_built(feature: &str) -> Error {
    Error::InvalidConfig(format!(
        "this build of satchel has no `{feature}` store (enable its cargo feature `{feature}`)"
    ))
}

#[cfg(all(feature = "fs", unix))]
fn open_file(dir: &str) -> Result<AnyStore> {
    Ok(AnyStore::Filesystem(FilesystemStore::new(dir)?))
}

#[cfg(not(all(feature = "fs", unix)))]
fn open_file(_: &str) -> Result<AnyStore> {
    Err(not_built("fs"))
}

#[cfg(feature = "werkzeug")]
fn open_werkzeug(dir: &str) -> Result<AnyStore> {
    Ok(AnyStore::Filesystem(FilesystemStore::werkzeug(dir)?))
}

#[cfg(not(feature = "werkzeug"))]
fn open_werkzeug(_: &str) -> Result<AnyStore> {
    Err(not_built("werkzeug"))
}

#[cfg(feature = "sqlite")]
fn open_sqlite(path: &str) -> Result<AnyStore> {
    Ok(AnyStore::Sqlite(SqliteStore::open(path)?))
}

#[cfg(not(feature = "sqlite"))]
fn open_sqlite(_: &str) -> Result<AnyStore> {
    Err(not_built("sqlite"))
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str) -> Result<AnyStore> {
    Ok(AnyStore::Postgres(PostgresStore::new(url)?))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_: &str) -> Result<AnyStore> {
    Err(not_built("postgres"))
}

#[cfg(feature = "redis")]
fn open_redis(url: &str) -> Result<AnyStore> {
    Ok(AnyStore::Redis(RedisStore::new(url)?))
}

#[cfg(not(feature = "redis"))]
fn open_redis(_: &str) -> Result<AnyStore> {
    Err(not_built("redis"))
}

/// Like [`open`], but a `file:`, `werkzeug:` or `sqlite:` store must exist already: for
/// tools that inspect stores, where a mistyped path is an error rather than a new, empty
/// store. (A PostgreSQL store still creates its table on first use.)
///
/// # Errors
/// As [`open`], and [`Error::InvalidConfig`] when the directory does not exist.
///
/// # Example
/// ```
/// assert!(satchel::store::open_existing("file:/no/such/dir").is_err());
/// assert!(satchel::store::open_existing("memory:").is_ok());
/// ```
pub fn open_existing(url: &str) -> Result<AnyStore> {
    let dir = url
        .strip_prefix("file:")
        .or_else(|| url.strip_prefix("werkzeug:"));
    if let Some(dir) = dir
        && !dir.is_empty()
        && !std::path::Path::new(dir).is_dir()
    {
        return Err(Error::InvalidConfig(format!(
            "no session directory at {dir}"
        )));
    }
    if let Some(path) = url.strip_prefix("sqlite:")
        && !path.is_empty()
        && !std::path::Path::new(path).is_file()
    {
        return Err(Error::InvalidConfig(format!(
            "no session database at {path}"
        )));
    }
    open(url)
}

impl AnyStore {
    /// The store inside, erased; every trait method forwards through it.
    fn inner(&self) -> &dyn DynSessionStore {
        match self {
            Self::Memory(store) => store,
            #[cfg(all(feature = "fs", unix))]
            Self::Filesystem(store) => store,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(store) => store,
            #[cfg(feature = "postgres")]
            Self::Postgres(store) => store,
            #[cfg(feature = "redis")]
            Self::Redis(store) => store,
            #[cfg(feature = "cookie-store")]
            Self::Cookie(store) => store,
        }
    }
}

impl SessionStore for AnyStore {
    async fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
        self.inner().create_boxed(key, record).await
    }
    async fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        self.inner().load_boxed(key).await
    }
    async fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        self.inner().update_boxed(key, changes).await
    }
    async fn delete(&self, key: &StorageKey) -> Result<bool> {
        self.inner().delete_boxed(key).await
    }
    async fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
        self.inner().delete_expired_boxed(key).await
    }
    async fn list(&self) -> Result<Vec<StorageKey>> {
        self.inner().list_boxed().await
    }
    async fn touch(&self, key: &StorageKey, expires_at: Option<OffsetDateTime>) -> Result<bool> {
        self.inner().touch_boxed(key, expires_at).await
    }
    async fn prune(&self) -> Result<u64> {
        self.inner().prune_boxed().await
    }
    async fn prune_with_progress(&self, progress: Progress) -> Result<u64> {
        self.inner().prune_with_progress_boxed(progress).await
    }
    fn clock(&self) -> Clock {
        self.inner().clock_dyn()
    }
    fn key_of(&self, id: &SessionId) -> StorageKey {
        self.inner().key_of_dyn(id)
    }
    fn renews_missing(&self) -> bool {
        self.inner().renews_missing_dyn()
    }
    fn generate_key(&self) -> Result<SessionId> {
        self.inner().generate_key_dyn()
    }
    fn parse_key(&self, key: &str) -> Option<SessionId> {
        self.inner().parse_key_dyn(key)
    }
    async fn get(&self, key: &str) -> Result<Session> {
        self.inner().get_boxed(key).await
    }
    async fn save(&self, session: &mut Session) -> Result<SaveOutcome> {
        self.inner().save_boxed(session).await
    }
    async fn session_from_cookie(&self, cookie_name: &str, value: &str) -> Result<Session> {
        self.inner()
            .session_from_cookie_boxed(cookie_name, value)
            .await
    }
    fn cookie_value(&self, cookie_name: &str, session: &Session) -> Result<String> {
        self.inner().cookie_value_dyn(cookie_name, session)
    }
    fn keeps_sessions_in_cookies(&self) -> bool {
        self.inner().keeps_sessions_in_cookies_dyn()
    }
}
