//! Model-based property tests: random operation sequences, one at a time and concurrent,
//! run against every store and compared, step by step, with a plain map of what the store
//! should hold.
//!
//! `PROPTEST_CASES` sets the cases per property (default 64). With `--nocapture` each store
//! prints how many cases and operations it went through.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use satchel::store::{Progress, SaveOutcome};
use satchel::{Clock, Session, SessionId, SessionStore, SessionStoreExt, StorageKey};
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

/// The longest sequence one case runs.
const MAX_OPS: usize = 30;
/// Sessions the concurrent tasks share, and keys each task owns in every one of them.
const SHARED_SESSIONS: usize = 2;
const KEYS_PER_TASK: usize = 3;
/// Each case makes a fresh server store, whose first use (connecting, and PostgreSQL's
/// schema under a lock all its users share) can outlast the 500 ms default on a loaded
/// machine; what is stored is tested here, not how fast.
#[cfg(any(feature = "postgres", feature = "redis"))]
const SERVER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// The model

/// What a store should hold under one key.
#[derive(Clone, Debug, PartialEq)]
struct Entry {
    data: Map<String, Value>,
    expires_at: Option<OffsetDateTime>,
}

/// How a store keeps a deadline. werkzeug's files keep none of their own: "no expiry" is
/// their lifetime from the write.
#[derive(Clone, Copy, Debug)]
enum Deadlines {
    Exact,
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
struct Model {
    records: HashMap<StorageKey, Entry>,
    clock: Clock,
    deadlines: Deadlines,
}

impl Model {
    fn is_live(&self, key: &StorageKey) -> bool {
        let now = self.clock.now();
        self.records
            .get(key)
            .is_some_and(|entry| entry.expires_at.is_none_or(|at| at > now))
    }

