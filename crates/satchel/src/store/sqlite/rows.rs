//! The SQL of the store, one function per operation, over cached prepared statements.

use rusqlite::{Connection, OptionalExtension as _, params};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::changes::Changes;
use crate::owner::Owner;
use crate::record::Record;

pub(super) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS satchel_sessions (
        key TEXT PRIMARY KEY NOT NULL,
        data TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        owner TEXT,
        owner_label TEXT
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS satchel_sessions_expires_at
        ON satchel_sessions (expires_at) WHERE expires_at IS NOT NULL;";

/// The per-user index, after [`migrate`] added its columns to a table of an earlier version.
const OWNER_INDEX: &str = "
    CREATE INDEX IF NOT EXISTS satchel_sessions_owner
        ON satchel_sessions (owner) WHERE owner IS NOT NULL;";

/// Brings a table made by an earlier satchel up to this schema: the owner columns.
pub(super) fn migrate(db: &Connection) -> rusqlite::Result<()> {
    let has_owner: bool = db.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('satchel_sessions') WHERE name = 'owner'",
        [],
        |row| row.get(0),
    )?;
    if !has_owner {
        db.execute_batch(
            "ALTER TABLE satchel_sessions ADD COLUMN owner TEXT;
             ALTER TABLE satchel_sessions ADD COLUMN owner_label TEXT;",
        )?;
    }
    db.execute_batch(OWNER_INDEX)
}

/// Rows deleted per statement when pruning, so the write lock is held only briefly.
pub(super) const PRUNE_BATCH: i64 = 1000;

fn seconds(at: Option<OffsetDateTime>) -> Option<i64> {
    at.map(OffsetDateTime::unix_timestamp)
}

fn encode(data: &Map<String, Value>) -> rusqlite::Result<String> {
    serde_json::to_string(data)
        .map_err(|err| rusqlite::Error::ToSqlConversionFailure(Box::new(err)))
}

pub(super) fn create(
    db: &Connection,
    key: &str,
    record: &Record,
    now: i64,
) -> rusqlite::Result<bool> {
    let mut insert = db.prepare_cached(
        "INSERT INTO satchel_sessions (key, data, created_at, expires_at, owner, owner_label)
         VALUES (?1, ?2, ?3, ?4, ?6, ?7)
         ON CONFLICT (key) DO UPDATE SET
             data = excluded.data, created_at = excluded.created_at, expires_at = excluded.expires_at,
             owner = excluded.owner, owner_label = excluded.owner_label
         WHERE satchel_sessions.expires_at IS NOT NULL AND satchel_sessions.expires_at <= ?5",
    )?;
    let data = encode(&record.data)?;
    let created = record.created_at.unix_timestamp();
    let (owner, label) = owner_columns(record);
    let row = params![
        key,
        data,
        created,
        seconds(record.expires_at),
        now,
        owner,
        label
    ];
    Ok(insert.execute(row)? == 1)
}

fn owner_columns(record: &Record) -> (Option<&str>, Option<&str>) {
    let owner = record.owner.as_ref();
    (
        owner.map(|o| o.user().as_str()),
        owner.and_then(Owner::label),
    )
}

pub(super) fn load(db: &Connection, key: &str) -> rusqlite::Result<Option<Record>> {
    let mut select = db.prepare_cached(
        "SELECT data, created_at, expires_at, owner, owner_label FROM satchel_sessions WHERE key = ?1",
    )?;
    let row = select.query_row([key], Row::read).optional()?;
    Ok(row.and_then(|row| row.decode(key)))
}

/// The live sessions of `user`, by the owner index.
pub(super) fn owned_by(
    db: &Connection,
    user: &str,
    now: i64,
) -> rusqlite::Result<Vec<(String, Record)>> {
    let mut select = db.prepare_cached(
        "SELECT data, created_at, expires_at, owner, owner_label, key FROM satchel_sessions
         WHERE owner = ?1 AND (expires_at IS NULL OR expires_at > ?2)",
    )?;
    let rows = select.query_map(params![user, now], |row| {
        Ok((Row::read(row)?, row.get::<_, String>(5)?))
    })?;
    let mut found = Vec::new();
    for row in rows {
        let (row, key) = row?;
        found.extend(row.decode(&key).map(|record| (key, record)));
    }
    Ok(found)
}

