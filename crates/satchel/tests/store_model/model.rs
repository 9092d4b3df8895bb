//! The plain map a store is compared with, and the model's account of a held session.

use std::collections::{BTreeMap, HashMap};

use satchel::store::SaveOutcome;
use satchel::{Clock, Session, StorageKey};
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

/// What a store should hold under one key.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub(crate) data: Map<String, Value>,
    pub(crate) expires_at: Option<OffsetDateTime>,
}

/// How a store keeps a deadline. werkzeug's files keep none of their own: "no expiry" is
/// their lifetime from the write.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Deadlines {
    Exact,
    #[cfg_attr(not(feature = "werkzeug"), allow(dead_code))]
    Lifetime(Duration),
}

impl Deadlines {
    fn stored(self, at: Option<OffsetDateTime>, now: OffsetDateTime) -> Option<OffsetDateTime> {
        match self {
            Self::Exact => at,
            Self::Lifetime(lifetime) => Some(at.unwrap_or(now + lifetime)),
        }
    }
}

/// The plain map a store is compared with, and the clock both judge expiry by.
pub(crate) struct Model {
    pub(crate) records: HashMap<StorageKey, Entry>,
    pub(crate) clock: Clock,
    deadlines: Deadlines,
}

/// Where a handle stands with the store, as the model sees it.
#[derive(Clone, Debug)]
pub(crate) enum Bound {
    New,
    /// A dead id kept by a store with `renew_missing = false` (werkzeug's default).
    Adopted(StorageKey),
    Stored(StorageKey),
    Rotating(StorageKey),
    Destroyed(Option<StorageKey>),
    Gone,
}

/// A session a "request" holds, with the model's own account of what it changed.
pub(crate) struct Handle {
    pub(crate) session: Session,
    bound: Bound,
    pub(crate) data: Map<String, Value>,
    pub(crate) expires_at: Option<OffsetDateTime>,
    modified: bool,
    cleared: bool,
    /// Each changed key and its value now (`None`: removed).
    touched: BTreeMap<String, Option<Value>>,
}

impl Handle {
    pub(crate) fn new(session: Session, bound: Bound) -> Self {
        Self {
            data: session.data().clone(),
            expires_at: session.expires_at(),
            session,
            bound,
            modified: false,
            cleared: false,
            touched: BTreeMap::new(),
        }
    }

    pub(crate) fn insert(&mut self, key: &str, value: &Value) {
        self.session.insert_value(key, value.clone());
        self.data.insert(key.to_owned(), value.clone());
        self.touched.insert(key.to_owned(), Some(value.clone()));
        self.modified = true;
    }

    pub(crate) fn remove(&mut self, key: &str) {
        self.session.remove_value(key);
        // Removing a key the session does not have changes nothing.
        if self.data.remove(key).is_some() {
            self.touched.insert(key.to_owned(), None);
            self.modified = true;
        }
    }

    pub(crate) fn clear(&mut self) {
        self.session.clear();
        self.data.clear();
        self.touched.clear();
        self.cleared = true;
        self.modified = true;
    }

    pub(crate) fn set_expiry(&mut self, at: Option<OffsetDateTime>) {
        self.session.set_expires_at(at);
        self.expires_at = at;
        self.modified = true;
    }

    pub(crate) fn rotate(&mut self) {
        self.session.rotate_id().unwrap();
        self.bound = match std::mem::replace(&mut self.bound, Bound::Gone) {
            Bound::Stored(key) => Bound::Rotating(key),
            Bound::New | Bound::Adopted(_) => Bound::New,
            kept => kept,
        };
        self.modified = true;
    }

    pub(crate) fn destroy(&mut self) {
        self.session.destroy();
        self.data.clear();
        self.touched.clear();
        self.cleared = true;
        self.modified = true;
        self.bound = Bound::Destroyed(match std::mem::replace(&mut self.bound, Bound::Gone) {
            Bound::Stored(key) | Bound::Rotating(key) => Some(key),
            Bound::Destroyed(stored) => stored,
            Bound::New | Bound::Adopted(_) | Bound::Gone => None,
        });
    }

