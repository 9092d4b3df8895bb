//! `FilesystemStore`: one file per session in a private directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use time::OffsetDateTime;

use super::{Progress, SessionStore};
use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::id::StorageKey;
use crate::id_policy::IdPolicy;
use crate::owner::UserKey;
use crate::record::Record;

mod atomic;
#[cfg(feature = "fuzzing")]
pub(crate) mod codecs;
mod directory;
mod files;
mod format;
mod lock;
mod prune;
#[cfg(feature = "werkzeug")]
mod raw;
mod temp_files;
mod template;
mod users;
#[cfg(feature = "werkzeug")]
mod werkzeug;

use files::SessionFiles;
use format::FileFormat;
#[cfg(feature = "werkzeug")]
pub use raw::{LockedFile, WerkzeugFiles};
use template::FilenameTemplate;

/// Sessions as files in one directory: werkzeug's `FilesystemSessionStore`, with its five
/// settings (directory, filename template, `renew_missing`, file mode; the session type is
/// the generic [`Session`](crate::Session)) and safer defaults.
///
/// - The directory is created 0700 and refused if it is a symlink, belongs to another user
///   or others may write to it. The default is a per-user folder under the temp dir.
/// - Files are named by the SHA-256 of the id through the template (`satchel_%s.json` by
///   default), are created 0600 unless configured, and are never followed through symlinks.
/// - Every write is atomic and durable: temp file, fsync, rename, directory fsync; every
///   delete too: unlink, directory fsync (once per batch when pruning).
/// - A lock per session (256 `flock` stripes) guards read-apply-write across threads and
///   processes, so concurrent saves merge their changes.
/// - A corrupt or unreadable file is logged and read as "no session"; nothing panics.
///   Prune removes it once it is older than a grace (see
///   [`FilesystemStore::with_unreadable_grace`]), and says how many it removed.
///
/// The store runs its file I/O on tokio's blocking pool, so it needs a tokio runtime.
///
/// # Example
/// ```
/// use satchel::{FilesystemStore, SessionStore, SessionStoreExt};
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
    inner: Arc<SessionFiles>,
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
        let format = FileFormat::Satchel;
        temp_files::remove_stale_temp_files(&dir, format.codec().temp_suffix());
        Ok(Self {
            inner: Arc::new(SessionFiles {
                dir,
                template: FilenameTemplate::parse(format.codec().default_template())?,
                renew_missing: true,
                mode: 0o600,
                clock: Clock::system(),
                format,
                unreadable_grace: None,
            }),
        })
    }

    /// A store in `dir` that reads and writes werkzeug's own session files, so a Rust
    /// service and a Python one (werkzeug's `FilesystemSessionStore`, or secure-cookie's)
    /// can share one session directory.
    ///
    /// - Files are `werkzeug_<id>.sess` (change it with
    ///   [`FilesystemStore::with_filename_template`], e.g. `secure_cookie_%s.session`),
    ///   named by the raw id as werkzeug expects, and ids are werkzeug's 40 lowercase hex
    ///   characters, drawn from the CSPRNG. Since a listing of the directory is then a
    ///   list of live cookies, the directory must be private: one that others may read
    ///   or enter (any group or other permission) is refused.
    /// - Files hold a pickled dict. Reading is data-only: a pickle that names a global
    ///   (other than the builtins that build bytes and sets) or builds an object is refused
    ///   and read as no session; nothing is ever executed. See the mapping of Python
    ///   values to JSON in [`docs::werkzeug`](crate::docs::werkzeug).
    /// - werkzeug stores no times, so a file expires a lifetime (30 minutes unless set with
    ///   [`FilesystemStore::with_file_lifetime`]) after its modification time; saving or
    ///   touching a session moves that time. Since no creation time survives either, the
    ///   absolute timeout cannot be enforced in this format: a session ends only after a
    ///   lifetime without writes.
    ///
    /// # Errors
    /// As [`FilesystemStore::new`], and [`Error::InvalidConfig`] when others may read or
    /// list the directory (the message names the fix, `chmod 700 DIR`).
    ///
    /// # Example
    /// ```
    /// use satchel::{FilesystemStore, SessionStoreExt};
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # let dir = tempfile::tempdir()?;
    /// let sessions = dir.path().join("sessions"); // created 0700
    /// let store = FilesystemStore::werkzeug(&sessions)?;
    /// let mut session = store.new_session()?;
    /// assert_eq!(session.id().as_str().len(), 40);
    /// session.insert("user", "alice")?;
    /// store.save(&mut session).await?;
    /// let file = sessions.join(format!("werkzeug_{}.sess", session.id().as_str()));
    /// assert!(file.exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "werkzeug")]
    #[cfg_attr(docsrs, doc(cfg(feature = "werkzeug")))]
    pub fn werkzeug(dir: impl AsRef<Path>) -> Result<Self> {
        let format = FileFormat::Werkzeug(werkzeug::WerkzeugFormat {
            lifetime: crate::expiry::Expiry::DEFAULT_IDLE_TIMEOUT,
        });
        let template = FilenameTemplate::parse(format.codec().default_template())?;
        let store = Self::new(dir)?;
        directory::ensure_unlistable(store.dir())?;
        temp_files::remove_stale_temp_files(store.dir(), format.codec().temp_suffix());
        Ok(store.with(|files| {
            files.format = format;
            files.template = template;
        }))
    }

    /// werkzeug format: how long a file stays valid after its last write. Make it the
    /// layer's idle timeout.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = satchel::FilesystemStore::werkzeug(dir.path().join("sessions"))?
    ///     .with_file_lifetime(time::Duration::hours(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "werkzeug")]
    #[cfg_attr(docsrs, doc(cfg(feature = "werkzeug")))]
    #[must_use]
    pub fn with_file_lifetime(self, lifetime: time::Duration) -> Self {
        self.with(|files| {
            if let FileFormat::Werkzeug(format) = &mut files.format {
                format.lifetime = lifetime;
            }
        })
    }

    /// How old (by its modification time) a file the store cannot read (corrupt, cut
    /// off, not a session file) must be before [`prune`](SessionStore::prune) removes
    /// it. Such a file is a lost session either way; the grace only spares a file that
    /// may become readable again, one a newer version wrote during an upgrade, say.
    ///
    /// Make it the layer's idle timeout: a file unwritten for that long holds an expired
    /// session even if it could be read. The default, since the store does not know that
    /// timeout, is the default absolute timeout (12 hours), past which no session under
    /// the default expiry lives; werkzeug's files default to their file lifetime, the
    /// rule that already ends their readable files.
    ///
    /// # Example
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let store = satchel::FilesystemStore::new(dir.path())?
    ///     .with_unreadable_grace(time::Duration::minutes(30));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_unreadable_grace(self, grace: time::Duration) -> Self {
        self.with(|files| files.unreadable_grace = Some(grace))
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
        Ok(self.with(|files| files.template = template))
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
    /// assert!(!store.ids().renews_missing());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_renew_missing(self, renew_missing: bool) -> Self {
        self.with(|files| files.renew_missing = renew_missing)
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
        self.with(|files| files.mode = mode & 0o777)
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
        self.with(|files| files.clock = clock)
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

    fn with(self, change: impl FnOnce(&mut SessionFiles)) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Runs blocking file work off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&SessionFiles) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|err| Error::Backend(Box::new(err)))?
    }
}

