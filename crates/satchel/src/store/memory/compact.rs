//! How `MemoryStore` keeps one record: the session's keys in a sorted boxed slice.
//!
//! A `serde_json::Map` is a `BTreeMap`, whose first node takes over 600 bytes even for a
//! one-key session; kept as is, a million sessions cost the store about 900 MB. Sorted
//! pairs keep the same values in a few dozen bytes, and a load builds the session's map
//! from them in one pass, at about the cost of cloning the map.

use std::collections::HashSet;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::name::Name;
use crate::changes::Changes;
use crate::owner::Owner;
use crate::record::Record;

/// One stored session, its data sorted by key.
#[derive(Debug)]
pub(super) struct Compact {
    data: Box<[(Name, Value)]>,
    created_at: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
    // Boxed: most sessions have no owner, and this keeps them a pointer's width.
    owner: Option<Box<Owner>>,
    /// [`Compact::weight`], kept so that a save costs only what it changes to weigh.
    weight: u32,
}

impl Compact {
    pub(super) fn new(record: &Record) -> Self {
        // A map iterates in key order, so the pairs come out sorted.
        let data = record
            .data
            .iter()
            .map(|(key, value)| (Name::new(key), value.clone()))
            .collect();
        let mut compact = Self {
            data,
            created_at: record.created_at,
            expires_at: record.expires_at,
            owner: record.owner.clone().map(Box::new),
            weight: 0,
        };
        compact.weight = clamp(compact.measure());
        compact
    }

    pub(super) fn to_record(&self) -> Record {
        let data: Map<String, Value> = self
            .data
            .iter()
            .map(|(key, value)| (key.to_owned_string(), value.clone()))
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
    #[cfg(test)]
    pub(super) fn apply(&mut self, changes: &Changes) {
        let weight = self.weight_after(changes);
        self.apply_weighed(changes, weight);
    }

    /// [`Compact::apply`], given the [`Compact::weight_after`] the caller computed.
    pub(super) fn apply_weighed(&mut self, changes: &Changes, weight: usize) {
        self.weight = clamp(weight);
        self.apply_data(changes);
    }

    fn apply_data(&mut self, changes: &Changes) {
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
            data.retain(|(key, _)| {
                !changes
                    .removed
                    .iter()
                    .any(|gone| gone.as_bytes() == key.as_bytes())
            });
        } else {
            let removed: HashSet<&[u8]> = changes.removed.iter().map(String::as_bytes).collect();
            data.retain(|(key, _)| !removed.contains(key.as_bytes()));
        }
        for (key, value) in &changes.set {
            match position(&data, key) {
                Ok(at) => data[at].1 = value.clone(),
                Err(at) => data.insert(at, (Name::new(key), value.clone())),
            }
        }
        self.data = data.into_boxed_slice();
    }
}

/// What a record costs the store beyond its data: the map entry with its key, the
/// record's fields, allocator rounding. An estimate, as is [`value_weight`]: the limit it
/// serves is for memory, not for exact bytes.
const RECORD_OVERHEAD: usize = 192;
/// One `(key, value)` pair or array element: the `Value` and the key's box.
const ENTRY_OVERHEAD: usize = 48;

/// About how many bytes `value` holds on the heap, beyond its own `Value`.
fn value_weight(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
        Value::String(text) => text.len(),
        Value::Array(items) => items
            .iter()
            .map(|item| ENTRY_OVERHEAD + value_weight(item))
            .sum(),
        Value::Object(map) => map
            .iter()
            .map(|(key, item)| ENTRY_OVERHEAD + key.len() + value_weight(item))
            .sum(),
    }
}

/// A weight as kept: records are far below 4 GiB (the limits cap them at 1.5 MiB of JSON).
fn clamp(weight: usize) -> u32 {
    u32::try_from(weight).unwrap_or(u32::MAX)
}

fn owner_weight(owner: Option<&Owner>) -> usize {
    owner.map_or(0, |owner| {
        owner.user().as_str().len() + owner.label().map_or(0, str::len)
    })
}

fn entry_weight(name_len: usize, value: &Value) -> usize {
    ENTRY_OVERHEAD + name_len + value_weight(value)
}

impl Compact {
    /// About how many bytes this record takes in the store.
    pub(super) fn weight(&self) -> usize {
        self.weight as usize
    }

    /// [`Compact::weight`], counted afresh.
    fn measure(&self) -> usize {
        RECORD_OVERHEAD
            + owner_weight(self.owner.as_deref())
            + self
                .data
                .iter()
                .map(|(key, value)| entry_weight(key.len(), value))
                .sum::<usize>()
    }

    /// What [`Compact::weight`] will be once `changes` are applied, without applying them.
    pub(super) fn weight_after(&self, changes: &Changes) -> usize {
        let mut added: usize = changes
            .set
            .iter()
            .map(|(key, value)| entry_weight(key.len(), value))
            .sum();
        let mut dropped = 0;
        if let Some(owner) = &changes.owner {
            added += owner_weight(owner.as_ref());
            dropped += owner_weight(self.owner.as_deref());
        }
        if changes.cleared {
            return (RECORD_OVERHEAD + owner_weight(self.owner.as_deref()) + added)
                .saturating_sub(dropped);
        }
        let replaced = |key: &str| {
            position(&self.data, key).map_or(0, |at| entry_weight(key.len(), &self.data[at].1))
        };
        let removed: usize = changes
            .removed
            .iter()
            .filter(|key| !changes.set.contains_key(key.as_str()))
            .map(|key| replaced(key))
            .sum();
        let overwritten: usize = changes.set.keys().map(|key| replaced(key)).sum();
        (self.weight() + added).saturating_sub(removed + overwritten + dropped)
    }
}

/// Where `key` is among the sorted pairs, or where it would go.
fn position(data: &[(Name, Value)], key: &str) -> Result<usize, usize> {
    data.binary_search_by(|(stored, _)| stored.as_bytes().cmp(key.as_bytes()))
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
        let alice = Owner::new(crate::owner::UserKey::hashed("alice")).with_label("phone");
        let tied: Vec<Changes> = cases
            .iter()
            .map(|changes| Changes {
                owner: Some(Some(alice.clone())),
                ..changes.clone()
            })
            .collect();
        let untied: Vec<Changes> = cases
            .iter()
            .map(|changes| Changes {
                owner: Some(None),
                ..changes.clone()
            })
            .collect();
        cases.extend(tied);
        let mut owned_start = start.clone();
        owned_start.owner = Some(alice);
        let mut all: Vec<(Record, Changes)> = cases
            .into_iter()
            .map(|changes| (start.clone(), changes))
            .collect();
        all.extend(
            untied
                .into_iter()
                .map(|changes| (owned_start.clone(), changes)),
        );
        for (start, changes) in all {
            let mut expected = start.clone();
            expected.apply(&changes);
            let mut compact = Compact::new(&start);
            let predicted = compact.weight_after(&changes);
            compact.apply(&changes);
            assert_eq!(compact.to_record(), expected, "{changes:?}");
            assert_eq!(compact.weight(), predicted, "{changes:?}");
            assert_eq!(compact.measure(), predicted, "{changes:?}");
        }
    }
}
