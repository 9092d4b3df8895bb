//! satchel's errors as Python exceptions.

use pyo3::PyErr;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};

/// `InvalidConfig` (an unsafe directory, a bad URL or template) is the caller's
/// `ValueError`; I/O failures are `OSError`; a backend's failure is a `RuntimeError`.
pub(crate) fn to_py(err: satchel::Error) -> PyErr {
    match err {
        satchel::Error::InvalidConfig(why) => PyValueError::new_err(why),
        satchel::Error::Io(io) => PyOSError::new_err(io.to_string()),
        satchel::Error::TooLarge { .. } | satchel::Error::TooDeep { .. } => {
            PyValueError::new_err(err.to_string())
        }
        other => PyRuntimeError::new_err(other.to_string()),
    }
}
