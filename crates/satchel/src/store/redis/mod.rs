//! `RedisStore`: one Redis hash per session, on a single server or a Redis Cluster.

mod codec;
mod connection;
mod from_client;
mod scripts;
mod users;

use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use redis::{Cmd, FromRedisValue, RedisResult, ScriptInvocation, Value};
use tokio::sync::OnceCell;

use self::codec::{data_args, decode, expiry_args, hash_fields, owner_args};
use self::connection::{Connection, Node, Target, slot_owner};
use self::scripts::{CREATE, DELETE_EXPIRED, UPDATE};

use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::id::StorageKey;
use crate::owner::UserKey;
use crate::record::Record;
use crate::store::{Progress, SessionStore, prune_each};

const DEFAULT_PREFIX: &str = "satchel:";
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);
const SCAN_BATCH: usize = 500;

/// Sessions in Redis: one hash per session, on a single server or a Redis Cluster.
///
/// - A session lives under `{prefix}{storage key}` (the prefix defaults to `satchel:`), as
///   a hash: `d:<name>` holds each value as JSON text, `m:created` and `m:expires` the
///   times in unix seconds (`m:expires` absent for a session without expiry), `m:ttl`
///   the drop time Redis was given.
/// - `create`, `update` and `delete_expired` are Lua scripts, so each check-and-write is
///   one atomic step: saving sets and deletes only the fields a request changed, so
///   concurrent requests that change different keys all survive.
/// - Expiry is judged by the store's [`Clock`], passed to every script; Redis' own TTL
///   (the expiry plus 60 s, rounded up to five minutes so that most saves need not move
///   it) only collects what nobody prunes.
/// - One key per session keeps every script on one cluster slot. A prefix with a
///   `{hash tag}` would put every session on one slot: leave braces out of it.
/// - The connection is made on first use and remade by itself after Redis restarts. Each
///   round trip, connecting included, fails with [`Error::Backend`] after the timeout
///   (500 ms unless configured), so requests fail fast while Redis is away.
///
/// # Example
/// ```no_run
/// use satchel::{RedisStore, SessionStoreExt};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let store = RedisStore::open("redis://127.0.0.1:6379").await?.with_prefix("myapp:");
/// let mut session = store.new_session()?;
/// session.insert("user", "alice")?;
/// store.save(&mut session).await?;
/// assert_eq!(store.get(session.id().as_str()).await?.get::<String>("user")?.as_deref(), Some("alice"));
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    target: Target,
    prefix: String,
    clock: Clock,
    timeout: Duration,
    connection: OnceCell<Connection>,
}

