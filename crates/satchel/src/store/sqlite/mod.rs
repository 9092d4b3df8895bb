//! `SqliteStore`: sessions in one SQLite database file (rusqlite, SQLite bundled).

mod pragmas;
mod rows;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode};
use time::OffsetDateTime;

use self::pragmas::Pragmas;
use self::writer::{Write, Writer};
use super::{Progress, SessionStore};
use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::id::StorageKey;
use crate::owner::UserKey;
use crate::record::Record;

/// Idle reader connections kept for reuse.
const IDLE_READERS: usize = 8;
/// How long a write, or a read on the blocking pool, waits for another connection's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Sessions in a SQLite database: the embedded choice for one machine that wants a
/// database rather than a directory of files.
///
/// - One table, `satchel_sessions`, keyed by the SHA-256 of the id, with an indexed expiry
///   column; created on open.
/// - WAL journal, `synchronous=FULL` (a committed save survives power loss) and a busy
///   timeout, so several processes can share the file.
/// - Group commit: one writer thread commits the writes of concurrent requests together,
///   in one `BEGIN IMMEDIATE` transaction and one fsync; each request's save returns only
///   once the transaction that holds it is committed, so every acknowledged save is
///   durable, and a save costs a fraction of an fsync under load.
/// - `update` reads, applies and writes inside that transaction: concurrent saves of one
///   session, from any process, merge their changes.
/// - Reads use a few reader connections, which WAL lets read while the writer commits:
///   loading one session runs on the calling thread (microseconds, and it never waits
///   for a lock there), listing and counting on tokio's blocking pool.
/// - rusqlite 0.39 (SQLite 3.51.3 bundled through libsqlite3-sys 0.37), not the newest: the
///   latest sqlx (0.9) takes libsqlite3-sys below 0.38, and cargo lets only one crate link
///   `sqlite3`, so with this release an app can use sqlx's SQLite driver and this store
///   together (`ci/sqlx-coexist` checks it).
///
/// # Example
/// ```
/// use satchel::{SessionStore, SessionStoreExt, SqliteStore};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// # let dir = tempfile::tempdir()?;
/// let store = SqliteStore::open(dir.path().join("sessions.db"))?;
/// let mut session = store.new_session()?;
/// session.insert("user", "alice")?;
/// store.save(&mut session).await?;
/// assert_eq!(store.list().await?, [store.ids().storage_key(session.id())]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct SqliteStore {
    inner: Arc<Inner>,
    clock: Clock,
}

#[derive(Debug)]
struct Inner {
    writer: Writer,
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
    /// The app's own, run on every connection after the store's.
    pragmas: Pragmas,
}

