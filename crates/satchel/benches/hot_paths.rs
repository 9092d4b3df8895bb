//! The per-request hot paths, each on its own: id generation and parsing, storage-key
//! hashing, the session's change set, record encoding, and cookie sealing and opening.
//!
//! Run: `cargo bench -p satchel --all-features --bench hot_paths`. Compare within one run
//! only (the machine is noisy): e.g. `SessionId::generate` against `getrandom` alone, or
//! the envelope's cipher against AES-256-GCM (`cookie cipher`).

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

/// The cipher alone, as the envelope runs it (HChaCha20 subkey, then ring's
/// ChaCha20-Poly1305), against ring's AES-256-GCM with its key set up once: what a second,
/// AES suite would save per seal. The payload is an `/incr` session's.
fn cookie_cipher(c: &mut Criterion) {
    use chacha20::{R20, hchacha};
    use ring::aead::{AES_256_GCM, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};

    let key = [7u8; 32];
    let aad = [3u8; 45];
    let payload = br#"{"i":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","c":1764800000,"e":1764801800,"d":{"n":12345}}"#;
    let mut group = c.benchmark_group("cookie cipher");
    group.bench_function("XChaCha20-Poly1305 seal (the envelope's)", |b| {
        let nonce = [1u8; 24];
        b.iter(|| {
            let master = chacha20::Key::from(key);
            let prefix = chacha20::cipher::array::Array::try_from(&nonce[..16]).unwrap();
            let subkey = <[u8; 32]>::from(hchacha::<R20>(&master, &prefix));
            let cipher = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &subkey).unwrap());
            let mut ietf = [0u8; 12];
            ietf[4..].copy_from_slice(&nonce[16..]);
            let mut out = black_box(payload).to_vec();
            cipher
                .seal_in_place_append_tag(
                    Nonce::assume_unique_for_key(ietf),
                    Aad::from(&aad),
                    &mut out,
                )
                .unwrap();
            black_box(out)
        });
    });
    let aes = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).unwrap());
    group.bench_function("AES-256-GCM seal (key set up once)", |b| {
        b.iter(|| {
            let mut out = black_box(payload).to_vec();
            aes.seal_in_place_append_tag(
                Nonce::assume_unique_for_key([1; 12]),
                Aad::from(&aad),
                &mut out,
            )
            .unwrap();
            black_box(out)
        });
    });
    group.finish();
}

criterion_group!(benches, ids, records, cookies, cookie_cipher);
criterion_main!(benches);
