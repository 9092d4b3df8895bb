//! axum-login 0.18 on every satchel store through `TowerStore`: a protected route that
//! says 401 before login and 200 after, the session id cycled at login, and a logout that
//! ends the session server-side so the old cookie, replayed, is anonymous.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::str::FromStr as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::Form;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum_login::{AuthManagerLayerBuilder, AuthUser, AuthnBackend, UserId, login_required};
use common::{Kind, Reply, on, send};
use satchel::store::AnyStore;
use satchel::{Clock, SessionStore as _};
use satchel_tower_sessions::TowerStore;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use tower_sessions::{Session, SessionManagerLayer};
use tower_sessions_core::SessionStore as _;
use tower_sessions_core::session::Id;

#[derive(Clone)]
struct User {
    id: u64,
    name: String,
    /// A test backend: SHA-256 stands in for the password hash a real app keeps (argon2).
    password_hash: Vec<u8>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl AuthUser for User {
    type Id = u64;

    fn id(&self) -> u64 {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        &self.password_hash
    }
}

#[derive(Clone, Deserialize)]
struct Credentials {
    name: String,
    password: String,
}

/// The in-memory user backend.
#[derive(Clone)]
struct Users(Arc<HashMap<u64, User>>);

impl Users {
    fn new() -> Self {
        let alice = User {
            id: 1,
            name: "alice".into(),
            password_hash: Sha256::digest("wonderland").to_vec(),
        };
        Self(Arc::new(HashMap::from([(alice.id, alice)])))
    }
}

impl AuthnBackend for Users {
    type User = User;
    type Credentials = Credentials;
    type Error = Infallible;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, Infallible> {
        let hash = Sha256::digest(creds.password.as_bytes());
        Ok(self
            .0
            .values()
            .find(|user| user.name == creds.name && user.password_hash == hash.as_slice())
            .cloned())
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>, Infallible> {
        Ok(self.0.get(id).cloned())
    }
}

type AuthSession = axum_login::AuthSession<Users>;

async fn visit(session: Session) -> Result<&'static str, StatusCode> {
    session
        .insert("visited", true)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok("hello, visitor")
}

async fn login(mut auth: AuthSession, Form(creds): Form<Credentials>) -> StatusCode {
    match auth.authenticate(creds).await {
        Ok(Some(user)) if auth.login(&user).await.is_ok() => StatusCode::OK,
        Ok(_) => StatusCode::UNAUTHORIZED,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn logout(mut auth: AuthSession) -> StatusCode {
    match auth.logout().await {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn protected(auth: AuthSession) -> String {
    let name = auth.user.map(|user| user.name).unwrap_or_default();
    format!("hello, {name}")
}

fn app(store: TowerStore<AnyStore>) -> Router {
    let sessions = SessionManagerLayer::new(store).with_secure(false);
    let auth = AuthManagerLayerBuilder::new(Users::new(), sessions).build();
    Router::new()
        .route("/protected", get(protected))
        .route_layer(login_required!(Users))
        .route("/visit", get(visit))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .layer(auth)
}

async fn stored(store: &TowerStore<AnyStore>, cookie: &str) -> bool {
    let id = Id::from_str(cookie).unwrap();
    store.load(&id).await.unwrap().is_some()
}

async fn login_flow(store: TowerStore<AnyStore>, _clock: Clock) {
    let app = app(store.clone());
    let good = "name=alice&password=wonderland";

    let anonymous = send(&app, "GET", "/protected", None, "").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // An anonymous session first, so that login has an id to cycle.
    let visit = send(&app, "GET", "/visit", None, "").await;
    assert_eq!(visit.status, StatusCode::OK);
    let before = visit.cookie.expect("the visit set a session cookie");
    assert!(stored(&store, &before).await);

    let wrong = send(
        &app,
        "POST",
        "/login",
        Some(&before),
        "name=alice&password=x",
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);

    let Reply { status, cookie, .. } = send(&app, "POST", "/login", Some(&before), good).await;
    assert_eq!(status, StatusCode::OK);
    let after = cookie.expect("login set a session cookie");
    assert_ne!(after, before, "the session id was not cycled at login");
    assert!(
        !stored(&store, &before).await,
        "the pre-login session outlived the login"
    );
    assert!(stored(&store, &after).await);
    assert_eq!(store.inner().list().await.unwrap().len(), 1);

    let inside = send(&app, "GET", "/protected", Some(&after), "").await;
    assert_eq!(
        (inside.status, inside.body.as_str()),
        (StatusCode::OK, "hello, alice")
    );
    let fixated = send(&app, "GET", "/protected", Some(&before), "").await;
    assert_eq!(
        fixated.status,
        StatusCode::UNAUTHORIZED,
        "the old id is logged in"
    );

    let out = send(&app, "POST", "/logout", Some(&after), "").await;
    assert_eq!(out.status, StatusCode::OK);
    assert!(
        !stored(&store, &after).await,
        "logout left the session in the store"
    );
    assert!(store.inner().list().await.unwrap().is_empty());

    let replayed = send(&app, "GET", "/protected", Some(&after), "").await;
    assert_eq!(
        replayed.status,
        StatusCode::UNAUTHORIZED,
        "the old cookie still logs in"
    );
    assert!(
        store.inner().list().await.unwrap().is_empty(),
        "the replay brought it back"
    );
}

#[tokio::test]
async fn memory_store() {
    on(Kind::Memory, login_flow).await;
}

#[tokio::test]
async fn filesystem_store() {
    on(Kind::Filesystem, login_flow).await;
}

#[tokio::test]
async fn sqlite_store() {
    on(Kind::Sqlite, login_flow).await;
}

#[tokio::test]
async fn redis_store() {
    on(Kind::Redis, login_flow).await;
}

#[tokio::test]
async fn redis_cluster_store() {
    on(Kind::RedisCluster, login_flow).await;
}

#[tokio::test]
async fn postgres_store() {
    on(Kind::Postgres, login_flow).await;
}
