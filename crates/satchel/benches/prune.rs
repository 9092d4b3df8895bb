//! Pruning 100,000 expired sessions from the filesystem store, against the floor: removing
//! the same 100,000 files with nothing but `read_dir` and `remove_file`.
//!
//! Run: `cargo bench -p satchel --bench prune`. Report `prune / unlink`, both measured in
//! the same run (the machine is noisy; absolute times are not comparable across runs).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)] // a benchmark harness

use std::io::Write as _;
use std::path::Path;

use criterion::{BatchSize, Criterion, SamplingMode, criterion_group, criterion_main};
use satchel::store::Progress;
use satchel::{FilesystemStore, SessionId, SessionStore};

const SESSIONS: usize = 100_000;

/// Fills `store` with expired sessions, written directly in the store's file format (a
/// durable save per session would make the setup take minutes).
fn fill_expired(store: &FilesystemStore) {
    let body = br#"{"satchel":1,"data":{"user":"alice","n":1},"created_at":0,"expires_at":1}"#;
    for _ in 0..SESSIONS {
        let key = SessionId::generate().unwrap().storage_key();
        let mut file = std::fs::File::create(store.path_of(&key)).unwrap();
        file.write_all(body).unwrap();
    }
}

fn unlink_all(dir: &Path) -> usize {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_file() {
            std::fs::remove_file(entry.path()).unwrap();
            removed += 1;
        }
    }
    removed
}

/// A fresh store directory holding 100,000 expired sessions: each run gets its own, since a
/// directory that once held many entries stays slower to search (ext4 never shrinks it).
fn fresh_store() -> (tempfile::TempDir, FilesystemStore) {
    let root = tempfile::tempdir().unwrap();
    let store = FilesystemStore::new(root.path().join("sessions")).unwrap();
    fill_expired(&store);
    (root, store)
}

fn prune(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut group = c.benchmark_group("prune 100k expired sessions");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    // Each routine hands its directory back, so removing it is not timed.
    group.bench_function("unlink (floor)", |b| {
        b.iter_batched(
            fresh_store,
            |(root, store)| {
                assert_eq!(unlink_all(store.dir()), SESSIONS);
                root
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function("FilesystemStore::prune", |b| {
        b.iter_batched(
            fresh_store,
            |(root, store)| {
                assert_eq!(
                    runtime.block_on(store.prune(&Progress::none())).unwrap(),
                    SESSIONS as u64
                );
                root
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, prune);
criterion_main!(benches);
