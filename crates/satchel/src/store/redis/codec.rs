//! How a session is laid out in its Redis hash: `d:<name>` holds each value as JSON text,
//! `m:created` and `m:expires` the times in unix seconds, `m:ttl` when Redis may drop the
//! key, `m:owner` and `m:label` the session's user, when it has one.

use std::collections::HashMap;

use redis::ScriptInvocation;
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

/// The record in a session's hash; `Err` says why it is unreadable.
pub(super) fn decode(mut fields: HashMap<String, Vec<u8>>) -> std::result::Result<Record, String> {
    let created_at = timestamp(&fields.remove("m:created").ok_or("no m:created field")?)?;
    let expires_at = fields
        .remove("m:expires")
        .map(|at| timestamp(&at))
        .transpose()?;
    let owner = match fields.remove("m:owner") {
        Some(user) => {
            let user = std::str::from_utf8(&user).map_err(|e| e.to_string())?;
            let label = fields.remove("m:label");
            let label = label.as_deref().map(String::from_utf8_lossy);
            Some(
                Owner::from_stored(user, label.as_deref())
                    .ok_or("an m:owner that is no user key")?,
            )
        }
        None => None,
    };
    let mut data = Map::new();
    for (field, value) in fields {
        if let Some(name) = field.strip_prefix("d:") {
            let value = serde_json::from_slice(&value).map_err(|e| e.to_string())?;
            data.insert(name.to_owned(), value);
        }
    }
    Ok(Record {
        data,
        created_at,
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

    fn fields(pairs: &[(&str, &str)]) -> HashMap<String, Vec<u8>> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
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
        let record = decode(fields(&[
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
    fn damaged_hashes_are_reported_not_decoded() {
        assert!(decode(fields(&[("d:a", "1")])).is_err());
        assert!(decode(fields(&[("m:created", "soon")])).is_err());
        assert!(decode(fields(&[("m:created", "1"), ("d:a", "{")])).is_err());
        assert!(decode(fields(&[("m:created", "1"), ("m:expires", "")])).is_err());
    }
}
