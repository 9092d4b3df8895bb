//! `PostgresStore`: sessions in a PostgreSQL table (tokio-postgres, deadpool pool).

mod escape;
mod from_pool;
mod tls;

use std::time::Duration;

use deadpool_postgres::{ManagerConfig, Pool, RecyclingMethod, Runtime};
use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::OnceCell;
use tokio_postgres::types::ToSql;

use super::Progress;
use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::id::StorageKey;
use crate::owner::{Owner, UserKey};
use crate::record::Record;
use crate::store::SessionStore;

/// Requests wait at most this long for the database unless configured.
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);
/// Rows deleted per statement when pruning unless configured.
const DEFAULT_PRUNE_BATCH: i64 = 1000;
/// Connections kept per store.
const POOL_SIZE: usize = 16;

/// Sessions in PostgreSQL, for services that run on several machines.
///
/// - One table (default `satchel_sessions`): the SHA-256 of the id as primary key, the
///   data as `jsonb`, and an indexed expiry column. It is created on first use; the
///   statements are in [`PostgresStore::SCHEMA`] for those who prefer a migration.
/// - `jsonb` cannot hold `\u0000`, so strings and keys holding it are escaped (with
///   U+FFFE, a Unicode noncharacter) and the row's `escaped` column says so; a table made
///   by an earlier version gets the column, and its rows their escapes, on first use.
/// - A save merges its changes in one statement (`(data - removed) || set`), so
///   concurrent requests that change different keys never lose each other's updates, and
///   it never inserts: a deleted session stays deleted.
/// - `sslmode=require`, `verify-ca` or `verify-full` in the URL connect over TLS (rustls),
///   verifying the certificate and host name against the system's roots (`SSL_CERT_FILE`
///   names others); `require` verifies too, unlike libpq's. Without it the connection is
///   plain text.
/// - tokio-postgres logs every statement's parameters, session data included, at DEBUG:
///   keep its target at INFO in the app's log filter (`tokio_postgres=info`), as the demo
///   does.
/// - Every operation fails after a timeout (500 ms unless configured) instead of hanging
///   when the server is gone; the pool replaces broken connections once it is back.
///
/// # Example
/// ```no_run
/// use satchel::{PostgresStore, SessionStoreExt};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let store = PostgresStore::new("postgres://postgres@127.0.0.1:5432/test")?;
/// let mut session = store.new_session()?;
/// session.insert("user", "alice")?;
/// store.save(&mut session).await?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct PostgresStore {
    /// `None` for a pool the app built ([`PostgresStore::from_pool`]): never rebuilt here.
    config: Option<std::sync::Arc<tokio_postgres::Config>>,
    pool: Pool,
    table: String,
    schema_ready: std::sync::Arc<OnceCell<()>>,
    clock: Clock,
    timeout: Duration,
    prune_batch: i64,
}

impl PostgresStore {
    /// The table and index, as created on first use (`{table}` is the table's name).
    pub const SCHEMA: &'static str = "
        CREATE TABLE IF NOT EXISTS {table} (
            key TEXT PRIMARY KEY,
            data JSONB NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT,
            escaped BOOLEAN NOT NULL DEFAULT FALSE
        );
        CREATE INDEX IF NOT EXISTS {table}_expires_at ON {table} (expires_at);
        ALTER TABLE {table} ADD COLUMN IF NOT EXISTS owner TEXT,
            ADD COLUMN IF NOT EXISTS owner_label TEXT;
        CREATE INDEX IF NOT EXISTS {table}_owner ON {table} (owner) WHERE owner IS NOT NULL;";

