//! The shared write-side limit: refused before any write, accepted and readable up to it.

use serde_json::{Value, json};

use super::{reload, saved};
use crate::error::Error;
use crate::limits::Limits;
use crate::store::{SaveOutcome, SessionStore, SessionStoreExt};

/// `depth` arrays, one inside the other, around a number.
pub(super) fn nested(depth: usize) -> Value {
    (0..depth).fold(json!(1), |inner, _| Value::Array(vec![inner]))
}

/// What the attacker sent: 127 nested arrays, one past serde_json's reach once a
/// store wraps it.
pub(super) async fn deep_values_are_refused_before_any_write<S: SessionStore>(store: &S) {
    let mut fresh = store.new_session().unwrap();
    fresh.insert_value("deep", nested(127));
    let refused = store.save(&mut fresh).await;
    assert!(matches!(refused, Err(Error::TooDeep { .. })), "{refused:?}");
    assert!(
        store.list().await.unwrap().is_empty(),
        "a refused create wrote"
    );

    let session = saved(store, json!({"keep": 1})).await;
    let mut loaded = reload(store, &session).await;
    assert!(matches!(
        loaded.insert("deep", nested(127)),
        Err(Error::TooDeep { .. })
    ));
    loaded.insert_value("deep", nested(127));
    assert!(matches!(
        store.save(&mut loaded).await,
        Err(Error::TooDeep { .. })
    ));
    *loaded.get_mut("keep").unwrap() = nested(40);
    loaded.remove_value("deep");
    assert!(matches!(
        store.save(&mut loaded).await,
        Err(Error::TooDeep { .. })
    ));
    let mut rotating = reload(store, &session).await;
    rotating.rotate_id().unwrap();
    rotating.insert_value("deep", nested(127));
    assert!(store.save(&mut rotating).await.is_err());
    assert_eq!(reload(store, &session).await.data(), session.data());
    assert_eq!(
        store.list().await.unwrap().len(),
        1,
        "a refused rotation wrote"
    );
}

/// A 10 MiB session and one of 100,000 keys: the clear error, and nothing stored.
pub(super) async fn oversized_sessions_are_refused<S: SessionStore>(store: &S) {
    let mut big = store.new_session().unwrap();
    big.insert_value("blob", json!("x".repeat(10 << 20)));
    let refused = store.save(&mut big).await;
    assert!(
        matches!(refused, Err(Error::TooLarge { limit, .. }) if limit == Limits::DEFAULT_MAX_BYTES),
        "{refused:?}"
    );
    let mut many = store.new_session().unwrap();
    for n in 0..100_000 {
        many.insert_value(format!("key{n:06}"), json!(n));
    }
    assert!(matches!(
        store.save(&mut many).await,
        Err(Error::TooLarge { .. })
    ));
    assert!(
        store.list().await.unwrap().is_empty(),
        "an oversized session was stored"
    );

    // Growing a stored session key by key stops at the limit too.
    let session = saved(store, json!({"a": "x".repeat(1000)})).await;
    let mut loaded = reload(store, &session).await;
    let chunk = "y".repeat(64 * 1024);
    let mut refused = None;
    for n in 0..20 {
        if let Err(err) = loaded.insert(format!("k{n}"), &chunk) {
            refused = Some((n, err));
            break;
        }
    }
    let (n, err) = refused.expect("16 chunks of 64 KiB pass 1 MiB");
    assert!(
        matches!(err, Error::TooLarge { .. }) && n == 15,
        "{n}: {err}"
    );
    assert_eq!(store.save(&mut loaded).await.unwrap(), SaveOutcome::Updated);
    assert_eq!(reload(store, &session).await.len(), 16);
}

/// Data exactly at the default limits is accepted, and reads back unchanged.
pub(super) async fn values_at_the_limit_round_trip<S: SessionStore>(store: &S) {
    let limits = Limits::default();
    let deep = saved(store, json!({"deep": nested(limits.max_depth())})).await;
    assert_eq!(reload(store, &deep).await.data(), deep.data());

    // `{"big":"…"}`: ten bytes around the string's text.
    let mut full = store.new_session().unwrap();
    let text = "z".repeat(limits.max_bytes() - 10);
    full.insert("big", &text).unwrap();
    assert_eq!(
        serde_json::to_vec(full.data()).unwrap().len(),
        limits.max_bytes()
    );
    assert_eq!(store.save(&mut full).await.unwrap(), SaveOutcome::Created);
    let mut loaded = reload(store, &full).await;
    assert_eq!(
        loaded.get::<String>("big").unwrap().as_deref(),
        Some(&*text)
    );
    assert!(matches!(
        loaded.insert("one", 1),
        Err(Error::TooLarge { size, .. }) if size == limits.max_bytes() + 8
    ));
    loaded.insert("big", "smaller").unwrap();
    store.save(&mut loaded).await.unwrap();
    assert_eq!(reload(store, &full).await.data()["big"], "smaller");
}
