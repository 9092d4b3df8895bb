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
    let mut raw = stores.raw().await;
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

/// A user's index entries go with their sessions: at prune, once they are older than any
/// write takes (a younger one may be a session still being written).
#[tokio::test]
async fn prune_leaves_no_index_entry_past_its_session() {
    use satchel::{Owner, SessionStoreExt as _, UserKey, UserSessions as _};
    use sha2::Digest as _;

    let Some(stores) = common::RedisStores::server() else {
        return;
    };
    let prefix = format!("satchel-index:{}:", std::process::id());
    let store = stores.fresh(Clock::system()).with_prefix(prefix.clone());
    let alice = UserKey::hashed("alice");
    let mut sessions = Vec::new();
    for _ in 0..3 {
        let mut session = store.new_session().unwrap();
        session.set_owner(Some(Owner::new(alice.clone())));
        store.save(&mut session).await.unwrap();
        sessions.push(session);
    }
    store.destroy(&mut sessions[0]).await.unwrap();
    // The index's name: `user:` and the SHA-256 of the user key (`UserKey::index_name`).
    let hash =
        sha2::Sha256::digest([b"satchel.index\0".as_slice(), alice.as_str().as_bytes()].concat());
    let index = format!("{prefix}user:{}", hex::encode(hash));
    let mut raw = stores.raw().await;
    let count = |raw: &mut redis::aio::MultiplexedConnection| {
        let mut raw = raw.clone();
        let index = index.clone();
        async move {
            redis::cmd("ZCARD")
                .arg(&index)
                .query_async::<u64>(&mut raw)
                .await
                .unwrap()
        }
    };
    store.prune(&Progress::none()).await.unwrap();
    assert_eq!(count(&mut raw).await, 3, "a young entry went");
    // Two minutes on, as Redis sees the entries.
    let members: Vec<String> = redis::cmd("ZRANGE")
        .arg(&index)
        .arg(0)
        .arg(-1)
        .query_async(&mut raw)
        .await
        .unwrap();
    for member in &members {
        let _: () = redis::cmd("ZADD")
            .arg(&index)
            .arg("XX")
            .arg(0)
            .arg(member)
            .query_async(&mut raw)
            .await
            .unwrap();
    }
    store.prune(&Progress::none()).await.unwrap();
    assert_eq!(count(&mut raw).await, 2, "an entry outlived its session");
    assert_eq!(store.sessions_of(&alice).await.unwrap().len(), 2);
    assert_eq!(store.end_sessions_of(&alice, None).await.unwrap(), 2);
}

/// Redis' own TTL follows the session's expiry in five-minute steps (kept in `m:ttl`), so
/// most saves of a sliding session leave it alone; it is set again after any gap, and goes
/// with the expiry.
#[tokio::test]
async fn the_key_ttl_moves_in_steps_and_follows_the_expiry() {
    use satchel::Record;
    use time::{Duration, OffsetDateTime};

    let Some(stores) = common::RedisStores::server() else {
        return;
    };
    let prefix = format!("satchel-ttl:{}:", std::process::id());
    let store = stores.fresh(Clock::system()).with_prefix(prefix.clone());
    let key = SessionId::generate().unwrap().storage_key();
    let mut raw = stores.raw().await;
    let name = format!("{prefix}{key}");
    let expire_time = |raw: &mut redis::aio::MultiplexedConnection| {
        let mut raw = raw.clone();
        let name = name.clone();
        async move {
            let at: i64 = redis::cmd("EXPIRETIME")
                .arg(&name)
                .query_async(&mut raw)
                .await
                .unwrap();
            let ttl: Option<i64> = redis::cmd("HGET")
                .arg(&name)
                .arg("m:ttl")
                .query_async(&mut raw)
                .await
                .unwrap();
            (at, ttl)
        }
    };
    let change_expiry = |at: Option<OffsetDateTime>| Changes {
        expires_at: at,
        ..Changes::default()
    };

    // An hour on, just past the start of a step, so ten seconds more stay in it.
    let hour_on = OffsetDateTime::now_utc().unix_timestamp() + 3600;
    let start = hour_on - (hour_on + 60).rem_euclid(300) + 1;
    let at = OffsetDateTime::from_unix_timestamp(start).unwrap();
    let record = Record {
        expires_at: Some(at),
        ..Record::new()
    };
    assert!(store.create(&key, &record).await.unwrap());
    let (dropped, kept) = expire_time(&mut raw).await;
    assert_eq!(kept, Some(dropped), "m:ttl is the key's drop time");
    assert!(dropped >= start + 60 && dropped % 300 == 0);

    // A later deadline in the same step: the TTL stays, the expiry moves.
    assert!(
        store
            .update(&key, &change_expiry(Some(at + Duration::seconds(10))))
            .await
            .unwrap()
    );
    assert_eq!(expire_time(&mut raw).await.0, dropped);
    let loaded = store.load(&key).await.unwrap().unwrap();
    assert_eq!(loaded.expires_at, Some(at + Duration::seconds(10)));

    // A day later: the TTL moves with it.
    let later = at + Duration::days(1);
    assert!(
        store
            .update(&key, &change_expiry(Some(later)))
            .await
            .unwrap()
    );
    let (moved, kept) = expire_time(&mut raw).await;
    assert_eq!(kept, Some(moved));
    assert!(moved >= later.unix_timestamp() + 60 && moved < later.unix_timestamp() + 360);

    // No expiry: no TTL and no m:ttl; then an expiry again sets both.
    assert!(store.update(&key, &change_expiry(None)).await.unwrap());
    assert_eq!(expire_time(&mut raw).await, (-1, None));
    assert!(store.update(&key, &change_expiry(Some(at))).await.unwrap());
    assert_eq!(expire_time(&mut raw).await, (dropped, Some(dropped)));

    assert!(store.delete(&key).await.unwrap());
}