    /// A store for the database at `url` (`postgres://USER@HOST:PORT/DB`). No connection is
    /// made until the first operation.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a URL tokio-postgres cannot read.
    ///
    /// # Example
    /// ```
    /// let store = satchel::PostgresStore::new("postgres://postgres@127.0.0.1:5432/test")?;
    /// assert!(satchel::PostgresStore::new("not a url").is_err());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn new(url: &str) -> Result<Self> {
        let config = tls::parse(url)?;
        Ok(Self {
            pool: pool(config.clone(), DEFAULT_TIMEOUT)?,
            config: Some(std::sync::Arc::new(config)),
            table: "satchel_sessions".into(),
            schema_ready: std::sync::Arc::default(),
            clock: Clock::system(),
            timeout: DEFAULT_TIMEOUT,
            prune_batch: DEFAULT_PRUNE_BATCH,
        })
    }

    /// Keeps sessions in `table` instead of `satchel_sessions`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `table` is a plain lowercase SQL name.
    ///
    /// # Example
    /// ```
    /// let store = satchel::PostgresStore::new("postgres://u@localhost/db")?.with_table("web_sessions")?;
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn with_table(mut self, table: &str) -> Result<Self> {
        let plain = table.len() <= 48
            && table.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && table
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !plain {
            return Err(Error::InvalidConfig(format!(
                "`{table}` is not a plain table name"
            )));
        }
        self.table = table.to_owned();
        self.schema_ready = std::sync::Arc::default();
        Ok(self)
    }

    /// Fails each operation after `timeout` (default 500 ms) while the server does not answer.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the pool cannot be rebuilt with it.
    ///
    /// # Example
    /// ```
    /// let store = satchel::PostgresStore::new("postgres://u@localhost/db")?
    ///     .with_timeout(std::time::Duration::from_secs(2))?;
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> Result<Self> {
        if let Some(config) = &self.config {
            self.pool = pool((**config).clone(), timeout)?;
        }
        self.timeout = timeout;
        Ok(self)
    }

    /// Deletes at most `rows` sessions per statement when pruning (default 1000), so no
    /// statement holds locks for long.
    ///
    /// # Example
    /// ```
    /// let store = satchel::PostgresStore::new("postgres://u@localhost/db")?.with_prune_batch(500);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn with_prune_batch(mut self, rows: u32) -> Self {
        self.prune_batch = i64::from(rows.max(1));
        self
    }

    /// Judges expiry by `clock` (tests use a manual one).
    ///
    /// # Example
    /// ```
    /// let clock = satchel::Clock::manual(time::OffsetDateTime::UNIX_EPOCH);
    /// let store = satchel::PostgresStore::new("postgres://u@localhost/db")?.with_clock(clock);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The table sessions are kept in.
    ///
    /// # Example
    /// ```
    /// let store = satchel::PostgresStore::new("postgres://u@localhost/db")?;
    /// assert_eq!(store.table(), "satchel_sessions");
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Runs one statement, with the table's name filled in, and gives the rows it changed.
    async fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let sql = sql.replace("{table}", &self.table);
        self.timed(async {
            let client = self.client().await?;
            // Prepared once per connection: a statement sent as text would be parsed by
            // the server in a round trip of its own on every call.
            let statement = client.prepare_cached(&sql).await.map_err(backend)?;
            client.execute(&statement, params).await.map_err(backend)
        })
        .await
    }

    /// Runs one query, with the table's name filled in.
    async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>> {
        let sql = sql.replace("{table}", &self.table);
        self.timed(async {
            let client = self.client().await?;
            let statement = client.prepare_cached(&sql).await.map_err(backend)?;
            client.query(&statement, params).await.map_err(backend)
        })
        .await
    }

    /// A pooled connection, with the table created on first use.
    async fn client(&self) -> Result<deadpool_postgres::Object> {
        let mut client = self
            .pool
            .get()
            .await
            .map_err(|err| Error::Backend(Box::new(err)))?;
        self.schema_ready
            .get_or_try_init(|| create_schema(&mut client, &self.table))
            .await?;
        Ok(client)
    }

    async fn timed<T>(&self, work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        tokio::time::timeout(self.timeout, work)
            .await
            .map_err(|elapsed| Error::Backend(Box::new(elapsed)))?
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }
}

/// Creates the table and index, or brings a table of an earlier version up to date.
/// Concurrent first uses (several processes) wait on a transaction-scoped advisory lock,
/// which a failure or a timeout always releases.
async fn create_schema(client: &mut deadpool_postgres::Object, table: &str) -> Result<()> {
    let schema = PostgresStore::SCHEMA.replace("{table}", table);
    let transaction = client.transaction().await.map_err(backend)?;
    transaction
        .batch_execute(&format!("SELECT pg_advisory_xact_lock(7245); {schema}"))
        .await
        .map_err(backend)?;
    add_escaped_column(&transaction, table).await?;
    transaction.commit().await.map_err(backend)
}

