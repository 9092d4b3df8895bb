//! satchel's stores (`sqlite:`, `redis://`, `postgres://`, `file:`, `memory:`) for the
//! Python face: sessions travel as JSON text, saves hand the store only the keys that
//! changed, so concurrent saves of one session merge instead of overwriting each other.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use satchel::store::{AnyStore, Progress, SessionStoreExt as _};
use satchel::{SessionStore as _, time};
use tokio::runtime::Runtime;

use crate::error::to_py;
use crate::runtime;

/// A store opened from a URL, with the idle lifetime every save gives its session.
#[pyclass(module = "satchel._engine", frozen)]
pub(crate) struct Store {
    url: String,
    idle: time::Duration,
    /// The process that opened `store`: a forked child reopens it, since the parent's
    /// connections (and the runtime tasks that drive them) are not its own.
    opened: Mutex<Opened>,
}

struct Opened {
    pid: u32,
    store: AnyStore,
    runtime: Arc<Runtime>,
}

impl Opened {
    /// Opens `url` on this process's runtime; called without the GIL.
    fn new(url: &str) -> PyResult<Self> {
        let runtime = runtime::get()?;
        // Stores that connect (PostgreSQL's pool) need the runtime while being opened.
        let store = {
            let _entered = runtime.enter();
            satchel::store::open(url)
                .and_then(satchel::store::Opened::into_store)
                .map_err(to_py)?
        };
        Ok(Self {
            pid: std::process::id(),
            store,
            runtime,
        })
    }
}

/// One session as the engine tracks it: its id, state and the changes since loading.
#[pyclass(module = "satchel._engine", frozen)]
pub(crate) struct Handle {
    session: Mutex<satchel::Session>,
}

impl Handle {
    fn new(session: satchel::Session) -> Self {
        Self {
            session: Mutex::new(session),
        }
    }

    fn session(&self) -> MutexGuard<'_, satchel::Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[pymethods]
impl Handle {
    /// The session id (the cookie value).
    #[getter]
    fn sid(&self) -> String {
        self.session().id().as_str().to_owned()
    }

    /// Whether no store held this session when it was handed out.
    #[getter]
    fn is_new(&self) -> bool {
        self.session().is_new()
    }

    /// The data as a JSON object's text.
    fn data_json(&self) -> PyResult<String> {
        serde_json::to_string(self.session().data())
            .map_err(|err| PyValueError::new_err(err.to_string()))
    }
}

impl Store {
    /// The store and runtime of this process, reopened after a fork.
    fn opened(&self, py: Python<'_>) -> PyResult<(AnyStore, Arc<Runtime>)> {
        // Without the GIL: a thread holding it must never wait for this lock.
        py.detach(|| {
            let mut opened = self.opened.lock().unwrap_or_else(PoisonError::into_inner);
            if opened.pid != std::process::id() {
                *opened = Opened::new(&self.url)?;
            }
            Ok((opened.store.clone(), Arc::clone(&opened.runtime)))
        })
    }

    /// Runs `work` on the store, on the process's runtime, without the GIL.
    fn run<T: Send, F>(
        &self,
        py: Python<'_>,
        work: impl FnOnce(AnyStore) -> F + Send,
    ) -> PyResult<T>
    where
        F: Future<Output = satchel::Result<T>>,
    {
        let (store, runtime) = self.opened(py)?;
        py.detach(|| runtime.block_on(work(store))).map_err(to_py)
    }

    fn store(&self, py: Python<'_>) -> PyResult<AnyStore> {
        Ok(self.opened(py)?.0)
    }
}

#[pymethods]
impl Store {
    /// Opens the store `url` names; sessions live `idle_seconds` past their last save.
    #[new]
    fn new(py: Python<'_>, url: &str, idle_seconds: f64) -> PyResult<Self> {
        if !(idle_seconds.is_finite() && idle_seconds > 0.0) {
            return Err(PyValueError::new_err(
                "the session lifetime must be positive",
            ));
        }
        Ok(Self {
            url: url.to_owned(),
            idle: time::Duration::seconds_f64(idle_seconds),
            opened: Mutex::new(py.detach(|| Opened::new(url))?),
        })
    }

