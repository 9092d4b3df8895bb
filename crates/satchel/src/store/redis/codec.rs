//! How a session is laid out in its Redis hash: `d:<name>` holds each value as JSON text,
//! `m:created` and `m:expires` the times in unix seconds, `m:ttl` when Redis may drop the
//! key, `m:owner` and `m:label` the session's user, when it has one.

use redis::{ScriptInvocation, Value};
use serde_json::{Map, Value as Json};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::owner::Owner;
use crate::record::Record;

/// Redis drops a key at least this long after its expiry: our clock judges expiry, and a
/// Redis clock running up to this much ahead of it must never delete a session we still
/// call live.
const TTL_GRACE_SECONDS: i64 = 60;

/// The drop time is rounded up to a multiple of this, and kept in `m:ttl`: a session whose
/// idle deadline moves on every save moves its key's TTL (an `EXPIREAT`, about a sixth of
/// a save's cost on the Redis server) once in five minutes. Expiry itself is judged by
/// `m:expires`; a key only lingers in Redis up to six minutes past it.
const TTL_STEP_SECONDS: i64 = 300;

pub(super) fn expiry_args(
    invocation: &mut ScriptInvocation<'_>,
    expires_at: Option<OffsetDateTime>,
) {
    match expires_at.map(OffsetDateTime::unix_timestamp) {
        Some(at) => invocation.arg(at).arg(drop_time(at)),
        None => invocation.arg("").arg(""),
    };
}

/// When Redis may drop the key of a session that expires at `at` (unix seconds).
fn drop_time(at: i64) -> i64 {
    let earliest = at.saturating_add(TTL_GRACE_SECONDS);
    let past_step = earliest.rem_euclid(TTL_STEP_SECONDS);
    if past_step == 0 {
        earliest
    } else {
        earliest.saturating_add(TTL_STEP_SECONDS - past_step)
    }
}

/// The `m:owner` and `m:label` field, value pairs of `owner`.
pub(super) fn owner_args(invocation: &mut ScriptInvocation<'_>, owner: &Owner) {
    invocation.arg("m:owner").arg(owner.user().as_str());
    if let Some(label) = owner.label() {
        invocation.arg("m:label").arg(label);
    }
}

pub(super) fn data_args(
    invocation: &mut ScriptInvocation<'_>,
    data: &Map<String, Json>,
) -> Result<()> {
    for (name, value) in data {
        let text = serde_json::to_string(value).map_err(Error::Encode)?;
        invocation.arg(format!("d:{name}")).arg(text);
    }
    Ok(())
}

/// The field, value pairs of an `HGETALL` reply: a flat array (RESP2) or a map (RESP3),
/// borrowed, so reading a session copies no field name. `None` for any other shape.
pub(super) fn hash_fields(reply: &Value) -> Option<Vec<(&[u8], &[u8])>> {
    fn bytes(value: &Value) -> Option<&[u8]> {
        match value {
            Value::BulkString(bytes) => Some(bytes.as_slice()),
            _ => None,
        }
    }
    match reply {
        Value::Array(items) if items.len() % 2 == 0 => items
            .chunks_exact(2)
            .map(|pair| Some((bytes(&pair[0])?, bytes(&pair[1])?)))
            .collect(),
        Value::Map(pairs) => pairs
            .iter()
            .map(|(field, value)| Some((bytes(field)?, bytes(value)?)))
            .collect(),
        _ => None,
    }
}

