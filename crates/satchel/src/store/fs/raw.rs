//! `WerkzeugFiles`: the raw bytes of werkzeug's session files, for a program that encodes
//! its own values (the Python package pickles them) while satchel does the file work.

use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::format::{self, MAX_FILE_BYTES, Opened, Stored};
use super::lock::SessionLock;
use super::template::FilenameTemplate;
use super::{atomic, directory, lock, temp_files};
use crate::error::{Error, Result};
use crate::id::StorageKey;
use crate::id_policy::IdPolicy;

/// werkzeug's own suffix for temp files, so werkzeug's `list()` skips ours.
const TEMP_SUFFIX: &str = ".__wz_sess";

/// A werkzeug session directory seen as bytes: atomic and durable writes (temp file, fsync,
/// rename, directory fsync), reads that never follow symlinks and refuse files over 16 MiB,
/// per-session locks shared with [`FilesystemStore::werkzeug`](crate::FilesystemStore::werkzeug)
/// and across processes, and listing. What the bytes mean is the caller's business: the
/// Python package pickles its sessions itself, exactly as werkzeug does.
///
/// Sessions are named by werkzeug's ids (40 lowercase hex characters): anything else is
/// refused, so no id can reach a path outside the directory. The directory is created 0700
/// and refused when it is a symlink, someone else's, or readable or writable by others: its
/// listing is a list of live session ids.
///
/// To change a session without losing a concurrent writer's change, hold its lock across
/// the read and the write ([`WerkzeugFiles::lock`]).
///
/// # Example
/// ```
/// # let dir = tempfile::tempdir()?;
/// let files = satchel::store::WerkzeugFiles::open(dir.path().join("s"), "werkzeug_%s.sess", 0o600)?;
/// let id = "0123456789abcdef0123456789abcdef01234567";
/// let session = files.lock(id)?;
/// assert_eq!(session.read()?, None);
/// session.write(b"bytes of a pickle")?;
/// drop(session); // releases the lock
/// assert_eq!(files.read(id)?.as_deref(), Some(&b"bytes of a pickle"[..]));
/// assert_eq!(files.list()?, [id]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct WerkzeugFiles {
    inner: Arc<Settings>,
}

#[derive(Debug)]
struct Settings {
    dir: PathBuf,
    template: FilenameTemplate,
    mode: u32,
}