    fn stored_deadline(&self, at: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
        self.deadlines.stored(at, self.clock.now())
    }
}

/// Where a handle stands with the store, as the model sees it.
#[derive(Clone, Debug)]
enum Bound {
    New,
    /// A dead id kept by a store with `renew_missing = false` (werkzeug's default).
    Adopted(StorageKey),
    Stored(StorageKey),
    Rotating(StorageKey),
    Destroyed(Option<StorageKey>),
    Gone,
}

/// A session a "request" holds, with the model's own account of what it changed.
struct Handle {
    session: Session,
    bound: Bound,
    data: Map<String, Value>,
    expires_at: Option<OffsetDateTime>,
    modified: bool,
    cleared: bool,
    /// Each changed key and its value now (`None`: removed).
    touched: BTreeMap<String, Option<Value>>,
}

impl Handle {
    fn new(session: Session, bound: Bound) -> Self {
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

    fn insert(&mut self, key: &str, value: &Value) {
        self.session.insert_value(key, value.clone());
        self.data.insert(key.to_owned(), value.clone());
        self.touched.insert(key.to_owned(), Some(value.clone()));
        self.modified = true;
    }

    fn remove(&mut self, key: &str) {
        self.session.remove_value(key);
        // Removing a key the session does not have changes nothing.
        if self.data.remove(key).is_some() {
            self.touched.insert(key.to_owned(), None);
            self.modified = true;
        }
    }

    fn clear(&mut self) {
        self.session.clear();
        self.data.clear();
        self.touched.clear();
        self.cleared = true;
        self.modified = true;
    }

    fn set_expiry(&mut self, at: Option<OffsetDateTime>) {
        self.session.set_expires_at(at);
        self.expires_at = at;
        self.modified = true;
    }

    fn rotate(&mut self) {
        self.session.rotate_id().unwrap();
        self.bound = match std::mem::replace(&mut self.bound, Bound::Gone) {
            Bound::Stored(key) => Bound::Rotating(key),
            Bound::New | Bound::Adopted(_) => Bound::New,
            kept => kept,
        };
        self.modified = true;
    }

    fn destroy(&mut self) {
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

// ---------------------------------------------------------------------------------------
// Sequential operations

#[derive(Clone, Debug)]
enum Op {
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

fn value() -> impl Strategy<Value = Value> {
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

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 1..=MAX_OPS)
}

/// How often each thing happened over a store's cases, for the printed figure.
type Tally = std::sync::Mutex<BTreeMap<String, u64>>;

fn count(tally: &Tally, what: String, n: u64) {
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

fn backend<T>(result: satchel::Result<T>) -> Result<T, TestCaseError> {
    result.map_err(|error| TestCaseError::fail(format!("store error: {error}")))
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
        let store = self.store;
        let handle = |index: &Index, handles: &[Handle]| {
            (!handles.is_empty()).then(|| index.index(handles.len()))
        };
        let session = |index: &Index, ids: &[SessionId]| {
            (!ids.is_empty()).then(|| ids[index.index(ids.len())].clone())
        };
        match op {
            Op::Create { entries, ttl } => self.create(entries, *ttl).await?,
            Op::Load(index) => {
                if let Some(id) = session(index, &self.ids) {
                    self.load(&id).await?;
                }
            }
            Op::Request(index, changes) => {
                if let Some(id) = session(index, &self.ids) {
                    self.request(&id, changes).await?;
                }
            }
            Op::Save(index) => {
                if let Some(h) = handle(index, &self.handles) {
                    self.save(h).await?;
                }
            }
            Op::Delete(index) => {
                if let Some(id) = session(index, &self.ids) {
                    let key = self.key(&id);
                    let deleted = backend(store.delete(&key).await)?;
                    let expected = self.model.records.remove(&key).is_some();
                    prop_assert_eq!(deleted, expected, "delete's answer");
                }
            }
            Op::Touch(index, ttl) => {
                if let Some(id) = session(index, &self.ids) {
                    self.touch(&id, *ttl).await?;
                }
            }
            Op::Advance(seconds) => self.model.clock.advance(Duration::seconds(*seconds)),
            Op::ToDeadline(index, offset) => {
                let entry = session(index, &self.ids)
                    .and_then(|id| self.model.records.get(&self.key(&id)).cloned());
                if let Some(at) = entry.and_then(|entry| entry.expires_at) {
                    let target = at + Duration::seconds(*offset);
                    if target > self.model.clock.now() {
                        self.model.clock.set(target);
                    }
                }
            }
            Op::Prune => self.prune().await?,
            local => {
                if let Some(h) = handle(local.handle_index(), &self.handles) {
                    let at = self.in_seconds(local.ttl());
                    local.apply(&mut self.handles[h], at);
                }
            }
        }
        self.check().await
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
        let expected = self.expected_save(h);
        prop_assert_eq!(outcome, expected, "save's outcome");
        count(self.tally, format!("{outcome:?}"), 1);
        let id = self.handles[h].session.id().clone();
        if matches!(outcome, SaveOutcome::Created | SaveOutcome::Rotated) {
            self.seen(&id);
        }
        Ok(())
    }

    /// What saving handle `h` must do, applied to the model.
    fn expected_save(&mut self, h: usize) -> SaveOutcome {
        let new_key = self.key(self.handles[h].session.id());
        let handle = &mut self.handles[h];
        let model = &mut self.model;
        let (outcome, bound) = match handle.bound.clone() {
            Bound::Destroyed(stored) => {
                let Some(key) = stored else {
                    handle.settle(Bound::Gone);
                    return SaveOutcome::Unchanged;
                };
                model.records.remove(&key);
                (SaveOutcome::Deleted, Bound::Gone)
            }
            Bound::Gone => return SaveOutcome::Gone,
            _ if !handle.modified => return SaveOutcome::Unchanged,
            Bound::Stored(key) | Bound::Adopted(key) if model.is_live(&key) => {
                let expires_at = model.stored_deadline(handle.expires_at);
                let entry = model.records.get_mut(&key).unwrap();
                handle.apply_to(&mut entry.data);
                entry.expires_at = expires_at;
                let outcome = match handle.bound {
                    Bound::Adopted(_) => SaveOutcome::Created,
                    _ => SaveOutcome::Updated,
                };
                (outcome, Bound::Stored(key))
            }
            Bound::Stored(_) => (SaveOutcome::Gone, Bound::Gone),
            Bound::New | Bound::Adopted(_) => {
                let entry = Entry {
                    data: handle.data.clone(),
                    expires_at: model.stored_deadline(handle.expires_at),
                };
                model.records.insert(new_key.clone(), entry);
                (SaveOutcome::Created, Bound::Stored(new_key))
            }
            Bound::Rotating(old) if model.is_live(&old) => {
                let mut entry = model.records.remove(&old).unwrap();
                handle.apply_to(&mut entry.data);
                entry.expires_at = model.stored_deadline(handle.expires_at);
                model.records.insert(new_key.clone(), entry);
                (SaveOutcome::Rotated, Bound::Stored(new_key))
            }
            Bound::Rotating(_) => (SaveOutcome::Gone, Bound::Gone),
        };
        handle.settle(bound);
        outcome
    }

    async fn touch(&mut self, id: &SessionId, ttl: Option<i64>) -> Result<(), TestCaseError> {
        let key = self.key(id);
        let at = self.in_seconds(ttl);
        let touched = backend(self.store.touch(&key, at).await)?;
        let live = self.model.is_live(&key);
        if live {
            let stored = self.model.stored_deadline(at);
            self.model.records.get_mut(&key).unwrap().expires_at = stored;
        }
        prop_assert_eq!(touched, live, "touch's answer");
        Ok(())
    }

    async fn prune(&mut self) -> Result<(), TestCaseError> {
        let pruned = backend(self.store.prune(&Progress::none()).await)?;
        let now = self.model.clock.now();
        let before = self.model.records.len();
        self.model
            .records
            .retain(|_, entry| entry.expires_at.is_none_or(|at| at > now));
        let expected = (before - self.model.records.len()) as u64;
        prop_assert_eq!(pruned, expected, "prune's count");
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

async fn run_sequence<S: SessionStore>(
    store: &S,
    tally: &Tally,
    clock: Clock,
    deadlines: Deadlines,
    ops: &[Op],
) -> Result<(), TestCaseError> {
    let model = Model {
        records: HashMap::new(),
        clock,
        deadlines,
    };
    let mut run = Run {
        store,
        tally,
        model,
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

// ---------------------------------------------------------------------------------------
// Concurrent operations

/// One task's step on the shared sessions; it only ever changes keys of its own.
#[derive(Clone, Debug)]
enum TaskOp {
    Load(usize),
    Set(usize, usize, Value),
    Remove(usize, usize),
    Save(usize),
    Yield,
}

fn task_op() -> impl Strategy<Value = TaskOp> {
    let session = 0..SHARED_SESSIONS;
    let key = 0..KEYS_PER_TASK;
    prop_oneof![
        1 => session.clone().prop_map(TaskOp::Load),
        4 => (session.clone(), key.clone(), value()).prop_map(|(s, k, v)| TaskOp::Set(s, k, v)),
        2 => (session.clone(), key).prop_map(|(s, k)| TaskOp::Remove(s, k)),
        3 => session.prop_map(TaskOp::Save),
        1 => Just(TaskOp::Yield),
    ]
}

fn tasks() -> impl Strategy<Value = Vec<Vec<TaskOp>>> {
    prop::collection::vec(prop::collection::vec(task_op(), 1..=20), 2..=4)
}

/// What one task saved: per shared session, each of its keys' last saved value.
type Saved = Vec<BTreeMap<String, Option<Value>>>;

fn task_key(task: usize, key: usize) -> String {
    format!("t{task}-{key}")
}

/// Runs one task's steps; a session it holds keeps its unsaved changes until it saves
/// them or loads the session afresh.
async fn run_task<S: SessionStore>(
    store: S,
    ids: Vec<SessionId>,
    task: usize,
    ops: Vec<TaskOp>,
) -> Result<Saved, String> {
    let mut held: Vec<Option<Session>> = vec![None; ids.len()];
    let mut pending: Saved = vec![BTreeMap::new(); ids.len()];
    let mut saved: Saved = vec![BTreeMap::new(); ids.len()];
    for op in ops {
        match op {
            TaskOp::Load(s) => {
                held[s] = Some(load_shared(&store, &ids[s]).await?);
                pending[s].clear();
            }
            TaskOp::Set(s, k, value) => {
                let session = held_or_load(&store, &ids[s], &mut held[s]).await?;
                session.insert_value(task_key(task, k), value.clone());
                pending[s].insert(task_key(task, k), Some(value));
            }
            TaskOp::Remove(s, k) => {
                let session = held_or_load(&store, &ids[s], &mut held[s]).await?;
                if session.remove_value(&task_key(task, k)).is_some() {
                    pending[s].insert(task_key(task, k), None);
                }
            }
            TaskOp::Save(s) => {
                let Some(session) = &mut held[s] else {
                    continue;
                };
                match store.save(session).await.map_err(|e| e.to_string())? {
                    SaveOutcome::Updated | SaveOutcome::Unchanged => {
                        saved[s].append(&mut pending[s]);
                    }
                    other => return Err(format!("task {task}: a save answered {other:?}")),
                }
            }
            TaskOp::Yield => tokio::task::yield_now().await,
        }
    }
    Ok(saved)
}

async fn load_shared<S: SessionStore>(store: &S, id: &SessionId) -> Result<Session, String> {
    let session = store.get(id.as_str()).await.map_err(|e| e.to_string())?;
    if session.is_new() {
        return Err("a shared session vanished".into());
    }
    Ok(session)
}

async fn held_or_load<'a, S: SessionStore>(
    store: &S,
    id: &SessionId,
    held: &'a mut Option<Session>,
) -> Result<&'a mut Session, String> {
    if held.is_none() {
        *held = Some(load_shared(store, id).await?);
    }
    Ok(held.as_mut().unwrap())
}

async fn shared_sessions<S: SessionStore>(
    store: &S,
    count: usize,
) -> Result<Vec<SessionId>, TestCaseError> {
    let mut ids = Vec::new();
    for _ in 0..count {
        let mut session = backend(store.new_session())?;
        session.insert_value("base", json!("shared"));
        let outcome = backend(store.save(&mut session).await)?;
        prop_assert_eq!(outcome, SaveOutcome::Created);
        ids.push(session.id().clone());
    }
    Ok(ids)
}

/// Tasks changing distinct keys of the same sessions at once: every key ends with the
/// last value its own task saved, and the key no task changed stays.
async fn run_concurrent<S: SessionStore + Clone>(
    store: &S,
    tasks: &[Vec<TaskOp>],
) -> Result<(), TestCaseError> {
    let ids = shared_sessions(store, SHARED_SESSIONS).await?;
    let running: Vec<_> = (tasks.iter().enumerate())
        .map(|(t, ops)| tokio::spawn(run_task(store.clone(), ids.clone(), t, ops.clone())))
        .collect();
    let mut expected = vec![json!({"base": "shared"}).as_object().unwrap().clone(); ids.len()];
    for task in running {
        let saved = task.await.unwrap().map_err(TestCaseError::fail)?;
        for (data, writes) in expected.iter_mut().zip(saved) {
            for (key, value) in writes {
                match value {
                    Some(value) => data.insert(key, value),
                    None => data.remove(&key),
                };
            }
        }
    }
    let keys: BTreeSet<StorageKey> = ids.iter().map(|id| store.ids().storage_key(id)).collect();
    let listed: BTreeSet<StorageKey> = backend(store.list().await)?.into_iter().collect();
    prop_assert_eq!(listed, keys, "listed keys");
    for (id, data) in ids.iter().zip(&expected) {
        let record = backend(store.load(&store.ids().storage_key(id)).await)?;
        let stored = record.map(|record| record.data);
        prop_assert_eq!(stored.as_ref(), Some(data), "merged data");
    }
    Ok(())
}

/// Writers on one session while another request logs it out: once deleted, it stays so.
#[derive(Clone, Debug)]
struct Logout {
    writers: Vec<Vec<TaskOp>>,
    /// Yields before the logout, so that it lands anywhere among the writes.
    delay: usize,
    /// Through a loaded session's `destroy` (else the store's `delete`).
    by_destroy: bool,
}

fn logout() -> impl Strategy<Value = Logout> {
    let writer = prop::collection::vec(task_op(), 1..=15);
    (
        prop::collection::vec(writer, 1..=3),
        0usize..12,
        any::<bool>(),
    )
        .prop_map(|(writers, delay, by_destroy)| Logout {
            writers,
            delay,
            by_destroy,
        })
}

/// A writer on the one session; after it has seen the session gone, no load may find it
/// and no save may update it.
async fn run_writer<S: SessionStore>(
    store: S,
    id: SessionId,
    task: usize,
    ops: Vec<TaskOp>,
) -> Result<(), String> {
    let mut held: Option<Session> = None;
    let mut seen_gone = false;
    for op in ops {
        let load = matches!(op, TaskOp::Load(_))
            || (held.is_none() && !matches!(op, TaskOp::Save(_) | TaskOp::Yield));
        if load {
            let session = store.get(id.as_str()).await.map_err(|e| e.to_string())?;
            if session.is_new() {
                seen_gone = true;
                held = None;
                continue;
            } else if seen_gone {
                return Err(format!("writer {task}: the logged-out session came back"));
            }
            held = Some(session);
        }
        let Some(session) = &mut held else { continue };
        match op {
            TaskOp::Set(_, k, value) => {
                session.insert_value(task_key(task, k), value);
            }
            TaskOp::Remove(_, k) => {
                session.remove_value(&task_key(task, k));
            }
            TaskOp::Save(_) => match store.save(session).await.map_err(|e| e.to_string())? {
                SaveOutcome::Gone => {
                    seen_gone = true;
                    held = None;
                }
                SaveOutcome::Updated if seen_gone => {
                    return Err(format!("writer {task}: updated a logged-out session"));
                }
                SaveOutcome::Updated | SaveOutcome::Unchanged => {}
                other => return Err(format!("writer {task}: a save answered {other:?}")),
            },
            TaskOp::Load(_) => {}
            TaskOp::Yield => tokio::task::yield_now().await,
        }
    }
    Ok(())
}

async fn log_out<S: SessionStore>(store: S, id: SessionId, case: Logout) -> Result<(), String> {
    for _ in 0..case.delay {
        tokio::task::yield_now().await;
    }
    if case.by_destroy {
        let mut session = store.get(id.as_str()).await.map_err(|e| e.to_string())?;
        let outcome = store
            .destroy(&mut session)
            .await
            .map_err(|e| e.to_string())?;
        if outcome != SaveOutcome::Deleted {
            return Err(format!("the logout answered {outcome:?}"));
        }
    } else if !store
        .delete(&store.ids().storage_key(&id))
        .await
        .map_err(|e| e.to_string())?
    {
        return Err("the logout found nothing to delete".into());
    }
    Ok(())
}

async fn run_logout<S: SessionStore + Clone>(
    store: &S,
    case: &Logout,
) -> Result<(), TestCaseError> {
    let id = shared_sessions(store, 1).await?.remove(0);
    let mut running: Vec<_> = (case.writers.iter().enumerate())
        .map(|(t, ops)| tokio::spawn(run_writer(store.clone(), id.clone(), t, ops.clone())))
        .collect();
    running.push(tokio::spawn(log_out(
        store.clone(),
        id.clone(),
        case.clone(),
    )));
    for task in running {
        task.await.unwrap().map_err(TestCaseError::fail)?;
    }
    let key = store.ids().storage_key(&id);
    prop_assert!(
        backend(store.load(&key).await)?.is_none(),
        "the session came back"
    );
    prop_assert!(
        backend(store.list().await)?.is_empty(),
        "the store is not empty"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The runs, one per store

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(64)
}

/// Runs `test` on `cases()` inputs from `strategy`; a failure panics with the shrunk input.
fn property<T: Debug>(
    what: &str,
    strategy: impl Strategy<Value = T>,
    test: impl Fn(T) -> Result<(), TestCaseError>,
) {
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    if let Err(error) = TestRunner::new(config).run(&strategy, test) {
        panic!("{what}: {error}");
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Random sequences against fresh stores from `make`, each judging expiry by the clock it
/// is given; prints the figure for docs/reliability.md.
fn check_sequences<S: SessionStore>(
    runtime: &tokio::runtime::Runtime,
    name: &str,
    deadlines: Deadlines,
    make: impl Fn(Clock) -> S,
) {
    let tally = Tally::default();
    property(&format!("{name}: sequences"), ops(), |ops| {
        count(&tally, "ops".into(), ops.len() as u64);
        runtime.block_on(async {
            let clock = common::now_clock();
            let store = make(clock.clone());
            run_sequence(&store, &tally, clock, deadlines, &ops).await
        })
    });
    let tally = tally.into_inner().unwrap();
    println!(
        "store_model {name}: {} sequences of 1-{MAX_OPS} ops, {} ops in all; saves and prunes: {tally:?}",
        cases(),
        tally.get("ops").copied().unwrap_or_default(),
    );
}

/// Concurrent writers, and logouts among them, against fresh stores from `make`.
fn check_concurrency<S: SessionStore + Clone>(
    runtime: &tokio::runtime::Runtime,
    name: &str,
    make: impl Fn(Clock) -> S,
) {
    let (writes, logouts) = (AtomicU64::new(0), AtomicU64::new(0));
    let ops_in = |tasks: &[Vec<TaskOp>]| tasks.iter().map(Vec::len).sum::<usize>() as u64;
    property(&format!("{name}: concurrent writers"), tasks(), |tasks| {
        writes.fetch_add(ops_in(&tasks), Ordering::Relaxed);
        runtime.block_on(async { run_concurrent(&make(common::now_clock()), &tasks).await })
    });
    property(&format!("{name}: logout among writers"), logout(), |case| {
        logouts.fetch_add(ops_in(&case.writers) + 1, Ordering::Relaxed);
        runtime.block_on(async { run_logout(&make(common::now_clock()), &case).await })
    });
    println!(
        "store_model {name}: {cases} runs of 2-4 concurrent tasks ({} ops), {cases} logouts \
         among 1-3 writers ({} ops)",
        writes.into_inner(),
        logouts.into_inner(),
        cases = cases(),
    );
}

fn check_store<S: SessionStore + Clone>(
    runtime: &tokio::runtime::Runtime,
    name: &str,
    make: impl Fn(Clock) -> S,
) {
    check_sequences(runtime, name, Deadlines::Exact, &make);
    check_concurrency(runtime, name, make);
}

#[test]
fn memory_store_matches_the_model() {
    check_store(&runtime(), "memory", common::memory);
}

#[test]
fn filesystem_store_matches_the_model() {
    let stores = common::FsStores::new();
    check_store(&runtime(), "file", |clock| stores.fresh(clock));
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_store_matches_the_model() {
    let dir = tempfile::tempdir().unwrap();
    check_store(&runtime(), "sqlite", |clock| {
        common::sqlite(dir.path(), clock)
    });
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_store_matches_the_model() {
    let Some(tables) = common::PgTables::new() else {
        return;
    };
    let runtime = runtime();
    let fresh = |clock| tables.fresh(clock).with_timeout(SERVER_TIMEOUT).unwrap();
    check_store(&runtime, "postgres", fresh);
    runtime.block_on(tables.drop_all());
}

/// The stores' connections live on `runtime`, so the clean-up runs there too.
#[cfg(feature = "redis")]
fn redis_matches_the_model(name: &str, stores: Option<common::RedisStores>) {
    let Some(stores) = stores else { return };
    let runtime = runtime();
    check_store(&runtime, name, |clock| {
        stores.fresh(clock).with_timeout(SERVER_TIMEOUT)
    });
    runtime.block_on(stores.clear_all());
}

#[cfg(feature = "redis")]
#[test]
fn redis_store_matches_the_model() {
    redis_matches_the_model("redis", common::RedisStores::server());
}

#[cfg(feature = "redis")]
#[test]
fn redis_cluster_store_matches_the_model() {
    redis_matches_the_model("redis cluster", common::RedisStores::cluster());
}

/// werkzeug's files: raw ids as keys, deadlines from the mtime. The sequences run with
/// werkzeug's own `renew_missing = false` as well, where a dead id is adopted (so a
/// logged-out id can be written again, by design: the concurrent runs keep satchel's default).
#[cfg(feature = "werkzeug")]
#[test]
fn werkzeug_files_match_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let next = AtomicU64::new(0);
    let lifetime = Duration::hours(1);
    let files = |renew_missing: bool| {
        let (dir, next) = (&dir, &next);
        move |clock| {
            let n = next.fetch_add(1, Ordering::Relaxed);
            satchel::FilesystemStore::werkzeug(dir.path().join(n.to_string()))
                .unwrap()
                .with_file_lifetime(lifetime)
                .with_renew_missing(renew_missing)
                .with_clock(clock)
        }
    };
    let runtime = runtime();
    let deadlines = Deadlines::Lifetime(lifetime);
    check_sequences(&runtime, "werkzeug", deadlines, files(true));
    check_sequences(
        &runtime,
        "werkzeug (renew_missing = false)",
        deadlines,
        files(false),
    );
    check_concurrency(&runtime, "werkzeug", files(true));
}
