//! The store directory: created private, refused when others could tamper with it (or,
//! for werkzeug's format, read it).

use std::fs::DirBuilder;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A per-user folder under the system temp dir, never the shared temp dir itself
/// (werkzeug's default, world-readable there).
pub(super) fn default_dir() -> PathBuf {
    std::env::temp_dir().join(format!("satchel-{}", rustix::process::geteuid().as_raw()))
}

/// Creates `path` (mode 0700) if needed, then checks that it is a real directory that
/// belongs to us and that nobody else may write to.
pub(super) fn ensure_private(path: &Path) -> Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(path)?;
    let meta = std::fs::symlink_metadata(path)?;
    let unsafe_dir = |why: &str| {
        Err(Error::InvalidConfig(format!(
            "session directory {}: {why}",
            path.display()
        )))
    };
    if meta.file_type().is_symlink() {
        return unsafe_dir("is a symbolic link");
    }
    if !meta.is_dir() {
        return unsafe_dir("is not a directory");
    }
    if meta.uid() != rustix::process::geteuid().as_raw() {
        return unsafe_dir("belongs to another user");
    }
    if meta.mode() & 0o022 != 0 {
        return unsafe_dir("others may write to it (chmod go-w)");
    }
    Ok(())
}

/// Checks that others may neither list `path` nor reach files in it: werkzeug names its
/// files by the raw session id, so a listing is a list of live cookies.
#[cfg(feature = "werkzeug")]
pub(super) fn ensure_unlistable(path: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.mode() & 0o055 != 0 {
        return Err(Error::InvalidConfig(format!(
            "session directory {dir}: others may read or list it, and werkzeug's file \
             names are the session ids (chmod 700 {dir})",
            dir = path.display()
        )));
    }
    Ok(())
}
