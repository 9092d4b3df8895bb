//! `GET /incr` on satchel: read `n` from the session, store `n + 1`, return it.
//! Usage: `satchel-incr ADDR STORE_URL` with `memory:`, `file:DIR`, `sqlite:PATH`,
//! `redis://…`, `postgres://…` or `cookie:`. Each store is used through its own type, the
//! way an application that knows its store writes it (no `AnyStore` indirection).

use axum::Router;
use axum::routing::get;
use satchel::cookie::{CookieSessions, Key};
use satchel::{
    FilesystemStore, MemoryStore, PostgresStore, RedisStore, SessionHandle, SessionLayer,
    SessionStore, SqliteStore,
};

async fn incr(session: SessionHandle) -> Result<String, satchel::Error> {
    let n = session
        .update("n", |n: Option<u64>| n.unwrap_or(0) + 1)
        .await?;
    Ok(n.to_string())
}

fn app<S: SessionStore>(layer: SessionLayer<S>) -> Router {
    Router::new().route("/incr", get(incr)).layer(layer)
}

async fn router(url: &str) -> satchel::Result<Router> {
    let (scheme, rest) = url.split_once(':').unwrap_or((url, ""));
    Ok(match scheme {
        "memory" => app(SessionLayer::new(MemoryStore::new())),
        "file" => app(SessionLayer::new(FilesystemStore::new(rest)?)),
        "sqlite" => app(SessionLayer::new(SqliteStore::open(rest)?)),
        "redis" => app(SessionLayer::new(RedisStore::open(url).await?)),
        "postgres" => app(SessionLayer::new(PostgresStore::new(url)?)),
        "cookie" => app(SessionLayer::in_cookie(CookieSessions::new(
            Key::generate()?
        ))),
        _ => {
            return Err(satchel::Error::InvalidConfig(format!(
                "unknown store `{url}`"
            )));
        }
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:3100".into());
    let store = args.next().unwrap_or_else(|| "memory:".into());
    let app = router(&store).await?;
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