/// The record in a session's hash, in one pass over its fields; `Err` says why it is
/// unreadable.
pub(super) fn decode(fields: &[(&[u8], &[u8])]) -> std::result::Result<Record, String> {
    let (mut created_at, mut expires_at, mut user, mut label) = (None, None, None, None);
    let mut data = Map::new();
    for &(field, value) in fields {
        match field {
            b"m:created" => created_at = Some(timestamp(value)?),
            b"m:expires" => expires_at = Some(timestamp(value)?),
            b"m:owner" => user = Some(std::str::from_utf8(value).map_err(|e| e.to_string())?),
            b"m:label" => label = Some(String::from_utf8_lossy(value)),
            _ => {
                if let Some(name) = field.strip_prefix(b"d:") {
                    let name = std::str::from_utf8(name).map_err(|e| e.to_string())?;
                    let value = serde_json::from_slice(value).map_err(|e| e.to_string())?;
                    data.insert(name.to_owned(), value);
                }
            }
        }
    }
    let owner = match user {
        Some(user) => Some(
            Owner::from_stored(user, label.as_deref()).ok_or("an m:owner that is no user key")?,
        ),
        None => None,
    };
    Ok(Record {
        data,
        created_at: created_at.ok_or("no m:created field")?,
        expires_at,
        owner,
    })
}

fn timestamp(text: &[u8]) -> std::result::Result<OffsetDateTime, String> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|text| text.parse().ok())
        .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok())
        .ok_or_else(|| "a time that is not unix seconds".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<(&'a [u8], &'a [u8])> {
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
            .collect()
    }

    #[test]
    fn the_drop_time_is_a_step_past_the_grace() {
        assert_eq!(drop_time(0), 300);
        assert_eq!(drop_time(240), 300);
        assert_eq!(drop_time(241), 600);
        assert_eq!(drop_time(-400), -300);
        assert!(drop_time(i64::MAX) >= i64::MAX - TTL_STEP_SECONDS);
        for at in [1_796_158_598, 1_796_158_599, 1_796_162_198] {
            let drop = drop_time(at);
            assert!(
                drop >= at + TTL_GRACE_SECONDS && drop < at + TTL_GRACE_SECONDS + TTL_STEP_SECONDS
            );
            assert_eq!(drop % TTL_STEP_SECONDS, 0);
        }
    }

    #[test]
    fn a_hash_decodes_into_its_record() {
        let record = decode(&fields(&[
            ("m:created", "10"),
            ("m:expires", "20"),
            ("d:user", r#""alice""#),
            ("d:n", "[1,2]"),
            ("other", "ignored"),
        ]))
        .unwrap();
        assert_eq!(record.created_at.unix_timestamp(), 10);
        assert_eq!(
            record.expires_at.map(OffsetDateTime::unix_timestamp),
            Some(20)
        );
        assert_eq!(record.data["user"], "alice");
        assert_eq!(record.data["n"], serde_json::json!([1, 2]));
        assert_eq!(record.data.len(), 2);
    }

    #[test]
    fn replies_of_either_protocol_give_their_pairs() {
        let bulk = |text: &str| Value::BulkString(text.as_bytes().to_vec());
        let flat = Value::Array(vec![bulk("m:created"), bulk("10"), bulk("d:n"), bulk("1")]);
        let pairs = [(&b"m:created"[..], &b"10"[..]), (&b"d:n"[..], &b"1"[..])];
        assert_eq!(hash_fields(&flat).unwrap(), pairs);
        let map = Value::Map(vec![
            (bulk("m:created"), bulk("10")),
            (bulk("d:n"), bulk("1")),
        ]);
        assert_eq!(hash_fields(&map).unwrap(), pairs);
        assert_eq!(hash_fields(&Value::Array(vec![])).unwrap(), []);
        assert!(hash_fields(&Value::Array(vec![bulk("m:created")])).is_none());
        assert!(hash_fields(&Value::Array(vec![bulk("a"), Value::Int(1)])).is_none());
        assert!(hash_fields(&Value::Okay).is_none());
    }

    #[test]
    fn damaged_hashes_are_reported_not_decoded() {
        assert!(decode(&fields(&[("d:a", "1")])).is_err());
        assert!(decode(&fields(&[("m:created", "soon")])).is_err());
        assert!(decode(&fields(&[("m:created", "1"), ("d:a", "{")])).is_err());
        assert!(decode(&fields(&[("m:created", "1"), ("m:expires", "")])).is_err());
        let bad_name = [(&b"m:created"[..], &b"1"[..]), (&b"d:\xff"[..], &b"1"[..])];
        assert!(decode(&bad_name).is_err());
    }
}
