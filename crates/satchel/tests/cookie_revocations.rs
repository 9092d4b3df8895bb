//! Ending cookie sessions from the server: a per-user "valid after" time in a server store,
//! checked when a cookie of that user is opened.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use axum::Router;
use axum::routing::{get, post};
use common::{body_text, send, set_cookie_value};
use satchel::cookie::{Key, Revocations};
use satchel::{Clock, CookieSessions, MemoryStore, Owner, SessionHandle, SessionLayer, UserKey};

async fn login(handle: SessionHandle, user: String) -> Result<(), satchel::Error> {
    let mut session = handle.load().await?;
    session.insert("user", &user)?;
    session.set_owner(Some(Owner::new(UserKey::hashed(&user))));
    session.rotate_id()
}

async fn whoami(handle: SessionHandle) -> Result<String, satchel::Error> {
    Ok(handle.get::<String>("user").await?.unwrap_or_default())
}

fn app(clock: &Clock) -> Router {
    let revocations = Revocations::new(MemoryStore::new().with_clock(clock.clone()));
    let sessions = CookieSessions::new(Key::from_bytes(&[7; 32]).unwrap())
        .with_clock(clock.clone())
        .with_revocations(revocations);
    Router::new()
        .route("/login", post(login))
        .route("/whoami", get(whoami))
        .route(
            "/everywhere",
            post(|handle: SessionHandle| async move {
                handle.end_user_sessions(false).await.map(|n| n.to_string())
            }),
        )
        .route(
            "/everywhere-too",
            post(|handle: SessionHandle| async move {
                handle.end_user_sessions(true).await.map(|n| n.to_string())
            }),
        )
        .layer(SessionLayer::in_cookie(sessions))
}

async fn logged_in(app: &Router, user: &str) -> String {
    set_cookie_value(&send(app, "POST", "/login", None, user).await).unwrap()
}

async fn who(app: &Router, cookie: &str) -> String {
    body_text(send(app, "GET", "/whoami", Some(cookie), "").await).await
}

#[tokio::test]
async fn logging_out_everywhere_refuses_the_users_older_cookies() {
    let clock = Clock::manual(time::OffsetDateTime::now_utc());
    let app = app(&clock);
    let (phone, laptop) = (
        logged_in(&app, "alice").await,
        logged_in(&app, "alice").await,
    );
    let bob = logged_in(&app, "bob").await;
    assert_eq!(who(&app, &phone).await, "alice");

    let everywhere = send(&app, "POST", "/everywhere", Some(&laptop), "").await;
    assert_eq!(everywhere.status(), 200);
    let reissued = set_cookie_value(&everywhere).expect("the caller's cookie is re-issued");
    assert_eq!(
        who(&app, &phone).await,
        "",
        "another cookie of the user still opens"
    );
    assert_eq!(
        who(&app, &laptop).await,
        "",
        "the caller's old cookie still opens"
    );
    assert_eq!(
        who(&app, &reissued).await,
        "alice",
        "the caller was logged out"
    );
    assert_eq!(who(&app, &bob).await, "bob", "another user was logged out");

    // A login after the revocation is a new cookie, and opens.
    clock.advance(time::Duration::seconds(2));
    let later = logged_in(&app, "alice").await;
    assert_eq!(who(&app, &later).await, "alice");
    let too = send(&app, "POST", "/everywhere-too", Some(&later), "").await;
    assert_eq!(
        set_cookie_value(&too).as_deref(),
        Some(""),
        "the cookie must be expired"
    );
    assert_eq!(who(&app, &later).await, "");
    assert_eq!(who(&app, &reissued).await, "");
}

#[tokio::test]
async fn without_a_revocation_list_cookies_cannot_be_ended_by_the_server() {
    let sessions = CookieSessions::new(Key::from_bytes(&[7; 32]).unwrap());
    let handle_app = Router::new()
        .route(
            "/everywhere",
            post(|handle: SessionHandle| async move {
                assert!(!handle.can_tie_users());
                handle.end_user_sessions(false).await.map(|n| n.to_string())
            }),
        )
        .layer(SessionLayer::in_cookie(sessions));
    let refused = send(&handle_app, "POST", "/everywhere", None, "").await;
    assert_eq!(refused.status(), 501);
}
