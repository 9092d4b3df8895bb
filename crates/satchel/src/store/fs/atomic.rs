//! The one way the filesystem store writes a file: temp file, fsync, rename, fsync the dir.

use std::fs::{File, Permissions};
use std::io::{self, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use super::temp_files::temp_prefix;

/// A fail point named `satchel::fs::<step>` that returns an injected I/O error, after
/// running the optional block (a partial write, say); nothing without `failpoints`.
macro_rules! fault {
    ($step:literal) => {
        fault!($step, {})
    };
    ($step:literal, $before:block) => {
        #[cfg(feature = "failpoints")]
        fail::fail_point!(concat!("satchel::fs::", $step), |_| {
            $before
            Err(io::Error::other(concat!("injected failure at ", $step)))
        });
    };
}

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
/// fails. Each step is a fail point under the `failpoints` feature (`satchel::fs::` and
/// the step's name), for the tests that inject a failure there.
pub(super) fn write_atomic(target: &Target<'_>, bytes: &[u8]) -> io::Result<()> {
    fault!("create-temp");
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix())
        .suffix(target.temp_suffix)
        .tempfile_in(target.dir)?;
    // fchmod is not subject to the umask, unlike the mode given at creation.
    temp.as_file()
        .set_permissions(Permissions::from_mode(target.mode))?;
    // An injected failure here leaves half the bytes written, as a full disk would.
    fault!("write", {
        let _ = temp.write_all(&bytes[..bytes.len() / 2]);
    });
    temp.write_all(bytes)?;
    if let Some(modified) = target.modified {
        temp.as_file().set_modified(modified)?;
    }
    fault!("fsync");
    temp.as_file().sync_all()?;
    fault!("rename");
    // rename(2) replaces a symlink at the target instead of following it.
    temp.persist(target.dir.join(target.name))
        .map_err(|failed| failed.error)?;
    fault!("sync-dir");
    // Without this the rename itself may not survive a power loss.
    sync_dir(target.dir).map_err(|err| {
        io::Error::new(
            err.kind(),
            format!("the file was replaced, but syncing its directory failed, so the change may not survive a power loss: {err}"),
        )
    })
}

/// Makes the renames and unlinks done in `dir` durable: they live in the directory, not
/// in the files, so without this a deleted session can come back after a power loss.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