impl SqliteStore {
    /// Opens (or creates) the database file at `path` and its table. A new file is
    /// created 0600 (whatever the umask), and SQLite gives its `-wal` and `-shm` files the
    /// database file's mode, so other local users cannot read session data.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be created; [`Error::Backend`] when SQLite
    /// cannot open or set up the file;
    /// [`Error::InvalidConfig`] for an in-memory database (use
    /// [`MemoryStore`](crate::MemoryStore) for that).
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = satchel::SqliteStore::open(dir.path().join("s.db"))?;
    /// assert!(satchel::SqliteStore::open(":memory:").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_configured(path.as_ref(), Pragmas::default())
    }

    fn open_configured(path: &Path, pragmas: Pragmas) -> Result<Self> {
        let path = path.to_path_buf();
        if path.as_os_str().is_empty() || path.to_str().is_some_and(|p| p.contains(":memory:")) {
            return Err(Error::InvalidConfig(
                "SqliteStore needs a database file (its reader connections share it); \
                 MemoryStore keeps sessions in memory"
                    .into(),
            ));
        }
        create_private(&path)?;
        let connection = connect(&path)?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| connection.pragma_update(None, "synchronous", "FULL"))
            .and_then(|()| pragmas.apply(&connection))
            .and_then(|()| connection.execute_batch(rows::SCHEMA))
            .and_then(|()| rows::migrate(&connection))
            .map_err(backend)?;
        Ok(Self {
            inner: Arc::new(Inner {
                writer: Writer::start(connection)?,
                path,
                readers: Mutex::new(Vec::new()),
                pragmas,
            }),
            clock: Clock::system(),
        })
    }

    /// Judges expiry by `clock` (tests use a manual one).
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let clock = satchel::Clock::manual(time::OffsetDateTime::UNIX_EPOCH);
    /// let store = satchel::SqliteStore::open(dir.path().join("s.db"))?.with_clock(clock);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    /// Runs `write` in the writer's next transaction.
    async fn write(&self, write: Write) -> Result<u64> {
        self.inner.writer.write(self.now(), write).await
    }

    /// Runs `read` over a reader connection on tokio's blocking pool, waiting for locks
    /// as long as the busy timeout allows.
    async fn read<T: Send + 'static>(
        &self,
        read: impl Fn(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || inner.read(&read, Wait::Yes))
            .await
            .map_err(|err| Error::Backend(Box::new(err)))?
            .map_err(backend)
    }

    /// A read of one row, on the calling thread: a keyed read of a local file in WAL mode
    /// takes microseconds and never waits for the writer, so running it inline saves two
    /// thread hand-offs per request (2.6x the requests per second in `bench/run`). It
    /// never waits for a lock here: a database busy with recovery or another process'
    /// exclusive lock sends the read to the blocking pool instead, where it may wait.
    async fn read_row<T: Send + 'static>(
        &self,
        read: impl Fn(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T> {
        match self.inner.read(&read, Wait::No) {
            Err(err) if is_busy(&err) => self.read(read).await,
            result => result.map_err(backend),
        }
    }
}

/// Whether a read may wait for a lock held by another connection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wait {
    No,
    Yes,
}

impl Inner {
    fn read<T>(
        &self,
        read: &impl Fn(&Connection) -> rusqlite::Result<T>,
        wait: Wait,
    ) -> rusqlite::Result<T> {
        let idle = self.idle().pop();
        let connection = match idle {
            Some(connection) => connection,
            None => {
                let connection = Connection::open(&self.path)?;
                self.pragmas.apply(&connection)?;
                connection
            }
        };
        let patience = match wait {
            Wait::No => Duration::ZERO,
            Wait::Yes => BUSY_TIMEOUT,
        };
        let result = connection
            .busy_timeout(patience)
            .and_then(|()| read(&connection));
        let mut idle = self.idle();
        if idle.len() < IDLE_READERS {
            idle.push(connection);
        }
        result
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // The list of idle connections is whole after every critical section.
        self.readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn is_busy(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(failure, _)
            if matches!(failure.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// Creates the database file, owner-only, unless it exists: SQLite would create it 0644
/// (less the umask), and creates `-wal` and `-shm` with the database file's mode. An
/// existing file keeps its mode, with a warning when others may read it.
#[cfg(unix)]
fn create_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};

    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            if std::fs::metadata(path).is_ok_and(|meta| meta.mode() & 0o044 != 0) {
                tracing::warn!(
                    path = %path.display(),
                    "others may read the session database (chmod 600 it and its -wal and -shm files)"
                );
            }
            Ok(())
        }
        Err(err) => Err(Error::Io(err)),
    }
}

#[cfg(not(unix))]
fn create_private(_: &Path) -> Result<()> {
    Ok(())
}

fn connect(path: &Path) -> Result<Connection> {
    let connection = Connection::open(path).map_err(backend)?;
    connection.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
    Ok(connection)
}

fn backend(err: rusqlite::Error) -> Error {
    Error::Backend(Box::new(err))
}

