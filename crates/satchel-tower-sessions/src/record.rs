//! Records between the two crates: tower-sessions' whole-record saves as satchel's
//! records and changes, with satchel's write-side limits checked on the way in.

use std::collections::HashMap;

use crate::error::StoreError;
use satchel::{Changes, Limits, Record, Session, SessionId};
use serde_json::{Map, Value};
use time::{OffsetDateTime, PrimitiveDateTime};

/// tower-sessions' record data (its own alias for this is private).
pub(crate) type Data = HashMap<String, Value>;

/// Any well-formed satchel id: the probe session below is never stored.
const PROBE_ID: &str = "tower-sessions-limits-probe-0000";

/// The data of `record`, refused with satchel's [`Limits`] error (as an encode error)
/// when a store could not read it back: too large or too deep.
///
/// The check is the one satchel's own sessions run, done by inserting each value into a
/// throwaway [`Session`], so the two crates cannot disagree on what fits.
pub(crate) fn checked_data(data: &Data, limits: Limits) -> Result<Map<String, Value>, StoreError> {
    let id = SessionId::parse(PROBE_ID).unwrap_or_else(|| unreachable!("a valid id"));
    let mut probe = Session::new(id).with_limits(limits);
    for (key, value) in data {
        probe.insert(key.as_str(), value)?;
    }
    Ok(probe.data().clone())
}

/// A new satchel record for a tower-sessions record created at `now`.
pub(crate) fn new_record(
    data: Map<String, Value>,
    expiry: OffsetDateTime,
    now: OffsetDateTime,
) -> Record {
    let mut record = Record::new();
    record.data = data;
    record.created_at = now;
    record.expires_at = Some(expiry);
    record
}

/// The changes that make a stored record equal to a whole tower-sessions record: every
/// key cleared, then the record's keys set, so keys it dropped go from the store too.
pub(crate) fn replacement(data: Map<String, Value>, expiry: OffsetDateTime) -> Changes {
    Changes {
        cleared: true,
        set: data,
        removed: Vec::new(),
        expires_at: Some(expiry),
        // tower-sessions knows no owners: whatever satchel tied stays tied.
        owner: None,
    }
}

/// The data and expiry of a tower-sessions record for a live satchel record.
///
/// A record satchel wrote without an expiry (tower-sessions' records always have one) gets
/// the latest date `time` can hold; tower-sessions sets its own expiry again on each save.
pub(crate) fn to_tower_parts(record: Record) -> (Data, OffsetDateTime) {
    let expiry = record
        .expires_at
        .unwrap_or(PrimitiveDateTime::MAX.assume_utc());
    (record.data.into_iter().collect(), expiry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_within_limits_passes_whole() {
        let mut data = Data::new();
        data.insert("user".into(), Value::from("alice"));
        data.insert("n".into(), Value::from(3));
        let checked = checked_data(&data, Limits::new()).unwrap();
        assert_eq!(checked.len(), 2);
        assert_eq!(checked["user"], "alice");
    }

    #[test]
    fn data_past_limits_is_an_encode_error() {
        let mut data = Data::new();
        data.insert("big".into(), Value::from("x".repeat(100)));
        let limits = Limits::new().with_max_bytes(64);
        let err = checked_data(&data, limits).unwrap_err();
        assert!(matches!(err, StoreError::Encode(_)), "{err:?}");

        let mut deep = Data::new();
        deep.insert("deep".into(), serde_json::json!([[[1]]]));
        let err = checked_data(&deep, Limits::new().with_max_depth(2)).unwrap_err();
        assert!(matches!(err, StoreError::Encode(_)), "{err:?}");
    }

    #[test]
    fn replacement_removes_dropped_keys() {
        let mut stored = Map::new();
        stored.insert("gone".into(), Value::from(1));
        stored.insert("kept".into(), Value::from(1));
        let mut saved = Map::new();
        saved.insert("kept".into(), Value::from(2));
        let expiry = OffsetDateTime::now_utc();
        let mut record = new_record(stored, expiry, expiry);
        record.apply(&replacement(saved.clone(), expiry));
        assert_eq!(record.data, saved);
        assert_eq!(record.expires_at, Some(expiry));
    }

    #[test]
    fn records_without_expiry_get_the_latest_date() {
        let mut record = Record::new();
        record.expires_at = None;
        let (_, expiry) = to_tower_parts(record);
        assert!(expiry > OffsetDateTime::now_utc());
    }
}
