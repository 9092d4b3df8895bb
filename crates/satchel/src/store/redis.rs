//! `RedisStore`: one Redis hash per session, on a single server or a Redis Cluster.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, FromRedisValue, RedisResult, Script, ScriptInvocation, Value};
use serde_json::{Map, Value as Json};
use time::OffsetDateTime;
use tokio::sync::OnceCell;

use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::id::StorageKey;
use crate::record::Record;
use crate::store::SessionStore;

const DEFAULT_PREFIX: &str = "satchel:";
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);
const CLUSTER_SCHEME: &str = "redis+cluster://";
/// Redis drops a key this long after its expiry: our clock judges expiry, and a Redis clock
/// running up to this much ahead of it must never delete a session we still call live.
const TTL_GRACE_SECONDS: i64 = 60;
const SCAN_BATCH: usize = 500;

/// Sessions in Redis: one hash per session, on a single server or a Redis Cluster.
///
/// - A session lives under `{prefix}{storage key}` (the prefix defaults to `satchel:`), as
///   a hash: `d:<name>` holds each value as JSON text, `m:created` and `m:expires` the
///   times in unix seconds (`m:expires` absent for a session without expiry).
/// - `create`, `update` and `delete_expired` are Lua scripts, so each check-and-write is
///   one atomic step: saving sets and deletes only the fields a request changed, so
///   concurrent requests that change different keys all survive.
/// - Expiry is judged by the store's [`Clock`], passed to every script; Redis' own TTL
///   (the expiry plus 60 s) only collects what nobody prunes.
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

#[derive(Clone)]
enum Target {
    Server(redis::Client),
    Cluster(Box<ClusterClient>),
}

#[derive(Clone)]
enum Connection {
    Server(ConnectionManager),
    Cluster(ClusterConnection),
}