    /// A new, empty session with a fresh id.
    fn new_session(&self, py: Python<'_>) -> PyResult<Handle> {
        Ok(Handle::new(self.store(py)?.new_session().map_err(to_py)?))
    }

    /// The live session stored under `sid`, or a new one (malformed, unknown or expired).
    fn get(&self, py: Python<'_>, sid: &str) -> PyResult<Handle> {
        let session = self.run(py, |store| async move { store.get(sid).await })?;
        Ok(Handle::new(session))
    }

    /// Whether `sid` has the shape of this store's ids.
    fn is_valid_key(&self, py: Python<'_>, sid: &str) -> PyResult<bool> {
        Ok(self.store(py)?.is_valid_id(sid))
    }

    /// A fresh id from the CSPRNG.
    fn generate_key(&self, py: Python<'_>) -> PyResult<String> {
        let id = self.store(py)?.generate_id().map_err(to_py)?;
        Ok(id.as_str().to_owned())
    }

    /// Sets the keys of the JSON object `sets`, removes `removed`, moves the deadline
    /// (`lifetime_seconds` from now, the store's lifetime when `None`) and writes: a create
    /// for a new session, a merge of just these changes otherwise.
    #[pyo3(signature = (handle, sets, removed, lifetime_seconds=None))]
    fn save(
        &self,
        py: Python<'_>,
        handle: &Handle,
        sets: &str,
        removed: Vec<String>,
        lifetime_seconds: Option<f64>,
    ) -> PyResult<()> {
        let lifetime = match lifetime_seconds {
            Some(seconds) if seconds.is_finite() && seconds > 0.0 => {
                time::Duration::seconds_f64(seconds)
            }
            Some(_) => {
                return Err(PyValueError::new_err(
                    "the session lifetime must be positive",
                ));
            }
            None => self.idle,
        };
        let sets: serde_json::Map<String, serde_json::Value> = serde_json::from_str(sets)
            .map_err(|err| PyTypeError::new_err(format!("session data is not JSON: {err}")))?;
        let (store, runtime) = self.opened(py)?;
        py.detach(|| {
            let mut session = handle.session();
            for (key, value) in sets {
                session.insert_value(key, value);
            }
            for key in &removed {
                session.remove_value(key);
            }
            session.set_expires_at(store.clock().now().checked_add(lifetime));
            runtime.block_on(store.save(&mut session))
        })
        .map_err(to_py)?;
        Ok(())
    }

    /// Gives the session a fresh id (at login): its next save writes the record under the
    /// new id and deletes the old one. Returns the new id.
    fn rotate(&self, handle: &Handle) -> PyResult<String> {
        let mut session = handle.session();
        session.rotate_id().map_err(to_py)?;
        Ok(session.id().as_str().to_owned())
    }

    /// Deletes the session's record.
    fn delete(&self, py: Python<'_>, handle: &Handle) -> PyResult<()> {
        let (store, runtime) = self.opened(py)?;
        py.detach(|| {
            let mut session = handle.session();
            runtime.block_on(store.destroy(&mut session))
        })
        .map_err(to_py)?;
        Ok(())
    }

    /// The storage keys of every stored session (satchel's stores keep the SHA-256 of an
    /// id, never the id).
    fn list(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let keys = self.run(py, |store| async move { store.list().await })?;
        Ok(keys.iter().map(|key| key.as_str().to_owned()).collect())
    }

    /// Removes expired sessions; returns how many.
    fn prune(&self, py: Python<'_>) -> PyResult<u64> {
        self.run(
            py,
            |store| async move { store.prune(&Progress::none()).await },
        )
    }
}
