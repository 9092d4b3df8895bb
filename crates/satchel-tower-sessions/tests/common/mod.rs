//! Shared by the bridge's integration tests: a fresh satchel store of each kind behind a
//! `TowerStore`, real servers or a `skipped:` line, and small HTTP helpers.
#![allow(dead_code, unreachable_pub)] // each test binary uses a different part
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::future::Future;
use std::sync::Mutex;

use axum::Router;
use axum::body::Body;
use http_body_util::BodyExt as _;
use satchel::store::AnyStore;
use satchel::{Clock, SessionStore as _};
use satchel_tower_sessions::TowerStore;
use tower::ServiceExt as _;

/// The satchel stores the bridge is proven on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Memory,
    Filesystem,
    Sqlite,
    Redis,
    RedisCluster,
    Postgres,
}

/// Fresh stores of one kind, and what to clean up after them.
pub struct Stores {
    kind: Kind,
    dir: tempfile::TempDir,
    url: String,
    made: Mutex<Vec<AnyStore>>,
    tables: Mutex<Vec<String>>,
}

impl Stores {
    /// Stores of `kind`, or `None` (after printing why) when its server does not answer.
    pub fn open(kind: Kind) -> Option<Self> {
        let url = match kind {
            Kind::Memory | Kind::Filesystem | Kind::Sqlite => String::new(),
            Kind::Redis => server_url("redis", "SATCHEL_TEST_REDIS_URL", "redis://127.0.0.1:6379")?,
            Kind::RedisCluster => server_url(
                "redis cluster",
                "SATCHEL_TEST_REDIS_CLUSTER_URL",
                "redis://127.0.0.1:7000",
            )?,
            Kind::Postgres => server_url(
                "postgres",
                "SATCHEL_TEST_POSTGRES_URL",
                "postgres://postgres@127.0.0.1:5432/test",
            )?,
        };
        Some(Self {
            kind,
            dir: tempfile::tempdir().unwrap(),
            url,
            made: Mutex::default(),
            tables: Mutex::default(),
        })
    }

    /// A fresh, empty store judging expiry by `clock`.
    pub fn fresh(&self, clock: Clock) -> AnyStore {
        let name = unique_suffix();
        let store = match self.kind {
            Kind::Memory => AnyStore::new(satchel::MemoryStore::new().with_clock(clock)),
            Kind::Filesystem => AnyStore::new(
                satchel::FilesystemStore::new(self.dir.path().join(&name))
                    .unwrap()
                    .with_clock(clock),
            ),
            Kind::Sqlite => AnyStore::new(
                satchel::SqliteStore::open(self.dir.path().join(format!("{name}.db")))
                    .unwrap()
                    .with_clock(clock),
            ),
            Kind::Redis | Kind::RedisCluster => {
                let store = if self.kind == Kind::RedisCluster {
                    satchel::RedisStore::new_cluster([&self.url])
                } else {
                    satchel::RedisStore::new(&self.url)
                };
                AnyStore::new(
                    store
                        .unwrap()
                        .with_prefix(format!("satchel-tower-test:{name}:"))
                        .with_clock(clock),
                )
            }
            Kind::Postgres => {
                let table = format!("satchel_tower_test_{name}");
                self.tables.lock().unwrap().push(table.clone());
                AnyStore::new(
                    satchel::PostgresStore::new(&self.url)
                        .unwrap()
                        .with_table(&table)
                        .unwrap()
                        .with_clock(clock),
                )
            }
        };
        self.made.lock().unwrap().push(store.clone());
        store
    }

    /// Removes what the tests wrote: every session, and the PostgreSQL tables.
    pub async fn clean_up(self) {
        let made = std::mem::take(&mut *self.made.lock().unwrap());
        for store in made {
            for key in store.list().await.unwrap() {
                store.delete(&key).await.unwrap();
            }
        }
        let tables = std::mem::take(&mut *self.tables.lock().unwrap());
        if tables.is_empty() {
            return;
        }
        let (client, connection) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        for table in tables {
            client
                .batch_execute(&format!("DROP TABLE IF EXISTS {table}"))
                .await
                .unwrap();
        }
    }
}

/// Runs `scenario` on a fresh store of `kind` (a `TowerStore` and the satchel store under
/// it, judged by a manual clock set to now), then cleans up; skips when the server is absent.
pub async fn on<F, Fut>(kind: Kind, scenario: F)
where
    F: FnOnce(TowerStore<AnyStore>, Clock) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(stores) = Stores::open(kind) else {
        return;
    };
    let clock = Clock::manual(time::OffsetDateTime::now_utc());
    let store = TowerStore::new(stores.fresh(clock.clone()));
    scenario(store, clock).await;
    stores.clean_up().await;
}

/// The URL of a real server for a store's tests, as satchel's own tests find theirs: from
/// `var` if set (then it must answer, or the test fails), else `default` if something
/// listens there, else `None` after printing why the test is skipped.
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

/// A short random name part, for directories, tables and key prefixes.
pub fn unique_suffix() -> String {
    satchel::SessionId::generate()
        .unwrap()
        .storage_key()
        .as_str()[..12]
        .to_owned()
}

/// What one request got back: status, the session cookie it set (if any), the body.
#[derive(Debug)]
pub struct Reply {
    pub status: http::StatusCode,
    pub cookie: Option<String>,
    pub body: String,
}

/// Sends `method path` (a form body for POST) with the `id` cookie, if given, to `app`.
pub async fn send(
    app: &Router,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    form: &str,
) -> Reply {
    let mut request = http::Request::builder().method(method).uri(path);
    if let Some(cookie) = cookie {
        request = request.header(http::header::COOKIE, format!("id={cookie}"));
    }
    if !form.is_empty() {
        request = request.header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        );
    }
    let request = request.body(Body::from(form.to_owned())).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let cookie = response
        .headers()
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| value.strip_prefix("id="))
        .map(|rest| rest.split(';').next().unwrap_or("").to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        cookie,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}
