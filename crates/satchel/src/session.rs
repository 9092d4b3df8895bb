//! The session: a map of JSON values that knows what changed.

use std::borrow::Cow;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::id::{SessionId, StorageKey};
use crate::id_policy::IdPolicy;
use crate::key_set::KeySet;
use crate::limits::{self, Limits, Tally};
use crate::owner::Owner;
use crate::record::Record;

/// A session: string keys mapped to JSON-compatible values, plus what werkzeug's `Session`
/// knows about itself (`id`, `is_new`, `is_modified`, `should_save`).
///
/// Every write marks the session modified, and so does mutable access through
/// [`Session::get_mut`], which werkzeug could not see. The session also remembers *which*
/// keys changed: stores save those changes, not the whole map (see [`Changes`]).
///
/// # Example
/// ```
/// use satchel::{Session, SessionId};
///
/// let mut session = Session::new(SessionId::generate()?);
/// assert!(session.is_new() && !session.is_modified());
///
/// session.insert("cart", vec!["apple"])?;
/// session.get_mut("cart").unwrap().as_array_mut().unwrap().push("pear".into());
/// assert_eq!(session.get::<Vec<String>>("cart")?.unwrap(), ["apple", "pear"]);
/// assert!(session.should_save());
/// # Ok::<(), satchel::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Session {
    id: SessionId,
    data: Map<String, Value>,
    created_at: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
    state: State,
    is_modified: bool,
    cleared: bool,
    touched: KeySet,
    /// The current id's storage key, as the store that loaded the session computed it:
    /// a save then needs no second SHA-256.
    key: Option<(IdPolicy, StorageKey)>,
    limits: Limits,
    /// The data's size as it changes, so the limit check costs only what changed.
    tally: Tally,
    /// The user the session is tied to, and whether that changed since the load.
    pub(crate) owner: Option<Owner>,
    pub(crate) owner_changed: bool,
}

/// Where a session stands with its store: each save is a `match` on it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// No store holds it and no client has seen its id.
    New,
    /// werkzeug's `renew_missing=False`: a well-formed id from a client that no store holds.
    Adopted,
    /// A store holds it under its id.
    Stored,
    /// A store holds it under `previous`; the next save moves it to the new id.
    Rotating { previous: SessionId },
    /// Ended by the application; the next save deletes what is stored under `stored`.
    Destroyed { stored: Option<SessionId> },
    /// The store no longer holds it (deleted, rotated away or expired meanwhile): a later
    /// save must not bring it back.
    Gone,
}

