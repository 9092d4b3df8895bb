//! What the Redis store's scripts make of hashes it did not write whole: one without
//! `m:created` (left by a foreign writer or a partial restore) is no session, is never
//! written into, and goes at the next prune. Needs the test Redis server
//! (`SATCHEL_TEST_REDIS_URL`); skipped with a message without one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use satchel::store::Progress;
use satchel::{Changes, Clock, SessionId, SessionStore as _};

#[tokio::test]
async fn a_hash_without_m_created_is_no_session_and_is_pruned() {
    let Some(stores) = common::RedisStores::server() else {
        return;
    };
    let prefix = format!("satchel-damaged:{}:", std::process::id());
    let store = stores.fresh(Clock::system()).with_prefix(prefix.clone());
    let key = SessionId::generate().unwrap().storage_key();
    let client = redis::Client::open(
        std::env::var("SATCHEL_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
    )
    .unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    let name = format!("{prefix}{key}");
    let _: () = redis::cmd("HSET")
        .arg(&name)
        .arg("d:n")
        .arg("1")
        .query_async(&mut raw)
        .await
        .unwrap();

    assert!(store.load(&key).await.unwrap().is_none());
    let mut changes = Changes::default();
    changes.set.insert("n".into(), 2.into());
    assert!(
        !store.update(&key, &changes).await.unwrap(),
        "written into a non-record"
    );
    let field: Option<String> = redis::cmd("HGET")
        .arg(&name)
        .arg("d:n")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(field.as_deref(), Some("1"));

    assert_eq!(store.prune(&Progress::none()).await.unwrap(), 1);
    let left: i64 = redis::cmd("EXISTS")
        .arg(&name)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