/// A cluster node by address, for the commands (SCAN) that must reach one node.
type Node = Option<(String, u16)>;

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
        match url.strip_prefix(CLUSTER_SCHEME) {
            Some(nodes) => Self::new_cluster(cluster_node_urls(nodes)),
            None => redis::Client::open(url)
                .map(|client| Self::from_target(Target::Server(client)))
                .map_err(invalid_config),
        }
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
        let nodes: Vec<String> = nodes.into_iter().map(|n| n.as_ref().to_owned()).collect();
        let client = ClusterClient::new(nodes).map_err(invalid_config)?;
        Ok(Self::from_target(Target::Cluster(Box::new(client))))
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
        format!("{}{key}", self.inner.prefix)
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
        if matches!(self.inner.target, Target::Server(_)) {
            return Ok(vec![None]);
        }
        let slots: Vec<Vec<Value>> = self.query(redis::cmd("CLUSTER").arg("SLOTS")).await?;
        let masters: BTreeSet<_> = slots.iter().filter_map(|range| slot_owner(range)).collect();
        Ok(masters.into_iter().map(Some).collect())
    }

    async fn scan(&self, node: &Node) -> Result<Vec<StorageKey>> {
        let pattern = format!("{}*", glob_escape(&self.inner.prefix));
        let (mut keys, mut cursor) = (Vec::new(), 0);
        loop {
            let page = (cursor, "MATCH", &pattern, "COUNT", SCAN_BATCH);
            let (next, names): (u64, Vec<String>) =
                self.query_node(redis::cmd("SCAN").arg(page), node).await?;
            keys.extend(names.iter().filter_map(|name| self.storage_key_of(name)));
            if next == 0 {
                return Ok(keys);
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

impl Target {
    async fn connect(&self, timeout: Duration) -> RedisResult<Connection> {
        match self {
            Self::Server(client) => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    // One attempt per request: a request waits for no backoff while Redis
                    // is away, and the next request tries again.
                    .set_number_of_retries(0);
                let manager = ConnectionManager::new_with_config(client.clone(), config).await?;
                Ok(Connection::Server(manager))
            }
            Self::Cluster(client) => {
                let config = ClusterConfig::new()
                    .set_connection_timeout(timeout)
                    .set_response_timeout(timeout);
                let connection = client.get_async_connection_with_config(config).await?;
                Ok(Connection::Cluster(connection))
            }
        }
    }
}

impl Connection {
    /// Sends `cmd` to the cluster node that `node` names, else where it belongs.
    async fn send<T: FromRedisValue>(&mut self, cmd: &Cmd, node: &Node) -> RedisResult<T> {
        match (self, node) {
            (Self::Server(conn), _) => cmd.query_async(conn).await,
            (Self::Cluster(conn), None) => cmd.query_async(conn).await,
            (Self::Cluster(conn), Some((host, port))) => {
                let (host, port) = (host.clone(), *port);
                let routing =
                    RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress { host, port });
                let value = conn.route_command(cmd.clone(), routing).await?;
                Ok(redis::from_redis_value(value)?)
            }
        }
    }

    async fn invoke(&mut self, invocation: &ScriptInvocation<'_>) -> RedisResult<bool> {
        match self {
            Self::Server(conn) => invocation.invoke_async(conn).await,
            Self::Cluster(conn) => invocation.invoke_async(conn).await,
        }
    }
}

impl SessionStore for RedisStore {
    async fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
        let mut invocation = CREATE.key(self.redis_key(key));
        invocation.arg(self.now());
        expiry_args(&mut invocation, record.expires_at);
        invocation.arg(record.created_at.unix_timestamp());
        data_args(&mut invocation, &record.data)?;
        self.invoke(invocation).await
    }

    async fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        let hgetall = redis::cmd("HGETALL").arg(self.redis_key(key)).clone();
        let fields: HashMap<String, Vec<u8>> = self.query(&hgetall).await?;
        if fields.is_empty() {
            return Ok(None);
        }
        Ok(decode(fields)
            .inspect_err(|why| tracing::warn!("corrupt Redis session read as no session: {why}"))
            .ok())
    }

    async fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        let mut invocation = UPDATE.key(self.redis_key(key));
        invocation.arg(self.now());
        expiry_args(&mut invocation, changes.expires_at);
        invocation.arg(u8::from(changes.cleared));
        invocation.arg(changes.removed.len());
        for name in &changes.removed {
            invocation.arg(format!("d:{name}"));
        }
        data_args(&mut invocation, &changes.set)?;
        self.invoke(invocation).await
    }

    async fn delete(&self, key: &StorageKey) -> Result<bool> {
        let del = redis::cmd("DEL").arg(self.redis_key(key)).clone();
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

    fn clock(&self) -> Clock {
        self.inner.clock.clone()
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

static CREATE: LazyLock<Script> = LazyLock::new(|| script(LUA_CREATE));
static UPDATE: LazyLock<Script> = LazyLock::new(|| script(LUA_UPDATE));
static DELETE_EXPIRED: LazyLock<Script> = LazyLock::new(|| script(LUA_DELETE_EXPIRED));

fn script(body: &str) -> Script {
    Script::new(&format!("{LUA_HELPERS}{body}"))
}

/// Every script takes `KEYS[1]` and `ARGV[1]` = now; writers add `ARGV[2]` = expiry and
/// `ARGV[3]` = when Redis may drop the key (both empty for none). An unreadable
/// `m:expires` counts as expired, so a damaged record is never live.
const LUA_HELPERS: &str = r"
local key, now = KEYS[1], tonumber(ARGV[1])
local function is_expired()
  local at = redis.call('HGET', key, 'm:expires')
  return at ~= false and (tonumber(at) or now) <= now
end
local function is_live()
  return redis.call('EXISTS', key) == 1 and not is_expired()
end
local function set_expiry()
  if ARGV[2] == '' then
    redis.call('HDEL', key, 'm:expires')
    redis.call('PERSIST', key)
  else
    redis.call('HSET', key, 'm:expires', ARGV[2])
    redis.call('EXPIREAT', key, ARGV[3])
  end
end
local function set_fields(first)
  for i = first, #ARGV, 2 do
    redis.call('HSET', key, ARGV[i], ARGV[i + 1])
  end
end
";

/// `ARGV[4]` = created; then field, value pairs.
const LUA_CREATE: &str = r"
if is_live() then return 0 end
redis.call('DEL', key)
redis.call('HSET', key, 'm:created', ARGV[4])
set_fields(5)
set_expiry()
return 1
";

/// `ARGV[4]` = cleared (1 or 0), `ARGV[5]` = n removed; n field names; then pairs.
const LUA_UPDATE: &str = r"
if not is_live() then return 0 end
if ARGV[4] == '1' then
  for _, field in ipairs(redis.call('HKEYS', key)) do
    if string.sub(field, 1, 2) == 'd:' then redis.call('HDEL', key, field) end
  end
end
local removed = tonumber(ARGV[5])
for i = 6, 5 + removed do redis.call('HDEL', key, ARGV[i]) end
set_fields(6 + removed)
set_expiry()
return 1
";

const LUA_DELETE_EXPIRED: &str = r"
if redis.call('EXISTS', key) == 0 or not is_expired() then return 0 end
return redis.call('DEL', key)
";

fn expiry_args(invocation: &mut ScriptInvocation<'_>, expires_at: Option<OffsetDateTime>) {
    match expires_at.map(OffsetDateTime::unix_timestamp) {
        Some(at) => invocation.arg(at).arg(at.saturating_add(TTL_GRACE_SECONDS)),
        None => invocation.arg("").arg(""),
    };
}

fn data_args(invocation: &mut ScriptInvocation<'_>, data: &Map<String, Json>) -> Result<()> {
    for (name, value) in data {
        let text = serde_json::to_string(value).map_err(Error::Encode)?;
        invocation.arg(format!("d:{name}")).arg(text);
    }
    Ok(())
}

/// The record in a session's hash; `Err` says why it is unreadable.
fn decode(mut fields: HashMap<String, Vec<u8>>) -> std::result::Result<Record, String> {
    let created_at = timestamp(&fields.remove("m:created").ok_or("no m:created field")?)?;
    let expires_at = fields
        .remove("m:expires")
        .map(|at| timestamp(&at))
        .transpose()?;
    let mut data = Map::new();
    for (field, value) in fields {
        if let Some(name) = field.strip_prefix("d:") {
            let value = serde_json::from_slice(&value).map_err(|e| e.to_string())?;
            data.insert(name.to_owned(), value);
        }
    }
    Ok(Record {
        data,
        created_at,
        expires_at,
    })
}

fn timestamp(text: &[u8]) -> std::result::Result<OffsetDateTime, String> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|text| text.parse().ok())
        .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok())
        .ok_or_else(|| "a time that is not unix seconds".to_owned())
}

