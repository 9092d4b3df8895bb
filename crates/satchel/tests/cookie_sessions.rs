//! Cookie sessions: the whole session in an encrypted (or signed), name-bound, expiring,
//! key-rotating cookie.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{app, body_text, send, set_cookie_header, set_cookie_value};
use satchel::cookie::{Key, Protection};
use satchel::{Clock, CookieSessions, Error, Session, SessionLayer};
use serde_json::json;
use time::{Duration, OffsetDateTime};

const NAME: &str = "session_id";

fn key(byte: u8) -> Key {
    Key::from_bytes(&[byte; 32]).unwrap()
}

/// A cookie value holding `data`, as the middleware would send it.
fn sealed(store: &CookieSessions, name: &str, data: serde_json::Value) -> (Session, String) {
    let mut session = Session::new(satchel::SessionId::generate().unwrap());
    for (k, v) in data.as_object().unwrap() {
        session.insert_value(k.clone(), v.clone());
    }
    let value = store.seal(name, &session).unwrap();
    (session, value)
}

async fn opens(store: &CookieSessions, name: &str, value: &str) -> bool {
    store.open(name, value).is_some()
}

#[tokio::test]
async fn the_session_round_trips_through_the_middleware() {
    for protection in [Protection::Encrypted, Protection::Signed] {
        let store = CookieSessions::new(key(1)).with_protection(protection);
        let app = app(SessionLayer::in_cookie(store));
        let first = send(&app, "POST", "/insert/cart", None, "apple").await;
        let cookie = set_cookie_value(&first).unwrap();
        assert!(
            !cookie.contains("apple"),
            "the value is not the data in clear"
        );
        let second = send(&app, "POST", "/insert/colour", Some(&cookie), "green").await;
        // Every change is a new cookie: the cookie is the session.
        let cookie = set_cookie_value(&second).unwrap();
        let read = send(&app, "GET", "/read", Some(&cookie), "").await;
        assert!(set_cookie_header(&read).is_none());
        assert_eq!(
            body_text(read).await,
            r#"{"cart":"apple","colour":"green"}"#
        );

        let login = send(&app, "POST", "/login", Some(&cookie), "alice").await;
        let logged_in = set_cookie_value(&login).unwrap();
        let read = send(&app, "GET", "/read", Some(&logged_in), "").await;
        assert_eq!(
            body_text(read).await,
            r#"{"cart":"apple","colour":"green","user":"alice"}"#
        );
        // The documented limit: a cookie cannot be revoked, so the pre-login cookie still
        // opens (to the session as it was, without the login).
        let stale = send(&app, "GET", "/read", Some(&cookie), "").await;
        assert_eq!(
            body_text(stale).await,
            r#"{"cart":"apple","colour":"green"}"#
        );

        let logout = send(&app, "POST", "/logout", Some(&logged_in), "").await;
        assert!(set_cookie_header(&logout).unwrap().contains("Max-Age=0"));
    }
}

#[tokio::test]
async fn every_single_bit_flip_of_a_thousand_cookies_is_rejected() {
    let store = CookieSessions::new(key(1));
    let signed = CookieSessions::new(key(1)).with_protection(Protection::Signed);
    let mut flips = 0;
    for n in 0..1000 {
        let store = if n % 2 == 0 { &store } else { &signed };
        let (_, value) = sealed(store, NAME, json!({ "user": format!("user{n}"), "n": n }));
        let bytes = URL_SAFE_NO_PAD.decode(&value).unwrap();
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            let flipped = URL_SAFE_NO_PAD.encode(&flipped);
            assert!(
                !opens(store, NAME, &flipped).await,
                "cookie {n}, bit {bit} accepted"
            );
            flips += 1;
        }
        assert!(opens(store, NAME, &value).await);
    }
    println!("{flips} single-bit flips of 1000 cookies: 0 accepted");
}

#[tokio::test]
async fn truncated_extended_and_garbage_values_are_rejected() {
    let store = CookieSessions::new(key(1));
    let (_, value) = sealed(&store, NAME, json!({"user": "alice"}));
    for cut in 0..value.len() {
        assert!(!opens(&store, NAME, &value[..cut]).await, "cut at {cut}");
    }
    for bad in [
        format!("{value}A"),
        format!("{value}="),
        format!(" {value}"),
        "\u{0}".into(),
        "=".repeat(9000),
    ] {
        assert!(!opens(&store, NAME, &bad).await, "{bad:?}");
    }
}

