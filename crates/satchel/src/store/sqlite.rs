//! `SqliteStore`: sessions in one SQLite database file (rusqlite, SQLite bundled).

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::Progress;
use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::id::StorageKey;
use crate::record::Record;
use crate::store::SessionStore;

/// Rows deleted per statement when pruning, so the write lock is held only briefly.
const PRUNE_BATCH: i64 = 1000;

/// Sessions in a SQLite database: the embedded choice for one machine that wants a
/// database rather than a directory of files.
///
/// - One table, `satchel_sessions`, keyed by the SHA-256 of the id, with an indexed expiry
///   column; created on open.
/// - WAL journal, `synchronous=FULL` (a committed save survives power loss) and a busy
///   timeout, so several processes can share the file.
/// - `update` reads, applies and writes inside `BEGIN IMMEDIATE`: concurrent saves of one
///   session, from any process, merge their changes.
///
/// Queries run on tokio's blocking pool over one connection per store.
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
    connection: Arc<Mutex<Connection>>,
    clock: Clock,
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS satchel_sessions (
        key TEXT PRIMARY KEY NOT NULL,
        data TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS satchel_sessions_expires_at
        ON satchel_sessions (expires_at) WHERE expires_at IS NOT NULL;";

impl SqliteStore {
    /// Opens (or creates) the database at `path` and its table.
    ///
    /// # Errors
    /// [`Error::Backend`] when SQLite cannot open or set up the file.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = satchel::SqliteStore::open(dir.path().join("s.db"))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let connection = Connection::open(path).map_err(backend)?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| connection.pragma_update(None, "synchronous", "FULL"))
            .and_then(|()| connection.busy_timeout(std::time::Duration::from_secs(5)))
            .and_then(|()| connection.execute_batch(SCHEMA))
            .map_err(backend)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
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

    /// Runs `work` with the connection and the time on tokio's blocking pool.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection, i64) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T> {
        let (connection, clock) = (Arc::clone(&self.connection), self.clock.clone());
        tokio::task::spawn_blocking(move || {
            work(&mut lock(&connection), clock.now().unix_timestamp()).map_err(backend)
        })
        .await
        .map_err(|err| Error::Backend(Box::new(err)))?
    }
}

fn lock(connection: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic mid-query leaves SQLite consistent: it rolls back what was not committed.
    connection
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn backend(err: rusqlite::Error) -> Error {
    Error::Backend(Box::new(err))
}

fn seconds(at: Option<OffsetDateTime>) -> Option<i64> {
    at.map(OffsetDateTime::unix_timestamp)
}

fn encode(data: &Map<String, Value>) -> rusqlite::Result<String> {
    serde_json::to_string(data)
        .map_err(|err| rusqlite::Error::ToSqlConversionFailure(Box::new(err)))
}

fn create(db: &Connection, key: &str, record: &Record, now: i64) -> rusqlite::Result<bool> {
    let inserted = db.execute(
        "INSERT INTO satchel_sessions (key, data, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (key) DO UPDATE SET
             data = excluded.data, created_at = excluded.created_at, expires_at = excluded.expires_at
         WHERE satchel_sessions.expires_at IS NOT NULL AND satchel_sessions.expires_at <= ?5",
        params![key, encode(&record.data)?, record.created_at.unix_timestamp(), seconds(record.expires_at), now],
    )?;
    Ok(inserted == 1)
}

fn load(db: &Connection, key: &str) -> rusqlite::Result<Option<Record>> {
    let row = db
        .query_row(
            "SELECT data, created_at, expires_at FROM satchel_sessions WHERE key = ?1",
            [key],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, Option<i64>>(2)?,
                ))
            },
        )
        .optional()?;
    Ok(row.and_then(|(data, created, expires)| decode(key, &data, created, expires)))
}

/// A row as a record; a corrupt one is reported and read as no session.
fn decode(key: &str, data: &str, created: i64, expires: Option<i64>) -> Option<Record> {
    let record = serde_json::from_str(data)
        .ok()
        .and_then(|data| Record::from_unix_seconds(data, created, expires));
    if record.is_none() {
        tracing::warn!(key, "corrupt session row read as no session");
    }
    record
}

fn update(db: &mut Connection, key: &str, changes: &Changes, now: i64) -> rusqlite::Result<bool> {
    let transaction = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let live = load(&transaction, key)?
        .filter(|record| record.expires_at.is_none_or(|at| at.unix_timestamp() > now));
    let Some(mut record) = live else {
        return Ok(false);
    };
    record.apply(changes);
    transaction.execute(
        "UPDATE satchel_sessions SET data = ?2, expires_at = ?3 WHERE key = ?1",
        params![key, encode(&record.data)?, seconds(record.expires_at)],
    )?;
    transaction.commit()?;
    Ok(true)
}

fn prune(db: &Connection, now: i64, progress: &Progress) -> rusqlite::Result<u64> {
    let total: i64 = db.query_row(
        "SELECT count(*) FROM satchel_sessions WHERE expires_at <= ?1",
        [now],
        |row| row.get(0),
    )?;
    let mut deleted = 0;
    loop {
        let batch = db.execute(
            "DELETE FROM satchel_sessions WHERE key IN
                 (SELECT key FROM satchel_sessions WHERE expires_at <= ?1 LIMIT ?2)",
            params![now, PRUNE_BATCH],
        )? as u64;
        deleted += batch;
        progress.report(deleted, total.max(0) as u64);
        if batch == 0 {
            return Ok(deleted);
        }
    }
}

impl SessionStore for SqliteStore {
    async fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
        let (key, record) = (key.to_string(), record.clone());
        self.blocking(move |db, now| create(db, &key, &record, now))
            .await
    }

    async fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        let key = key.to_string();
        self.blocking(move |db, _| load(db, &key)).await
    }

    async fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        let (key, changes) = (key.to_string(), changes.clone());
        self.blocking(move |db, now| update(db, &key, &changes, now))
            .await
    }

    /// One statement that writes only the expiry of a live session.
    async fn touch(&self, key: &StorageKey, expires_at: Option<OffsetDateTime>) -> Result<bool> {
        let key = key.to_string();
        self.blocking(move |db, now| {
            let sql = "UPDATE satchel_sessions SET expires_at = ?2
                       WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?3)";
            Ok(db.execute(sql, params![key, seconds(expires_at), now])? == 1)
        })
        .await
    }

    async fn delete(&self, key: &StorageKey) -> Result<bool> {
        let key = key.to_string();
        self.blocking(move |db, _| {
            Ok(db.execute("DELETE FROM satchel_sessions WHERE key = ?1", [key])? == 1)
        })
        .await
    }

    async fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
        let key = key.to_string();
        self.blocking(move |db, now| {
            let sql = "DELETE FROM satchel_sessions WHERE key = ?1 AND expires_at <= ?2";
            Ok(db.execute(sql, params![key, now])? == 1)
        })
        .await
    }

    async fn list(&self) -> Result<Vec<StorageKey>> {
        let keys: Vec<String> = self
            .blocking(|db, _| {
                let mut query = db.prepare("SELECT key FROM satchel_sessions ORDER BY key")?;
                let rows = query.query_map([], |row| row.get(0))?;
                rows.collect()
            })
            .await?;
        Ok(keys
            .iter()
            .filter_map(|key| StorageKey::parse(key))
            .collect())
    }

    /// Deletes in batches through the expiry index, without reading any session.
    async fn prune(&self, progress: &Progress) -> Result<u64> {
        let progress = progress.clone();
        self.blocking(move |db, now| prune(db, now, &progress))
            .await
    }

    fn clock(&self) -> Clock {
        self.clock.clone()
    }
}
