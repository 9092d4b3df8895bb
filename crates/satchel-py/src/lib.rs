//! `satchel._engine`: the Rust half of the Python package `satchel`.
//!
//! The Python half (`python/satchel/`) keeps werkzeug's classes and pickles its own
//! values; this module does what must not be left to Python: atomic, durable, locked
//! file writes and listing for werkzeug's directory (`files`), and satchel's stores
//! behind one runtime (`store`). Every call that touches a disk, a socket or a lock
//! releases the GIL, so threads of a WSGI server run store calls in parallel.

mod error;
mod files;
mod runtime;
mod store;

use pyo3::prelude::*;

/// A new werkzeug session id: 40 lowercase hex characters, 160 bits from the OS CSPRNG.
#[pyfunction]
fn generate_key() -> PyResult<String> {
    let id = satchel::IdPolicy::werkzeug()
        .generate()
        .map_err(error::to_py)?;
    Ok(id.as_str().to_owned())
}

#[pymodule]
fn _engine(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(generate_key, module)?)?;
    module.add_class::<files::WerkzeugFiles>()?;
    module.add_class::<files::LockedFile>()?;
    module.add_class::<store::Store>()?;
    module.add_class::<store::Handle>()?;
    Ok(())
}
