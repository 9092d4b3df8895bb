//! How `MemoryStore` keeps one record: the session's keys in a sorted boxed slice.
//!
//! A `serde_json::Map` is a `BTreeMap`, whose first node takes over 600 bytes even for a
//! one-key session; kept as is, a million sessions cost the store about 900 MB. Sorted
//! pairs keep the same values in a few dozen bytes, and a load builds the session's map
//! from them in one pass, at about the cost of cloning the map.

use std::collections::HashSet;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::changes::Changes;
use crate::owner::Owner;
use crate::record::Record;

/// One stored session, its data sorted by key.
#[derive(Debug)]
pub(super) struct Compact {
    data: Box<[(Box<str>, Value)]>,
    created_at: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
    // Boxed: most sessions have no owner, and this keeps them a pointer's width.
    owner: Option<Box<Owner>>,
}

impl Compact {
    pub(super) fn new(record: &Record) -> Self {
        // A map iterates in key order, so the pairs come out sorted.
        let data = record
            .data
            .iter()
            .map(|(key, value)| (Box::from(key.as_str()), value.clone()))
            .collect();
        Self {
            data,
            created_at: record.created_at,
            expires_at: record.expires_at,
            owner: record.owner.clone().map(Box::new),
        }
    }

    pub(super) fn to_record(&self) -> Record {
        let data: Map<String, Value> = self
            .data
            .iter()
            .map(|(key, value)| (String::from(&**key), value.clone()))
            .collect();
        Record {
            data,
            created_at: self.created_at,
            expires_at: self.expires_at,
            owner: self.owner.as_deref().cloned(),
        }
    }

    pub(super) fn owner(&self) -> Option<&Owner> {
        self.owner.as_deref()
    }

    pub(super) fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// What [`Record::apply`] does, on the sorted pairs.
    pub(super) fn apply(&mut self, changes: &Changes) {
        self.expires_at = changes.expires_at;
        if let Some(owner) = &changes.owner {
            self.owner = owner.clone().map(Box::new);
        }
        if !changes.cleared && changes.removed.is_empty() {
            // The usual save: keys that exist get new values in place, no reallocation.
            let mut missing = false;
            for (key, value) in &changes.set {
                match position(&self.data, key) {
                    Ok(at) => self.data[at].1 = value.clone(),
                    Err(_) => missing = true,
                }
            }
            if !missing {
                return;
            }
        }
        let mut data = if changes.cleared {
            Vec::new()
        } else {
            std::mem::take(&mut self.data).into_vec()
        };
        if changes.removed.len() <= 8 {
            data.retain(|(key, _)| !changes.removed.iter().any(|gone| **gone == **key));
        } else {
            let removed: HashSet<&str> = changes.removed.iter().map(String::as_str).collect();
            data.retain(|(key, _)| !removed.contains(&**key));
        }
        for (key, value) in &changes.set {
            match position(&data, key) {
                Ok(at) => data[at].1 = value.clone(),
                Err(at) => data.insert(at, (Box::from(key.as_str()), value.clone())),
            }
        }
        self.data = data.into_boxed_slice();
    }
}

/// Where `key` is among the sorted pairs, or where it would go.
fn position(data: &[(Box<str>, Value)], key: &str) -> Result<usize, usize> {
    data.binary_search_by(|(stored, _)| (**stored).cmp(key))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(pairs: &[(&str, Value)]) -> Record {
        let mut record = Record::new();
        for (key, value) in pairs {
            record.data.insert((*key).into(), value.clone());
        }
        record
    }

    #[test]
    fn applies_changes_as_a_record_does() {
        let start = record(&[("b", json!(2)), ("a", json!(1)), ("d", json!({"x": [1]}))]);
        let mut cases = Vec::new();
        for cleared in [false, true] {
            let many: Vec<String> = (0..12)
                .map(|i| format!("k{i}"))
                .chain(["b".into()])
                .collect();
            for removed in [
                vec![],
                vec!["a".to_owned()],
                vec!["zz".to_owned(), "d".to_owned()],
                many,
            ] {
                for set in [
                    vec![],
                    vec![("a", json!(9))],
                    vec![("c", json!(3)), ("", json!(null))],
                ] {
                    let mut changes = Changes {
                        cleared,
                        removed: removed.clone(),
                        expires_at: Some(OffsetDateTime::UNIX_EPOCH),
                        ..Changes::default()
                    };
                    for (key, value) in set {
                        changes.set.insert(key.into(), value);
                    }
                    cases.push(changes);
                }
            }
        }
        for changes in cases {
            let mut expected = start.clone();
            expected.apply(&changes);
            let mut compact = Compact::new(&start);
            compact.apply(&changes);
            assert_eq!(compact.to_record(), expected, "{changes:?}");
        }
    }
}
