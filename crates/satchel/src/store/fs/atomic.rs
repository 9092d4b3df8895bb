//! The one way the filesystem store writes a file: temp file, fsync, rename, fsync the dir.

use std::fs::{File, Permissions};
use std::io::{self, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// Temp files end with this, so `list` (ours and werkzeug's) skips them.
pub(super) const TEMP_SUFFIX: &str = ".__satchel";

/// Replaces `dir/name` with `bytes` so that a crash leaves the old file or the new one,
/// never a torn one. The temp file is created O_EXCL with a random name (no symlink games),
/// gets its final mode before it is visible, and is removed if anything fails.
pub(super) fn write_atomic(dir: &Path, name: &str, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut temp = tempfile::Builder::new()
        .prefix(".tmp-")
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)?;
    // fchmod is not subject to the umask, unlike the mode given at creation.
    temp.as_file()
        .set_permissions(Permissions::from_mode(mode))?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    // rename(2) replaces a symlink at the target instead of following it.
    temp.persist(dir.join(name))
        .map_err(|failed| failed.error)?;
    // Without this the rename itself may not survive a power loss.
    File::open(dir)?.sync_all()
}
