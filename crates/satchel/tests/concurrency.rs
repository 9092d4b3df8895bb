//! Concurrent requests on one session: changes to different keys all survive, in every
//! store, and a session deleted meanwhile never comes back.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use common::{FsStores, app, body_text, memory, now_clock, send, set_cookie_value};
use satchel::{SessionLayer, SessionStore, SessionStoreExt};

const WRITERS: usize = 64;

/// 64 requests at once, each setting its own key on one session.
async fn distinct_keys_all_survive<S: SessionStore>(store: S) {
    let app = app(SessionLayer::new(store));
    let cookie = set_cookie_value(&send(&app, "POST", "/insert/start", None, "0").await).unwrap();
    let tasks: Vec<_> = (0..WRITERS)
        .map(|n| {
            let (app, cookie) = (app.clone(), cookie.clone());
            tokio::spawn(async move {
                let response =
                    send(&app, "POST", &format!("/insert/key{n}"), Some(&cookie), "x").await;
                assert_eq!(response.status(), 200);
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let read = send(&app, "GET", "/read", Some(&cookie), "").await;
    let data: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&body_text(read).await).unwrap();
    let present = (0..WRITERS)
        .filter(|n| data.contains_key(&format!("key{n}")))
        .count();
    println!("keys present: {present}/{WRITERS}");
    assert_eq!(present, WRITERS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store_loses_no_update() {
    distinct_keys_all_survive(memory(now_clock())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn filesystem_store_loses_no_update() {
    let stores = FsStores::new();
    distinct_keys_all_survive(stores.fresh(now_clock())).await;
}

/// A logout racing 100 slow writers that loaded the session before it and save after it.
async fn logout_is_never_undone<S: SessionStore + Clone>(store: S) {
    let mut session = store.new_session().unwrap();
    session.insert("user", "alice").unwrap();
    store.save(&mut session).await.unwrap();
    let mut writers = Vec::new();
    for _ in 0..100 {
        writers.push(store.get(session.id().as_str()).await.unwrap());
    }
    let mut logout = store.get(session.id().as_str()).await.unwrap();
    logout.destroy();
    store.save(&mut logout).await.unwrap();
    let tasks: Vec<_> = writers
        .into_iter()
        .enumerate()
        .map(|(n, mut writer)| {
            let store = store.clone();
            tokio::spawn(async move {
                writer.insert(format!("late{n}"), n).unwrap();
                store.save(&mut writer).await.unwrap()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), satchel::store::SaveOutcome::Gone);
    }
    common::assert_store_empty(&store, session.id()).await;
}

/// The logout itself in the middle of 100 writers saving at the same moment.
async fn logout_amid_concurrent_writers_is_never_undone<S: SessionStore + Clone>(store: S) {
    let mut session = store.new_session().unwrap();
    session.insert("user", "alice").unwrap();
    store.save(&mut session).await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..101 {
        let (store, id) = (store.clone(), session.id().as_str().to_owned());
        tasks.push(tokio::spawn(async move {
            let mut loaded = store.get(&id).await.unwrap();
            if n == 50 {
                loaded.destroy();
            } else {
                loaded.insert(format!("k{n}"), n).unwrap();
            }
            store.save(&mut loaded).await.unwrap()
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    // Writers that loaded after the logout got fresh sessions under new ids, as any new
    // visitor would; the logged-out id itself must stay gone.
    let key = store.ids().storage_key(session.id());
    assert!(
        store.load(&key).await.unwrap().is_none(),
        "a write brought the session back"
    );
    assert!(!store.list().await.unwrap().contains(&key));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logout_amid_writers_in_memory_and_on_disk() {
    logout_amid_concurrent_writers_is_never_undone(memory(now_clock())).await;
    let stores = FsStores::new();
    logout_amid_concurrent_writers_is_never_undone(stores.fresh(now_clock())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logout_is_never_undone_in_memory() {
    logout_is_never_undone(memory(now_clock())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logout_is_never_undone_on_disk() {
    let stores = FsStores::new();
    logout_is_never_undone(stores.fresh(now_clock())).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_store_loses_no_update_and_never_resurrects() {
    let dir = tempfile::tempdir().unwrap();
    distinct_keys_all_survive(common::sqlite(dir.path(), now_clock())).await;
    logout_is_never_undone(common::sqlite(dir.path(), now_clock())).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_store_loses_no_update_and_never_resurrects() {
    let Some(tables) = common::PgTables::new() else {
        return;
    };
    distinct_keys_all_survive(tables.fresh(now_clock())).await;
    logout_is_never_undone(tables.fresh(now_clock())).await;
    tables.drop_all().await;
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_store_loses_no_update_and_never_resurrects() {
    let Some(stores) = common::RedisStores::server() else {
        return;
    };
    distinct_keys_all_survive(stores.fresh(now_clock())).await;
    logout_is_never_undone(stores.fresh(now_clock())).await;
    stores.clear_all().await;
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_cluster_store_loses_no_update_and_never_resurrects() {
    let Some(stores) = common::RedisStores::cluster() else {
        return;
    };
    distinct_keys_all_survive(stores.fresh(now_clock())).await;
    logout_is_never_undone(stores.fresh(now_clock())).await;
    stores.clear_all().await;
}
