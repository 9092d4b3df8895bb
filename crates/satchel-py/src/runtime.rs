//! One tokio runtime per process, made on first use and again in a forked child (a
//! pre-forking server such as gunicorn forks after import; the parent's runtime threads
//! do not exist in the child).

use std::sync::{Arc, Mutex, PoisonError};

use pyo3::PyResult;
use pyo3::exceptions::PyRuntimeError;
use tokio::runtime::Runtime;

static RUNTIME: Mutex<Option<(u32, Arc<Runtime>)>> = Mutex::new(None);

/// The process's runtime.
pub(crate) fn get() -> PyResult<Arc<Runtime>> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((owner, runtime)) = slot.as_ref()
        && *owner == pid
    {
        return Ok(Arc::clone(runtime));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("satchel")
        .enable_all()
        .build()
        .map_err(|err| PyRuntimeError::new_err(format!("cannot start satchel's runtime: {err}")))?;
    let runtime = Arc::new(runtime);
    // A parent's runtime, inherited through fork, has no threads here: leak it rather than
    // run its destructor, which would wait for them.
    if let Some((_, inherited)) = slot.replace((pid, Arc::clone(&runtime))) {
        std::mem::forget(inherited);
    }
    Ok(runtime)
}
