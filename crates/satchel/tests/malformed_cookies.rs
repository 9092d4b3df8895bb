//! Malformed, oversized, forged and path-traversal cookies are all "no session": no error
//! page, no panic, no adopted id, and no file touched outside the store directory.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{app, body_text, set_cookie_header, set_cookie_value};
use satchel::{FilesystemStore, SessionId, SessionLayer, SessionStore, SessionStoreExt};
use tower::ServiceExt as _;

/// Fifty cookie values an attacker or a broken client might send, given a real session's
/// id and stored key to forge from.
fn hostile_values(real_id: &str, real_key: &str) -> Vec<Vec<u8>> {
    let mut flipped = real_id.as_bytes().to_vec();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let text = [
        "",
        " ",
        "\"\"",
        "\"quoted\"",
        "null",
        "undefined",
        "0",
        "-1",
        "{}",
        "[]",
        "=",
        "==",
        "<script>alert(1)</script>",
        "../../../../etc/passwd",
        "..%2f..%2f..%2fetc%2fpasswd",
        "%2e%2e%2f%2e%2e%2f",
        "/etc/passwd",
        "/tmp/x",
        "..\\..\\windows\\win.ini",
        "C:\\Windows\\System32",
        "....//....//....//",
        "./././././././././././././././..",
        "................................",
        "//////////////////////////////..",
        "%00",
        "AAAA%00AAAA",
        "\\x00\\x00",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   // 31 chars
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", // 33 chars
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",  // padded base64
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAA+/A",  // standard alphabet
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.",  // a dot
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\t",  // a tab
        "werkzeug_0123456789abcdef0123456789abcdef.sess",
        "0123456789abcdef0123456789abcdef01234567", // a werkzeug-style id
        "satchel_%s.json",
        "%s%s%s%s%n",
        "' OR '1'='1",
        "session_id=nested",
    ];
    let mut values: Vec<Vec<u8>> = text.iter().map(|v| v.as_bytes().to_vec()).collect();
    values.push("A".repeat(4096).into_bytes());
    values.push("A".repeat(8192).into_bytes());
    values.push(real_key.as_bytes().to_vec()); // the stored key is not a cookie
    values.push(flipped);
    values.push(format!("{real_id}x").into_bytes());
    values.push(real_id.as_bytes()[1..].to_vec());
    values.push(real_id.to_ascii_lowercase().into_bytes());
    values.push(SessionId::generate().unwrap().as_str().as_bytes().to_vec()); // never issued
    values.push(b"\xc3\xa9\xc3\xa9\xc3\xa9".to_vec()); // non-ASCII bytes
    values.push(b"\xe2\x80\xa4\xe2\x80\xa4/\xe2\x80\xa4\xe2\x80\xa4/".to_vec()); // one-dot leaders
    values.push(b"\xff\xfe\xfd".to_vec());
    assert_eq!(values.len(), 50);
    values
}

fn snapshot(root: &Path, skip: &Path) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for entry in walk(root) {
        if !entry.starts_with(skip) {
            seen.insert(entry.display().to_string());
        }
    }
    seen
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}

async fn request(
    app: &axum::Router,
    method: &str,
    uri: &str,
    cookie: &[u8],
) -> http::Response<axum::body::Body> {
    let mut header = b"session_id=".to_vec();
    header.extend_from_slice(cookie);
    let request = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("cookie", http::HeaderValue::from_bytes(&header).unwrap())
        .body(axum::body::Body::from("v"))
        .unwrap();
    app.clone().oneshot(request).await.unwrap()
}

#[tokio::test]
async fn fifty_hostile_cookies_are_no_session() {
    let root = tempfile::tempdir().unwrap();
    let store_dir = root.path().join("store");
    let store = FilesystemStore::new(&store_dir).unwrap();
    let app = app(SessionLayer::new(store.clone()));
    let real = set_cookie_value(&common::send(&app, "POST", "/insert/owner", None, "alice").await)
        .unwrap();
    let real_key = store
        .ids()
        .storage_key(&SessionId::parse(&real).unwrap())
        .to_string();
    let before = snapshot(root.path(), &store_dir);

    let values = hostile_values(&real, &real_key);
    for value in &values {
        let read = request(&app, "GET", "/read", value).await;
        assert_eq!(read.status(), 200, "{value:?}");
        assert!(set_cookie_header(&read).is_none(), "{value:?}");
        assert_eq!(body_text(read).await, "{}", "{value:?}");

        let write = request(&app, "POST", "/insert/k", value).await;
        assert_eq!(write.status(), 200, "{value:?}");
        let issued = set_cookie_value(&write).unwrap();
        assert!(SessionId::parse(&issued).is_some());
        assert_ne!(issued.as_bytes(), value.as_slice());
        assert_ne!(issued, real);
    }

    assert_eq!(
        snapshot(root.path(), &store_dir),
        before,
        "a file outside the store changed"
    );
    // One session per write, plus the real one, and every file is a well-named record.
    assert_eq!(store.list().await.unwrap().len(), values.len() + 1);
    for entry in std::fs::read_dir(&store_dir).unwrap().flatten() {
        let name = entry.file_name().into_string().unwrap();
        let well_named = name == ".satchel-locks"
            || (name.starts_with("satchel_")
                && name.ends_with(".json")
                && name.len() == 8 + 64 + 5);
        assert!(well_named, "unexpected file {name}");
    }
    let owner = common::send(&app, "GET", "/read", Some(&real), "").await;
    assert_eq!(body_text(owner).await, r#"{"owner":"alice"}"#);
}

#[tokio::test]
async fn values_no_header_can_carry_are_no_session_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = FilesystemStore::new(dir.path()).unwrap();
    for value in [
        "a\r\nSet-Cookie: x=1",
        "\0\0\0",
        "../\0/etc/passwd",
        "\n",
        "a;b",
    ] {
        let session = store.get(value).await.unwrap();
        assert!(session.is_new());
    }
}
