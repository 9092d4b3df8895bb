//! The per-request hot paths, each on its own: id generation and parsing, storage-key
//! hashing, the session's change set, record encoding, and cookie sealing and opening.
//!
//! Run: `cargo bench -p satchel --all-features --bench hot_paths`. Compare within one run
//! only (the machine is noisy): e.g. `SessionId::generate` against `getrandom` alone.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)] // a benchmark harness

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use satchel::cookie::{CookieSessions, Key};
use satchel::{Record, Session, SessionId};
use serde_json::json;

fn ids(c: &mut Criterion) {
    let mut group = c.benchmark_group("ids");
    group.bench_function("getrandom 24 bytes (floor)", |b| {
        b.iter(|| {
            let mut bytes = [0u8; 24];
            getrandom::fill(&mut bytes).unwrap();
            black_box(bytes)
        });
    });
    group.bench_function("SessionId::generate", |b| {
        b.iter(|| black_box(SessionId::generate().unwrap()));
    });
    let id = SessionId::generate().unwrap();
    let text = id.as_str().to_owned();
    group.bench_function("SessionId::parse", |b| {
        b.iter(|| black_box(SessionId::parse(black_box(&text))));
    });
    group.bench_function("SessionId::storage_key (SHA-256)", |b| {
        b.iter(|| black_box(black_box(&id).storage_key()));
    });
    group.finish();
}

fn session() -> Session {
    let mut record = Record::new();
    record.data.insert("user".into(), json!("alice"));
    record.data.insert("cart".into(), json!([1, 2, 3]));
    record.data.insert("n".into(), json!(41));
    Session::from_record(SessionId::generate().unwrap(), record)
}

fn records(c: &mut Criterion) {
    let mut group = c.benchmark_group("records");
    let mut changed = session();
    changed
        .update("n", |n: Option<u64>| n.unwrap_or(0) + 1)
        .unwrap();
    group.bench_function("Session::update of one integer", |b| {
        b.iter_batched(
            session,
            |mut s| black_box(s.update("n", |n: Option<u64>| n.unwrap_or(0) + 1).unwrap()),
            criterion::BatchSize::SmallInput,
        );
    });
    group.bench_function("Session::changes", |b| {
        b.iter(|| black_box(changed.changes()));
    });
    let record = changed.to_record();
    group.bench_function("Record to JSON", |b| {
        b.iter(|| black_box(serde_json::to_vec(&record).unwrap()));
    });
    let bytes = serde_json::to_vec(&record).unwrap();
    group.bench_function("Record from JSON", |b| {
        b.iter(|| black_box(serde_json::from_slice::<Record>(&bytes).unwrap()));
    });
    group.finish();
}

fn cookies(c: &mut Criterion) {
    let mut group = c.benchmark_group("cookie sessions");
    let sessions = CookieSessions::new(Key::generate().unwrap());
    let session = session();
    group.bench_function("seal", |b| {
        b.iter(|| black_box(sessions.seal("session_id", &session).unwrap()));
    });
    let value = sessions.seal("session_id", &session).unwrap();
    group.bench_function("open", |b| {
        b.iter(|| black_box(sessions.open("session_id", &value).unwrap()));
    });
    group.finish();
}

criterion_group!(benches, ids, records, cookies);
criterion_main!(benches);
