//! The one way the filesystem store writes a file: temp file, fsync, rename, fsync the dir.

use std::fs::{File, Permissions};
use std::io::{self, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// Where and how a session file is written.
pub(super) struct Target<'a> {
    pub(super) dir: &'a Path,
    pub(super) name: &'a str,
    pub(super) mode: u32,
    /// Temp files end with this, so `list` (ours and werkzeug's) skips them.
    pub(super) temp_suffix: &'a str,
    /// The mtime the file gets (werkzeug's format keeps its deadline there).
    pub(super) modified: Option<std::time::SystemTime>,
}

/// Replaces the target file with `bytes` so that a crash leaves the old file or the new
/// one, never a torn one. The temp file is created O_EXCL with a random name (no symlink
/// games), gets its final mode and mtime before it is visible, and is removed if anything
/// fails.
pub(super) fn write_atomic(target: &Target<'_>, bytes: &[u8]) -> io::Result<()> {
    let mut temp = tempfile::Builder::new()
        .prefix(".tmp-")
        .suffix(target.temp_suffix)
        .tempfile_in(target.dir)?;
    // fchmod is not subject to the umask, unlike the mode given at creation.
    temp.as_file()
        .set_permissions(Permissions::from_mode(target.mode))?;
    temp.write_all(bytes)?;
    if let Some(modified) = target.modified {
        temp.as_file().set_modified(modified)?;
    }
    temp.as_file().sync_all()?;
    // rename(2) replaces a symlink at the target instead of following it.
    temp.persist(target.dir.join(target.name))
        .map_err(|failed| failed.error)?;
    // Without this the rename itself may not survive a power loss.
    sync_dir(target.dir)
}

/// Makes the renames and unlinks done in `dir` durable: they live in the directory, not
/// in the files, so without this a deleted session can come back after a power loss.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Temp files older than this are leftovers of a crashed writer, not writes in progress.
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes temp files that a killed writer left behind; best effort, errors are logged.
pub(super) fn remove_stale_temp_files(dir: &Path, temp_suffix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let is_temp = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.ends_with(temp_suffix));
        let age = entry
            .metadata()
            .ok()
            .and_then(|meta| meta.modified().ok())
            .and_then(|at| at.elapsed().ok());
        if is_temp
            && age.is_some_and(|age| age > STALE_TEMP_AGE)
            && let Err(err) = std::fs::remove_file(entry.path())
        {
            tracing::warn!(file = %entry.path().display(), "could not remove a stale temp file: {err}");
        }
    }
}
