//! Random operation sequences, run one at a time against a store and its model.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;
use satchel::store::{Progress, SaveOutcome};
use satchel::{Clock, SessionId, SessionStore, SessionStoreExt, StorageKey};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::backend;
use crate::model::{Bound, Deadlines, Entry, Handle, Model};

/// The longest sequence one case runs.
pub(crate) const MAX_OPS: usize = 30;

#[derive(Clone, Debug)]
pub(crate) enum Op {
    /// A new session with these keys and this many seconds to live, saved.
    Create {
        entries: Vec<(String, Value)>,
        ttl: Option<i64>,
    },
    Load(Index),
    /// A whole request: load a session, make these changes to it, save it.
    Request(Index, Vec<Op>),
    Insert(Index, String, Value),
    Remove(Index, String),
    Clear(Index),
    SetExpiry(Index, Option<i64>),
    Rotate(Index),
    Destroy(Index),
    Save(Index),
    Delete(Index),
    Touch(Index, Option<i64>),
    Advance(i64),
    /// The clock to a second before, at or after a session's deadline (never backwards).
    ToDeadline(Index, i64),
    Prune,
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c", "d", "", "ключ"]).prop_map(str::to_owned)
}

pub(crate) fn value() -> impl Strategy<Value = Value> {
    let text = prop::sample::select(vec!["", "x", "é ü 💥", "nul\u{0}", "__bytes__"]);
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        text.prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
        prop::collection::vec(any::<i32>(), 0..4).prop_map(|items| json!(items)),
        (key(), any::<u8>()).prop_map(|(key, n)| json!({ key: n })),
    ]
}

fn ttl() -> impl Strategy<Value = Option<i64>> {
    prop::option::of(1i64..=10)
}

/// A change to a held session, which the store sees on the next save.
fn change() -> impl Strategy<Value = Op> {
    let index = any::<Index>;
    prop_oneof![
        6 => (index(), key(), value()).prop_map(|(h, k, v)| Op::Insert(h, k, v)),
        3 => (index(), key()).prop_map(|(h, k)| Op::Remove(h, k)),
        1 => index().prop_map(Op::Clear),
        2 => (index(), ttl()).prop_map(|(h, ttl)| Op::SetExpiry(h, ttl)),
        2 => index().prop_map(Op::Rotate),
        1 => index().prop_map(Op::Destroy),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let index = any::<Index>;
    prop_oneof![
        2 => (prop::collection::vec((key(), value()), 0..4), ttl())
            .prop_map(|(entries, ttl)| Op::Create { entries, ttl }),
        2 => index().prop_map(Op::Load),
        5 => (index(), prop::collection::vec(change(), 1..4))
            .prop_map(|(s, changes)| Op::Request(s, changes)),
        5 => change(),
        4 => index().prop_map(Op::Save),
        1 => index().prop_map(Op::Delete),
        1 => (index(), ttl()).prop_map(|(s, ttl)| Op::Touch(s, ttl)),
        2 => (0i64..=12).prop_map(Op::Advance),
        1 => (index(), -1i64..=1).prop_map(|(s, offset)| Op::ToDeadline(s, offset)),
        2 => Just(Op::Prune),
    ]
}

pub(crate) fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 1..=MAX_OPS)
}

/// How often each thing happened over a store's cases, for the printed figure.
pub(crate) type Tally = std::sync::Mutex<BTreeMap<String, u64>>;

pub(crate) fn count(tally: &Tally, what: String, n: u64) {
    *tally.lock().unwrap().entry(what).or_default() += n;
}

/// One case: a fresh store, its model, every id seen so far and the sessions held.
struct Run<'a, S> {
    store: &'a S,
    tally: &'a Tally,
    model: Model,
    ids: Vec<SessionId>,
    handles: Vec<Handle>,
}

