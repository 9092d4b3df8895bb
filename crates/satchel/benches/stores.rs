//! Each store's load and save of one small session, one after another (no concurrency):
//! what a request pays the store, without HTTP. Redis and PostgreSQL run only when
//! `SATCHEL_TEST_REDIS_URL` / `SATCHEL_TEST_POSTGRES_URL` name a server, and say so when not.
//!
//! Run: `cargo bench -p satchel --all-features --bench stores`; the memory store is the
//! baseline of the same run.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)] // a benchmark harness

use criterion::{Criterion, criterion_group, criterion_main};
use satchel::{
    FilesystemStore, MemoryStore, PostgresStore, RedisStore, SessionStore, SessionStoreExt,
    SqliteStore,
};

/// Benches `get` and a one-key `save` on `store`, with one stored session.
fn load_and_save<S: SessionStore>(c: &mut Criterion, name: &str, store: S) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let id = runtime.block_on(async {
        let mut session = store.new_session().unwrap();
        session.insert("user", "alice").unwrap();
        session.insert("n", 0).unwrap();
        store.save(&mut session).await.unwrap();
        session.id().as_str().to_owned()
    });
    c.bench_function(&format!("{name}: load"), |b| {
        b.iter(|| runtime.block_on(store.get(&id)).unwrap());
    });
    c.bench_function(&format!("{name}: save one key"), |b| {
        b.iter(|| {
            runtime.block_on(async {
                let mut session = store.get(&id).await.unwrap();
                session
                    .update("n", |n: Option<u64>| n.unwrap_or(0) + 1)
                    .unwrap();
                store.save(&mut session).await.unwrap()
            })
        });
    });
    // Leave the shared servers as they were.
    runtime.block_on(async {
        let mut session = store.get(&id).await.unwrap();
        store.destroy(&mut session).await.unwrap();
    });
}

fn stores(c: &mut Criterion) {
    load_and_save(c, "memory", MemoryStore::new());
    let dir = tempfile::tempdir().unwrap();
    load_and_save(
        c,
        "files",
        FilesystemStore::new(dir.path().join("files")).unwrap(),
    );
    load_and_save(
        c,
        "sqlite",
        SqliteStore::open(dir.path().join("s.db")).unwrap(),
    );
    match std::env::var("SATCHEL_TEST_REDIS_URL") {
        Ok(url) => load_and_save(
            c,
            "redis",
            RedisStore::new(&url).unwrap().with_prefix("bench:"),
        ),
        Err(_) => eprintln!("skipped: redis (set SATCHEL_TEST_REDIS_URL)"),
    }
    match std::env::var("SATCHEL_TEST_POSTGRES_URL") {
        Ok(url) => {
            let store = PostgresStore::new(&url).unwrap();
            load_and_save(c, "postgres", store.with_table("satchel_bench").unwrap());
        }
        Err(_) => eprintln!("skipped: postgres (set SATCHEL_TEST_POSTGRES_URL)"),
    }
}

criterion_group!(benches, stores);
criterion_main!(benches);