impl SessionStore for FilesystemStore {
    async fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
        let (key, record) = (key.clone(), record.clone());
        self.blocking(move |files| files.create(&key, &record))
            .await
    }

    async fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        // A file the page cache holds is read here: a hand-off to the blocking pool and
        // back costs more than the read. One that would wait for the disk goes there.
        #[cfg(target_os = "linux")]
        if let Some(found) = self.inner.load_cached(key)? {
            return Ok(found);
        }
        let key = key.clone();
        self.blocking(move |files| files.load(&key)).await
    }

    async fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        let (key, changes) = (key.clone(), changes.clone());
        self.blocking(move |files| files.update(&key, &changes))
            .await
    }

    async fn delete(&self, key: &StorageKey) -> Result<bool> {
        let key = key.clone();
        self.blocking(move |files| files.delete(&key)).await
    }

    async fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
        let key = key.clone();
        self.blocking(move |files| files.delete_expired(&key)).await
    }

    async fn list(&self) -> Result<Vec<StorageKey>> {
        self.blocking(SessionFiles::list).await
    }

    async fn touch(&self, key: &StorageKey, expires_at: Option<OffsetDateTime>) -> Result<bool> {
        let key = key.clone();
        self.blocking(move |files| files.touch(&key, expires_at))
            .await
    }

    async fn prune(&self, progress: &Progress) -> Result<u64> {
        let progress = progress.clone();
        self.blocking(move |files| files.prune(&progress)).await
    }

    async fn user_records(&self, user: &UserKey) -> Result<Vec<(StorageKey, Record)>> {
        let user = user.clone();
        self.blocking(move |files| files.records_of(&user)).await
    }

    fn clock(&self) -> Clock {
        self.inner.clock.clone()
    }

    fn ids(&self) -> IdPolicy {
        self.inner.ids()
    }

    fn backend_name(&self) -> &'static str {
        match self.inner.format {
            FileFormat::Satchel => "file",
            #[cfg(feature = "werkzeug")]
            FileFormat::Werkzeug(_) => "werkzeug",
        }
    }
}