impl<S: SessionStore> Run<'_, S> {
    fn key(&self, id: &SessionId) -> StorageKey {
        self.store.ids().storage_key(id)
    }

    fn seen(&mut self, id: &SessionId) {
        if !self.ids.contains(id) {
            self.ids.push(id.clone());
        }
    }

    fn in_seconds(&self, ttl: Option<i64>) -> Option<OffsetDateTime> {
        ttl.map(|seconds| self.model.clock.now() + Duration::seconds(seconds))
    }

    async fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match op {
            Op::Create { entries, ttl } => self.create(entries, *ttl).await?,
            Op::Load(s) => {
                if let Some(id) = self.session(s) {
                    self.load(&id).await?;
                }
            }
            Op::Request(s, changes) => {
                if let Some(id) = self.session(s) {
                    self.request(&id, changes).await?;
                }
            }
            Op::Save(h) => {
                if let Some(h) = self.handle(h) {
                    self.save(h).await?;
                }
            }
            Op::Delete(s) => {
                if let Some(id) = self.session(s) {
                    self.delete(&id).await?;
                }
            }
            Op::Touch(s, ttl) => {
                if let Some(id) = self.session(s) {
                    self.touch(&id, *ttl).await?;
                }
            }
            Op::Advance(seconds) => self.model.clock.advance(Duration::seconds(*seconds)),
            Op::ToDeadline(s, offset) => self.to_deadline(s, *offset),
            Op::Prune => self.prune().await?,
            change => {
                if let Some(h) = self.handle(change.handle_index()) {
                    let at = self.in_seconds(change.ttl());
                    change.apply(&mut self.handles[h], at);
                }
            }
        }
        self.check().await
    }

    /// A seen session id, picked by `index`.
    fn session(&self, index: &Index) -> Option<SessionId> {
        (!self.ids.is_empty()).then(|| self.ids[index.index(self.ids.len())].clone())
    }

    /// A held session, picked by `index`.
    fn handle(&self, index: &Index) -> Option<usize> {
        (!self.handles.is_empty()).then(|| index.index(self.handles.len()))
    }

    async fn delete(&mut self, id: &SessionId) -> Result<(), TestCaseError> {
        let key = self.key(id);
        let deleted = backend(self.store.delete(&key).await)?;
        let expected = self.model.records.remove(&key).is_some();
        prop_assert_eq!(deleted, expected, "delete's answer");
        Ok(())
    }

    /// The clock to `offset` seconds from a session's deadline, if it has one ahead.
    fn to_deadline(&self, index: &Index, offset: i64) {
        let entry = self
            .session(index)
            .and_then(|id| self.model.records.get(&self.key(&id)));
        if let Some(at) = entry.and_then(|entry| entry.expires_at) {
            let target = at + Duration::seconds(offset);
            if target > self.model.clock.now() {
                self.model.clock.set(target);
            }
        }
    }

    async fn create(
        &mut self,
        entries: &[(String, Value)],
        ttl: Option<i64>,
    ) -> Result<(), TestCaseError> {
        let session = backend(self.store.new_session())?;
        let mut handle = Handle::new(session, Bound::New);
        for (key, value) in entries {
            handle.insert(key, value);
        }
        if ttl.is_some() {
            handle.set_expiry(self.in_seconds(ttl));
        }
        self.handles.push(handle);
        self.save(self.handles.len() - 1).await
    }

    async fn load(&mut self, id: &SessionId) -> Result<(), TestCaseError> {
        let key = self.key(id);
        let session = backend(self.store.get(id.as_str()).await)?;
        let handle = if self.model.is_live(&key) {
            let entry = &self.model.records[&key];
            prop_assert!(!session.is_new(), "a live session loaded as new");
            prop_assert_eq!(session.id(), id);
            prop_assert_eq!(session.data(), &entry.data, "loaded data");
            prop_assert_eq!(session.expires_at(), entry.expires_at, "loaded deadline");
            Handle::new(session, Bound::Stored(key))
        } else if self.store.ids().renews_missing() {
            prop_assert!(
                session.is_new() && session.is_empty(),
                "a dead session came back"
            );
            prop_assert_ne!(session.id(), id, "a dead id was handed out again");
            Handle::new(session, Bound::New)
        } else {
            prop_assert!(!session.is_new() && session.is_empty(), "not adopted");
            prop_assert_eq!(session.id(), id, "the adopted id");
            Handle::new(session, Bound::Adopted(key))
        };
        self.handles.push(handle);
        Ok(())
    }

    async fn request(&mut self, id: &SessionId, changes: &[Op]) -> Result<(), TestCaseError> {
        self.load(id).await?;
        let h = self.handles.len() - 1;
        for change in changes {
            let at = self.in_seconds(change.ttl());
            change.apply(&mut self.handles[h], at);
        }
        self.save(h).await
    }

    /// Saves handle `h`, and checks the store did what the model says a save does.
    async fn save(&mut self, h: usize) -> Result<(), TestCaseError> {
        let outcome = backend(self.store.save(&mut self.handles[h].session).await)?;
        let new_key = self.key(self.handles[h].session.id());
        let expected = self.model.save(&mut self.handles[h], new_key);
        prop_assert_eq!(outcome, expected, "save's outcome");
        count(self.tally, format!("{outcome:?}"), 1);
        let id = self.handles[h].session.id().clone();
        if matches!(outcome, SaveOutcome::Created | SaveOutcome::Rotated) {
            self.seen(&id);
        }
        Ok(())
    }

    async fn touch(&mut self, id: &SessionId, ttl: Option<i64>) -> Result<(), TestCaseError> {
        let key = self.key(id);
        let at = self.in_seconds(ttl);
        let touched = backend(self.store.touch(&key, at).await)?;
        prop_assert_eq!(touched, self.model.touch(&key, at), "touch's answer");
        Ok(())
    }

    async fn prune(&mut self) -> Result<(), TestCaseError> {
        let pruned = backend(self.store.prune(&Progress::none()).await)?;
        prop_assert_eq!(pruned, self.model.prune(), "prune's count");
        count(self.tally, "Pruned".into(), pruned);
        Ok(())
    }

    /// The whole store against the model: the keys listed, every seen id's record, and
    /// each held session's own view.
    async fn check(&self) -> Result<(), TestCaseError> {
        let listed = backend(self.store.list().await)?;
        let keys: BTreeSet<StorageKey> = listed.iter().cloned().collect();
        prop_assert_eq!(keys.len(), listed.len(), "list gave a key twice");
        let expected: BTreeSet<StorageKey> = self.model.records.keys().cloned().collect();
        prop_assert_eq!(keys, expected, "listed keys");
        for id in &self.ids {
            let key = self.key(id);
            let stored = backend(self.store.load(&key).await)?.map(|record| Entry {
                data: record.data,
                expires_at: record.expires_at,
            });
            prop_assert_eq!(
                stored.as_ref(),
                self.model.records.get(&key),
                "stored record"
            );
        }
        for handle in &self.handles {
            prop_assert_eq!(handle.session.data(), &handle.data, "a held session's data");
            prop_assert_eq!(handle.session.expires_at(), handle.expires_at);
        }
        Ok(())
    }
}