/// Tables made before `\u0000` was escaped lack the `escaped` column. Their rows may hold
/// the escape mark as plain text; those few are rewritten in the escaped form, so that
/// every row without the flag holds no mark, and merging escaped values into it is safe.
async fn add_escaped_column(
    transaction: &tokio_postgres::Transaction<'_>,
    table: &str,
) -> Result<()> {
    let present = transaction
        .query(
            "SELECT 1 FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'escaped'",
            &[&table],
        )
        .await
        .map_err(backend)?;
    if !present.is_empty() {
        return Ok(());
    }
    let sql = format!("ALTER TABLE {table} ADD COLUMN escaped BOOLEAN NOT NULL DEFAULT FALSE");
    transaction.batch_execute(&sql).await.map_err(backend)?;
    let marked = format!("SELECT key, data FROM {table} WHERE strpos(data::text, $1) > 0");
    let rewrite = format!("UPDATE {table} SET data = $2, escaped = TRUE WHERE key = $1");
    for row in transaction
        .query(&marked, &[&"\u{FFFE}"])
        .await
        .map_err(backend)?
    {
        let (key, data): (String, Value) = (row.get(0), row.get(1));
        let Value::Object(data) = data else { continue };
        let (data, _) = escape::escape(&data);
        transaction
            .execute(&rewrite, &[&key, &data])
            .await
            .map_err(backend)?;
    }
    Ok(())
}

/// A pool whose every wait (for a connection, to connect, to check one) ends after `timeout`.
fn pool(mut config: tokio_postgres::Config, timeout: Duration) -> Result<Pool> {
    config.connect_timeout(timeout);
    let manager = tls::manager(
        config,
        ManagerConfig {
            // A connection the server dropped reports itself closed; no query needed to check.
            recycling_method: RecyclingMethod::Fast,
        },
    )?;
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .build()
        .map_err(|err| Error::InvalidConfig(format!("PostgreSQL pool: {err}")))
}

fn backend(err: tokio_postgres::Error) -> Error {
    Error::Backend(Box::new(err))
}

fn owner_columns(owner: Option<&Owner>) -> (Option<&str>, Option<&str>) {
    (
        owner.map(|o| o.user().as_str()),
        owner.and_then(Owner::label),
    )
}

fn seconds(at: Option<OffsetDateTime>) -> Option<i64> {
    at.map(OffsetDateTime::unix_timestamp)
}

fn record_from(row: &tokio_postgres::Row) -> Option<Record> {
    let data: Value = row.try_get("data").ok()?;
    let Value::Object(mut data) = data else {
        return None;
    };
    if row.try_get("escaped").ok()? {
        data = escape::unescape(data);
    }
    let expires: Option<i64> = row.try_get("expires_at").ok()?;
    let mut record = Record::from_unix_seconds(data, row.try_get("created_at").ok()?, expires)?;
    if let Some(user) = row.try_get::<_, Option<&str>>("owner").ok()? {
        let label = row.try_get::<_, Option<&str>>("owner_label").ok()?;
        record.owner = Some(Owner::from_stored(user, label)?);
    }
    Some(record)
}

