//! The middleware over HTTP: in-process through tower, and once over a real socket.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use common::probe::ProbeStore;
use common::{app, body_text, send, set_cookie_header, set_cookie_value};
use satchel::{
    CookieConfig, MemoryStore, SameSite, SessionId, SessionLayer, SessionStore, SessionStoreExt,
};

fn memory_app() -> (MemoryStore, axum::Router) {
    let store = MemoryStore::new();
    (store.clone(), app(SessionLayer::new(store)))
}

#[tokio::test]
async fn untouched_session_sets_no_cookie_and_reads_nothing() {
    let (memory, healthy) = memory_app();
    let cookie = set_cookie_value(&send(&healthy, "POST", "/insert/a", None, "1").await).unwrap();
    let probe = ProbeStore::around(memory);
    let app = app(SessionLayer::new(probe.clone()));
    let response = send(&app, "GET", "/untouched", Some(&cookie), "").await;
    assert_eq!(response.status(), 200);
    assert!(set_cookie_header(&response).is_none());
    assert!(response.headers().get("vary").is_none());
    assert_eq!(
        probe.loads(),
        0,
        "the store was read for a request that never asked"
    );
    send(&app, "GET", "/read", Some(&cookie), "").await;
    assert_eq!(probe.loads(), 1);
}

#[tokio::test]
async fn a_load_that_failed_can_be_retried_on_the_same_cookie() {
    let (memory, healthy) = memory_app();
    let cookie = set_cookie_value(&send(&healthy, "POST", "/insert/a", None, "1").await).unwrap();
    let probe = ProbeStore::around(memory);
    let handle = satchel::SessionHandle::new(probe.clone(), Some(cookie));
    probe
        .outage
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(handle.load().await.is_err());
    probe
        .outage
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let session = handle.load().await.unwrap();
    assert!(
        !session.is_new(),
        "the retry must find the real session, not a fresh one"
    );
    assert_eq!(session.get::<String>("a").unwrap().as_deref(), Some("1"));
}

#[tokio::test]
async fn logging_out_of_a_session_already_gone_still_expires_the_cookie() {
    let (store, app) = memory_app();
    let cookie = set_cookie_value(&send(&app, "POST", "/insert/a", None, "1").await).unwrap();
    let handle = satchel::SessionHandle::new(store.clone(), Some(cookie.clone()));
    let mut session = handle.load().await.unwrap();
    store
        .delete(&store.ids().storage_key(session.id()))
        .await
        .unwrap(); // another request logged out
    session.destroy();
    assert_eq!(
        store.save(&mut session).await.unwrap(),
        satchel::store::SaveOutcome::Deleted
    );
}

#[tokio::test]
async fn only_reading_sets_no_cookie() {
    let (store, app) = memory_app();
    let response = send(&app, "GET", "/read", None, "").await;
    assert!(set_cookie_header(&response).is_none());
    assert_eq!(response.headers()["vary"], "Cookie");
    assert_eq!(body_text(response).await, "{}");
    assert!(store.is_empty());
}

#[tokio::test]
async fn first_write_sets_a_hardened_cookie() {
    let (store, app) = memory_app();
    let response = send(&app, "POST", "/insert/foo", None, "42").await;
    let header = set_cookie_header(&response).unwrap();
    for part in [
        "session_id=",
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Path=/",
    ] {
        assert!(header.contains(part), "{header}");
    }
    assert!(
        !header.contains("Max-Age") && !header.contains("Expires"),
        "{header}"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["vary"], "Cookie");
    let id = SessionId::parse(&set_cookie_value(&response).unwrap()).unwrap();
    assert!(store.load(&id.storage_key()).await.unwrap().is_some());
}