/// Deletes the live sessions of `user` but the one under `keep`, in one statement.
pub(super) fn delete_owned(
    db: &Connection,
    user: &str,
    keep: Option<&str>,
    now: i64,
) -> rusqlite::Result<u64> {
    let mut delete = db.prepare_cached(
        "DELETE FROM satchel_sessions
         WHERE owner = ?1 AND key IS NOT ?2 AND (expires_at IS NULL OR expires_at > ?3)",
    )?;
    Ok(delete.execute(params![user, keep, now])? as u64)
}

/// A session's columns, as read.
struct Row {
    data: String,
    created: i64,
    expires: Option<i64>,
    owner: Option<String>,
    label: Option<String>,
}

impl Row {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            data: row.get(0)?,
            created: row.get(1)?,
            expires: row.get(2)?,
            owner: row.get(3)?,
            label: row.get(4)?,
        })
    }

    /// The row as a record; a corrupt one is reported and read as no session.
    fn decode(self, key: &str) -> Option<Record> {
        let record = || {
            let data = serde_json::from_str(&self.data).ok()?;
            let mut record = Record::from_unix_seconds(data, self.created, self.expires)?;
            if let Some(user) = &self.owner {
                record.owner = Some(Owner::from_stored(user, self.label.as_deref())?);
            }
            Some(record)
        };
        let record = record();
        if record.is_none() {
            tracing::warn!(key, "corrupt session row read as no session");
        }
        record
    }
}

/// Reads, applies and writes; the caller runs it inside a write transaction.
pub(super) fn update(
    db: &Connection,
    key: &str,
    changes: &Changes,
    now: i64,
) -> rusqlite::Result<bool> {
    let live = load(db, key)?
        .filter(|record| record.expires_at.is_none_or(|at| at.unix_timestamp() > now));
    let Some(mut record) = live else {
        return Ok(false);
    };
    record.apply(changes);
    let mut write = db.prepare_cached(
        "UPDATE satchel_sessions SET data = ?2, expires_at = ?3, owner = ?4, owner_label = ?5
         WHERE key = ?1",
    )?;
    let (owner, label) = owner_columns(&record);
    let data = encode(&record.data)?;
    write.execute(params![key, data, seconds(record.expires_at), owner, label])?;
    Ok(true)
}

/// Writes only the expiry of a live session.
pub(super) fn touch(
    db: &Connection,
    key: &str,
    expires_at: Option<OffsetDateTime>,
    now: i64,
) -> rusqlite::Result<bool> {
    let mut write = db.prepare_cached(
        "UPDATE satchel_sessions SET expires_at = ?2
         WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?3)",
    )?;
    Ok(write.execute(params![key, seconds(expires_at), now])? == 1)
}

pub(super) fn delete(db: &Connection, key: &str) -> rusqlite::Result<bool> {
    let mut delete = db.prepare_cached("DELETE FROM satchel_sessions WHERE key = ?1")?;
    Ok(delete.execute([key])? == 1)
}

pub(super) fn delete_expired(db: &Connection, key: &str, now: i64) -> rusqlite::Result<bool> {
    let mut delete =
        db.prepare_cached("DELETE FROM satchel_sessions WHERE key = ?1 AND expires_at <= ?2")?;
    Ok(delete.execute(params![key, now])? == 1)
}

pub(super) fn keys(db: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut query = db.prepare_cached("SELECT key FROM satchel_sessions ORDER BY key")?;
    let rows = query.query_map([], |row| row.get(0))?;
    rows.collect()
}

pub(super) fn count_expired(db: &Connection, now: i64) -> rusqlite::Result<u64> {
    let mut count =
        db.prepare_cached("SELECT count(*) FROM satchel_sessions WHERE expires_at <= ?1")?;
    let total: i64 = count.query_row([now], |row| row.get(0))?;
    Ok(total.max(0) as u64)
}

/// Deletes up to one batch of expired rows through the expiry index.
pub(super) fn prune_batch(db: &Connection, now: i64) -> rusqlite::Result<u64> {
    let mut delete = db.prepare_cached(
        "DELETE FROM satchel_sessions WHERE key IN
             (SELECT key FROM satchel_sessions WHERE expires_at <= ?1 LIMIT ?2)",
    )?;
    Ok(delete.execute(params![now, PRUNE_BATCH])? as u64)
}