impl RedisStore {
    /// A store for `redis://HOST:PORT[/DB]`, or a cluster given as
    /// `redis+cluster://HOST:PORT[,HOST:PORT...]`. It connects on first use, so it can be
    /// built outside a runtime; [`RedisStore::open`] also checks that Redis answers.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a URL the Redis client cannot use.
    ///
    /// # Example
    /// ```
    /// let store = satchel::RedisStore::new("redis://127.0.0.1:6379/0")?;
    /// assert_eq!(store.prefix(), "satchel:");
    /// assert!(satchel::RedisStore::new("http://127.0.0.1").is_err());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn new(url: &str) -> Result<Self> {
        Target::from_url(url).map(Self::from_target)
    }

    /// A store for the Redis Cluster that `nodes` (`redis://HOST:PORT` URLs, one or more)
    /// belong to; like [`RedisStore::new`], it connects on first use.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for no nodes, or a URL the Redis client cannot use.
    ///
    /// # Example
    /// ```
    /// let store = satchel::RedisStore::new_cluster(["redis://127.0.0.1:7000"])?;
    /// assert!(satchel::RedisStore::new_cluster(Vec::<String>::new()).is_err());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn new_cluster(nodes: impl IntoIterator<Item = impl AsRef<str>>) -> Result<Self> {
        let nodes = nodes.into_iter().map(|n| n.as_ref().to_owned()).collect();
        Target::cluster(nodes).map(Self::from_target)
    }

    /// [`RedisStore::new`], then a PING, so a wrong address shows at start-up.
    ///
    /// # Errors
    /// As [`RedisStore::new`]; [`Error::Backend`] when Redis does not answer in time.
    ///
    /// # Example
    /// ```no_run
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let store = satchel::RedisStore::open("redis://127.0.0.1:6379").await?;
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn open(url: &str) -> Result<Self> {
        Self::new(url)?.pinged().await
    }

    /// [`RedisStore::new_cluster`], then a PING of every master.
    ///
    /// # Errors
    /// As [`RedisStore::new_cluster`]; [`Error::Backend`] when the cluster does not answer
    /// in time.
    ///
    /// # Example
    /// ```no_run
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let nodes = ["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"];
    /// let store = satchel::RedisStore::open_cluster(nodes).await?;
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn open_cluster(nodes: impl IntoIterator<Item = impl AsRef<str>>) -> Result<Self> {
        Self::new_cluster(nodes)?.pinged().await
    }

    /// Keeps sessions under keys that start with `prefix` (default `satchel:`), so several
    /// apps can share one Redis.
    ///
    /// # Example
    /// ```
    /// let store = satchel::RedisStore::new("redis://127.0.0.1")?.with_prefix("shop:");
    /// assert_eq!(store.prefix(), "shop:");
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn with_prefix(self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        self.with(|inner| inner.prefix = prefix)
    }

    /// Judges expiry by `clock` (tests use a manual one). Keep it near real time: Redis
    /// still drops keys by its own clock once their expiry and the grace have passed.
    ///
    /// # Example
    /// ```
    /// let clock = satchel::Clock::manual(time::OffsetDateTime::now_utc());
    /// let store = satchel::RedisStore::new("redis://127.0.0.1")?.with_clock(clock);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn with_clock(self, clock: Clock) -> Self {
        self.with(|inner| inner.clock = clock)
    }

    /// Bounds each round trip to Redis, connecting included (default 500 ms). The
    /// connection is remade with the new timeout on next use.
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// let store = satchel::RedisStore::new("redis://127.0.0.1")?.with_timeout(Duration::from_secs(2));
    /// assert_eq!(store.timeout(), Duration::from_secs(2));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn with_timeout(self, timeout: Duration) -> Self {
        self.with(|inner| {
            inner.timeout = timeout;
            inner.connection = OnceCell::new();
        })
    }

    /// The prefix of every key the store writes.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::RedisStore::new("redis://127.0.0.1")?.prefix(), "satchel:");
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// How long one round trip to Redis may take before it fails.
    ///
    /// # Example
    /// ```
    /// let store = satchel::RedisStore::new("redis://127.0.0.1")?;
    /// assert_eq!(store.timeout(), std::time::Duration::from_millis(500));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    fn from_target(target: Target) -> Self {
        Self {
            inner: Arc::new(Inner {
                target,
                prefix: DEFAULT_PREFIX.to_owned(),
                clock: Clock::system(),
                timeout: DEFAULT_TIMEOUT,
                connection: OnceCell::new(),
            }),
        }
    }

    fn with(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    async fn pinged(self) -> Result<Self> {
        self.query::<String>(&redis::cmd("PING")).await?;
        Ok(self)
    }

    fn redis_key(&self, key: &StorageKey) -> String {
        // One allocation of the exact length, no formatter: `format!` was ~1.8k
        // instructions of a request (callgrind).
        [self.inner.prefix.as_str(), key.as_str()].concat()
    }

    fn now(&self) -> i64 {
        self.inner.clock.now().unix_timestamp()
    }

    /// One round trip, connecting first if needed, bounded by the timeout.
    async fn round_trip<T, F>(&self, op: impl FnOnce(Connection) -> F) -> Result<T>
    where
        F: Future<Output = RedisResult<T>>,
    {
        let work = async { op(self.connection().await?).await.map_err(backend) };
        tokio::time::timeout(self.inner.timeout, work)
            .await
            .unwrap_or_else(|_| Err(self.timed_out()))
    }

    async fn connection(&self) -> Result<Connection> {
        let connect = || self.inner.target.connect(self.inner.timeout);
        let connection = self.inner.connection.get_or_try_init(connect).await;
        connection.cloned().map_err(backend)
    }

    fn timed_out(&self) -> Error {
        let why = format!("Redis did not answer within {:?}", self.inner.timeout);
        Error::Backend(why.into())
    }

    async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T> {
        self.query_node(cmd, &None).await
    }

    async fn query_node<T: FromRedisValue>(&self, cmd: &Cmd, node: &Node) -> Result<T> {
        self.round_trip(|mut conn| async move { conn.send(cmd, node).await })
            .await
    }

    async fn invoke(&self, invocation: ScriptInvocation<'static>) -> Result<bool> {
        self.round_trip(|mut conn| async move { conn.invoke(&invocation).await })
            .await
    }

    /// Where a full SCAN must go: the server, or each master of the cluster.
    async fn scan_targets(&self) -> Result<Vec<Node>> {
        if !matches!(self.inner.target, Target::Cluster(_)) {
            return Ok(vec![None]);
        }
        let slots: Vec<Vec<Value>> = self.query(redis::cmd("CLUSTER").arg("SLOTS")).await?;
        let masters: BTreeSet<_> = slots.iter().filter_map(|range| slot_owner(range)).collect();
        Ok(masters.into_iter().map(Some).collect())
    }

    async fn scan(&self, node: &Node) -> Result<Vec<StorageKey>> {
        let pattern = format!("{}*", glob_escape(&self.inner.prefix));
        let names = self.scan_names(&pattern, node).await?;
        Ok(names
            .iter()
            .filter_map(|name| self.storage_key_of(name))
            .collect())
    }

    /// Every key name matching `pattern` on `node`.
    async fn scan_names(&self, pattern: &str, node: &Node) -> Result<Vec<String>> {
        let (mut names, mut cursor) = (Vec::new(), 0);
        loop {
            let page = (cursor, "MATCH", pattern, "COUNT", SCAN_BATCH);
            let (next, page): (u64, Vec<String>) =
                self.query_node(redis::cmd("SCAN").arg(page), node).await?;
            names.extend(page);
            if next == 0 {
                return Ok(names);
            }
            cursor = next;
        }
    }

    fn storage_key_of(&self, redis_key: &str) -> Option<StorageKey> {
        redis_key
            .strip_prefix(&self.inner.prefix)
            .and_then(StorageKey::parse)
    }
}

