//! `FilesystemStore`: one file per session in a private directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Progress;
use crate::{Changes, Clock, Error, Record, Result, SessionStore, StorageKey};

mod atomic;
mod directory;
mod format;
mod lock;
mod template;

use format::Stored;
use lock::SessionLock;
use template::FilenameTemplate;

/// Sessions as files in one directory: werkzeug's `FilesystemSessionStore`, with its five
/// settings (directory, filename template, `renew_missing`, file mode; the session type is
/// the generic [`Session`](crate::Session)) and safer defaults.
///
/// - The directory is created 0700 and refused if it is a symlink, belongs to another user
///   or others may write to it. The default is a per-user folder under the temp dir.
/// - Files are named by the SHA-256 of the id through the template (`satchel_%s.json` by
///   default), are created 0600 unless configured, and are never followed through symlinks.
/// - Every write is atomic and durable: temp file, fsync, rename, directory fsync.
/// - A lock per session (256 `flock` stripes) guards read-apply-write across threads and
///   processes, so concurrent saves merge their changes.
/// - A corrupt or unreadable file is logged and read as "no session"; nothing panics.
///
/// The store runs its file I/O on tokio's blocking pool, so it needs a tokio runtime.
///
/// # Example
/// ```
/// use satchel::{FilesystemStore, SessionStore};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// # let dir = tempfile::tempdir()?;
/// let store = FilesystemStore::new(dir.path().join("sessions"))?;
/// let mut session = store.new_session()?;
/// session.insert("user", "alice")?;
/// store.save(&mut session).await?;
/// assert_eq!(store.list().await?, [session.id().storage_key()]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct FilesystemStore {
    inner: Arc<Inner>,
}

#[derive(Clone, Debug)]
struct Inner {
    dir: PathBuf,
    template: FilenameTemplate,
    renew_missing: bool,
    mode: u32,
    clock: Clock,
}

impl FilesystemStore {
    /// A store in `dir`, created (0700) if missing.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the directory is unsafe (a symlink, another user's, or
    /// writable by others); [`Error::Io`] when it cannot be created.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = satchel::FilesystemStore::new(dir.path().join("s"))?;
    /// assert!(store.dir().ends_with("s"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        directory::ensure_private(&dir)?;
        lock::create_locks_dir(&dir)?;
        Ok(Self {
            inner: Arc::new(Inner {
                dir,
                template: FilenameTemplate::parse(FilenameTemplate::DEFAULT)?,
                renew_missing: true,
                mode: 0o600,
                clock: Clock::system(),
            }),
        })
    }

    /// A store in [`FilesystemStore::default_dir`] (werkzeug's `path=None`).
    ///
    /// # Errors
    /// As [`FilesystemStore::new`]; in particular when another user planted that folder.
    ///
    /// # Example
    /// ```
    /// let store = satchel::FilesystemStore::in_temp_dir()?;
    /// assert_eq!(store.dir(), satchel::FilesystemStore::default_dir());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn in_temp_dir() -> Result<Self> {
        Self::new(Self::default_dir())
    }

    /// The default directory: `satchel-<uid>` under the system temp dir, private to the user.
    ///
    /// # Example
    /// ```
    /// assert!(satchel::FilesystemStore::default_dir().starts_with(std::env::temp_dir()));
    /// ```
    #[must_use]
    pub fn default_dir() -> PathBuf {
        directory::default_dir()
    }

    /// Names files through `template`, which must hold exactly one `%s` (for the stored key).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a template without exactly one `%s`, with other `%`,
    /// with a path separator, or ending in the temp-file suffix.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = satchel::FilesystemStore::new(dir.path())?.with_filename_template("sess_%s")?;
    /// assert!(satchel::FilesystemStore::new(dir.path())?.with_filename_template("x").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_filename_template(self, template: &str) -> Result<Self> {
        let template = FilenameTemplate::parse(template)?;
        Ok(self.with(|inner| inner.template = template))
    }

    /// werkzeug's `renew_missing`. `true` (the default) gives an unknown id a fresh session.
    /// `false` keeps the client's id, as werkzeug does by default: that lets an attacker fix
    /// a victim's session id (session fixation), so use it only for compatibility.
    ///
    /// # Example
    /// ```
    /// use satchel::SessionStore;
    /// # let dir = tempfile::tempdir()?;
    /// let store = satchel::FilesystemStore::new(dir.path())?.with_renew_missing(false);
    /// assert!(!store.renews_missing());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_renew_missing(self, renew_missing: bool) -> Self {
        self.with(|inner| inner.renew_missing = renew_missing)
    }

    /// The mode of session files (default `0o600`; werkzeug's was `0o644`).
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = satchel::FilesystemStore::new(dir.path())?.with_mode(0o640);
    /// assert_eq!(store.mode(), 0o640);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_mode(self, mode: u32) -> Self {
        self.with(|inner| inner.mode = mode & 0o777)
    }

    /// Judges expiry by `clock` (tests use a manual one).
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let clock = satchel::Clock::manual(time::OffsetDateTime::UNIX_EPOCH);
    /// let store = satchel::FilesystemStore::new(dir.path())?.with_clock(clock);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_clock(self, clock: Clock) -> Self {
        self.with(|inner| inner.clock = clock)
    }

    /// The directory sessions live in.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// assert_eq!(satchel::FilesystemStore::new(dir.path())?.dir(), dir.path());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The mode session files get.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// assert_eq!(satchel::FilesystemStore::new(dir.path())?.mode(), 0o600);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn mode(&self) -> u32 {
        self.inner.mode
    }

    /// The file a stored key lives in (werkzeug's `get_session_filename`).
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = satchel::FilesystemStore::new(dir.path())?;
    /// let key = satchel::SessionId::generate()?.storage_key();
    /// assert_eq!(store.path_of(&key), dir.path().join(format!("satchel_{key}.json")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn path_of(&self, key: &StorageKey) -> PathBuf {
        self.inner.path_of(key)
    }

    fn with(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Runs blocking file work off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|err| Error::Backend(Box::new(err)))?
    }
}