impl WerkzeugFiles {
    /// The session files in `dir` (created 0700 if missing), named by `template` (one
    /// `%s`, werkzeug's default is `werkzeug_%s.sess`), written with `mode`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a bad template or an unsafe directory (a symlink,
    /// another user's, or one others may read, list or write); [`Error::Io`] when the
    /// directory cannot be created.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// use satchel::store::WerkzeugFiles;
    /// assert!(WerkzeugFiles::open(dir.path().join("s"), "werkzeug_%s.sess", 0o600).is_ok());
    /// assert!(WerkzeugFiles::open(dir.path().join("s"), "no placeholder", 0o600).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(dir: impl AsRef<Path>, template: &str, mode: u32) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let template = FilenameTemplate::parse(template)?;
        directory::ensure_private(&dir)?;
        directory::ensure_unlistable(&dir)?;
        lock::create_locks_dir(&dir)?;
        temp_files::remove_stale_temp_files(&dir, TEMP_SUFFIX);
        Ok(Self {
            inner: Arc::new(Settings {
                dir,
                template,
                mode: mode & 0o777,
            }),
        })
    }

    /// The directory.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let files = satchel::store::WerkzeugFiles::open(dir.path().join("s"), "%s", 0o600)?;
    /// assert_eq!(files.dir(), dir.path().join("s"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The file `id`'s session lives in (werkzeug's `get_session_filename`); `None` for an
    /// id that is not werkzeug's shape.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let files = satchel::store::WerkzeugFiles::open(dir.path().join("s"), "werkzeug_%s.sess", 0o600)?;
    /// let id = "0123456789abcdef0123456789abcdef01234567";
    /// assert_eq!(files.path_of(id), Some(dir.path().join("s").join(format!("werkzeug_{id}.sess"))));
    /// assert_eq!(files.path_of("../etc/passwd"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn path_of(&self, id: &str) -> Option<PathBuf> {
        key_of(id).map(|key| self.file(&key))
    }

    /// The bytes of `id`'s file; `None` when there is none (or the id is not werkzeug's
    /// shape). No lock is needed to read: files are replaced by rename, never rewritten.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the name is a symlink, not a regular file, or larger
    /// than 16 MiB; [`Error::Io`] when it cannot be read.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let files = satchel::store::WerkzeugFiles::open(dir.path().join("s"), "%s", 0o600)?;
    /// assert_eq!(files.read("0123456789abcdef0123456789abcdef01234567")?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(&self, id: &str) -> Result<Option<Vec<u8>>> {
        match key_of(id) {
            Some(key) => read_file(&self.file(&key)),
            None => Ok(None),
        }
    }

    /// Takes `id`'s lock (waiting for it), across threads and processes: while the returned
    /// guard lives, no other writer of this directory (this type, or a
    /// [`FilesystemStore::werkzeug`](crate::FilesystemStore::werkzeug) on it) changes the
    /// session.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an id that is not werkzeug's shape; [`Error::Io`] when
    /// the lock file cannot be opened or locked.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let files = satchel::store::WerkzeugFiles::open(dir.path().join("s"), "%s", 0o600)?;
    /// let locked = files.lock("0123456789abcdef0123456789abcdef01234567")?;
    /// locked.write(b"x")?;
    /// assert_eq!(locked.read()?.as_deref(), Some(&b"x"[..]));
    /// assert!(files.lock("not an id").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lock(&self, id: &str) -> Result<LockedFile> {
        let key = key_of(id).ok_or_else(|| {
            Error::InvalidConfig("a werkzeug session id is 40 lowercase hex characters".into())
        })?;
        let lock = SessionLock::acquire(&self.inner.dir, &key)?;
        Ok(LockedFile {
            files: self.clone(),
            key,
            _lock: lock,
        })
    }

    /// Removes `id`'s file under its lock, durably; `false` when there was none.
    ///
    /// # Errors
    /// As [`WerkzeugFiles::lock`], and [`Error::Io`] when the file cannot be removed.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let files = satchel::store::WerkzeugFiles::open(dir.path().join("s"), "%s", 0o600)?;
    /// let id = "0123456789abcdef0123456789abcdef01234567";
    /// files.lock(id)?.write(b"x")?;
    /// assert!(files.delete(id)?);
    /// assert!(!files.delete(id)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete(&self, id: &str) -> Result<bool> {
        self.lock(id)?.delete()
    }

    /// The ids of every session file, sorted; temp files and names that do not fit the
    /// template or hold no werkzeug id are skipped.
    ///
    /// # Errors
    /// [`Error::Io`] when the directory cannot be read.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let files = satchel::store::WerkzeugFiles::open(dir.path().join("s"), "%s.sess", 0o600)?;
    /// assert!(files.list()?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(&self.inner.dir)? {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.ends_with(TEMP_SUFFIX) {
                continue;
            }
            let id = self.inner.template.part_of(name).and_then(key_of);
            ids.extend(id.map(|key| key.as_str().to_owned()));
        }
        ids.sort();
        Ok(ids)
    }

    fn file(&self, key: &StorageKey) -> PathBuf {
        self.inner.dir.join(self.inner.template.file_name(key))
    }
}

/// One session's file under its lock, released when this is dropped.
///
/// # Example
/// ```
/// # let dir = tempfile::tempdir()?;
/// let files = satchel::store::WerkzeugFiles::open(dir.path().join("s"), "%s", 0o600)?;
/// let locked = files.lock("0123456789abcdef0123456789abcdef01234567")?;
/// let before = locked.read()?.unwrap_or_default();
/// locked.write(&[before, b"!".to_vec()].concat())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "the lock is released when this is dropped"]
pub struct LockedFile {
    files: WerkzeugFiles,
    key: StorageKey,
    _lock: SessionLock,
}

