//! How a session is laid out in its Redis hash: `d:<name>` holds each value as JSON text,
//! `m:created` and `m:expires` the times in unix seconds, `m:owner` and `m:label` the
//! session's user, when it has one.

use std::collections::HashMap;

use redis::ScriptInvocation;
use serde_json::{Map, Value as Json};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::owner::Owner;
use crate::record::Record;

/// Redis drops a key this long after its expiry: our clock judges expiry, and a Redis clock
/// running up to this much ahead of it must never delete a session we still call live.
const TTL_GRACE_SECONDS: i64 = 60;

pub(super) fn expiry_args(
    invocation: &mut ScriptInvocation<'_>,
    expires_at: Option<OffsetDateTime>,
) {
    match expires_at.map(OffsetDateTime::unix_timestamp) {
        Some(at) => invocation.arg(at).arg(at.saturating_add(TTL_GRACE_SECONDS)),
        None => invocation.arg("").arg(""),
    };
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