impl Op {
    fn handle_index(&self) -> &Index {
        match self {
            Self::Insert(h, ..)
            | Self::Remove(h, _)
            | Self::Clear(h)
            | Self::SetExpiry(h, _)
            | Self::Rotate(h)
            | Self::Destroy(h) => h,
            other => unreachable!("{other:?} works on the store, not a held session"),
        }
    }

    fn ttl(&self) -> Option<i64> {
        match self {
            Self::SetExpiry(_, ttl) => *ttl,
            _ => None,
        }
    }

    /// A change to a held session only; the store sees it on the next save.
    fn apply(&self, handle: &mut Handle, at: Option<OffsetDateTime>) {
        match self {
            Self::Insert(_, key, value) => handle.insert(key, value),
            Self::Remove(_, key) => handle.remove(key),
            Self::Clear(_) => handle.clear(),
            Self::SetExpiry(..) => handle.set_expiry(at),
            Self::Rotate(_) => handle.rotate(),
            Self::Destroy(_) => handle.destroy(),
            other => unreachable!("{other:?} works on the store, not a held session"),
        }
    }
}

pub(crate) async fn run_sequence<S: SessionStore>(
    store: &S,
    tally: &Tally,
    clock: Clock,
    deadlines: Deadlines,
    ops: &[Op],
) -> Result<(), TestCaseError> {
    let mut run = Run {
        store,
        tally,
        model: Model::new(clock, deadlines),
        ids: Vec::new(),
        handles: Vec::new(),
    };
    for (n, op) in ops.iter().enumerate() {
        run.step(op)
            .await
            .map_err(|error| TestCaseError::fail(format!("at op {n} ({op:?}): {error}")))?;
    }
    Ok(())
}
