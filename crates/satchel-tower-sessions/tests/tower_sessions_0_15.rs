//! `TowerStore` as tower-sessions 0.15's store (feature `tower-sessions-0-15`), on every
//! satchel store: the store semantics, and the 0.15 session layer in an axum app (a
//! counter, `cycle_id`, `flush`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use std::collections::HashMap;
use std::str::FromStr as _;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use common::{Kind, on, send};
use satchel::store::AnyStore;
use satchel::{Clock, SessionStore as _};
use satchel_tower_sessions::TowerStore;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use tower_sessions_0_15::{Session, SessionManagerLayer};
use tower_sessions_core_0_15::session::{Id, Record};
use tower_sessions_core_0_15::{ExpiredDeletion as _, SessionStore as _};

fn record(clock: &Clock, ttl: Duration, pairs: &[(&str, Value)]) -> Record {
    let expiry = (clock.now() + ttl).unix_timestamp();
    Record {
        id: Id::default(),
        data: pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), value.clone()))
            .collect::<HashMap<_, _>>(),
        expiry_date: OffsetDateTime::from_unix_timestamp(expiry).unwrap(),
    }
}

async fn semantics(store: TowerStore<AnyStore>, clock: Clock) {
    // Create and load; keyed by the SHA-256 of the cookie text.
    let mut first = record(
        &clock,
        Duration::hours(1),
        &[("a", json!(1)), ("b", json!(1))],
    );
    store.create(&mut first).await.unwrap();
    assert_eq!(store.load(&first.id).await.unwrap(), Some(first.clone()));
    let keys = store.inner().list().await.unwrap();
    assert!(!keys[0].as_str().contains(&first.id.to_string()));

    // A colliding id is re-drawn.
    let mut second = record(&clock, Duration::minutes(1), &[("owner", json!("second"))]);
    second.id = first.id;
    store.create(&mut second).await.unwrap();
    assert_ne!(second.id, first.id);
    assert_eq!(store.load(&first.id).await.unwrap(), Some(first.clone()));

    // A save replaces the whole record.
    first.data = HashMap::from([("b".to_owned(), json!(2))]);
    store.save(&first).await.unwrap();
    assert_eq!(store.load(&first.id).await.unwrap(), Some(first.clone()));

    // Expired: not returned, not revived by a save, pruned.
    clock.advance(Duration::minutes(2));
    assert_eq!(store.load(&second.id).await.unwrap(), None);
    store.save(&second).await.unwrap();
    assert_eq!(store.load(&second.id).await.unwrap(), None);
    store.delete_expired().await.unwrap();
    assert_eq!(store.inner().list().await.unwrap().len(), 1);

    // Deleted: a later save does not resurrect it.
    store.delete(&first.id).await.unwrap();
    store.save(&first).await.unwrap();
    assert_eq!(store.load(&first.id).await.unwrap(), None);
    assert!(store.inner().list().await.unwrap().is_empty());
}

async fn count(session: Session) -> Result<String, StatusCode> {
    let failed = |_| StatusCode::INTERNAL_SERVER_ERROR;
    let n = session.get::<u64>("n").await.map_err(failed)?.unwrap_or(0) + 1;
    session.insert("n", n).await.map_err(failed)?;
    Ok(n.to_string())
}

async fn cycle(session: Session) -> StatusCode {
    match session.cycle_id().await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn flush(session: Session) -> StatusCode {
    match session.flush().await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn session_layer(store: TowerStore<AnyStore>, _clock: Clock) {
    let app = Router::new()
        .route("/count", get(count))
        .route("/cycle", post(cycle))
        .route("/flush", post(flush))
        .layer(SessionManagerLayer::new(store.clone()).with_secure(false));

    let one = send(&app, "GET", "/count", None, "").await;
    assert_eq!(one.body, "1");
    let first = one.cookie.expect("a session cookie");
    assert_eq!(
        send(&app, "GET", "/count", Some(&first), "").await.body,
        "2"
    );

    let cycled = send(&app, "POST", "/cycle", Some(&first), "").await;
    assert_eq!(cycled.status, StatusCode::OK);
    let second = cycled.cookie.expect("a new session cookie");
    assert_ne!(second, first);
    assert_eq!(
        store.load(&Id::from_str(&first).unwrap()).await.unwrap(),
        None
    );
    assert_eq!(
        send(&app, "GET", "/count", Some(&second), "").await.body,
        "3"
    );

    assert_eq!(
        send(&app, "POST", "/flush", Some(&second), "").await.status,
        StatusCode::OK
    );
    assert!(store.inner().list().await.unwrap().is_empty());
    let fresh = send(&app, "GET", "/count", Some(&second), "").await;
    assert_eq!(fresh.body, "1", "the flushed session came back");
}

async fn both(kind: Kind) {
    on(kind, semantics).await;
    on(kind, session_layer).await;
}

#[tokio::test]
async fn memory_store() {
    both(Kind::Memory).await;
}

#[tokio::test]
async fn filesystem_store() {
    both(Kind::Filesystem).await;
}

#[tokio::test]
async fn sqlite_store() {
    both(Kind::Sqlite).await;
}

#[tokio::test]
async fn redis_store() {
    both(Kind::Redis).await;
}

#[tokio::test]
async fn redis_cluster_store() {
    both(Kind::RedisCluster).await;
}

#[tokio::test]
async fn postgres_store() {
    both(Kind::Postgres).await;
}