impl LockedFile {
    /// The file's bytes now; `None` when there is none.
    ///
    /// # Errors
    /// As [`WerkzeugFiles::read`].
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let files = satchel::store::WerkzeugFiles::open(dir.path().join("s"), "%s", 0o600)?;
    /// let locked = files.lock("0123456789abcdef0123456789abcdef01234567")?;
    /// assert_eq!(locked.read()?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(&self) -> Result<Option<Vec<u8>>> {
        read_file(&self.files.file(&self.key))
    }

    /// Replaces the file with `bytes`, atomically and durably, with the store's mode; the
    /// file's modification time becomes now.
    ///
    /// # Errors
    /// [`Error::Io`] when the temp file cannot be written, synced or renamed (the old file,
    /// if any, is then left whole).
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let files = satchel::store::WerkzeugFiles::open(dir.path().join("s"), "%s", 0o640)?;
    /// let id = "0123456789abcdef0123456789abcdef01234567";
    /// files.lock(id)?.write(b"x")?;
    /// # use std::os::unix::fs::PermissionsExt as _;
    /// # let mode = std::fs::metadata(files.path_of(id).unwrap())?.permissions().mode();
    /// # assert_eq!(mode & 0o777, 0o640);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write(&self, bytes: &[u8]) -> Result<()> {
        let settings = &self.files.inner;
        let name = settings.template.file_name(&self.key);
        let target = atomic::Target {
            dir: &settings.dir,
            name: &name,
            mode: settings.mode,
            temp_suffix: TEMP_SUFFIX,
            modified: None,
        };
        atomic::write_atomic(&target, bytes)?;
        Ok(())
    }

    /// Removes the file, durably; `false` when there was none.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be removed or the removal cannot be synced.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// # let files = satchel::store::WerkzeugFiles::open(dir.path().join("s"), "%s", 0o600)?;
    /// let locked = files.lock("0123456789abcdef0123456789abcdef01234567")?;
    /// assert!(!locked.delete()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete(&self) -> Result<bool> {
        match std::fs::remove_file(self.files.file(&self.key)) {
            Ok(()) => {
                atomic::sync_dir(&self.files.inner.dir)?;
                Ok(true)
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(err) => Err(err.into()),
        }
    }
}

fn key_of(id: &str) -> Option<StorageKey> {
    IdPolicy::werkzeug().parse_storage_key(id)
}

/// Reads a whole file, opened as the file store opens its own (no symlink, no FIFO, within
/// the cap).
fn read_file(path: &Path) -> Result<Option<Vec<u8>>> {
    let file = match format::open(path)? {
        Opened::File(file, _) => file,
        Opened::Done(Stored::Corrupt(why)) => return Err(unusable(path, &why)),
        // Missing (open decodes nothing, so it never finds a record).
        Opened::Done(_) => return Ok(None),
    };
    let mut bytes = Vec::new();
    // The file may have grown since it was measured.
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(unusable(path, "is larger than 16 MiB"));
    }
    Ok(Some(bytes))
}

fn unusable(path: &Path, why: &str) -> Error {
    Error::InvalidConfig(format!("session file {}: {why}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn a_symlinked_session_file_is_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let files = WerkzeugFiles::open(dir.path().join("s"), "w_%s", 0o600).unwrap();
        let outside = dir.path().join("outside");
        std::fs::File::create(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, files.path_of(ID).unwrap()).unwrap();
        assert!(files.read(ID).is_err());
        // A write replaces the link itself, leaving its target alone.
        files.lock(ID).unwrap().write(b"new").unwrap();
        assert_eq!(std::fs::read(&outside).unwrap(), b"");
        assert_eq!(files.read(ID).unwrap().unwrap(), b"new");
    }

    #[test]
    fn a_directory_others_can_list_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = WerkzeugFiles::open(&open, "%s", 0o600).unwrap_err();
        assert!(err.to_string().contains("chmod 700"), "{err}");
    }

    #[test]
    fn listing_skips_temp_files_strangers_and_bad_ids() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = dir.path().join("s");
        let files = WerkzeugFiles::open(&sessions, "werkzeug_%s.sess", 0o600).unwrap();
        files.lock(ID).unwrap().write(b"x").unwrap();
        for name in ["werkzeug_short.sess", "other.txt", "x.__wz_sess"] {
            std::fs::File::create(sessions.join(name)).unwrap();
        }
        assert_eq!(files.list().unwrap(), [ID]);
    }
}
