//! Shared by the integration tests: fresh stores and small HTTP helpers.
#![allow(dead_code, unreachable_pub)] // each test binary uses a different part

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