/// What the next save of a session has to do, decided in one place for every store and
/// for cookie sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pending<'a> {
    /// Nothing changed.
    Nothing,
    /// The store no longer holds the session; nothing may be written.
    Gone,
    /// Delete the record under this id, if any; the cookie must go either way.
    Delete(Option<&'a SessionId>),
    /// Create a record for a new session.
    Create,
    /// Create a record under an adopted id, or apply the changes if another request did.
    CreateAdopted,
    /// Apply the changes to the stored record.
    Update,
    /// Move the record stored under this id to the new one, with the changes.
    Rotate(&'a SessionId),
}

impl Session {
    /// A new, empty, unmodified session under `id` that no store holds yet.
    ///
    /// # Example
    /// ```
    /// let session = satchel::Session::new(satchel::SessionId::generate()?);
    /// assert!(session.is_new() && session.is_empty() && !session.should_save());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn new(id: SessionId) -> Self {
        Self::new_at(id, Clock::system().now())
    }

    /// A new session created at `now` (by the store's [`Clock`]).
    pub(crate) fn new_at(id: SessionId, now: OffsetDateTime) -> Self {
        Self {
            id,
            data: Map::new(),
            created_at: now,
            expires_at: None,
            state: State::New,
            is_modified: false,
            cleared: false,
            touched: KeySet::default(),
            key: None,
            limits: Limits::default(),
            tally: Tally::default(),
            owner: None,
            owner_changed: false,
        }
    }

    /// A session as loaded from a store: not new, not modified.
    ///
    /// # Example
    /// ```
    /// use satchel::{Record, Session, SessionId};
    ///
    /// let session = Session::from_record(SessionId::generate()?, Record::new());
    /// assert!(!session.is_new() && !session.is_modified());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn from_record(id: SessionId, record: Record) -> Self {
        Self {
            data: record.data,
            created_at: record.created_at,
            expires_at: record.expires_at,
            owner: record.owner,
            state: State::Stored,
            ..Self::new_at(id, record.created_at)
        }
    }

    /// werkzeug's `renew_missing=False`: keep a well-formed id the store does not know, as an
    /// empty session that is not new. Unsafe (it lets a client choose its id); for
    /// compatibility only.
    pub(crate) fn adopted(id: SessionId, now: OffsetDateTime) -> Self {
        Self {
            state: State::Adopted,
            ..Self::new_at(id, now)
        }
    }

    /// The session id (the cookie value).
    ///
    /// # Example
    /// ```
    /// let id = satchel::SessionId::generate()?;
    /// assert_eq!(satchel::Session::new(id.clone()).id(), &id);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn id(&self) -> &SessionId {
        &self.id
    }

    /// True when no stored session was found for the request (werkzeug's `new`).
    ///
    /// # Example
    /// ```
    /// assert!(satchel::Session::new(satchel::SessionId::generate()?).is_new());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn is_new(&self) -> bool {
        self.state == State::New
    }

    /// True once anything was written since the session was loaded or saved.
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// let _ = session.get_value("absent"); // reads never modify
    /// assert!(!session.is_modified());
    /// session.insert("k", true)?;
    /// assert!(session.is_modified());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn is_modified(&self) -> bool {
        self.is_modified
    }

    /// Whether a store should write this session: it was modified (as in werkzeug, a new but
    /// untouched session is not saved).
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// assert!(!session.should_save());
    /// session.mark_modified();
    /// assert!(session.should_save());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn should_save(&self) -> bool {
        self.is_modified
    }

    /// Marks the session modified by hand, so that it is saved (and its cookie refreshed).
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// session.mark_modified();
    /// assert!(session.is_modified());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn mark_modified(&mut self) {
        self.is_modified = true;
    }

    /// The value under `key`, decoded into `T`; `Ok(None)` when the key is absent.
    ///
    /// # Errors
    /// [`Error::Decode`] when the stored value does not fit `T`.
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// session.insert("n", 7)?;
    /// assert_eq!(session.get::<u32>("n")?, Some(7));
    /// assert!(session.get::<String>("n").is_err());
    /// assert_eq!(session.get::<u32>("missing")?, None);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.data
            .get(key)
            .map(|value| T::deserialize(value).map_err(Error::Decode))
            .transpose()
    }

    /// The raw JSON value under `key`.
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// session.insert("n", 7)?;
    /// assert_eq!(session.get_value("n"), Some(&serde_json::json!(7)));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn get_value(&self, key: &str) -> Option<&Value> {
        self.data.get(key)
    }

    /// Mutable access to the value under `key`; marks the key changed, since the caller may
    /// change anything inside it.
    ///
    /// # Example
    /// ```
    /// use satchel::{Record, Session, SessionId};
    ///
    /// let mut record = Record::new();
    /// record.data.insert("visits".into(), 1.into());
    /// let mut session = Session::from_record(SessionId::generate()?, record);
    /// *session.get_mut("visits").unwrap() = 2.into();
    /// assert!(session.is_modified());
    /// assert_eq!(session.changes().set["visits"], 2);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.tally.start(&self.data);
        let value = self.data.get_mut(key)?;
        self.tally.lend(key, value);
        self.is_modified = true;
        self.touched.insert(key.to_owned());
        Some(value)
    }

    /// Stores `value` under `key`, returning the previous value; refuses it, changing
    /// nothing, when the session would pass its [`Limits`].
    ///
    /// # Errors
    /// [`Error::Encode`] when `value` cannot become JSON (e.g. a map with non-string keys);
    /// [`Error::TooLarge`] or [`Error::TooDeep`] past the session's limits.
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// assert_eq!(session.insert("user", "alice")?, None);
    /// assert_eq!(session.insert("user", "bob")?, Some("alice".into()));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn insert<T: Serialize>(
        &mut self,
        key: impl Into<String>,
        value: T,
    ) -> Result<Option<Value>> {
        let value = serde_json::to_value(value).map_err(Error::Encode)?;
        self.insert_checked(key.into(), value)
    }

    /// [`Session::insert_value`], after checking the session's limits.
    fn insert_checked(&mut self, key: String, value: Value) -> Result<Option<Value>> {
        self.tally.start(&self.data);
        let (bytes, _) = limits::check_value(&self.tally, &self.data, &key, &value, self.limits)?;
        Ok(self.put(key, value, bytes, false))
    }

    fn put(&mut self, key: String, value: Value, bytes: usize, too_deep: bool) -> Option<Value> {
        self.is_modified = true;
        let old = self.data.insert(key.clone(), value);
        self.tally.set(&key, old.as_ref(), bytes, too_deep);
        self.touched.insert(key);
        old
    }

    /// Stores a JSON value under `key`, returning the previous value. Marks the session
    /// modified even when the value is the same, as werkzeug does. Unlike
    /// [`Session::insert`] it cannot fail: the [`Limits`] are checked when it is saved.
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// session.insert_value("flag", serde_json::Value::Bool(true));
    /// assert!(session.contains_key("flag"));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn insert_value(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        let key = key.into();
        self.tally.start(&self.data);
        let (bytes, depth) = limits::entry(&key, &value, self.limits.max_depth());
        self.put(key, value, bytes, depth > self.limits.max_depth())
    }

    /// Removes `key` and returns its value decoded into `T`; `Ok(None)` when it was absent.
    /// A value that does not fit `T` is an error and stays in the session.
    ///
    /// # Errors
    /// [`Error::Decode`] when the stored value does not fit `T`.
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// session.insert("cart", vec![1, 2])?;
    /// assert!(session.remove::<String>("cart").is_err());
    /// assert_eq!(session.remove::<Vec<u32>>("cart")?, Some(vec![1, 2]));
    /// assert_eq!(session.remove::<Vec<u32>>("cart")?, None);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn remove<T: DeserializeOwned>(&mut self, key: &str) -> Result<Option<T>> {
        let decoded = self.get::<T>(key)?;
        self.remove_value(key);
        Ok(decoded)
    }

    /// Removes `key`, returning its raw value; marks the session modified only if it was
    /// there.
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// assert_eq!(session.remove_value("absent"), None);
    /// assert!(!session.is_modified());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn remove_value(&mut self, key: &str) -> Option<Value> {
        self.tally.start(&self.data);
        let value = self.data.remove(key)?;
        self.tally.forget(key, Some(&value));
        self.is_modified = true;
        self.touched.insert(key.to_owned());
        Some(value)
    }

    /// Read-modify-write of one key in one step: `change` gets the current value (`None`
    /// when absent) and returns the new one, which is stored and returned.
    ///
    /// # Errors
    /// [`Error::Decode`] when the stored value does not fit `T` (nothing changes then);
    /// [`Error::Encode`] when the new value cannot become JSON; [`Error::TooLarge`] or
    /// [`Error::TooDeep`] past the session's limits (nothing changes then either).
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// let n = session.update("visits", |n: Option<u64>| n.unwrap_or(0) + 1)?;
    /// assert_eq!(n, 1);
    /// assert_eq!(session.update("visits", |n: Option<u64>| n.unwrap_or(0) + 1)?, 2);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn update<T, F>(&mut self, key: &str, change: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(Option<T>) -> T,
    {
        let new = change(self.get::<T>(key)?);
        let value = serde_json::to_value(&new).map_err(Error::Encode)?;
        self.insert_checked(key.to_owned(), value)?;
        Ok(new)
    }

    /// Removes every key; always marks the session modified.
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// session.insert("a", 1)?;
    /// session.clear();
    /// assert!(session.is_empty() && session.is_modified());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn clear(&mut self) {
        self.data.clear();
        self.touched.clear();
        self.tally.clear();
        self.cleared = true;
        self.is_modified = true;
    }

    /// The same session under other [`Limits`] (the middleware gives each session the
    /// layer's, [`SessionLayer::with_limits`](crate::SessionLayer::with_limits)).
    ///
    /// # Example
    /// ```
    /// use satchel::{Limits, Session, SessionId};
    /// let session = Session::new(SessionId::generate()?).with_limits(Limits::new().with_max_depth(4));
    /// assert_eq!(session.limits().max_depth(), 4);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits the session's data is held to.
    ///
    /// # Example
    /// ```
    /// let session = satchel::Session::new(satchel::SessionId::generate()?);
    /// assert_eq!(session.limits(), satchel::Limits::default());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Checks the data against the session's limits before a save writes it.
    pub(crate) fn check_limits(&mut self) -> Result<()> {
        self.tally.check(&self.data, self.limits)
    }

    /// Whether `key` is present.
    ///
    /// # Example
    /// ```
    /// let session = satchel::Session::new(satchel::SessionId::generate()?);
    /// assert!(!session.contains_key("a"));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.data.contains_key(key)
    }

    /// The number of keys.
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// session.insert("a", 1)?;
    /// assert_eq!(session.len(), 1);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the session holds no keys.
    ///
    /// # Example
    /// ```
    /// assert!(satchel::Session::new(satchel::SessionId::generate()?).is_empty());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// All keys and values, read-only.
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// session.insert("a", 1)?;
    /// assert_eq!(serde_json::to_string(session.data())?, r#"{"a":1}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn data(&self) -> &Map<String, Value> {
        &self.data
    }

    /// When the session was created.
    ///
    /// # Example
    /// ```
    /// let session = satchel::Session::new(satchel::SessionId::generate()?);
    /// assert!(session.created_at() <= time::OffsetDateTime::now_utc());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn created_at(&self) -> OffsetDateTime {
        self.created_at
    }

    /// When the stores will stop returning the session; `None` means never.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::Session::new(satchel::SessionId::generate()?).expires_at(), None);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.expires_at
    }

    /// Sets when the stores stop returning the session; marks it modified.
    ///
    /// # Example
    /// ```
    /// use time::{Duration, OffsetDateTime};
    ///
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// let at = OffsetDateTime::now_utc() + Duration::hours(1);
    /// session.set_expires_at(Some(at));
    /// assert_eq!(session.changes().expires_at, Some(at));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn set_expires_at(&mut self, at: Option<OffsetDateTime>) {
        self.expires_at = at;
        self.is_modified = true;
    }

    /// Gives the session a fresh id, keeping its data: call it at login and on any change of
    /// privilege, against session fixation. On save the new record is written before the old
    /// one is deleted, and the old id then finds nothing. (A store whose ids have another
    /// shape, such as werkzeug's files, draws the final id when it saves.)
    ///
    /// # Errors
    /// [`Error::Io`] when the operating system cannot provide randomness.
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// let before = session.id().clone();
    /// session.rotate_id()?;
    /// assert_ne!(session.id(), &before);
    /// assert!(session.should_save());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn rotate_id(&mut self) -> Result<()> {
        let old = std::mem::replace(&mut self.id, SessionId::generate()?);
        self.key = None;
        self.state = match std::mem::replace(&mut self.state, State::Gone) {
            State::Stored => State::Rotating { previous: old },
            // No client has seen the fresh id: an adopted id (renew_missing=False) that is
            // rotated before it was stored is created like any new session.
            State::New | State::Adopted => State::New,
            kept @ (State::Rotating { .. } | State::Destroyed { .. } | State::Gone) => kept,
        };
        self.is_modified = true;
        Ok(())
    }

    /// Ends the session (logout): the store deletes it on save, and the middleware expires
    /// the cookie. The data is cleared at once.
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// session.insert("user", "alice")?;
    /// session.destroy();
    /// assert!(session.is_destroyed() && session.is_empty());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn destroy(&mut self) {
        self.clear();
        let stored = match std::mem::replace(&mut self.state, State::Gone) {
            State::Stored => Some(self.id.clone()),
            State::Rotating { previous } => Some(previous),
            State::Destroyed { stored } => stored,
            State::New | State::Adopted | State::Gone => None,
        };
        self.state = State::Destroyed { stored };
    }

    /// Whether [`Session::destroy`] was called.
    ///
    /// # Example
    /// ```
    /// assert!(!satchel::Session::new(satchel::SessionId::generate()?).is_destroyed());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn is_destroyed(&self) -> bool {
        matches!(self.state, State::Destroyed { .. })
    }

    /// The id this session had before [`Session::rotate_id`], until the next save.
    ///
    /// # Example
    /// ```
    /// use satchel::{Record, Session, SessionId};
    ///
    /// let old = SessionId::generate()?;
    /// let mut session = Session::from_record(old.clone(), Record::new());
    /// session.rotate_id()?;
    /// assert_eq!(session.previous_id(), Some(&old));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn previous_id(&self) -> Option<&SessionId> {
        match &self.state {
            State::Rotating { previous } => Some(previous),
            _ => None,
        }
    }

    /// What changed since the session was loaded or last saved.
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// session.insert("a", 1)?;
    /// session.remove_value("a");
    /// let changes = session.changes();
    /// assert_eq!(changes.removed, ["a"]);
    /// assert!(changes.set.is_empty());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn changes(&self) -> Changes {
        let mut changes = Changes {
            cleared: self.cleared,
            expires_at: self.expires_at,
            owner: self.owner_changed.then(|| self.owner.clone()),
            ..Changes::default()
        };
        for key in self.touched.iter() {
            match self.data.get(key) {
                Some(value) => {
                    changes.set.insert(key.clone(), value.clone());
                }
                None => changes.removed.push(key.clone()),
            }
        }
        changes
    }

    /// The whole session as a record, for creating it in a store.
    ///
    /// # Example
    /// ```
    /// let mut session = satchel::Session::new(satchel::SessionId::generate()?);
    /// session.insert("a", 1)?;
    /// assert_eq!(session.to_record().data["a"], 1);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn to_record(&self) -> Record {
        Record {
            data: self.data.clone(),
            created_at: self.created_at,
            expires_at: self.expires_at,
            owner: self.owner.clone(),
        }
    }

    /// Sets the deadline the middleware's policy computed, without marking the session
    /// modified (a save or touch is already under way).
    pub(crate) fn set_deadline(&mut self, at: Option<OffsetDateTime>) {
        self.expires_at = at;
    }

    /// Dates the session as created at `at` (a cookie session re-issued after its user's
    /// cookies were revoked), marking it modified.
    #[cfg(feature = "cookie-store")]
    pub(crate) fn restart_at(&mut self, at: OffsetDateTime) {
        self.created_at = at;
        self.is_modified = true;
    }

    /// Whether a store holds (or held, when loaded) a record for this session.
    pub(crate) fn is_stored(&self) -> bool {
        matches!(self.state, State::Stored | State::Rotating { .. })
    }

    /// Whether a save has anything to do: changes, or a deletion.
    pub(crate) fn needs_save(&self) -> bool {
        self.is_modified || self.is_destroyed()
    }

    /// What the next save has to do.
    pub(crate) fn pending(&self) -> Pending<'_> {
        match &self.state {
            State::Destroyed { stored } => Pending::Delete(stored.as_ref()),
            State::Gone => Pending::Gone,
            _ if !self.is_modified => Pending::Nothing,
            State::New => Pending::Create,
            State::Adopted => Pending::CreateAdopted,
            State::Stored => Pending::Update,
            State::Rotating { previous } => Pending::Rotate(previous),
        }
    }

    /// Gives the session another id before it is first stored (an id collision on create).
    pub(crate) fn replace_new_id(&mut self, id: SessionId) {
        self.id = id;
        self.key = None;
    }

    /// Remembers the key the store computed for the current id.
    pub(crate) fn with_storage_key(mut self, ids: IdPolicy, key: StorageKey) -> Self {
        self.key = Some((ids, key));
        self
    }

    /// The current id's storage key under `ids`: remembered from the load, or computed.
    pub(crate) fn storage_key(&self, ids: &IdPolicy) -> Cow<'_, StorageKey> {
        match &self.key {
            Some((policy, key)) if policy == ids => Cow::Borrowed(key),
            _ => Cow::Owned(ids.storage_key(&self.id)),
        }
    }

    /// After a successful save: the store now holds exactly this session.
    pub(crate) fn mark_saved(&mut self) {
        self.state = State::Stored;
        self.forget_changes();
    }

    /// After the store deleted it, or found it gone: nothing is stored any more.
    pub(crate) fn mark_gone(&mut self) {
        self.state = State::Gone;
        self.forget_changes();
    }

    fn forget_changes(&mut self) {
        self.is_modified = false;
        self.cleared = false;
        self.touched.clear();
        self.owner_changed = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn session() -> Session {
        Session::new(SessionId::generate().unwrap())
    }

    #[test]
    fn werkzeug_modification_rules() {
        let mut s = session();
        s.insert("a", 1).unwrap();
        s.mark_saved();
        s.insert("a", 1).unwrap(); // same value still counts
        assert!(s.is_modified());

        let mut s = session();
        s.clear(); // even when already empty
        assert!(s.is_modified());

        let mut s = session();
        assert!(s.get_mut("missing").is_none());
        assert!(!s.is_modified());
    }

    #[test]
    fn changes_track_set_and_removed_keys() {
        let mut s = Session::from_record(
            SessionId::generate().unwrap(),
            Record {
                data: json!({"keep": 1, "drop": 2, "edit": [1]})
                    .as_object()
                    .unwrap()
                    .clone(),
                ..Record::new()
            },
        );
        s.remove_value("drop");
        s.get_mut("edit")
            .unwrap()
            .as_array_mut()
            .unwrap()
            .push(json!(2));
        s.insert("new", "x").unwrap();
        let changes = s.changes();
        assert!(!changes.cleared);
        assert_eq!(changes.removed, ["drop"]);
        assert_eq!(
            changes.set,
            *json!({"edit": [1, 2], "new": "x"}).as_object().unwrap()
        );
    }

    #[test]
    fn clear_then_set_replaces_everything() {
        let mut s = session();
        s.insert("old", 1).unwrap();
        s.mark_saved();
        s.clear();
        s.insert("fresh", 2).unwrap();
        let mut stored = json!({"old": 1, "other": 3}).as_object().unwrap().clone();
        s.changes().apply_to(&mut stored);
        assert_eq!(stored, *json!({"fresh": 2}).as_object().unwrap());
    }

    #[test]
    fn rotation_of_an_unsaved_session_has_nothing_to_delete() {
        let mut s = session();
        s.rotate_id().unwrap();
        assert_eq!(s.previous_id(), None);
    }

    #[test]
    fn rotating_twice_keeps_the_stored_id_to_delete() {
        let first = SessionId::generate().unwrap();
        let mut s = Session::from_record(first.clone(), Record::new());
        s.rotate_id().unwrap();
        s.rotate_id().unwrap();
        assert_eq!(s.previous_id(), Some(&first));
    }

    #[test]
    fn session_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Session>();
    }
}
