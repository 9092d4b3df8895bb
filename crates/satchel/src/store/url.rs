//! Store URLs: `memory:`, `file:DIR`, `werkzeug:DIR`, `sqlite:PATH`, `postgres://…`,
//! `redis://…`, `redis+cluster://…` and `cookie:`.

#[cfg(all(feature = "fs", unix))]
use super::FilesystemStore;
#[cfg(feature = "postgres")]
use super::PostgresStore;
#[cfg(feature = "redis")]
use super::RedisStore;
#[cfg(feature = "sqlite")]
use super::SqliteStore;
use super::{AnyStore, MaskedUrl, MemoryStore};
#[cfg(feature = "cookie-store")]
use crate::cookie::CookieSessions;
use crate::error::{Error, Result};

/// What a URL opened: a store that keeps sessions by id, or (for `cookie:`) sessions kept
/// in the cookie itself. Either goes into a [`SessionLayer`](crate::SessionLayer).
///
/// # Example
/// ```
/// use satchel::store::{Opened, open};
///
/// let layer = match open("memory:")? {
///     Opened::Store(store) => satchel::SessionLayer::new(store),
///     other => satchel::SessionLayer::from(other),
/// };
/// # let _ = layer;
/// # Ok::<(), satchel::Error>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Opened {
    /// A server-side store (every URL but `cookie:`).
    Store(AnyStore),
    /// `cookie:`: the session sealed in the cookie, keyed from `SATCHEL_KEY`.
    #[cfg(feature = "cookie-store")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cookie-store")))]
    Cookie(CookieSessions),
}

impl Opened {
    /// The store, for code that needs one to list, show or prune: the one place `cookie:`
    /// is refused.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for `cookie:`, whose sessions live in the visitors' browsers.
    ///
    /// # Example
    /// ```
    /// let store = satchel::store::open("memory:")?.into_store()?;
    /// # let _ = store;
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn into_store(self) -> Result<AnyStore> {
        match self {
            Self::Store(store) => Ok(store),
            #[cfg(feature = "cookie-store")]
            Self::Cookie(_) => Err(Error::InvalidConfig(
                "cookie: keeps each session inside the visitor's cookie: there is no store \
                 to list, show, delete or prune"
                    .into(),
            )),
        }
    }
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
/// let opened = satchel::store::open(&format!("file:{}", dir.path().join("s").display()))?;
/// assert!(matches!(opened, satchel::store::Opened::Store(_)));
/// assert!(satchel::store::open("gopher://x").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open(url: &str) -> Result<Opened> {
    let (scheme, rest) = url.split_once(':').ok_or_else(|| {
        Error::InvalidConfig(format!(
            "`{}` is not a store URL (expected e.g. file:DIR or memory:)",
            MaskedUrl::new(url)
        ))
    })?;
    match scheme {
        "memory" if rest.is_empty() => Ok(Opened::Store(AnyStore::new(MemoryStore::new()))),
        "file" if !rest.is_empty() => open_file(rest),
        "sqlite" if !rest.is_empty() => open_sqlite(rest),
        "postgres" | "postgresql" => open_postgres(url),
        "redis" | "rediss" | "redis+cluster" => open_redis(url),
        "cookie" if rest.is_empty() => open_cookie(),
        "werkzeug" if !rest.is_empty() => open_werkzeug(rest),
        "memory" | "file" | "sqlite" | "werkzeug" | "cookie" => Err(Error::InvalidConfig(format!(
            "`{}` is malformed: use memory:, cookie:, file:DIR, werkzeug:DIR or sqlite:PATH",
            MaskedUrl::new(url)
        ))),
        // What comes before the first `:` may be `password=...` of a key=value string.
        _ => Err(Error::InvalidConfig(format!(
            "unknown store URL scheme `{}:`",
            MaskedUrl::new(scheme)
        ))),
    }
}

/// The environment variable `cookie:` takes its key from.
pub const KEY_VARIABLE: &str = "SATCHEL_KEY";

/// `cookie:`: encrypted cookie sessions keyed from `SATCHEL_KEY` (at least 32 bytes).
#[cfg(feature = "cookie-store")]
fn open_cookie() -> Result<Opened> {
    let secret = zeroize::Zeroizing::new(std::env::var(KEY_VARIABLE).map_err(|_| {
        Error::InvalidConfig(format!(
            "the cookie: store needs a secret of at least 32 bytes in {KEY_VARIABLE} \
             (e.g. `export {KEY_VARIABLE}=$(openssl rand -base64 48)`)"
        ))
    })?);
    let key = crate::cookie::Key::derive(secret.as_bytes(), "satchel cookie: store")
        .map_err(|err| Error::InvalidConfig(format!("{KEY_VARIABLE}: {err}")))?;
    Ok(Opened::Cookie(CookieSessions::new(key)))
}

#[cfg(not(feature = "cookie-store"))]
fn open_cookie() -> Result<Opened> {
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
fn open_file(dir: &str) -> Result<Opened> {
    Ok(Opened::Store(AnyStore::new(FilesystemStore::new(dir)?)))
}

#[cfg(not(all(feature = "fs", unix)))]
fn open_file(_: &str) -> Result<Opened> {
    Err(not_built("fs"))
}

#[cfg(feature = "werkzeug")]
fn open_werkzeug(dir: &str) -> Result<Opened> {
    Ok(Opened::Store(AnyStore::new(FilesystemStore::werkzeug(
        dir,
    )?)))
}

#[cfg(not(feature = "werkzeug"))]
fn open_werkzeug(_: &str) -> Result<Opened> {
    Err(not_built("werkzeug"))
}

#[cfg(feature = "sqlite")]
fn open_sqlite(path: &str) -> Result<Opened> {
    Ok(Opened::Store(AnyStore::new(SqliteStore::open(path)?)))
}

#[cfg(not(feature = "sqlite"))]
fn open_sqlite(_: &str) -> Result<Opened> {
    Err(not_built("sqlite"))
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str) -> Result<Opened> {
    Ok(Opened::Store(AnyStore::new(PostgresStore::new(url)?)))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_: &str) -> Result<Opened> {
    Err(not_built("postgres"))
}

#[cfg(feature = "redis")]
fn open_redis(url: &str) -> Result<Opened> {
    Ok(Opened::Store(AnyStore::new(RedisStore::new(url)?)))
}

#[cfg(not(feature = "redis"))]
fn open_redis(_: &str) -> Result<Opened> {
    Err(not_built("redis"))
}

/// Like [`open`], but for tools that inspect stores: a `file:`, `werkzeug:` or `sqlite:`
/// store must exist already (a mistyped path is an error rather than a new, empty store;
/// a PostgreSQL store still creates its table on first use), and `cookie:` is refused, as
/// there is no store to inspect.
///
/// # Errors
/// As [`open`] and [`Opened::into_store`], and [`Error::InvalidConfig`] when the directory
/// does not exist.
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
    open(url)?.into_store()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_never_repeat_a_secret_of_the_url() {
        for url in [
            "host=db password=s3cret",
            "password=s3cret:x",
            "gopher://u:s3cret@h",
            "file",
            "memory:?password=s3cret",
        ] {
            let err = open(url).map(|_| ()).unwrap_err().to_string();
            assert!(!err.contains("s3cret"), "{url}: {err}");
        }
    }
}
