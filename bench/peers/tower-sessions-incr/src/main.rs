//! `GET /incr` on tower-sessions: read `n`, store `n + 1`, return it. Usage:
//! `tower-sessions-incr ADDR STORE` with `memory:`, `sqlite:PATH` (WAL,
//! synchronous=NORMAL, as its users are told to run it), `redis://…` (fred) or
//! `postgres://…`. Sessions expire after 30 idle minutes, like satchel's default.

use std::str::FromStr as _;

use axum::Router;
use fred::prelude::{ClientLike as _, Config, Pool};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tower_sessions::MemoryStore;
use tower_sessions_incr::app;
use tower_sessions_redis_store::RedisStore;
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

type Failure = Box<dyn std::error::Error>;

async fn sqlite(url: &str) -> Result<Router, Failure> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let pool = SqlitePoolOptions::new().connect_with(options).await?;
    let store = SqliteStore::new(pool);
    store.migrate().await?;
    Ok(app(store))
}

async fn postgres(url: &str) -> Result<Router, Failure> {
    let store = PostgresStore::new(sqlx::PgPool::connect(url).await?);
    store.migrate().await?;
    Ok(app(store))
}

async fn redis(url: &str) -> Result<Router, Failure> {
    let pool = Pool::new(Config::from_url(url)?, None, None, None, 4)?;
    pool.connect();
    pool.wait_for_connect().await?;
    Ok(app(RedisStore::new(pool)))
}

async fn router(url: &str) -> Result<Router, Failure> {
    match url.split_once(':') {
        Some(("memory", _)) => Ok(app(MemoryStore::default())),
        Some(("sqlite", _)) => sqlite(url).await,
        Some(("postgres", _)) => postgres(url).await,
        Some(("redis", _)) => redis(url).await,
        _ => Err(format!("unknown store `{url}`").into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:3100".into());
    let store = args.next().unwrap_or_else(|| "memory:".into());
    let app = router(&store).await?;
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
