//! Ten thousand hostile cookies, and ten thousand well-formed ids nobody issued, sent as
//! reads and as logouts: 0 panics or error pages, 0 sessions created, 0 adopted, on the
//! memory, file and cookie stores. `-- --nocapture` prints the counts.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use axum::body::Body;
use common::{app, body_text, set_cookie_header};
use satchel::cookie::Key;
use satchel::{CookieSessions, FilesystemStore, MemoryStore, Session, SessionId, SessionLayer};
use tower::ServiceExt as _;

const HOSTILE: usize = 10_000;

/// A small deterministic generator (xorshift), so a failure names a reproducible case.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    /// Bytes a header value may carry (visible ASCII, tab, and bytes past 0x7f).
    fn header_bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| match self.below(4) {
                0 => 0x80 + self.below(0x80) as u8,
                1 => b"=;, \t\"\\"[self.below(7)],
                _ => 0x21 + self.below(0x5e) as u8,
            })
            .collect()
    }
}

/// Cookie headers of every hostile kind, from `sealed`, a genuine cookie session's value.
/// `foreign` is a cookie session sealed under another key.
fn corpus(sealed: &str, foreign: &str) -> Vec<Vec<u8>> {
    let mut dice = Dice(0x5eed_cafe_f00d_d00d);
    let mut cookies = Vec::with_capacity(HOSTILE);
    while cookies.len() < HOSTILE {
        let value: Vec<u8> = match cookies.len() % 8 {
            0 => {
                let len = dice.below(64);
                dice.header_bytes(len)
            }
            1 => dice.header_bytes(8192),
            // Base64 of the wrong length or alphabet.
            2 => {
                let len = 20 + dice.below(20);
                (0..len).map(|_| b"AZaz09+/=-_."[dice.below(12)]).collect()
            }
            // Not UTF-8.
            3 => vec![0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xff],
            // A genuine cookie session, truncated or with one bit flipped.
            4 => sealed.as_bytes()[..dice.below(sealed.len())].to_vec(),
            5 => {
                let mut bytes = sealed.as_bytes().to_vec();
                let at = dice.below(bytes.len());
                bytes[at] ^= 1 << dice.below(6);
                bytes
            }
            // A duplicate name; separators.
            6 => format!("x; session_id={}; session_id=", dice.next()).into_bytes(),
            // Sealed under another key.
            _ if dice.below(2) == 0 => foreign.as_bytes().to_vec(),
            _ => b";;;===,,, session_id ;=".to_vec(),
        };
        let mut header = b"session_id=".to_vec();
        header.extend(value);
        if axum::http::HeaderValue::from_bytes(&header).is_ok() {
            cookies.push(header);
        }
    }
    cookies
}

/// Sends `cookie` to `uri` and asserts the answer: no error page, no new cookie, and (for
/// reads) no data.
async fn refused(app: &axum::Router, method: &str, uri: &str, cookie: &[u8]) {
    let request = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header(
            "cookie",
            axum::http::HeaderValue::from_bytes(cookie).unwrap(),
        )
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let shown = String::from_utf8_lossy(&cookie[..cookie.len().min(80)]).into_owned();
    assert_eq!(response.status(), 200, "{shown}");
    let set = set_cookie_header(&response);
    // A logout of no session may tell the browser to forget its cookie; never a new one.
    assert!(
        set.as_deref().is_none_or(|c| c.starts_with("session_id=;")),
        "{shown}: {set:?}"
    );
    if method == "GET" {
        assert_eq!(body_text(response).await, "{}", "{shown}");
    }
}

fn never_issued() -> Vec<Vec<u8>> {
    (0..HOSTILE)
        .map(|_| format!("session_id={}", SessionId::generate().unwrap().as_str()).into_bytes())
        .collect()
}

#[tokio::test]
async fn hostile_cookies_and_unknown_ids_create_and_adopt_nothing() {
    let key = Key::from_bytes(&[9; 32]).unwrap();
    let seal = |key: Key| {
        let mut session = Session::new(SessionId::generate().unwrap());
        session.insert("user", "alice").unwrap();
        CookieSessions::new(key)
            .seal("session_id", &session)
            .unwrap()
    };
    let sealed = seal(key.clone());
    let foreign = seal(Key::from_bytes(&[10; 32]).unwrap());
    let hostile = corpus(&sealed, &foreign);
    let unknown = never_issued();

    let memory = MemoryStore::new();
    let dir = tempfile::tempdir().unwrap();
    let files = FilesystemStore::new(dir.path().join("s")).unwrap();
    let apps = [
        ("memory", app(SessionLayer::new(memory.clone()))),
        ("file", app(SessionLayer::new(files.clone()))),
        (
            "cookie",
            app(SessionLayer::in_cookie(CookieSessions::new(key))),
        ),
    ];
    for (name, app) in &apps {
        for cookie in &hostile {
            refused(app, "GET", "/read", cookie).await;
        }
        for cookie in &unknown {
            refused(app, "GET", "/read", cookie).await;
            refused(app, "POST", "/logout", cookie).await;
        }
        // Logouts with no cookie at all: nothing to end, nothing to make.
        for _ in 0..HOSTILE {
            let response = common::send(app, "POST", "/logout", None, "").await;
            assert_eq!(response.status(), 200);
            let set = set_cookie_header(&response);
            assert!(
                set.as_deref().is_none_or(|c| c.starts_with("session_id=;")),
                "{set:?}"
            );
        }
        println!(
            "{name}: {} hostile cookies, {} never-issued ids (read and logged out) and {HOSTILE} anonymous logouts: 0 error pages, 0 sessions created, 0 adopted",
            hostile.len(),
            unknown.len()
        );
    }
    assert!(memory.is_empty(), "the memory store holds a session");
    let stored = satchel::SessionStore::list(&files).await.unwrap();
    assert!(
        stored.is_empty(),
        "the file store holds {} sessions",
        stored.len()
    );
}
