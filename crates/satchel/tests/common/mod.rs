//! Shared by the integration tests: fresh stores and small HTTP helpers.
#![allow(dead_code, unreachable_pub)] // each test binary uses a different part
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

pub mod outage;
pub mod own_postgres;
pub mod probe;
pub mod strace;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use satchel::{Clock, FilesystemStore, MemoryStore};
use tempfile::TempDir;

/// Fresh filesystem stores, each in its own folder under one temp dir.
pub struct FsStores {
    dir: TempDir,
    next: AtomicUsize,
}

impl FsStores {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            next: AtomicUsize::new(0),
        }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn fresh(&self, clock: Clock) -> FilesystemStore {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        FilesystemStore::new(self.dir.path().join(format!("store-{n}")))
            .unwrap()
            .with_clock(clock)
    }
}

pub fn memory(clock: Clock) -> MemoryStore {
    MemoryStore::new().with_clock(clock)
}

pub fn now_clock() -> Clock {
    Clock::manual(time::OffsetDateTime::now_utc())
}

/// The value of the `session_id` cookie a response sets, if any.
pub fn set_cookie_value<B>(response: &http::Response<B>) -> Option<String> {
    set_cookie_header(response).map(|header| {
        header
            .split(';')
            .next()
            .and_then(|pair| pair.split_once('='))
            .map(|(_, value)| value.to_owned())
            .unwrap_or_default()
    })
}

/// The whole `Set-Cookie` header of a response, if any.
pub fn set_cookie_header<B>(response: &http::Response<B>) -> Option<String> {
    let headers: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
    assert!(headers.len() <= 1, "more than one Set-Cookie: {headers:?}");
    headers
        .first()
        .map(|value| value.to_str().unwrap().to_owned())
}

/// A small axum app over `layer`, with one route per thing a handler can do to a session.
pub fn app<S: satchel::SessionStore>(layer: satchel::SessionLayer<S>) -> axum::Router {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/untouched", get(|| async { "no session here" }))
        .route("/read", get(read))
        .route("/insert/{key}", post(insert))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/fail", post(fail))
        .layer(layer)
}

async fn read(
    handle: satchel::SessionHandle,
) -> Result<axum::Json<serde_json::Map<String, serde_json::Value>>, satchel::Error> {
    Ok(axum::Json(handle.load().await?.data().clone()))
}

async fn insert(
    handle: satchel::SessionHandle,
    axum::extract::Path(key): axum::extract::Path<String>,
    value: String,
) -> Result<(), satchel::Error> {
    handle.load().await?.insert(key, value)?;
    Ok(())
}

async fn login(handle: satchel::SessionHandle, user: String) -> Result<(), satchel::Error> {
    let mut session = handle.load().await?;
    session.insert("user", user)?;
    session.rotate_id()
}

async fn logout(handle: satchel::SessionHandle) -> Result<(), satchel::Error> {
    handle.load().await?.destroy();
    Ok(())
}

/// Changes the session, then fails: the change must not be kept.
async fn fail(handle: satchel::SessionHandle) -> Result<http::StatusCode, satchel::Error> {
    handle.load().await?.insert("half-done", true)?;
    Ok(http::StatusCode::INTERNAL_SERVER_ERROR)
}

/// Sends one request to `app` in-process.
pub async fn send(
    app: &axum::Router,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    body: &str,
) -> http::Response<axum::body::Body> {
    use tower::ServiceExt as _;
    let mut request = http::Request::builder().method(method).uri(uri);
    if let Some(cookie) = cookie {
        request = request.header("cookie", format!("session_id={cookie}"));
    }
    let request = request
        .body(axum::body::Body::from(body.to_owned()))
        .unwrap();
    app.clone().oneshot(request).await.unwrap()
}

/// The response body as text.
pub async fn body_text(response: http::Response<axum::body::Body>) -> String {
    use http_body_util::BodyExt as _;
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The URL of a real server for a store's tests: from `var` if set (then it must answer,
/// or the test fails), else `default` if something listens there, else `None` after
/// printing why the test is skipped.
pub fn server_url(store: &str, var: &str, default: &str) -> Option<String> {
    let (url, required) = match std::env::var(var) {
        Ok(url) if !url.is_empty() => (url, true),
        _ => (default.to_owned(), false),
    };
    let addr = host_port(&url);
    let reachable = std::net::ToSocketAddrs::to_socket_addrs(&addr)
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| {
            std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(500))
                .is_ok()
        });
    match (reachable, required) {
        (true, _) => Some(url),
        (false, true) => panic!("{store} not reachable at {addr}, but {var} is set"),
        (false, false) => {
            println!("skipped: {store} not reachable at {addr} (set {var} to run these tests)");
            eprintln!("skipped: {store} not reachable at {addr} (set {var} to run these tests)");
            None
        }
    }
}

/// `host:port` of a URL such as `redis://host:port/0` or `postgres://user@host:port/db`.
fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    rest.split(['/', '?']).next().unwrap_or(rest).to_owned()
}