/// The master of one range in a `CLUSTER SLOTS` reply: `[first, last, [host, port, ..], ..]`.
fn slot_owner(range: &[Value]) -> Option<(String, u16)> {
    let master: Vec<Value> = redis::from_redis_value_ref(range.get(2)?).ok()?;
    let host = redis::from_redis_value_ref(master.first()?).ok()?;
    let port = redis::from_redis_value_ref(master.get(1)?).ok()?;
    Some((host, port))
}

/// `user:pass@h1:p1,h2:p2` as one `redis://` URL per node.
fn cluster_node_urls(nodes: &str) -> Vec<String> {
    let (credentials, hosts) = match nodes.rsplit_once('@') {
        Some((credentials, hosts)) => (format!("{credentials}@"), hosts),
        None => (String::new(), nodes),
    };
    hosts
        .split(',')
        .filter(|host| !host.is_empty())
        .map(|host| format!("redis://{credentials}{host}"))
        .collect()
}

/// `text` as a SCAN pattern that matches only itself.
fn glob_escape(text: &str) -> String {
    let escape = |c| "*?[]\\".contains(c).then_some('\\');
    text.chars()
        .flat_map(|c| escape(c).into_iter().chain([c]))
        .collect()
}

fn invalid_config(err: redis::RedisError) -> Error {
    // The error, not the URL: the URL may hold a password.
    Error::InvalidConfig(format!("not a usable Redis URL: {err}"))
}

fn backend(err: redis::RedisError) -> Error {
    Error::Backend(Box::new(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> HashMap<String, Vec<u8>> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn a_hash_decodes_into_its_record() {
        let record = decode(fields(&[
            ("m:created", "10"),
            ("m:expires", "20"),
            ("d:user", r#""alice""#),
            ("d:n", "[1,2]"),
            ("other", "ignored"),
        ]))
        .unwrap();
        assert_eq!(record.created_at.unix_timestamp(), 10);
        assert_eq!(
            record.expires_at.map(OffsetDateTime::unix_timestamp),
            Some(20)
        );
        assert_eq!(record.data["user"], "alice");
        assert_eq!(record.data["n"], serde_json::json!([1, 2]));
        assert_eq!(record.data.len(), 2);
    }

    #[test]
    fn damaged_hashes_are_reported_not_decoded() {
        assert!(decode(fields(&[("d:a", "1")])).is_err());
        assert!(decode(fields(&[("m:created", "soon")])).is_err());
        assert!(decode(fields(&[("m:created", "1"), ("d:a", "{")])).is_err());
        assert!(decode(fields(&[("m:created", "1"), ("m:expires", "")])).is_err());
    }

    #[test]
    fn cluster_urls_name_every_node() {
        assert_eq!(
            cluster_node_urls("127.0.0.1:7000,127.0.0.1:7001"),
            ["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"]
        );
        assert_eq!(
            cluster_node_urls("u:p@a@h:1,h:2"),
            ["redis://u:p@a@h:1", "redis://u:p@a@h:2"]
        );
    }

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
    fn the_owner_of_a_slot_range_is_its_master() {
        let node = |host: &str, port: i64| {
            Value::Array(vec![
                Value::BulkString(host.as_bytes().to_vec()),
                Value::Int(port),
                Value::BulkString(b"id".to_vec()),
            ])
        };
        let range = [
            Value::Int(0),
            Value::Int(5460),
            node("10.0.0.1", 7000),
            node("10.0.0.9", 7009),
        ];
        assert_eq!(slot_owner(&range), Some(("10.0.0.1".to_owned(), 7000)));
        assert_eq!(slot_owner(&range[..2]), None);
        assert_eq!(
            slot_owner(&[Value::Int(0), Value::Int(1), Value::Nil]),
            None
        );
    }

    #[test]
    fn the_debug_form_hides_the_url() {
        let store = RedisStore::new("redis://user:secret@127.0.0.1:6379").unwrap();
        assert!(!format!("{store:?}").contains("secret"));
    }
}
