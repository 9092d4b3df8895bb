//! Concurrent operations: tasks on shared sessions, and a logout among writers.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use satchel::store::SaveOutcome;
use satchel::{Session, SessionId, SessionStore, SessionStoreExt, StorageKey};
use serde_json::{Value, json};

use crate::backend;
use crate::sequences::value;

/// Sessions the concurrent tasks share, and keys each task owns in every one of them.
const SHARED_SESSIONS: usize = 2;
const KEYS_PER_TASK: usize = 3;

/// One task's step on the shared sessions; it only ever changes keys of its own.
#[derive(Clone, Debug)]
pub(crate) enum TaskOp {
    Load(usize),
    Set(usize, usize, Value),
    Remove(usize, usize),
    Save(usize),
    /// A request that only read the session: a new deadline, the data untouched.
    Touch(usize),
    /// Nothing has expired: a prune deletes nothing.
    Prune,
    Yield,
}

fn task_op() -> impl Strategy<Value = TaskOp> {
    let session = 0..SHARED_SESSIONS;
    let key = 0..KEYS_PER_TASK;
    prop_oneof![
        1 => session.clone().prop_map(TaskOp::Load),
        4 => (session.clone(), key.clone(), value()).prop_map(|(s, k, v)| TaskOp::Set(s, k, v)),
        2 => (session.clone(), key).prop_map(|(s, k)| TaskOp::Remove(s, k)),
        3 => session.clone().prop_map(TaskOp::Save),
        1 => session.prop_map(TaskOp::Touch),
        1 => Just(TaskOp::Prune),
        1 => Just(TaskOp::Yield),
    ]
}

pub(crate) fn tasks() -> impl Strategy<Value = Vec<Vec<TaskOp>>> {
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
            TaskOp::Touch(s) => touch_shared(&store, &ids[s]).await?,
            TaskOp::Prune => prune_nothing(&store).await?,
            TaskOp::Yield => tokio::task::yield_now().await,
        }
    }
    Ok(saved)
}

/// A read-only request's new deadline, an hour on; `false` when no live session is stored.
async fn touch<S: SessionStore>(store: &S, id: &SessionId) -> Result<bool, String> {
    let later = store.clock().now() + time::Duration::hours(1);
    let key = store.ids().storage_key(id);
    store
        .touch(&key, Some(later))
        .await
        .map_err(|e| e.to_string())
}

async fn touch_shared<S: SessionStore>(store: &S, id: &SessionId) -> Result<(), String> {
    if touch(store, id).await? {
        Ok(())
    } else {
        Err("a touch found no shared session".into())
    }
}

async fn prune_nothing<S: SessionStore>(store: &S) -> Result<(), String> {
    match store.prune(&satchel::store::Progress::none()).await {
        Ok(0) => Ok(()),
        Ok(n) => Err(format!("a prune deleted {n} live sessions")),
        Err(error) => Err(error.to_string()),
    }
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
pub(crate) async fn run_concurrent<S: SessionStore + Clone>(
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
pub(crate) struct Logout {
    pub(crate) writers: Vec<Vec<TaskOp>>,
    /// Yields before the logout, so that it lands anywhere among the writes.
    delay: usize,
    /// Through a loaded session's `destroy` (else the store's `delete`).
    by_destroy: bool,
}

pub(crate) fn logout() -> impl Strategy<Value = Logout> {
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

/// A writer on the one session; after it has seen the session gone, no load, touch or
/// save may find it.
async fn run_writer<S: SessionStore>(
    store: S,
    id: SessionId,
    task: usize,
    ops: Vec<TaskOp>,
) -> Result<(), String> {
    let mut held: Option<Session> = None;
    let mut seen_gone = false;
    for op in ops {
        match op {
            TaskOp::Yield => tokio::task::yield_now().await,
            TaskOp::Prune => prune_nothing(&store).await?,
            TaskOp::Touch(_) => {
                if touch(&store, &id).await? && seen_gone {
                    return Err(format!("writer {task}: touched a logged-out session"));
                }
            }
            TaskOp::Load(_) => held = load_unless_gone(&store, &id, task, &mut seen_gone).await?,
            TaskOp::Set(_, k, value) => {
                if held.is_none() {
                    held = load_unless_gone(&store, &id, task, &mut seen_gone).await?;
                }
                if let Some(session) = &mut held {
                    session.insert_value(task_key(task, k), value);
                }
            }
            TaskOp::Remove(_, k) => {
                if let Some(session) = &mut held {
                    session.remove_value(&task_key(task, k));
                }
            }
            TaskOp::Save(_) => {
                let Some(session) = &mut held else { continue };
                if saved_or_gone(&store, session, task, seen_gone).await? {
                    (seen_gone, held) = (true, None);
                }
            }
        }
    }
    Ok(())
}

/// The session, or `None` once it is gone (which it must stay).
async fn load_unless_gone<S: SessionStore>(
    store: &S,
    id: &SessionId,
    task: usize,
    seen_gone: &mut bool,
) -> Result<Option<Session>, String> {
    let session = store.get(id.as_str()).await.map_err(|e| e.to_string())?;
    if session.is_new() {
        *seen_gone = true;
        return Ok(None);
    }
    if *seen_gone {
        return Err(format!("writer {task}: the logged-out session came back"));
    }
    Ok(Some(session))
}

/// Saves `session`; `true` when the store no longer had it.
async fn saved_or_gone<S: SessionStore>(
    store: &S,
    session: &mut Session,
    task: usize,
    seen_gone: bool,
) -> Result<bool, String> {
    match store.save(session).await.map_err(|e| e.to_string())? {
        SaveOutcome::Gone => Ok(true),
        SaveOutcome::Updated if seen_gone => {
            Err(format!("writer {task}: updated a logged-out session"))
        }
        SaveOutcome::Updated | SaveOutcome::Unchanged => Ok(false),
        other => Err(format!("writer {task}: a save answered {other:?}")),
    }
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

pub(crate) async fn run_logout<S: SessionStore + Clone>(
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