/// A short random name part, for tables and key prefixes that must not collide.
pub fn unique_suffix() -> String {
    satchel::SessionId::generate()
        .unwrap()
        .storage_key()
        .as_str()[..12]
        .to_owned()
}

/// Saves a session holding `user: alice` in `store` and asserts it reads back; returns it.
pub async fn alice_reads_back<S: satchel::SessionStore>(store: &S) -> satchel::Session {
    use satchel::SessionStoreExt as _;
    let mut session = store.new_session().unwrap();
    session.insert("user", "alice").unwrap();
    store.save(&mut session).await.unwrap();
    let again = store.get(session.id().as_str()).await.unwrap();
    assert_eq!(
        again.get::<String>("user").unwrap().as_deref(),
        Some("alice")
    );
    session
}

/// The names of the temp files in a file store's directory (ours begin `.tmp-`).
pub fn temp_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with(".tmp-"))
        .collect()
}

/// Fresh SQLite stores, each its own database file under one temp dir.
#[cfg(feature = "sqlite")]
pub fn sqlite(dir: &std::path::Path, clock: Clock) -> satchel::SqliteStore {
    satchel::SqliteStore::open(dir.join(format!("{}.db", unique_suffix())))
        .unwrap()
        .with_clock(clock)
}

/// Fresh PostgreSQL stores, each its own table, dropped by [`PgTables::drop_all`].
#[cfg(feature = "postgres")]
pub struct PgTables {
    url: String,
    names: std::sync::Mutex<Vec<String>>,
}

#[cfg(feature = "postgres")]
impl PgTables {
    pub fn new() -> Option<Self> {
        let default = "postgres://postgres@127.0.0.1:5432/test";
        let url = server_url("postgres", "SATCHEL_TEST_POSTGRES_URL", default)?;
        Some(Self {
            url,
            names: std::sync::Mutex::default(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn fresh(&self, clock: Clock) -> satchel::PostgresStore {
        let name = format!("satchel_test_{}", unique_suffix());
        self.names.lock().unwrap().push(name.clone());
        // These tests check what is stored, not how fast: a fresh table's first use makes
        // its schema under an advisory lock, which a loaded CI machine can hold past the
        // default half second (the outage tests keep the default).
        satchel::PostgresStore::new(&self.url)
            .unwrap()
            .with_table(&name)
            .unwrap()
            .with_timeout(std::time::Duration::from_secs(10))
            .unwrap()
            .with_clock(clock)
    }

    pub async fn drop_all(&self) {
        let (client, connection) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        let names = std::mem::take(&mut *self.names.lock().unwrap());
        for name in names {
            client
                .batch_execute(&format!("DROP TABLE IF EXISTS {name}"))
                .await
                .unwrap();
        }
    }
}

/// Fresh Redis stores, each under its own random key prefix, emptied by
/// [`RedisStores::clear_all`] so test runs leave nothing behind.
#[cfg(feature = "redis")]
pub struct RedisStores {
    url: String,
    cluster: bool,
    made: std::sync::Mutex<Vec<satchel::RedisStore>>,
}

#[cfg(feature = "redis")]
impl RedisStores {
    /// Stores on the single server, or `None` (after printing why) when none answers.
    pub fn server() -> Option<Self> {
        let default = "redis://127.0.0.1:6379";
        let url = server_url("redis", "SATCHEL_TEST_REDIS_URL", default)?;
        Some(Self::at(url, false))
    }

    /// Stores on the Redis Cluster, or `None` (after printing why) when none answers.
    pub fn cluster() -> Option<Self> {
        let default = "redis://127.0.0.1:7000";
        let url = server_url("redis cluster", "SATCHEL_TEST_REDIS_CLUSTER_URL", default)?;
        Some(Self::at(url, true))
    }

    fn at(url: String, cluster: bool) -> Self {
        Self {
            url,
            cluster,
            made: std::sync::Mutex::default(),
        }
    }

    /// A plain connection to the single server these stores use, for checking what the
    /// store wrote (or writing what it must cope with).
    pub async fn raw(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }

    pub fn fresh(&self, clock: Clock) -> satchel::RedisStore {
        let store = if self.cluster {
            satchel::RedisStore::new_cluster([&self.url])
        } else {
            satchel::RedisStore::new(&self.url)
        };
        let store = store
            .unwrap()
            .with_prefix(format!("satchel-test:{}:", unique_suffix()))
            .with_clock(clock);
        self.made.lock().unwrap().push(store.clone());
        store
    }

    pub async fn clear_all(&self) {
        use satchel::SessionStore as _;
        let stores = std::mem::take(&mut *self.made.lock().unwrap());
        for store in stores {
            for key in store.list().await.unwrap() {
                store.delete(&key).await.unwrap();
            }
        }
    }
}

/// Asserts that the store holds nothing at all, in particular not `id`'s session.
pub async fn assert_store_empty<S: satchel::SessionStore>(store: &S, id: &satchel::SessionId) {
    let key = store.ids().storage_key(id);
    assert!(
        store.load(&key).await.unwrap().is_none(),
        "the session came back"
    );
    assert!(
        store.list().await.unwrap().is_empty(),
        "the store is not empty"
    );
}