impl SessionStore for RedisStore {
    async fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
        let mut invocation = CREATE.key(self.redis_key(key));
        invocation.arg(self.now());
        expiry_args(&mut invocation, record.expires_at);
        invocation.arg(record.created_at.unix_timestamp());
        if let Some(owner) = &record.owner {
            self.index(owner.user(), key).await?;
            owner_args(&mut invocation, owner);
        }
        data_args(&mut invocation, &record.data)?;
        self.invoke(invocation).await
    }

    async fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        let mut hgetall = redis::cmd("HGETALL");
        hgetall.arg(self.redis_key(key));
        let reply: Value = self.query(&hgetall).await?;
        let fields = hash_fields(&reply)
            .ok_or_else(|| Error::Backend("Redis answered HGETALL with no hash".into()))?;
        if fields.is_empty() {
            return Ok(None);
        }
        Ok(decode(&fields)
            .inspect_err(|why| tracing::warn!("corrupt Redis session read as no session: {why}"))
            .ok())
    }

    async fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        let mut invocation = UPDATE.key(self.redis_key(key));
        invocation.arg(self.now());
        expiry_args(&mut invocation, changes.expires_at);
        invocation.arg(u8::from(changes.cleared));
        // A new owner replaces the old one's label too; no owner removes both fields.
        let owner = changes.owner.as_ref();
        let unset: &[&str] = match owner {
            Some(Some(owner)) if owner.label().is_some() => &[],
            Some(Some(_)) => &["m:label"],
            Some(None) => &["m:owner", "m:label"],
            None => &[],
        };
        invocation.arg(changes.removed.len() + unset.len());
        for name in &changes.removed {
            invocation.arg(format!("d:{name}"));
        }
        invocation.arg(unset);
        if let Some(Some(owner)) = owner {
            self.index(owner.user(), key).await?;
            owner_args(&mut invocation, owner);
        }
        data_args(&mut invocation, &changes.set)?;
        self.invoke(invocation).await
    }

    async fn delete(&self, key: &StorageKey) -> Result<bool> {
        let mut del = redis::cmd("DEL");
        del.arg(self.redis_key(key));
        Ok(self.query::<u64>(&del).await? > 0)
    }

    async fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
        let mut invocation = DELETE_EXPIRED.key(self.redis_key(key));
        invocation.arg(self.now());
        self.invoke(invocation).await
    }

    async fn list(&self) -> Result<Vec<StorageKey>> {
        // A set, as SCAN may return a key twice (when the keyspace is rehashed meanwhile).
        let mut keys = BTreeSet::new();
        for node in self.scan_targets().await? {
            keys.extend(self.scan(&node).await?);
        }
        Ok(keys.into_iter().collect())
    }

    async fn prune(&self, progress: &Progress) -> Result<u64> {
        let deleted = prune_each(self, progress).await?;
        self.sweep_indexes().await?;
        Ok(deleted)
    }

    async fn user_records(&self, user: &UserKey) -> Result<Vec<(StorageKey, Record)>> {
        self.records_of(user).await
    }

    fn clock(&self) -> Clock {
        self.inner.clock.clone()
    }

    fn backend_name(&self) -> &'static str {
        "redis"
    }
}

