//! axum-messages 0.8 flash messages on every satchel store through `TowerStore`: set in
//! one request, shown once in the next, gone from the stored session after that.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use std::str::FromStr as _;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum_messages::{Messages, MessagesManagerLayer};
use common::{Kind, on, send};
use satchel::Clock;
use satchel::store::AnyStore;
use satchel_tower_sessions::TowerStore;
use tower_sessions::SessionManagerLayer;
use tower_sessions_core::SessionStore as _;
use tower_sessions_core::session::Id;

async fn flash(messages: Messages) -> &'static str {
    messages.info("profile saved").success("welcome back");
    "flashed"
}

async fn read(messages: Messages) -> String {
    let shown: Vec<String> = messages
        .into_iter()
        .map(|message| format!("{}: {}", message.level, message))
        .collect();
    if shown.is_empty() {
        "no messages".to_owned()
    } else {
        shown.join(", ")
    }
}

fn app(store: TowerStore<AnyStore>) -> Router {
    Router::new()
        .route("/flash", get(flash))
        .route("/read", get(read))
        .layer(MessagesManagerLayer)
        .layer(SessionManagerLayer::new(store).with_secure(false))
}

async fn flash_once(store: TowerStore<AnyStore>, _clock: Clock) {
    let app = app(store.clone());
    let set = send(&app, "GET", "/flash", None, "").await;
    assert_eq!(set.status, StatusCode::OK);
    let cookie = set.cookie.expect("flashing set a session cookie");
    let id = Id::from_str(&cookie).unwrap();
    assert!(
        store
            .load(&id)
            .await
            .unwrap()
            .is_some_and(|r| !r.data.is_empty())
    );

    let shown = send(&app, "GET", "/read", Some(&cookie), "").await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body, "Info: profile saved, Success: welcome back");

    let again = send(&app, "GET", "/read", Some(&cookie), "").await;
    assert_eq!(again.body, "no messages", "a flash message was shown twice");
    // Reading took the messages out of the record, and the save removed them from the store.
    let record = store
        .load(&id)
        .await
        .unwrap()
        .expect("the session is still stored");
    assert!(
        record
            .data
            .values()
            .all(|value| !value.to_string().contains("profile saved")),
        "the shown messages are still stored: {:?}",
        record.data
    );
}

#[tokio::test]
async fn memory_store() {
    on(Kind::Memory, flash_once).await;
}

#[tokio::test]
async fn filesystem_store() {
    on(Kind::Filesystem, flash_once).await;
}

#[tokio::test]
async fn sqlite_store() {
    on(Kind::Sqlite, flash_once).await;
}

#[tokio::test]
async fn redis_store() {
    on(Kind::Redis, flash_once).await;
}

#[tokio::test]
async fn redis_cluster_store() {
    on(Kind::RedisCluster, flash_once).await;
}

#[tokio::test]
async fn postgres_store() {
    on(Kind::Postgres, flash_once).await;
}