impl SessionStore for SqliteStore {
    async fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
        let (key, record) = (key.to_string(), record.clone());
        let write: Write =
            Box::new(move |db, now| rows::create(db, &key, &record, now).map(u64::from));
        Ok(self.write(write).await? == 1)
    }

    async fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        let key = key.to_string();
        self.read_row(move |db| rows::load(db, &key)).await
    }

    async fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        let (key, changes) = (key.to_string(), changes.clone());
        let write: Write =
            Box::new(move |db, now| rows::update(db, &key, &changes, now).map(u64::from));
        Ok(self.write(write).await? == 1)
    }

    /// One statement that writes only the expiry of a live session.
    async fn touch(&self, key: &StorageKey, expires_at: Option<OffsetDateTime>) -> Result<bool> {
        let key = key.to_string();
        let write: Write =
            Box::new(move |db, now| rows::touch(db, &key, expires_at, now).map(u64::from));
        Ok(self.write(write).await? == 1)
    }

    async fn delete(&self, key: &StorageKey) -> Result<bool> {
        let key = key.to_string();
        let write: Write = Box::new(move |db, _| rows::delete(db, &key).map(u64::from));
        Ok(self.write(write).await? == 1)
    }

    async fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
        let key = key.to_string();
        let write: Write =
            Box::new(move |db, now| rows::delete_expired(db, &key, now).map(u64::from));
        Ok(self.write(write).await? == 1)
    }

    async fn list(&self) -> Result<Vec<StorageKey>> {
        let keys = self.read(rows::keys).await?;
        Ok(keys
            .iter()
            .filter_map(|key| StorageKey::parse(key))
            .collect())
    }

    /// Deletes in batches through the expiry index, without reading any session; each
    /// batch is one write, so saves go on between them.
    async fn prune(&self, progress: &Progress) -> Result<u64> {
        let now = self.now();
        let total = self.read(move |db| rows::count_expired(db, now)).await?;
        let mut deleted = 0;
        loop {
            let batch = self.write(Box::new(rows::prune_batch)).await?;
            deleted += batch;
            progress.report(deleted.min(total), total);
            if batch < rows::PRUNE_BATCH as u64 {
                return Ok(deleted);
            }
        }
    }

    async fn user_records(&self, user: &UserKey) -> Result<Vec<(StorageKey, Record)>> {
        let (user, now) = (user.as_str().to_owned(), self.now());
        let rows = self.read(move |db| rows::owned_by(db, &user, now)).await?;
        Ok(rows
            .into_iter()
            .filter_map(|(key, record)| Some((StorageKey::parse(&key)?, record)))
            .collect())
    }

    async fn delete_user_records(&self, user: &UserKey, keep: Option<&StorageKey>) -> Result<u64> {
        let (user, keep) = (user.as_str().to_owned(), keep.map(ToString::to_string));
        let write: Write =
            Box::new(move |db, now| rows::delete_owned(db, &user, keep.as_deref(), now));
        self.write(write).await
    }

    fn clock(&self) -> Clock {
        self.clock.clone()
    }

    fn backend_name(&self) -> &'static str {
        "sqlite"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database another connection holds exclusively (a rollback-journal file under
    /// `BEGIN EXCLUSIVE`: WAL readers meet the same SQLITE_BUSY during recovery).
    fn locked_database(dir: &Path) -> (Inner, Connection) {
        let path = dir.join("locked.db");
        let other = Connection::open(&path).unwrap();
        other
            .execute_batch("CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);")
            .unwrap();
        let inner = Inner {
            writer: Writer::start(Connection::open_in_memory().unwrap()).unwrap(),
            path,
            readers: Mutex::new(Vec::new()),
            pragmas: Pragmas::default(),
        };
        (inner, other)
    }

    fn count(db: &Connection) -> rusqlite::Result<i64> {
        db.query_row("SELECT count(*) FROM t", [], |row| row.get(0))
    }

    #[test]
    fn an_inline_read_never_waits_for_a_lock() {
        let dir = tempfile::tempdir().unwrap();
        let (inner, _other) = locked_database(dir.path());
        let started = std::time::Instant::now();
        let err = inner.read(&count, Wait::No).unwrap_err();
        assert!(is_busy(&err), "{err}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn a_blocking_read_waits_until_the_lock_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let (inner, other) = locked_database(dir.path());
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            other.execute_batch("COMMIT").unwrap();
        });
        assert_eq!(inner.read(&count, Wait::Yes).unwrap(), 1);
        release.join().unwrap();
    }
}
