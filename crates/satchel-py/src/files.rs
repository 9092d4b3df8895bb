//! werkzeug's session directory for the Python face: Python hands over and takes back the
//! pickled bytes; satchel writes them atomically and durably, locks and lists.

use std::sync::{Mutex, PoisonError};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::error::to_py;

/// The raw files of a werkzeug session directory (see `satchel::store::WerkzeugFiles`).
#[pyclass(module = "satchel._engine", frozen)]
pub(crate) struct WerkzeugFiles {
    files: satchel::store::WerkzeugFiles,
}

#[pymethods]
impl WerkzeugFiles {
    /// Opens (creating 0700) `path`; refuses an unsafe directory with `ValueError`.
    #[new]
    fn new(py: Python<'_>, path: &str, template: &str, mode: u32) -> PyResult<Self> {
        let files = py
            .detach(|| satchel::store::WerkzeugFiles::open(path, template, mode))
            .map_err(to_py)?;
        Ok(Self { files })
    }

    /// The bytes of `sid`'s file, or `None`.
    fn read<'py>(&self, py: Python<'py>, sid: &str) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let bytes = py.detach(|| self.files.read(sid)).map_err(to_py)?;
        Ok(bytes.map(|bytes| PyBytes::new(py, &bytes)))
    }

    /// Waits for `sid`'s lock (without the GIL) and returns it held.
    fn lock(&self, py: Python<'_>, sid: &str) -> PyResult<LockedFile> {
        let locked = py.detach(|| self.files.lock(sid)).map_err(to_py)?;
        Ok(LockedFile {
            locked: Mutex::new(Some(locked)),
        })
    }

    /// Removes `sid`'s file under its lock; `False` when there was none.
    fn delete(&self, py: Python<'_>, sid: &str) -> PyResult<bool> {
        py.detach(|| self.files.delete(sid)).map_err(to_py)
    }

    /// The ids of every session file, sorted.
    fn list(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        py.detach(|| self.files.list()).map_err(to_py)
    }
}

/// One session file under its lock; a context manager that releases it on exit.
#[pyclass(module = "satchel._engine", frozen)]
pub(crate) struct LockedFile {
    locked: Mutex<Option<satchel::store::LockedFile>>,
}

impl LockedFile {
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        work: impl FnOnce(&satchel::store::LockedFile) -> satchel::Result<T> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let guard = self.locked.lock().unwrap_or_else(PoisonError::into_inner);
            match guard.as_ref() {
                Some(locked) => work(locked).map_err(to_py),
                None => Err(PyValueError::new_err(
                    "the session lock was already released",
                )),
            }
        })
    }
}

#[pymethods]
impl LockedFile {
    /// The file's bytes now, or `None`.
    fn read<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let bytes = self.with(py, satchel::store::LockedFile::read)?;
        Ok(bytes.map(|bytes| PyBytes::new(py, &bytes)))
    }

    /// Replaces the file with `data`: temp file, fsync, rename, directory fsync.
    fn write(&self, py: Python<'_>, data: &[u8]) -> PyResult<()> {
        self.with(py, |locked| locked.write(data))
    }

    /// Removes the file; `False` when there was none.
    fn delete(&self, py: Python<'_>) -> PyResult<bool> {
        self.with(py, satchel::store::LockedFile::delete)
    }

    /// Releases the lock (also done when the object is collected).
    fn release(&self, py: Python<'_>) {
        py.detach(|| {
            self.locked
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
        });
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.release(py);
        false
    }
}
