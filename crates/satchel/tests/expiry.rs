//! Server-side expiry with a controlled clock: idle and absolute timeouts enforced on load,
//! read-only requests refreshing only the deadline, and pruning that spares refreshed
//! sessions.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use common::probe::ProbeStore;
use common::{
    FsStores, app, body_text, memory, now_clock, send, set_cookie_header, set_cookie_value,
};
use satchel::{Clock, CookieConfig, Expiry, SessionLayer, SessionStore, SessionStoreExt};
use time::Duration;

const IDLE: Duration = Duration::minutes(30);
const ABSOLUTE: Duration = Duration::hours(12);

fn policy() -> Expiry {
    Expiry::new()
        .with_idle_timeout(IDLE)
        .with_absolute_timeout(ABSOLUTE)
}

async fn logged_in(app: &axum::Router) -> String {
    set_cookie_value(&send(app, "POST", "/insert/user", None, "alice").await).unwrap()
}

async fn is_alive(app: &axum::Router, cookie: &str) -> bool {
    let body = body_text(send(app, "GET", "/read", Some(cookie), "").await).await;
    body.contains("alice")
}

async fn idle_timeout_is_exact<S: SessionStore + Clone>(store: S, clock: &Clock) {
    let app = app(SessionLayer::new(store).with_expiry(policy()));
    let (early, late) = (logged_in(&app).await, logged_in(&app).await);
    clock.advance(IDLE - Duration::seconds(1));
    assert!(is_alive(&app, &early).await, "gone at idle - 1 s");
    clock.advance(Duration::seconds(2));
    assert!(!is_alive(&app, &late).await, "alive at idle + 1 s");
    // The early one was used at idle - 1 s, which moved its deadline.
    assert!(is_alive(&app, &early).await);
}

async fn absolute_timeout_wins_over_activity<S: SessionStore + Clone>(store: S, clock: &Clock) {
    let app = app(SessionLayer::new(store).with_expiry(policy()));
    let cookie = logged_in(&app).await;
    let start = clock.now();
    while clock.now() - start < ABSOLUTE - Duration::minutes(1) {
        clock.advance(Duration::minutes(1));
        assert!(
            is_alive(&app, &cookie).await,
            "gone after {}",
            clock.now() - start
        );
    }
    clock.advance(Duration::seconds(59));
    assert!(is_alive(&app, &cookie).await, "gone at absolute - 1 s");
    clock.advance(Duration::seconds(2));
    assert!(!is_alive(&app, &cookie).await, "alive at absolute + 1 s");
}