#[tokio::test]
async fn round_trip_and_no_cookie_on_later_requests() {
    let (_store, app) = memory_app();
    let cookie = set_cookie_value(&send(&app, "POST", "/insert/foo", None, "42").await).unwrap();
    let read = send(&app, "GET", "/read", Some(&cookie), "").await;
    assert!(set_cookie_header(&read).is_none());
    assert_eq!(body_text(read).await, r#"{"foo":"42"}"#);
    // Changing an existing session keeps its id: no cookie without Max-Age.
    let write = send(&app, "POST", "/insert/bar", Some(&cookie), "1").await;
    assert!(set_cookie_header(&write).is_none());
    let read = send(&app, "GET", "/read", Some(&cookie), "").await;
    assert_eq!(body_text(read).await, r#"{"bar":"1","foo":"42"}"#);
}

#[tokio::test]
async fn max_age_is_refreshed_on_every_save() {
    let layer = SessionLayer::new(MemoryStore::new())
        .with_cookie(CookieConfig::new().with_max_age(time::Duration::hours(1)))
        .unwrap();
    let app = app(layer);
    let first = send(&app, "POST", "/insert/a", None, "1").await;
    let cookie = set_cookie_value(&first).unwrap();
    assert!(set_cookie_header(&first).unwrap().contains("Max-Age=3600"));
    let again = send(&app, "POST", "/insert/b", Some(&cookie), "2").await;
    let header = set_cookie_header(&again).unwrap();
    assert!(
        header.contains("Max-Age=3600") && header.contains(&cookie),
        "{header}"
    );
    let read = send(&app, "GET", "/read", Some(&cookie), "").await;
    assert!(set_cookie_header(&read).is_none());
}

#[tokio::test]
async fn every_cookie_setting_is_honoured() {
    let expires = time::OffsetDateTime::from_unix_timestamp(1_893_553_445).unwrap();
    let config = CookieConfig::new()
        .with_name("sid")
        .with_path("/app")
        .with_domain("example.com")
        .with_secure(false)
        .with_http_only(false)
        .with_same_site(SameSite::Strict)
        .with_expires(expires);
    let app = app(SessionLayer::new(MemoryStore::new())
        .with_cookie(config)
        .unwrap());
    let header = set_cookie_header(&send(&app, "POST", "/insert/a", None, "1").await).unwrap();
    for part in [
        "sid=",
        "Path=/app",
        "Domain=example.com",
        "SameSite=Strict",
        "Expires=Wed, 02 Jan 2030 03:04:05 GMT",
    ] {
        assert!(header.contains(part), "{header}");
    }
    assert!(
        !header.contains("Secure") && !header.contains("HttpOnly"),
        "{header}"
    );
}

#[tokio::test]
async fn unknown_ids_are_never_adopted() {
    let (store, app) = memory_app();
    let forged = SessionId::generate().unwrap();
    let response = send(&app, "POST", "/insert/a", Some(forged.as_str()), "1").await;
    let issued = set_cookie_value(&response).unwrap();
    assert_ne!(issued, forged.as_str());
    assert!(store.load(&forged.storage_key()).await.unwrap().is_none());
    assert_eq!(store.len(), 1);
}

#[tokio::test]
async fn login_rotates_the_id_and_the_old_one_dies() {
    let (store, app) = memory_app();
    let old = set_cookie_value(&send(&app, "POST", "/insert/cart", None, "apple").await).unwrap();
    let login = send(&app, "POST", "/login", Some(&old), "alice").await;
    let new = set_cookie_value(&login).unwrap();
    assert_ne!(new, old);
    let stale = send(&app, "GET", "/read", Some(&old), "").await;
    assert_eq!(body_text(stale).await, "{}");
    let fresh = send(&app, "GET", "/read", Some(&new), "").await;
    assert_eq!(body_text(fresh).await, r#"{"cart":"apple","user":"alice"}"#);
    assert_eq!(store.len(), 1);
}

#[tokio::test]
async fn logout_deletes_server_side_and_expires_the_cookie() {
    let config = CookieConfig::new()
        .with_domain("example.com")
        .with_path("/");
    let store = MemoryStore::new();
    let app = app(SessionLayer::new(store.clone())
        .with_cookie(config)
        .unwrap());
    let cookie = set_cookie_value(&send(&app, "POST", "/insert/a", None, "1").await).unwrap();
    let logout = send(&app, "POST", "/logout", Some(&cookie), "").await;
    let header = set_cookie_header(&logout).unwrap();
    for part in [
        "session_id=;",
        "Max-Age=0",
        "Domain=example.com",
        "Path=/",
        "Secure",
        "HttpOnly",
        "SameSite=Lax",
    ] {
        assert!(header.contains(part), "{header}");
    }
    assert!(store.is_empty());
    let replay = send(&app, "GET", "/read", Some(&cookie), "").await;
    assert!(set_cookie_header(&replay).is_none());
    assert_eq!(body_text(replay).await, "{}");
}

#[tokio::test]
async fn anonymous_logout_stores_nothing() {
    let (store, app) = memory_app();
    let response = send(&app, "POST", "/logout", None, "").await;
    assert!(set_cookie_header(&response).is_none());
    assert!(store.is_empty());
}

#[tokio::test]
async fn a_failing_handler_keeps_nothing() {
    let (store, app) = memory_app();
    let response = send(&app, "POST", "/fail", None, "").await;
    assert_eq!(response.status(), 500);
    assert!(set_cookie_header(&response).is_none());
    assert!(store.is_empty());
}

#[tokio::test]
async fn existing_vary_is_extended_not_replaced() {
    use tower::{Layer as _, ServiceExt as _};
    let service = SessionLayer::new(MemoryStore::new()).layer(tower::service_fn(
        |request: http::Request<String>| async move {
            let handle = request
                .extensions()
                .get::<satchel::SessionHandle>()
                .cloned()
                .unwrap();
            handle.load().await?.insert("a", 1)?;
            let response = http::Response::builder().header("vary", "Accept-Encoding");
            Ok::<_, satchel::Error>(response.body(String::new()).unwrap())
        },
    ));
    let response = service
        .oneshot(http::Request::new(String::new()))
        .await
        .unwrap();
    let vary: Vec<_> = response.headers().get_all("vary").iter().collect();
    assert_eq!(vary, ["Accept-Encoding", "Cookie"]);
}

/// A service that is not `Clone` and serves a call only after its own `poll_ready`, as
/// tower's rate and concurrency limits do: the middleware must hand each request to the
/// very service it drove to readiness.
struct ReadyOnce {
    ready: bool,
}

impl tower::Service<http::Request<String>> for ReadyOnce {
    type Response = http::Response<String>;
    type Error = satchel::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.ready = true;
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<String>) -> Self::Future {
        assert!(std::mem::take(&mut self.ready), "called without poll_ready");
        Box::pin(async move {
            let handle = request
                .extensions()
                .get::<satchel::SessionHandle>()
                .cloned();
            handle.unwrap().load().await?.insert("a", 1)?;
            Ok(http::Response::new(String::new()))
        })
    }
}

#[tokio::test]
async fn the_service_driven_to_readiness_serves_the_request() {
    use tower::{Layer as _, Service as _, ServiceExt as _};
    let store = MemoryStore::new();
    let mut service = SessionLayer::new(store.clone()).layer(ReadyOnce { ready: false });
    for _ in 0..2 {
        let response = service
            .ready()
            .await
            .unwrap()
            .call(http::Request::new(String::new()))
            .await
            .unwrap();
        assert!(set_cookie_header(&response).is_some());
    }
    assert_eq!(store.len(), 2);
}

#[tokio::test]
async fn store_failures_are_opaque_500s_and_lose_nothing() {
    let memory = MemoryStore::new();
    let healthy = app(SessionLayer::new(memory.clone()));
    let cookie = set_cookie_value(&send(&healthy, "POST", "/insert/a", None, "1").await).unwrap();

    // Each failing operation (loads, creates, updates), and a request that needs it.
    let cookie = Some(cookie.as_str());
    let cases = [
        ([true, false, false], "POST", "/login", cookie),
        ([true, false, false], "GET", "/read", cookie),
        ([false, false, true], "POST", "/insert/b", cookie),
        ([false, true, false], "POST", "/insert/c", None),
        ([false, true, false], "POST", "/login", cookie),
    ];
    for ([fail_loads, fail_creates, fail_updates], method, uri, cookie) in cases {
        let flaky = ProbeStore {
            fail_loads,
            fail_creates,
            fail_updates,
            ..ProbeStore::around(memory.clone())
        };
        let response = send(&app(SessionLayer::new(flaky)), method, uri, cookie, "2").await;
        assert_eq!(response.status(), 500, "{uri}");
        assert!(set_cookie_header(&response).is_none());
        assert_eq!(body_text(response).await, "", "the 500 leaks nothing");
    }
    // Whatever failed, the session still holds exactly what it held.
    let read = send(&healthy, "GET", "/read", cookie, "").await;
    assert_eq!(body_text(read).await, r#"{"a":"1"}"#);
    assert_eq!(memory.len(), 1);
}

#[tokio::test]
async fn a_failed_rotation_keeps_the_old_session() {
    let memory = MemoryStore::new();
    let healthy = app(SessionLayer::new(memory.clone()));
    let cookie = set_cookie_value(&send(&healthy, "POST", "/insert/a", None, "1").await).unwrap();
    let flaky = ProbeStore {
        fail_creates: true,
        ..ProbeStore::around(memory.clone())
    };
    let login = send(
        &app(SessionLayer::new(flaky)),
        "POST",
        "/login",
        Some(&cookie),
        "eve",
    )
    .await;
    assert_eq!(login.status(), 500);
    let read = send(&healthy, "GET", "/read", Some(&cookie), "").await;
    assert_eq!(body_text(read).await, r#"{"a":"1"}"#);
}

#[tokio::test]
async fn over_a_real_socket() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_store, app) = memory_app();
    tokio::spawn(async move { axum::serve(listener, app).await });

    async fn request(addr: std::net::SocketAddr, head: String) -> String {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    }
    let set = request(
        addr,
        "POST /insert/k HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
            .into(),
    )
    .await;
    assert!(set.starts_with("HTTP/1.1 200"), "{set}");
    let line = set
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap();
    let value = line.split_once('=').unwrap().1.split(';').next().unwrap();
    let read = request(
        addr,
        format!("GET /read HTTP/1.1\r\nHost: t\r\nCookie: session_id={value}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(read.ends_with(r#"{"k":"hello"}"#), "{read}");
    assert!(!read.to_ascii_lowercase().contains("set-cookie"), "{read}");
}
