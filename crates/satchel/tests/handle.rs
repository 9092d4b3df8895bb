//! The handler API without traps: each pitfall of the old guard-only API, as a test.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use common::{body_text, send, set_cookie_header, set_cookie_value};
use satchel::{CookieConfig, Error, MemoryStore, SameSite, SessionHandle, SessionLayer};

/// Long enough for any of these calls on an idle machine; a hang would run into it.
const PATIENCE: Duration = Duration::from_secs(5);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, future)
        .await
        .unwrap_or_else(|_| panic!("{what} hung"))
}

/// Several handle calls one after another in one handler, and a guard taken after them.
async fn several_calls(handle: SessionHandle) -> Result<String, Error> {
    handle.insert("a", 1).await?;
    handle.insert("b", 2).await?;
    let a: u32 = handle.get("a").await?.unwrap_or_default();
    let guard = handle.load().await?;
    let b: u32 = guard.get("b")?.unwrap_or_default();
    drop(guard);
    let visits = handle
        .update("visits", |n: Option<u32>| n.unwrap_or(0) + 1)
        .await?;
    Ok(format!("{a} {b} {visits}"))
}

/// Takes a guard and, while holding it, uses the handle again.
async fn nested(handle: SessionHandle) -> Result<String, Error> {
    let mut guard = handle.load().await?;
    guard.insert("outer", true)?;
    let second = handle.load().await.map(|_| ());
    let call = handle.get::<bool>("outer").await.map(|_| ());
    drop(guard);
    Ok(format!("{second:?} {call:?}"))
}

/// Hands the session to a spawned task that outlives the handler for a moment.
async fn spawned(handle: SessionHandle) -> Result<&'static str, Error> {
    let mut guard = handle.load().await?;
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        guard.insert("late", true).unwrap();
    });
    Ok("spawned")
}

async fn read(handle: SessionHandle) -> Result<axum::Json<serde_json::Value>, Error> {
    Ok(axum::Json(serde_json::Value::Object(
        handle.load().await?.data().clone(),
    )))
}

fn app(layer: SessionLayer<MemoryStore>) -> Router {
    Router::new()
        .route("/several", post(several_calls))
        .route("/nested", post(nested))
        .route("/spawned", post(spawned))
        .route("/read", get(read))
        .layer(layer)
}

#[tokio::test]
async fn sequential_handle_calls_in_one_handler_complete() {
    let app = app(SessionLayer::new(MemoryStore::new()));
    let response = within("the handler", send(&app, "POST", "/several", None, "")).await;
    let cookie = set_cookie_value(&response).expect("the session is saved");
    assert_eq!(body_text(response).await, "1 2 1");
    let again = within(
        "the handler",
        send(&app, "POST", "/several", Some(&cookie), ""),
    )
    .await;
    assert_eq!(body_text(again).await, "1 2 2");
}

#[tokio::test]
async fn a_second_acquisition_while_a_guard_lives_is_an_error_not_a_hang() {
    let app = app(SessionLayer::new(MemoryStore::new()));
    let response = within("the handler", send(&app, "POST", "/nested", None, "")).await;
    assert!(
        set_cookie_value(&response).is_some(),
        "the outer change is saved"
    );
    assert_eq!(
        body_text(response).await,
        "Err(SessionInUse) Err(SessionInUse)"
    );
}

#[tokio::test]
async fn the_response_waits_for_a_guard_held_by_a_spawned_task() {
    let app = app(SessionLayer::new(MemoryStore::new()));
    let response = within("the handler", send(&app, "POST", "/spawned", None, "")).await;
    let cookie = set_cookie_value(&response).expect("the late change is saved");
    let read = send(&app, "GET", "/read", Some(&cookie), "").await;
    assert_eq!(body_text(read).await, r#"{"late":true}"#);
}

#[tokio::test]
async fn typed_remove_returns_the_value_and_keeps_a_mismatch() {
    let handle = SessionHandle::new(MemoryStore::new(), None);
    handle.insert("cart", vec!["apple", "pear"]).await.unwrap();
    assert!(matches!(
        handle.remove::<u64>("cart").await,
        Err(Error::Decode(_))
    ));
    let cart: Option<Vec<String>> = handle.remove("cart").await.unwrap();
    assert_eq!(cart.unwrap(), ["apple", "pear"]);
    assert_eq!(handle.remove::<Vec<String>>("cart").await.unwrap(), None);
    assert!(handle.load().await.unwrap().is_empty());
}

#[tokio::test]
async fn update_is_read_modify_write_in_one_step() {
    let handle = SessionHandle::new(MemoryStore::new(), None);
    for expected in 1..=3u64 {
        let n = handle
            .update("n", |n: Option<u64>| n.unwrap_or(0) + 1)
            .await
            .unwrap();
        assert_eq!(n, expected);
    }
    handle.insert("n", "not a number").await.unwrap();
    let refused = handle
        .update("n", |n: Option<u64>| n.unwrap_or(0) + 1)
        .await;
    assert!(matches!(refused, Err(Error::Decode(_))));
    assert_eq!(
        handle.get::<String>("n").await.unwrap().as_deref(),
        Some("not a number")
    );
}

#[tokio::test]
async fn a_bad_cookie_config_is_refused_when_the_layer_is_built() {
    let bad = [
        CookieConfig::new()
            .with_name("__Host-sid")
            .with_domain("example.com"),
        CookieConfig::new()
            .with_name("__Secure-sid")
            .with_secure(false),
        CookieConfig::new()
            .with_same_site(SameSite::None)
            .with_secure(false),
        CookieConfig::new().with_name("bad name"),
    ];
    for config in bad {
        let layer = SessionLayer::new(MemoryStore::new()).with_cookie(config.clone());
        assert!(
            matches!(layer, Err(Error::InvalidConfig(_))),
            "{config:?} was accepted"
        );
    }
    let host = SessionLayer::new(MemoryStore::new())
        .with_cookie(CookieConfig::new().with_name("__Host-sid"))
        .unwrap();
    assert!(host.with_secure(false).is_err());
}

#[tokio::test]
async fn one_call_drops_secure_for_local_development() {
    let layer = SessionLayer::new(MemoryStore::new())
        .with_secure(false)
        .unwrap();
    let app = app(layer);
    let response = send(&app, "POST", "/several", None, "").await;
    let header = set_cookie_header(&response).unwrap();
    assert!(!header.contains("Secure"), "{header}");
    assert!(header.contains("HttpOnly"), "{header}");
}
