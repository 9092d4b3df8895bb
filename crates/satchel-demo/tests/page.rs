//! The page's data forms (`POST /set`, `/remove`), its list of the user's sessions
//! (`POST /sessions/end`, `/logout-everywhere`) and what it says about expiry,
//! through the router in-process.

// Helpers outside `#[test]` fns are not covered by `allow-unwrap-in-tests`; a test fails by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use satchel::time::Duration;
use satchel::{FilesystemStore, Limits, MemoryStore, SessionLayer};
use serde_json::{Value, json};
use tower::ServiceExt;

/// What a test needs from a response.
struct Reply {
    status: StatusCode,
    set_cookie: Option<String>,
    location: Option<String>,
    body: String,
}

/// One request; `form` (if any) is sent as a urlencoded form, as a browser posts it.
async fn send(app: &Router, method: &str, uri: &str, cookie: &str, form: Option<&str>) -> Reply {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::COOKIE, cookie);
    if form.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let body = Body::from(form.unwrap_or_default().to_owned());
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let header = |name| Some(response.headers().get(name)?.to_str().unwrap().to_owned());
    let (set_cookie, location) = (header(header::SET_COOKIE), header(header::LOCATION));
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        set_cookie,
        location,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

/// A visitor who opened the page: the session cookie and the forms' token.
async fn visitor(app: &Router) -> (String, String) {
    let page = send(app, "GET", "/", "", None).await;
    let set = page.set_cookie.expect("the page starts a session");
    let cookie = set.split(';').next().unwrap().to_owned();
    let (_, rest) = page.body.split_once(r#"name="csrf" value=""#).unwrap();
    (cookie, rest.split('"').next().unwrap().to_owned())
}

/// The session's data, without the CSRF token.
async fn data(app: &Router, cookie: &str) -> Value {
    let read = send(app, "GET", "/api/session", cookie, None).await;
    let mut data: Value = serde_json::from_str(&read.body).unwrap();
    data.as_object_mut().unwrap().remove(satchel::csrf::KEY);
    data
}

#[tokio::test]
async fn the_data_forms_set_and_remove_keys_on_every_store() {
    let dir = tempfile::tempdir().unwrap();
    let file = FilesystemStore::new(dir.path().join("sessions")).unwrap();
    let werkzeug = FilesystemStore::werkzeug(dir.path().join("werkzeug")).unwrap();
    data_forms(satchel_demo::app(SessionLayer::new(MemoryStore::new()))).await;
    data_forms(satchel_demo::app(SessionLayer::new(file))).await;
    data_forms(satchel_demo::app(SessionLayer::new(werkzeug))).await;
}

async fn data_forms(app: Router) {
    let (cookie, token) = visitor(&app).await;
    for fields in [
        "key=n&value=42",
        "key=color&value=blue",
        "key=list&value=%5B1%2C+2%5D",
        "key=quoted&value=%22x%22",
        "key=gone&value=",
    ] {
        let form = format!("csrf={token}&{fields}");
        let reply = send(&app, "POST", "/set", &cookie, Some(&form)).await;
        assert_eq!(
            reply.status,
            StatusCode::SEE_OTHER,
            "{fields}: {}",
            reply.body
        );
        assert_eq!(reply.location.as_deref(), Some("/"));
        assert_eq!(reply.set_cookie, None, "the id stays the same");
    }
    let expected =
        json!({"count": 1, "n": 42, "color": "blue", "list": [1, 2], "quoted": "x", "gone": ""});
    assert_eq!(data(&app, &cookie).await, expected);

    for key in ["gone", "never-there"] {
        let form = format!("csrf={token}&key={key}");
        let reply = send(&app, "POST", "/remove", &cookie, Some(&form)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{key}");
    }
    let page = send(&app, "GET", "/", &cookie, None).await;
    // A remove button for each of count, n, color, list and quoted; none for the token.
    assert_eq!(
        page.body.matches(r#"action="/remove""#).count(),
        5,
        "{}",
        page.body
    );
    assert!(
        page.body.contains(
            r#"<tr data-key="list"><td><code>list</code></td><td><code>[1,2]</code></td>"#
        )
    );
    assert!(!page.body.contains(r#"data-key="gone""#));
    let expected = json!({"count": 2, "n": 42, "color": "blue", "list": [1, 2], "quoted": "x"});
    assert_eq!(data(&app, &cookie).await, expected);
}

#[tokio::test]
async fn the_data_forms_refuse_blank_and_reserved_keys() {
    let app = satchel_demo::app(SessionLayer::new(MemoryStore::new()));
    let (visitor_cookie, token) = visitor(&app).await;
    let login = format!("csrf={token}&user=alice");
    let reply = send(&app, "POST", "/login", &visitor_cookie, Some(&login)).await;
    let cookie = reply
        .set_cookie
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let before = data(&app, &cookie).await;
    for uri in ["/set", "/remove"] {
        for fields in [
            "key=&value=1",
            "key=+&value=1",
            "key=user&value=mallory",
            "key=_csrf&value=x",
            "value=1",
        ] {
            let form = format!("csrf={token}&{fields}");
            let reply = send(&app, "POST", uri, &cookie, Some(&form)).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri} {fields}");
            assert!(reply.body.contains(r#"<p id="problem">"#), "{}", reply.body);
            assert_eq!(reply.set_cookie, None, "{uri} {fields}");
        }
    }
    assert_eq!(data(&app, &cookie).await, before);
    assert_eq!(before["user"], "alice");
    // The token is still there: the forms still work.
    let form = format!("csrf={token}&key=a&value=1");
    let reply = send(&app, "POST", "/set", &cookie, Some(&form)).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_value_past_the_limits_gets_413_and_changes_nothing() {
    let limits = Limits::new().with_max_bytes(4096).with_max_depth(8);
    let app = satchel_demo::app(SessionLayer::new(MemoryStore::new()).with_limits(limits));
    let (cookie, token) = visitor(&app).await;
    let big = "x".repeat(5000);
    let deep = format!("{}{}", "%5B".repeat(20), "%5D".repeat(20));
    for value in [big, deep] {
        let form = format!("csrf={token}&key=big&value={value}");
        let reply = send(&app, "POST", "/set", &cookie, Some(&form)).await;
        assert_eq!(
            reply.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{}",
            reply.body
        );
        assert!(reply.body.contains("nothing was changed"), "{}", reply.body);
        assert_eq!(reply.set_cookie, None);
    }
    // Past the demo's 64 KiB body limit, the form itself is refused.
    let huge = format!("csrf={token}&key=big&value={}", "x".repeat(70 * 1024));
    let reply = send(&app, "POST", "/set", &cookie, Some(&huge)).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.body
    );
    assert!(reply.body.contains(r#"<p id="problem">"#), "{}", reply.body);
    assert_eq!(data(&app, &cookie).await, json!({"count": 1}));
    let page = send(&app, "GET", "/", &cookie, None).await;
    assert_eq!(page.status, StatusCode::OK, "the session stays readable");
}

#[tokio::test]
async fn the_page_tells_when_the_session_ends_by_the_layers_timeouts() {
    let layer = SessionLayer::new(MemoryStore::new())
        .with_idle_timeout(Duration::minutes(10))
        .with_absolute_timeout(Duration::hours(2));
    let app = satchel_demo::app(layer);
    let page = send(&app, "GET", "/", "", None).await;
    let idle = r#"<dd id="idle">10 min without a visit: at <time datetime=""#;
    assert!(page.body.contains(idle), "{}", page.body);
    assert!(page.body.contains("(in 10 min)"), "{}", page.body);
    let absolute = r#"<dd id="absolute">2 h after it began: at <time datetime=""#;
    assert!(page.body.contains(absolute), "{}", page.body);
    // Just begun: two hours left, give or take the second this request took.
    assert!(
        page.body.contains("(in 2 h)") || page.body.contains("(in 1 h 59 min)"),
        "{}",
        page.body
    );
    let page = send(&app, "GET", "/", "", None).await;
    assert!(
        page.body
            .contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#)
    );
}

/// A visitor who opened the page and logged in as `user` through its form: the new
/// cookie and the forms' token (which survives the login).
async fn logged_in(app: &Router, user: &str) -> (String, String) {
    let (cookie, token) = visitor(app).await;
    let form = format!("csrf={token}&user={user}");
    let login = send(app, "POST", "/login", &cookie, Some(&form)).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    let set = login.set_cookie.expect("a new id at login");
    (set.split(';').next().unwrap().to_owned(), token)
}

/// The handles the page lists, and which of them is current.
fn listed(page: &str) -> Vec<(String, bool)> {
    page.split("<tr")
        .filter_map(|row| {
            let (_, rest) = row.split_once(r#"data-handle=""#)?;
            let handle = rest.split('"').next()?.to_owned();
            Some((handle, row.starts_with(r#" class="current""#)))
        })
        .collect()
}

fn is_anonymous(body: &str) -> bool {
    body.contains("Nobody is logged in.")
}

#[tokio::test]
async fn the_page_lists_the_users_sessions_and_ends_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = FilesystemStore::new(dir.path().join("sessions")).unwrap();
    user_sessions(satchel_demo::app(SessionLayer::new(MemoryStore::new()))).await;
    user_sessions(satchel_demo::app(SessionLayer::new(file))).await;
}

async fn user_sessions(app: Router) {
    let mut alice = Vec::new();
    for _ in 0..3 {
        alice.push(logged_in(&app, "alice").await);
    }
    let (bob, bob_token) = logged_in(&app, "bob").await;
    let page = send(&app, "GET", "/", &alice[0].0, None).await;
    let rows = listed(&page.body);
    assert_eq!(rows.len(), 3, "{}", page.body);
    assert_eq!(rows.iter().filter(|(_, current)| *current).count(), 1);
    assert_eq!(page.body.matches(r#"action="/sessions/end""#).count(), 2);
    for (handle, _) in &rows {
        assert!(
            alice
                .iter()
                .all(|(cookie, _)| !cookie.contains(handle.as_str())),
            "a handle is no id"
        );
    }
    let bobs = listed(&send(&app, "GET", "/", &bob, None).await.body);
    assert_eq!(bobs.len(), 1);

    // Someone else's handle, or none at all: 404, nothing ends.
    let token = &alice[0].1;
    for handle in [bobs[0].0.as_str(), "not-a-handle", ""] {
        let form = format!("csrf={token}&handle={handle}");
        let reply = send(&app, "POST", "/sessions/end", &alice[0].0, Some(&form)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{handle}");
    }
    assert!(!is_anonymous(
        &send(&app, "GET", "/", &bob, None).await.body
    ));

    // One of alice's others, by its end button.
    let other = rows.iter().find(|(_, current)| !current).unwrap();
    let form = format!("csrf={token}&handle={}", other.0);
    let ended = send(&app, "POST", "/sessions/end", &alice[0].0, Some(&form)).await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER, "{}", ended.body);
    let mut anonymous = 0;
    for (cookie, _) in &alice[1..] {
        anonymous += usize::from(is_anonymous(
            &send(&app, "GET", "/", cookie, None).await.body,
        ));
    }
    assert_eq!(anonymous, 1);

    // Everywhere else: the last other ends; the caller and bob stay.
    let form = format!("csrf={token}");
    let everywhere = send(&app, "POST", "/logout-everywhere", &alice[0].0, Some(&form)).await;
    assert_eq!(everywhere.status, StatusCode::SEE_OTHER);
    for (cookie, _) in &alice[1..] {
        assert!(is_anonymous(
            &send(&app, "GET", "/", cookie, None).await.body
        ));
    }
    let page = send(&app, "GET", "/", &alice[0].0, None).await;
    assert!(!is_anonymous(&page.body));
    assert_eq!(listed(&page.body).len(), 1);

    // Everywhere, here too: the caller's cookie is expired with the answer.
    let form = format!("csrf={bob_token}&all=true");
    let all = send(&app, "POST", "/logout-everywhere", &bob, Some(&form)).await;
    assert_eq!(all.status, StatusCode::SEE_OTHER);
    assert!(all.set_cookie.unwrap().contains("Max-Age=0"));
    assert!(is_anonymous(&send(&app, "GET", "/", &bob, None).await.body));
}

#[tokio::test]
async fn the_session_forms_need_someone_logged_in_and_a_store_that_keeps_the_list() {
    let app = satchel_demo::app(SessionLayer::new(MemoryStore::new()));
    let (cookie, token) = visitor(&app).await;
    let page = send(&app, "GET", "/", &cookie, None).await;
    assert!(!page.body.contains(r#"id="sessions""#), "nobody's list");
    for uri in ["/sessions/end", "/logout-everywhere"] {
        let form = format!("csrf={token}&handle=x");
        let reply = send(&app, "POST", uri, &cookie, Some(&form)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{uri}");
    }

    // werkzeug's files keep no owner: the page says so, the forms get 501.
    let dir = tempfile::tempdir().unwrap();
    let werkzeug = FilesystemStore::werkzeug(dir.path().join("werkzeug")).unwrap();
    let app = satchel_demo::app(SessionLayer::new(werkzeug));
    let (cookie, token) = logged_in(&app, "alice").await;
    let page = send(&app, "GET", "/", &cookie, None).await;
    assert!(
        page.body
            .contains("This store cannot list a user's sessions"),
        "{}",
        page.body
    );
    let form = format!("csrf={token}");
    let reply = send(&app, "POST", "/logout-everywhere", &cookie, Some(&form)).await;
    assert_eq!(reply.status, StatusCode::NOT_IMPLEMENTED);
    assert!(!is_anonymous(
        &send(&app, "GET", "/", &cookie, None).await.body
    ));
}