impl Inner {
    fn path_of(&self, key: &StorageKey) -> PathBuf {
        self.dir.join(self.template.file_name(key))
    }

    /// The record in `key`'s file, expired or not; a corrupt one is reported and counts as none.
    fn read(&self, key: &StorageKey) -> Result<Option<Record>> {
        let path = self.path_of(key);
        Ok(match format::read(&path)? {
            Stored::Found(record) => Some(record),
            Stored::Missing => None,
            Stored::Corrupt(why) => {
                tracing::warn!(file = %path.display(), "corrupt session file read as no session: {why}");
                None
            }
        })
    }

    fn read_live(&self, key: &StorageKey) -> Result<Option<Record>> {
        let now = self.clock.now();
        Ok(self.read(key)?.filter(|record| !record.is_expired(now)))
    }

    fn write(&self, key: &StorageKey, record: &Record) -> Result<()> {
        let bytes = format::encode(record)?;
        atomic::write_atomic(&self.dir, &self.template.file_name(key), &bytes, self.mode)?;
        Ok(())
    }

    fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
        let _lock = SessionLock::acquire(&self.dir, key)?;
        if self.read_live(key)?.is_some() {
            return Ok(false);
        }
        self.write(key, record)?;
        Ok(true)
    }

    fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        // No lock: files are replaced by rename, so a reader sees a whole old or new file.
        match self.read(key) {
            Err(Error::Io(err)) => {
                tracing::warn!(file = %self.path_of(key).display(), "unreadable session file read as no session: {err}");
                Ok(None)
            }
            other => other,
        }
    }

    fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        let _lock = SessionLock::acquire(&self.dir, key)?;
        let Some(mut record) = self.read_live(key)? else {
            return Ok(false);
        };
        record.apply(changes);
        self.write(key, &record)?;
        Ok(true)
    }

    fn delete(&self, key: &StorageKey) -> Result<bool> {
        let _lock = SessionLock::acquire(&self.dir, key)?;
        self.remove(key)
    }

    fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
        let _lock = SessionLock::acquire(&self.dir, key)?;
        let now = self.clock.now();
        match self.read(key)? {
            Some(record) if record.is_expired(now) => self.remove(key),
            _ => Ok(false),
        }
    }

    fn remove(&self, key: &StorageKey) -> Result<bool> {
        match std::fs::remove_file(self.path_of(key)) {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    fn list(&self) -> Result<Vec<StorageKey>> {
        let mut keys = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            if let Some(key) = name.to_str().and_then(|name| self.template.key_of(name)) {
                keys.push(key);
            }
        }
        keys.sort();
        Ok(keys)
    }

    fn prune(&self, progress: &Progress) -> Result<u64> {
        atomic::remove_stale_temp_files(&self.dir);
        let keys = self.list()?;
        let total = keys.len() as u64;
        let mut deleted = 0;
        for (checked, key) in (1..).zip(&keys) {
            deleted += u64::from(self.delete_expired(key)?);
            progress(checked, total);
        }
        Ok(deleted)
    }
}

impl SessionStore for FilesystemStore {
    async fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
        let (key, record) = (key.clone(), record.clone());
        self.blocking(move |inner| inner.create(&key, &record))
            .await
    }

    async fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        let key = key.clone();
        self.blocking(move |inner| inner.load(&key)).await
    }

    async fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        let (key, changes) = (key.clone(), changes.clone());
        self.blocking(move |inner| inner.update(&key, &changes))
            .await
    }

    async fn delete(&self, key: &StorageKey) -> Result<bool> {
        let key = key.clone();
        self.blocking(move |inner| inner.delete(&key)).await
    }

    async fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
        let key = key.clone();
        self.blocking(move |inner| inner.delete_expired(&key)).await
    }

    async fn list(&self) -> Result<Vec<StorageKey>> {
        self.blocking(Inner::list).await
    }

    async fn prune_with_progress(&self, progress: Progress) -> Result<u64> {
        self.blocking(move |inner| inner.prune(&progress)).await
    }

    fn clock(&self) -> Clock {
        self.inner.clock.clone()
    }

    fn renews_missing(&self) -> bool {
        self.inner.renew_missing
    }
}