#[tokio::test]
async fn a_value_moved_to_another_cookie_or_format_is_rejected() {
    let encrypted = CookieSessions::new(key(1));
    let signed = CookieSessions::new(key(1)).with_protection(Protection::Signed);
    let (_, value) = sealed(&encrypted, NAME, json!({"user": "alice"}));
    assert!(opens(&encrypted, NAME, &value).await);
    assert!(!opens(&encrypted, "csrf_token", &value).await);
    assert!(!opens(&signed, NAME, &value).await);
    let (_, value) = sealed(&signed, NAME, json!({"user": "alice"}));
    assert!(!opens(&encrypted, NAME, &value).await);
    assert!(!opens(&signed, "other", &value).await);
    // And through the middleware: a cookie configured under another name finds nothing.
    let app = app(SessionLayer::in_cookie(encrypted.clone())
        .with_cookie(satchel::CookieConfig::new().with_name("sid"))
        .unwrap());
    let request = http::Request::get("/read")
        .header(
            "cookie",
            format!("sid={}", sealed(&encrypted, NAME, json!({"a": 1})).1),
        )
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app, request).await.unwrap();
    assert_eq!(body_text(response).await, "{}");
}

#[tokio::test]
async fn rotation_reads_old_cookies_and_reissues_them_under_the_new_key() {
    let (old, new) = (key(1), key(2));
    let before = CookieSessions::new(old.clone());
    let (_, value) = sealed(&before, NAME, json!({"user": "alice"}));
    let rotated = CookieSessions::new(new.clone()).with_previous_key(old);
    let app = app(SessionLayer::in_cookie(rotated));
    let read = send(&app, "GET", "/read", Some(&value), "").await;
    let reissued = set_cookie_value(&read).expect("an old-key cookie is re-issued");
    assert_eq!(body_text(read).await, r#"{"user":"alice"}"#);
    let only_new = CookieSessions::new(new);
    assert!(opens(&only_new, NAME, &reissued).await);
    assert!(!opens(&only_new, NAME, &value).await);
    // Once re-issued, reading sends nothing more.
    assert!(set_cookie_header(&send(&app, "GET", "/read", Some(&reissued), "").await).is_none());
}

#[tokio::test]
async fn an_expired_cookie_is_rejected_though_the_client_kept_it() {
    let clock = Clock::manual(OffsetDateTime::now_utc());
    let store = CookieSessions::new(key(1)).with_clock(clock.clone());
    let app = app(SessionLayer::in_cookie(store).with_idle_timeout(Duration::minutes(30)));
    let cookie =
        set_cookie_value(&send(&app, "POST", "/insert/user", None, "alice").await).unwrap();
    clock.advance(Duration::minutes(29));
    assert_eq!(
        body_text(send(&app, "GET", "/read", Some(&cookie), "").await).await,
        r#"{"user":"alice"}"#
    );
    clock.advance(Duration::minutes(2));
    assert_eq!(
        body_text(send(&app, "GET", "/read", Some(&cookie), "").await).await,
        "{}"
    );
}

#[tokio::test]
async fn reading_slides_the_idle_deadline_inside_the_cookie() {
    let clock = Clock::manual(OffsetDateTime::now_utc());
    let store = CookieSessions::new(key(1)).with_clock(clock.clone());
    let app = app(SessionLayer::in_cookie(store).with_idle_timeout(Duration::minutes(30)));
    let mut cookie =
        set_cookie_value(&send(&app, "POST", "/insert/user", None, "alice").await).unwrap();
    for _ in 0..4 {
        clock.advance(Duration::minutes(20));
        let read = send(&app, "GET", "/read", Some(&cookie), "").await;
        cookie = set_cookie_value(&read).expect("a touched cookie is re-issued");
        assert_eq!(body_text(read).await, r#"{"user":"alice"}"#);
    }
}

#[tokio::test]
async fn a_five_kib_session_is_refused_with_a_clear_error() {
    let store = CookieSessions::new(key(1));
    let (session, _) = sealed(&store, NAME, json!({}));
    let mut big = session;
    big.insert("blob", "x".repeat(5 * 1024)).unwrap();
    let err = store.seal(NAME, &big).unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit: 4096, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("4096"), "{err}");

    let app = app(SessionLayer::in_cookie(store));
    let response = send(&app, "POST", "/insert/blob", None, &"x".repeat(5 * 1024)).await;
    assert_eq!(response.status(), 413);
    assert!(
        set_cookie_header(&response).is_none(),
        "no truncated cookie is sent"
    );
}

/// The shared depth limit holds in cookies too: a deep value is refused with 413, through
/// the handle at once or at the commit, and no cookie is sent.
#[tokio::test]
async fn a_deep_value_is_refused_in_a_cookie_session() {
    let deep = (0..127).fold(json!(1), |inner, _| json!([inner]));
    let checked = deep.clone();
    let app = axum::Router::new()
        .route(
            "/checked",
            axum::routing::post(move |handle: satchel::SessionHandle| {
                let value = checked.clone();
                async move { handle.insert("deep", value).await }
            }),
        )
        .route(
            "/unchecked",
            axum::routing::post(move |handle: satchel::SessionHandle| {
                let value = deep.clone();
                async move {
                    handle.load().await?.insert_value("deep", value);
                    Ok::<_, Error>(())
                }
            }),
        )
        .layer(SessionLayer::in_cookie(CookieSessions::new(key(1))));
    let checked = send(&app, "POST", "/checked", None, "").await;
    assert_eq!(checked.status(), 413);
    assert!(set_cookie_header(&checked).is_none());
    assert!(
        body_text(checked)
            .await
            .contains("deeper than the 32-level limit")
    );
    let unchecked = send(&app, "POST", "/unchecked", None, "").await;
    assert_eq!(unchecked.status(), 413);
    assert!(set_cookie_header(&unchecked).is_none());
}

#[tokio::test]
async fn signed_cookies_are_readable_but_not_writable() {
    let store = CookieSessions::new(key(1)).with_protection(Protection::Signed);
    let (_, value) = sealed(&store, NAME, json!({"user": "alice"}));
    let bytes = URL_SAFE_NO_PAD.decode(&value).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains(r#""user":"alice""#), "{text}");
    let forged = URL_SAFE_NO_PAD.encode(text.replace("alice", "admin").as_bytes());
    assert!(!opens(&store, NAME, &forged).await);
}

#[test]
fn short_keys_are_refused() {
    for len in [0, 1, 16, 31] {
        assert!(Key::from_bytes(&vec![7; len]).is_err());
        assert!(Key::derive(&vec![7; len], "x").is_err());
    }
    assert!(Key::from_bytes(&[7; 32]).is_ok());
}

/// Cookies made by satchel 0.1 (`tests/fixtures/cookie-sessions-v1.json`): every later
/// version must still open them. Regenerate only for a new format version, with
/// `cargo test --test cookie_sessions -- --ignored --nocapture print_fixtures`.
#[tokio::test]
async fn cookies_made_by_earlier_versions_still_open() {
    let fixtures: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("fixtures/cookie-sessions-v1.json")).unwrap();
    assert!(fixtures.len() >= 4);
    for fixture in fixtures {
        let key = Key::from_bytes(&hex(fixture["key"].as_str().unwrap())).unwrap();
        let at = OffsetDateTime::from_unix_timestamp(fixture["at"].as_i64().unwrap()).unwrap();
        let protection = match fixture["protection"].as_str().unwrap() {
            "signed" => Protection::Signed,
            _ => Protection::Encrypted,
        };
        let store = CookieSessions::new(key)
            .with_protection(protection)
            .with_clock(Clock::manual(at));
        let name = fixture["name"].as_str().unwrap();
        let session = store
            .open(name, fixture["value"].as_str().unwrap())
            .expect("a fixture of an earlier version opens");
        assert!(!session.is_new(), "{fixture}");
        assert_eq!(
            serde_json::Value::Object(session.data().clone()),
            fixture["data"]
        );
    }
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test]
#[ignore = "writes the known-answer fixtures; run by hand for a new format version"]
async fn print_fixtures() {
    let at = OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
    let cases = [
        ("encrypted", 0x11, NAME, json!({"user": "alice", "n": 1})),
        (
            "encrypted",
            0x22,
            "__Host-sid",
            json!({"cart": [1, 2, 3], "nested": {"a": null}}),
        ),
        (
            "signed",
            0x33,
            NAME,
            json!({"user": "bob", "roles": ["admin"]}),
        ),
        ("signed", 0x44, "sid", json!({})),
    ];
    let mut out = Vec::new();
    for (protection, byte, name, data) in cases {
        let mode = if protection == "signed" {
            Protection::Signed
        } else {
            Protection::Encrypted
        };
        let store = CookieSessions::new(key(byte))
            .with_protection(mode)
            .with_clock(Clock::manual(at));
        let (_, value) = sealed(&store, name, data.clone());
        let key_hex: String = [byte; 32].iter().map(|b| format!("{b:02x}")).collect();
        out.push(
            json!({"protection": protection, "key": key_hex, "name": name,
                        "at": at.unix_timestamp(), "value": value, "data": data}),
        );
    }
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