async fn a_kept_or_edited_cookie_changes_nothing<S: SessionStore + Clone>(store: S, clock: &Clock) {
    let config = CookieConfig::new().with_persistent(true);
    let app = app(SessionLayer::new(store.clone())
        .with_expiry(policy())
        .with_cookie(config)
        .unwrap());
    let first = send(&app, "POST", "/insert/user", None, "alice").await;
    assert!(set_cookie_header(&first).unwrap().contains("Max-Age=1800"));
    let cookie = set_cookie_value(&first).unwrap();
    clock.advance(IDLE + Duration::seconds(1));
    // The browser was told to drop it; a client that keeps it anyway gets nothing.
    assert!(!is_alive(&app, &cookie).await);
    let mut edited = cookie.clone().into_bytes();
    edited[5] = if edited[5] == b'a' { b'b' } else { b'a' };
    assert!(!is_alive(&app, std::str::from_utf8(&edited).unwrap()).await);
    // Expired records are never handed out, even though the store still holds them.
    assert_eq!(store.list().await.unwrap().len(), 1);
    assert_eq!(
        store
            .prune(&satchel::store::Progress::none())
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn idle_timeout_in_memory_and_on_disk() {
    let clock = now_clock();
    idle_timeout_is_exact(memory(clock.clone()), &clock).await;
    let (stores, clock) = (FsStores::new(), now_clock());
    idle_timeout_is_exact(stores.fresh(clock.clone()), &clock).await;
}

#[tokio::test]
async fn absolute_timeout_in_memory_and_on_disk() {
    let clock = now_clock();
    absolute_timeout_wins_over_activity(memory(clock.clone()), &clock).await;
    let (stores, clock) = (FsStores::new(), now_clock());
    absolute_timeout_wins_over_activity(stores.fresh(clock.clone()), &clock).await;
}

#[tokio::test]
async fn kept_or_edited_cookies_in_memory_and_on_disk() {
    let clock = now_clock();
    a_kept_or_edited_cookie_changes_nothing(memory(clock.clone()), &clock).await;
    let (stores, clock) = (FsStores::new(), now_clock());
    a_kept_or_edited_cookie_changes_nothing(stores.fresh(clock.clone()), &clock).await;
}

#[tokio::test]
async fn a_shorter_absolute_timeout_applies_to_sessions_stored_under_a_longer_one() {
    let clock = now_clock();
    let store = memory(clock.clone());
    let lenient = app(SessionLayer::new(store.clone()).with_expiry(Expiry::never()));
    let cookie = logged_in(&lenient).await;
    clock.advance(Duration::hours(2));
    let strict = app(SessionLayer::new(store).with_absolute_timeout(Duration::hours(1)));
    assert!(!is_alive(&strict, &cookie).await);
    assert!(is_alive(&lenient, &cookie).await);
}

/// Sessions saved under a one-hour idle timeout, the layer restarted with ten minutes: one
/// unused for 11 minutes is gone at its next request; one younger than ten minutes is kept,
/// its deadline brought forward, and from then on the ten minutes apply to it.
async fn a_shorter_idle_timeout_applies_at_the_next_request<S: SessionStore + Clone>(
    store: S,
    clock: &Clock,
) {
    let hour = app(SessionLayer::new(store.clone()).with_idle_timeout(Duration::hours(1)));
    let unused = logged_in(&hour).await;
    clock.advance(Duration::minutes(6));
    let young = logged_in(&hour).await;
    clock.advance(Duration::minutes(5));
    let ten = app(SessionLayer::new(store).with_idle_timeout(Duration::minutes(10)));
    assert!(
        !is_alive(&ten, &unused).await,
        "unused for 11 min, yet alive"
    );
    assert!(is_alive(&ten, &young).await, "5 min old, yet gone");
    clock.advance(Duration::minutes(9));
    assert!(is_alive(&ten, &young).await, "used 9 min ago, yet gone");
    clock.advance(Duration::minutes(11));
    assert!(
        !is_alive(&ten, &young).await,
        "unused for 11 min, yet alive"
    );
}

#[tokio::test]
async fn a_shorter_idle_timeout_applies_in_memory_and_on_disk() {
    let clock = now_clock();
    a_shorter_idle_timeout_applies_at_the_next_request(memory(clock.clone()), &clock).await;
    let (stores, clock) = (FsStores::new(), now_clock());
    a_shorter_idle_timeout_applies_at_the_next_request(stores.fresh(clock.clone()), &clock).await;
}

#[tokio::test]
async fn reads_refresh_the_deadline_at_most_once_per_interval() {
    let clock = now_clock();
    // Counts writes, to show that reads refresh only the deadline, and not too often.
    let store = ProbeStore::around(memory(clock.clone()));
    let policy = policy().with_touch_interval(Duration::minutes(1));
    let app = app(SessionLayer::new(store.clone()).with_expiry(policy));
    let cookie = logged_in(&app).await;
    let key = store
        .ids()
        .storage_key(&satchel::SessionId::parse(&cookie).unwrap());
    let deadline = || async { store.load(&key).await.unwrap().unwrap().expires_at.unwrap() };
    let first = deadline().await;

    clock.advance(Duration::seconds(30));
    let read = send(&app, "GET", "/read", Some(&cookie), "").await;
    assert!(set_cookie_header(&read).is_none());
    assert_eq!(store.touches(), 0, "touched within the interval");

    clock.advance(Duration::seconds(31));
    send(&app, "GET", "/read", Some(&cookie), "").await;
    send(&app, "GET", "/read", Some(&cookie), "").await;
    assert_eq!(store.touches(), 1);
    assert_eq!(deadline().await, first + Duration::seconds(61));
    // The touch changed no data and wrote no data: only the deadline moved.
    assert_eq!(store.updates(), 0);
    let body = body_text(send(&app, "GET", "/read", Some(&cookie), "").await).await;
    assert_eq!(body, r#"{"user":"alice"}"#);
}

/// Pruning and refreshing at the same moment: a session is either refreshed and kept, or
/// found expired and pruned, never refreshed and then deleted.
async fn prune_spares_refreshed_sessions<S: SessionStore + Clone>(store: S, clock: Clock) {
    let mut keys = Vec::new();
    for _ in 0..200 {
        let mut session = store.new_session().unwrap();
        session.insert("n", 1).unwrap();
        session.set_expires_at(Some(clock.now() + Duration::seconds(1)));
        store.save(&mut session).await.unwrap();
        keys.push(store.ids().storage_key(session.id()));
    }
    let far = clock.now() + Duration::hours(1);
    let touches: Vec<_> = keys
        .iter()
        .cloned()
        .map(|key| {
            let store = store.clone();
            tokio::spawn(async move { store.touch(&key, Some(far)).await.unwrap() })
        })
        .collect();
    tokio::task::yield_now().await;
    clock.advance(Duration::seconds(1));
    let pruned = store
        .prune(&satchel::store::Progress::none())
        .await
        .unwrap();
    let mut refreshed = 0;
    for (key, touch) in keys.iter().zip(touches) {
        let touched = touch.await.unwrap();
        let exists = store.load(key).await.unwrap().is_some();
        assert_eq!(
            touched, exists,
            "refreshed {touched}, still stored {exists}"
        );
        refreshed += usize::from(touched);
    }
    println!("refreshed {refreshed}, pruned {pruned} of 200");
    assert_eq!(
        refreshed as u64
            + pruned
            + store
                .prune(&satchel::store::Progress::none())
                .await
                .unwrap(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn prune_spares_refreshed_sessions_in_memory() {
    let clock = now_clock();
    prune_spares_refreshed_sessions(memory(clock.clone()), clock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn prune_spares_refreshed_sessions_on_disk() {
    let (stores, clock) = (FsStores::new(), now_clock());
    prune_spares_refreshed_sessions(stores.fresh(clock.clone()), clock).await;
}

#[tokio::test]
async fn the_background_pruner_prunes() {
    let clock = now_clock();
    let store = memory(clock.clone());
    let mut session = store.new_session().unwrap();
    session.insert("n", 1).unwrap();
    session.set_expires_at(Some(clock.now()));
    store.save(&mut session).await.unwrap();
    let pruner = satchel::store::spawn_pruner(store.clone(), std::time::Duration::from_millis(20));
    for _ in 0..500 {
        if store.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    pruner.abort();
    assert!(store.is_empty());
}

/// Every expiry case for one kind of store, each on a fresh store from `make`.
async fn all_expiry_cases<S: SessionStore + Clone>(make: impl Fn(Clock) -> S) {
    let clock = now_clock();
    idle_timeout_is_exact(make(clock.clone()), &clock).await;
    let clock = now_clock();
    absolute_timeout_wins_over_activity(make(clock.clone()), &clock).await;
    let clock = now_clock();
    a_kept_or_edited_cookie_changes_nothing(make(clock.clone()), &clock).await;
    let clock = now_clock();
    a_shorter_idle_timeout_applies_at_the_next_request(make(clock.clone()), &clock).await;
    let clock = now_clock();
    prune_spares_refreshed_sessions(make(clock.clone()), clock).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expiry_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    all_expiry_cases(|clock| common::sqlite(dir.path(), clock)).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expiry_in_postgres() {
    let Some(tables) = common::PgTables::new() else {
        return;
    };
    all_expiry_cases(|clock| tables.fresh(clock)).await;
    tables.drop_all().await;
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expiry_in_redis() {
    let Some(stores) = common::RedisStores::server() else {
        return;
    };
    all_expiry_cases(|clock| stores.fresh(clock)).await;
    stores.clear_all().await;
}