impl fmt::Debug for RedisStore {
    // By hand, so the URL's password never reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cluster = matches!(self.inner.target, Target::Cluster(_));
        f.debug_struct("RedisStore")
            .field("cluster", &cluster)
            .field("prefix", &self.inner.prefix)
            .field("timeout", &self.inner.timeout)
            .field("clock", &self.inner.clock)
            .finish_non_exhaustive()
    }
}

/// `text` as a SCAN pattern that matches only itself.
fn glob_escape(text: &str) -> String {
    let escape = |c| "*?[]\\".contains(c).then_some('\\');
    text.chars()
        .flat_map(|c| escape(c).into_iter().chain([c]))
        .collect()
}

fn backend(err: redis::RedisError) -> Error {
    Error::Backend(Box::new(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_urls_open_a_cluster_store() {
        let store = RedisStore::new("redis+cluster://127.0.0.1:7000,127.0.0.1:7001").unwrap();
        assert!(matches!(store.inner.target, Target::Cluster(_)));
        assert!(RedisStore::new("redis+cluster://").is_err());
    }

    #[test]
    fn prefixes_are_matched_literally() {
        assert_eq!(glob_escape("a*b?[c]\\:"), "a\\*b\\?\\[c\\]\\\\:");
        let store = RedisStore::new("redis://127.0.0.1")
            .unwrap()
            .with_prefix("p:");
        let key = StorageKey::parse(&"a".repeat(64)).unwrap();
        assert_eq!(store.storage_key_of(&store.redis_key(&key)), Some(key));
        assert_eq!(store.storage_key_of("p:not-a-key"), None);
        assert_eq!(store.storage_key_of(&format!("q:{}", "a".repeat(64))), None);
    }

    #[test]
    fn the_debug_form_hides_the_url() {
        let store = RedisStore::new("redis://user:secret@127.0.0.1:6379").unwrap();
        assert!(!format!("{store:?}").contains("secret"));
    }
}
