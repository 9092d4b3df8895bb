//! Values every store must give back exactly as they were written: what one backend or
//! another once refused or changed.

use serde_json::{Map, Value, json};

use super::limits::nested;
use super::{reload, saved};
use crate::limits::Limits;
use crate::store::{SaveOutcome, SessionStore, SessionStoreExt};

/// The corpus: NUL (which PostgreSQL's jsonb refuses) and the escape mark a store might
/// use for it, the werkzeug format's tag shapes, numbers at the edges of what JSON
/// numbers hold, unicode, empty and odd keys, and nesting at the limit.
fn corpus() -> Map<String, Value> {
    let beyond_u64: Value = serde_json::from_str("123456789012345678901234567890").unwrap();
    let value = json!({
        "nul\u{0}key": "a\u{0}b", "only nul": "\u{0}",
        "nested nul": ["\u{0}", {"\u{0}": "\u{0}\u{0}"}],
        "\u{FFFE}": "\u{FFFE}0\u{FFFE}\u{FFFE}\u{0}",
        "bad bytes": {"__bytes__": "!!"}, "small int": {"__int__": "5"},
        "bytes": {"__bytes__": "AP8="}, "big int": {"__int__": "123456789012345678901234567890"},
        "dict tag": {"__dict__": {"__bytes__": "AP8="}}, "plain dict tag": {"__dict__": {"a": 1}},
        "numbers": [u64::MAX, i64::MIN, 1e308, -1e308, 5e-324, 0.1, -0.0, 0, beyond_u64],
        "": "the empty key", "ключ": "значение", "🔑": "🗝️", "e\u{301}": "é",
        "quote\"back\\slash\n": "\u{1}\u{1f}\u{7f}", "d:prefixed": 1, "m:created": "not a time",
        "deep": nested(Limits::DEFAULT_MAX_DEPTH),
    });
    value.as_object().unwrap().clone()
}

/// The corpus round-trips when created, and when merged into a stored session; a key
/// holding NUL can be removed again.
pub(super) async fn the_corpus_round_trips_exactly<S: SessionStore>(store: &S) {
    let data = corpus();
    let created = saved(store, Value::Object(data.clone())).await;
    assert_eq!(reload(store, &created).await.data(), &data, "as created");

    let session = saved(store, json!({"before": true})).await;
    let mut loaded = reload(store, &session).await;
    for (key, value) in &data {
        loaded.insert(key.clone(), value).unwrap();
    }
    assert_eq!(store.save(&mut loaded).await.unwrap(), SaveOutcome::Updated);
    let mut merged = reload(store, &session).await;
    let mut expected = data.clone();
    expected.insert("before".into(), json!(true));
    assert_eq!(merged.data(), &expected, "as merged");

    merged.remove_value("nul\u{0}key");
    merged.remove_value("\u{FFFE}");
    store.save(&mut merged).await.unwrap();
    expected.remove("nul\u{0}key");
    expected.remove("\u{FFFE}");
    assert_eq!(
        reload(store, &session).await.data(),
        &expected,
        "after removals"
    );
}

/// Ten thousand keys, created and read back.
pub(super) async fn ten_thousand_keys_round_trip<S: SessionStore>(store: &S) {
    let data: Map<String, Value> = (0..10_000)
        .map(|n| (format!("key {n} \u{0}é"), json!({"n": n, "s": "\u{0}"})))
        .collect();
    let session = saved(store, Value::Object(data.clone())).await;
    assert_eq!(reload(store, &session).await.data(), &data);
}
