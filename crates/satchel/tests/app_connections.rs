//! Stores on the app's own connections (`PostgresStore::from_pool` / `from_config`,
//! `RedisStore::from_client` / `from_connection_manager` / `from_cluster_client`,
//! `SqliteStore::open_with_pragmas`) honour the whole store contract, against the real
//! servers, and use what the app handed them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use std::sync::Mutex;
use std::time::Duration;

use satchel::{PostgresStore, RedisStore, SessionStore, SessionStoreExt};

/// Tables made by a test, dropped at its end.
struct Tables {
    url: String,
    names: Mutex<Vec<String>>,
}

impl Tables {
    fn new() -> Option<Self> {
        let tables = common::PgTables::new()?;
        Some(Self {
            url: tables.url().to_owned(),
            names: Mutex::default(),
        })
    }

    fn next(&self) -> String {
        let name = format!("satchel_test_{}", common::unique_suffix());
        self.names.lock().unwrap().push(name.clone());
        name
    }

    fn app_pool(&self, size: usize) -> deadpool_postgres::Pool {
        let config: tokio_postgres::Config = self.url.parse().unwrap();
        let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
        deadpool_postgres::Pool::builder(manager)
            .max_size(size)
            .build()
            .unwrap()
    }

    async fn drop_all(self) {
        let pool = self.app_pool(1);
        let client = pool.get().await.unwrap();
        for name in self.names.into_inner().unwrap() {
            client
                .batch_execute(&format!("DROP TABLE IF EXISTS {name}"))
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn postgres_store_on_the_apps_pool_honours_the_contract() {
    let Some(tables) = Tables::new() else { return };
    let pool = tables.app_pool(4);
    satchel::test_suite::run(|clock| {
        PostgresStore::from_pool(pool.clone())
            .with_table(&tables.next())
            .unwrap()
            .with_clock(clock)
    })
    .await;
    tables.drop_all().await;
}

#[tokio::test]
async fn postgres_store_uses_the_apps_pool_and_keeps_it() {
    let Some(tables) = Tables::new() else { return };
    let pool = tables.app_pool(2);
    assert_eq!(pool.status().size, 0);
    // The operations' bound changes; the app's pool is not replaced by one of the store's.
    let store = PostgresStore::from_pool(pool.clone())
        .with_table(&tables.next())
        .unwrap()
        .with_timeout(Duration::from_secs(2))
        .unwrap();
    common::alice_reads_back(&store).await;
    assert!(
        pool.status().size >= 1,
        "the store did not use the app's pool"
    );
    assert!(pool.status().max_size == 2);
    tables.drop_all().await;
}

#[tokio::test]
async fn postgres_store_from_a_config_honours_the_contract() {
    let Some(tables) = Tables::new() else { return };
    satchel::test_suite::run(|clock| {
        let config: tokio_postgres::Config = tables.url.parse().unwrap();
        PostgresStore::from_config(config)
            .unwrap()
            .with_table(&tables.next())
            .unwrap()
            .with_clock(clock)
    })
    .await;
    tables.drop_all().await;
}

/// The contract on stores made from the app's client, each under a fresh prefix, whose
/// keys are deleted afterwards.
async fn redis_contract(make: impl Fn() -> RedisStore) {
    let made = Mutex::new(Vec::new());
    satchel::test_suite::run(|clock| {
        let store = make()
            .with_prefix(format!("satchel-test:{}:", common::unique_suffix()))
            .with_clock(clock);
        made.lock().unwrap().push(store.clone());
        store
    })
    .await;
    for store in made.into_inner().unwrap() {
        for key in store.list().await.unwrap() {
            store.delete(&key).await.unwrap();
        }
    }
}

#[tokio::test]
async fn redis_store_on_the_apps_client_honours_the_contract() {
    let default = "redis://127.0.0.1:6379";
    let Some(url) = common::server_url("redis", "SATCHEL_TEST_REDIS_URL", default) else {
        return;
    };
    let client = redis::Client::open(url.as_str()).unwrap();
    redis_contract(|| RedisStore::from_client(client.clone())).await;
}

#[tokio::test]
async fn redis_store_on_the_apps_cluster_client_honours_the_contract() {
    let default = "redis://127.0.0.1:7000";
    let var = "SATCHEL_TEST_REDIS_CLUSTER_URL";
    let Some(url) = common::server_url("redis cluster", var, default) else {
        return;
    };
    let client = redis::cluster::ClusterClient::new([url.as_str()]).unwrap();
    redis_contract(|| RedisStore::from_cluster_client(client.clone())).await;
}

#[tokio::test]
async fn redis_store_on_the_apps_connection_manager_honours_the_contract() {
    let default = "redis://127.0.0.1:6379";
    let Some(url) = common::server_url("redis", "SATCHEL_TEST_REDIS_URL", default) else {
        return;
    };
    let client = redis::Client::open(url.as_str()).unwrap();
    let manager = redis::aio::ConnectionManager::new(client).await.unwrap();
    redis_contract(|| RedisStore::from_connection_manager(manager.clone())).await;

    // The app's manager still serves the app, and a changed timeout keeps using it.
    let store = RedisStore::from_connection_manager(manager.clone())
        .with_prefix(format!("satchel-test:{}:", common::unique_suffix()))
        .with_timeout(Duration::from_secs(2));
    let mut session = store.new_session().unwrap();
    session.insert("user", "alice").unwrap();
    store.save(&mut session).await.unwrap();
    let keys = store.list().await.unwrap();
    assert_eq!(keys.len(), 1);
    let mut app = manager;
    let pong: String = redis::cmd("PING").query_async(&mut app).await.unwrap();
    assert_eq!(pong, "PONG");
    store.delete(&keys[0]).await.unwrap();
}

#[tokio::test]
async fn sqlite_store_with_the_apps_pragmas_honours_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let pragmas = [("cache_size", "-8000"), ("temp_store", "MEMORY")];
    satchel::test_suite::run(|clock| {
        let path = dir.path().join(format!("{}.db", common::unique_suffix()));
        satchel::SqliteStore::open_with_pragmas(path, pragmas)
            .unwrap()
            .with_clock(clock)
    })
    .await;
}