impl SessionStore for PostgresStore {
    async fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
        let sql =
            "INSERT INTO {table} (key, data, created_at, expires_at, escaped, owner, owner_label)
                   VALUES ($1, $2, $3, $4, $6, $7, $8)
                   ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data,
                       created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
                       escaped = EXCLUDED.escaped, owner = EXCLUDED.owner,
                       owner_label = EXCLUDED.owner_label
                   WHERE {table}.expires_at IS NOT NULL AND {table}.expires_at <= $5";
        let (data, escaped) = escape::escape(&record.data);
        let created = record.created_at.unix_timestamp();
        let (owner, label) = owner_columns(record.owner.as_ref());
        let params: [&(dyn ToSql + Sync); 8] = [
            &key.as_str(),
            &data,
            &created,
            &seconds(record.expires_at),
            &self.now(),
            &escaped,
            &owner,
            &label,
        ];
        Ok(self.execute(sql, &params).await? == 1)
    }

    async fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        let sql = "SELECT data, created_at, expires_at, escaped, owner, owner_label
                   FROM {table} WHERE key = $1";
        let rows = self.query(sql, &[&key.as_str()]).await?;
        let record = rows.first().map(record_from);
        if record.as_ref().is_some_and(Option::is_none) {
            tracing::warn!(key = key.as_str(), "corrupt session row read as no session");
        }
        Ok(record.flatten())
    }

    async fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        // One statement: the row lock makes read-apply-write atomic per session. A row
        // without escapes holds no escape mark, so escaped values merge into it safely.
        let sql = "UPDATE {table} SET
                       data = ((CASE WHEN $2 THEN '{}'::jsonb ELSE data END) - $3::text[]) || $4,
                       expires_at = $5,
                       escaped = (escaped AND NOT $2) OR $7,
                       owner = CASE WHEN $8 THEN $9 ELSE owner END,
                       owner_label = CASE WHEN $8 THEN $10 ELSE owner_label END
                   WHERE key = $1 AND (expires_at IS NULL OR expires_at > $6)";
        let (set, escaped) = escape::escape(&changes.set);
        let removed = escape::escape_keys(&changes.removed);
        let (owner, label) = owner_columns(changes.owner.as_ref().and_then(Option::as_ref));
        let params: [&(dyn ToSql + Sync); 10] = [
            &key.as_str(),
            &changes.cleared,
            &removed.as_ref(),
            &set,
            &seconds(changes.expires_at),
            &self.now(),
            &escaped,
            &changes.owner.is_some(),
            &owner,
            &label,
        ];
        Ok(self.execute(sql, &params).await? == 1)
    }

    async fn touch(&self, key: &StorageKey, expires_at: Option<OffsetDateTime>) -> Result<bool> {
        let sql = "UPDATE {table} SET expires_at = $2
                   WHERE key = $1 AND (expires_at IS NULL OR expires_at > $3)";
        let params: [&(dyn ToSql + Sync); 3] = [&key.as_str(), &seconds(expires_at), &self.now()];
        Ok(self.execute(sql, &params).await? == 1)
    }

    async fn delete(&self, key: &StorageKey) -> Result<bool> {
        Ok(self
            .execute("DELETE FROM {table} WHERE key = $1", &[&key.as_str()])
            .await?
            == 1)
    }

    async fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
        let sql = "DELETE FROM {table} WHERE key = $1 AND expires_at <= $2";
        Ok(self.execute(sql, &[&key.as_str(), &self.now()]).await? == 1)
    }

    async fn list(&self) -> Result<Vec<StorageKey>> {
        let rows = self
            .query("SELECT key FROM {table} ORDER BY key", &[])
            .await?;
        let keys = rows.iter().filter_map(|row| row.try_get::<_, &str>(0).ok());
        Ok(keys.filter_map(StorageKey::parse).collect())
    }

    /// Deletes in bounded batches through the expiry index, skipping rows that a refresh
    /// holds at that moment (they are no longer expired once it commits).
    async fn prune(&self, progress: &Progress) -> Result<u64> {
        let now = self.now();
        let counted = self
            .query(
                "SELECT count(*) FROM {table} WHERE expires_at <= $1",
                &[&now],
            )
            .await?;
        let total = counted
            .first()
            .and_then(|row| row.try_get::<_, i64>(0).ok())
            .unwrap_or(0);
        let sql = "DELETE FROM {table} WHERE expires_at <= $1 AND key IN
                       (SELECT key FROM {table} WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)";
        let mut deleted = 0;
        loop {
            let batch = self.execute(sql, &[&now, &self.prune_batch]).await?;
            deleted += batch;
            progress.report(deleted, total.max(0) as u64);
            if batch == 0 {
                return Ok(deleted);
            }
        }
    }

    async fn user_records(&self, user: &UserKey) -> Result<Vec<(StorageKey, Record)>> {
        let sql = "SELECT key, data, created_at, expires_at, escaped, owner, owner_label
                   FROM {table} WHERE owner = $1 AND (expires_at IS NULL OR expires_at > $2)";
        let rows = self.query(sql, &[&user.as_str(), &self.now()]).await?;
        let keyed = |row: &tokio_postgres::Row| {
            Some((
                StorageKey::parse(row.try_get("key").ok()?)?,
                record_from(row)?,
            ))
        };
        Ok(rows.iter().filter_map(keyed).collect())
    }

    async fn delete_user_records(&self, user: &UserKey, keep: Option<&StorageKey>) -> Result<u64> {
        let sql = "DELETE FROM {table} WHERE owner = $1 AND key IS DISTINCT FROM $2
                   AND (expires_at IS NULL OR expires_at > $3)";
        let keep = keep.map(StorageKey::as_str);
        self.execute(sql, &[&user.as_str(), &keep, &self.now()])
            .await
    }

    fn clock(&self) -> Clock {
        self.clock.clone()
    }

    fn backend_name(&self) -> &'static str {
        "postgres"
    }
}
