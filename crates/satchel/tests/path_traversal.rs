//! A path-traversal corpus, counted: 10,000 ids built from `..`, separators, encodings,
//! NUL bytes and absolute paths, each used as a cookie (where a header can carry it) and
//! as an id handed to the stores directly (satchel's file format, werkzeug's, and
//! `WerkzeugFiles`, the Python face's entry), in a child traced by strace. Every path the
//! child's file system calls name in that time is counted: 0 lie outside the store folders.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use std::collections::HashMap;
use std::path::Path;

use common::strace::{mark, paths_of, step, trace_child};
use common::{app, send};
use satchel::store::WerkzeugFiles;
use satchel::{FilesystemStore, SessionLayer, SessionStore, SessionStoreExt};

const CHILD_DIR: &str = "SATCHEL_TRAVERSAL_DIR";
const CORPUS: usize = 10_000;

/// The pieces of a traversal attempt.
const PIECES: &[&str] = &[
    "..",
    ".",
    "/",
    "\\",
    "%2e%2e",
    "%2f",
    "%252e",
    "..%c0%af",
    "%00",
    "\0",
    "~",
    "//",
    "/etc/passwd",
    "/proc/self/environ",
    "C:\\",
    "....//",
    "..;/",
    "\u{2215}",
    "\u{ff0f}",
    "\u{2024}\u{2024}",
    "werkzeug_",
    ".sess",
    "satchel_",
    ".json",
    ".satchel-locks/",
    ".users/",
    "0123456789abcdef0123456789abcdef01234567",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "%s",
    "*",
    "?",
    "\n",
    " ",
];

/// `CORPUS` ids, the same every run: random sequences of one to eight pieces (a small
/// xorshift, seeded), with the plain pieces themselves first.
fn corpus() -> Vec<String> {
    let mut ids: Vec<String> = PIECES.iter().map(|piece| (*piece).to_owned()).collect();
    let mut state: u64 = 0x5eed_cafe_f00d_d00d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    while ids.len() < CORPUS {
        let pieces = 1 + next() % 8;
        let id: String = (0..pieces)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        ids.push(id);
    }
    ids
}

/// The child: every id of the corpus against every entry point, between two marks.
#[test]
#[ignore = "run by no_file_access_outside_the_store_folders under strace"]
fn traversal_child() {
    let Ok(root) = std::env::var(CHILD_DIR) else {
        return;
    };
    let root = Path::new(&root);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let files = FilesystemStore::new(root.join("files")).unwrap();
        let werkzeug = FilesystemStore::werkzeug(root.join("werkzeug")).unwrap();
        let raw = WerkzeugFiles::open(root.join("raw"), "werkzeug_%s.sess", 0o600).unwrap();
        let apps = [
            app(SessionLayer::new(files.clone())),
            app(SessionLayer::new(werkzeug.clone())),
        ];
        let ids = corpus();
        mark("corpus");
        let mut cookies = 0;
        for id in &ids {
            assert!(
                files.get(id).await.unwrap().is_new(),
                "{id:?} found a session"
            );
            assert!(
                werkzeug.get(id).await.unwrap().is_new(),
                "{id:?} found a session"
            );
            assert!(matches!(raw.read(id), Ok(None)), "{id:?} was read");
            match raw.path_of(id) {
                // A genuine werkzeug id (one of the pieces is one): its file, in the folder.
                Some(path) => {
                    assert!(path.starts_with(raw.dir()), "{id:?}: {}", path.display());
                    assert!(!raw.delete(id).unwrap(), "{id:?} was deleted");
                }
                None => {
                    assert!(raw.lock(id).is_err(), "{id:?} was locked");
                    assert!(raw.delete(id).is_err(), "{id:?} was deleted");
                }
            }
            if http::HeaderValue::from_str(&format!("session_id={id}")).is_ok() {
                cookies += 1;
                for app in &apps {
                    let read = send(app, "GET", "/read", Some(id), "").await;
                    assert_eq!(read.status(), 200, "{id:?}");
                    let logout = send(app, "POST", "/logout", Some(id), "").await;
                    assert_eq!(logout.status(), 200, "{id:?}");
                }
            }
        }
        mark("end");
        assert!(files.list().await.unwrap().is_empty());
        assert!(werkzeug.list().await.unwrap().is_empty());
        assert!(raw.list().unwrap().is_empty());
        println!("{} ids, {cookies} of them also as cookies", ids.len());
    });
}

#[test]
fn no_file_access_outside_the_store_folders() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path().canonicalize().unwrap();
    let env = HashMap::from([(CHILD_DIR, root.display().to_string())]);
    let Some(trace) = trace_child("traversal_child", "%file,write", &env) else {
        return;
    };
    let lines = step(&trace, "corpus");
    let paths: Vec<_> = lines.iter().flat_map(|line| paths_of(line)).collect();
    let outside: Vec<_> = paths
        .iter()
        .filter(|path| !path.starts_with(&root))
        .collect();
    assert!(
        outside.is_empty(),
        "accesses outside {}: {outside:#?}",
        root.display()
    );
    println!(
        "{CORPUS} traversal ids: {} file system calls in the store folders, 0 outside",
        paths.len()
    );
}