    /// The changes a save applies to the stored data.
    fn apply_to(&self, data: &mut Map<String, Value>) {
        if self.cleared {
            data.clear();
        }
        for (key, value) in &self.touched {
            match value {
                Some(value) => data.insert(key.clone(), value.clone()),
                None => data.remove(key),
            };
        }
    }

    fn settle(&mut self, bound: Bound) {
        self.bound = bound;
        self.modified = false;
        self.cleared = false;
        self.touched.clear();
    }
}

impl Model {
    pub(crate) fn new(clock: Clock, deadlines: Deadlines) -> Self {
        Self {
            records: HashMap::new(),
            clock,
            deadlines,
        }
    }

    pub(crate) fn is_live(&self, key: &StorageKey) -> bool {
        let now = self.clock.now();
        self.records
            .get(key)
            .is_some_and(|entry| entry.expires_at.is_none_or(|at| at > now))
    }

    fn stored_deadline(&self, at: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
        self.deadlines.stored(at, self.clock.now())
    }

    /// What saving `handle` must do, applied to the model; `new_key` is the key of the
    /// session's id after the save.
    pub(crate) fn save(&mut self, handle: &mut Handle, new_key: StorageKey) -> SaveOutcome {
        let (outcome, bound) = match handle.bound.clone() {
            Bound::Destroyed(stored) => {
                if let Some(key) = &stored {
                    self.records.remove(key);
                }
                let outcome = stored.map_or(SaveOutcome::Unchanged, |_| SaveOutcome::Deleted);
                (outcome, Bound::Gone)
            }
            Bound::Gone => return SaveOutcome::Gone,
            _ if !handle.modified => return SaveOutcome::Unchanged,
            Bound::Stored(key) if self.is_live(&key) => {
                self.update(handle, &key);
                (SaveOutcome::Updated, Bound::Stored(key))
            }
            Bound::Adopted(key) if self.is_live(&key) => {
                self.update(handle, &key);
                (SaveOutcome::Created, Bound::Stored(key))
            }
            Bound::New | Bound::Adopted(_) => {
                let entry = Entry {
                    data: handle.data.clone(),
                    expires_at: self.stored_deadline(handle.expires_at),
                };
                self.records.insert(new_key.clone(), entry);
                (SaveOutcome::Created, Bound::Stored(new_key))
            }
            Bound::Rotating(old) if self.is_live(&old) => {
                let entry = self.records.remove(&old).expect("a live record");
                self.records.insert(new_key.clone(), entry);
                self.update(handle, &new_key);
                (SaveOutcome::Rotated, Bound::Stored(new_key))
            }
            Bound::Stored(_) | Bound::Rotating(_) => (SaveOutcome::Gone, Bound::Gone),
        };
        handle.settle(bound);
        outcome
    }

    /// A save's changes merged into what is stored under `key`.
    fn update(&mut self, handle: &Handle, key: &StorageKey) {
        let expires_at = self.stored_deadline(handle.expires_at);
        let entry = self.records.get_mut(key).expect("a live record");
        handle.apply_to(&mut entry.data);
        entry.expires_at = expires_at;
    }

    /// A touch: the new deadline, if a live record is stored.
    pub(crate) fn touch(&mut self, key: &StorageKey, at: Option<OffsetDateTime>) -> bool {
        let live = self.is_live(key);
        if live {
            let stored = self.stored_deadline(at);
            self.records.get_mut(key).expect("a live record").expires_at = stored;
        }
        live
    }

    /// How many records a prune deletes now, deleted.
    pub(crate) fn prune(&mut self) -> u64 {
        let now = self.clock.now();
        let before = self.records.len();
        self.records
            .retain(|_, entry| entry.expires_at.is_none_or(|at| at > now));
        (before - self.records.len()) as u64
    }
}
