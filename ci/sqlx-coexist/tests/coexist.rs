//! satchel's SQLite store and sqlx's SQLite driver in one binary, on one database file.

use satchel::{SessionStore as _, SessionStoreExt as _, SqliteStore};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions as _, Row as _};

#[tokio::test]
async fn satchel_and_sqlx_share_sqlite() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("app.db");

    // One save and one load through satchel.
    let store = SqliteStore::open(&path)?;
    let mut session = store.new_session()?;
    session.insert("user", "alice")?;
    store.save(&mut session).await?;
    let loaded = store.get(session.id().as_str()).await?;
    assert_eq!(loaded.get::<String>("user")?.as_deref(), Some("alice"));
    assert_eq!(store.list().await?.len(), 1);

    // One query through sqlx, on the same file: it sees the session satchel committed.
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .connect()
        .await?;
    let row = sqlx::query("SELECT count(*) AS n, sqlite_version() AS v FROM satchel_sessions")
        .fetch_one(&mut conn)
        .await?;
    assert_eq!(row.try_get::<i64, _>("n")?, 1);
    let version: String = row.try_get("v")?;
    println!("one SQLite ({version}) linked for satchel and sqlx");
    Ok(())
}
