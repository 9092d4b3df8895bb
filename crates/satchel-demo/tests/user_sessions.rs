//! A user's sessions through the demo binary: three clients logged in as one user, the
//! list, ending one, logging out everywhere.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use common::Demo;
use serde_json::{Value, json};

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// A client that has a session and then logs in as `user`: its cookie.
fn logged_in(demo: &Demo, user: &str) -> String {
    let first = demo.send("PUT", "/api/session/device", None, r#""mine""#);
    let cookie = first.cookie.expect("a session cookie");
    let login = demo.send(
        "POST",
        "/api/login",
        Some(&cookie),
        &json!({"user": user}).to_string(),
    );
    assert_eq!(login.status, 200, "{}", login.body);
    login.cookie.expect("a new id at login")
}

fn sessions(demo: &Demo, cookie: &str) -> Vec<Value> {
    let listed = demo.send("GET", "/api/sessions", Some(cookie), "");
    assert_eq!(listed.status, 200, "{}", listed.body);
    json_of(&listed.body).as_array().unwrap().clone()
}

fn is_anonymous(demo: &Demo, cookie: &str) -> bool {
    json_of(&demo.send("GET", "/api/session", Some(cookie), "").body) == json!({})
}

fn three_clients_one_user(store: &str) {
    let demo = Demo::start(&["--store", store]);
    let clients: Vec<String> = (0..3).map(|_| logged_in(&demo, "alice")).collect();
    let bob = logged_in(&demo, "bob");

    let listed = sessions(&demo, &clients[0]);
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(listed.iter().filter(|s| s["current"] == true).count(), 1);
    for session in &listed {
        for field in ["handle", "created", "last_seen", "expires"] {
            assert!(session[field].is_string(), "{field} in {session}");
        }
        let handle = session["handle"].as_str().unwrap();
        assert!(
            clients.iter().all(|cookie| !cookie.contains(handle)),
            "a handle is an id"
        );
    }

    // One of them, by handle; someone else's handle is a 404.
    let other = listed.iter().find(|s| s["current"] == false).unwrap();
    let handle = other["handle"].as_str().unwrap();
    let bobs = sessions(&demo, &bob)[0]["handle"]
        .as_str()
        .unwrap()
        .to_owned();
    let end = |handle: &str| {
        let path = format!("/api/sessions/{handle}");
        demo.send("DELETE", &path, Some(&clients[0]), "").status
    };
    assert_eq!(end(&bobs), 404);
    assert_eq!(end("not-a-handle"), 404);
    assert_eq!(end(handle), 204);
    assert_eq!(clients.iter().filter(|c| is_anonymous(&demo, c)).count(), 1);

    // Everywhere else: the others end, the caller and bob stay.
    let again = logged_in(&demo, "alice");
    let everywhere = demo.send("POST", "/api/logout-everywhere", Some(&clients[0]), "");
    assert_eq!(
        (everywhere.status, json_of(&everywhere.body)),
        (200, json!({"ended": 2}))
    );
    assert!(is_anonymous(&demo, &again) && clients[1..].iter().all(|c| is_anonymous(&demo, c)));
    assert_eq!(
        demo.send("GET", "/api/sessions", Some(&again), "").status,
        401
    );
    assert!(
        !is_anonymous(&demo, &clients[0]),
        "the caller's session ended"
    );
    assert!(!is_anonymous(&demo, &bob), "another user's session ended");
    assert_eq!(sessions(&demo, &clients[0]).len(), 1);

    // And with {"all": true}, the caller's own too: a logout.
    let all = demo.send(
        "POST",
        "/api/logout-everywhere",
        Some(&clients[0]),
        r#"{"all": true}"#,
    );
    assert_eq!((all.status, json_of(&all.body)), (200, json!({"ended": 1})));
    assert!(
        all.cookie.is_some_and(|c| c == "session_id="),
        "the cookie must be expired"
    );
    assert!(is_anonymous(&demo, &clients[0]));
}

#[test]
fn logout_everywhere_ends_the_users_other_sessions_in_memory() {
    three_clients_one_user("memory:");
}

#[test]
fn logout_everywhere_ends_the_users_other_sessions_on_files() {
    let dir = tempfile::tempdir().unwrap();
    three_clients_one_user(&format!("file:{}", dir.path().join("s").display()));
}

#[test]
fn nobody_logged_in_gets_401_and_werkzeug_files_log_in_without_a_list() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::start(&[
        "--store",
        &format!("werkzeug:{}", dir.path().join("w").display()),
    ]);
    let anonymous = demo
        .send("PUT", "/api/session/a", None, "1")
        .cookie
        .unwrap();
    assert_eq!(
        demo.send("GET", "/api/sessions", Some(&anonymous), "")
            .status,
        401
    );
    assert_eq!(
        demo.send("POST", "/api/logout-everywhere", Some(&anonymous), "")
            .status,
        401
    );
    let alice = logged_in(&demo, "alice");
    let listed = demo.send("GET", "/api/sessions", Some(&alice), "");
    assert_eq!(listed.status, 501, "{}", listed.body);
    assert!(
        json_of(&listed.body)["error"]
            .as_str()
            .unwrap()
            .contains("werkzeug")
    );
}
