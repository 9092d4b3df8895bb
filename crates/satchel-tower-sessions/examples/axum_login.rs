//! axum-login and axum-messages on a satchel store: a complete app to copy.
//!
//! ```text
//! cargo run -p satchel-tower-sessions --example axum_login
//! SESSION_STORE=redis://127.0.0.1:6379 cargo run -p satchel-tower-sessions --example axum_login
//! ```
//! Then open <http://127.0.0.1:3000/> and log in as `alice` / `wonderland`. `SESSION_STORE`
//! takes any of satchel's store URLs (`memory:`, `file:DIR`, `sqlite:PATH`, `redis://…`,
//! `redis+cluster://…`, `postgres://…`); the default is `sqlite:sessions.db`. Sessions
//! past their expiry are pruned every minute.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_login::{AuthManagerLayerBuilder, AuthUser, AuthnBackend, UserId, login_required};
use axum_messages::{Messages, MessagesManagerLayer};
use satchel_tower_sessions::TowerStore;
use serde::Deserialize;
use tower_sessions::cookie::time::Duration;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_core::ExpiredDeletion as _;

/// A user as the app keeps it; the password only as an argon2 hash.
#[derive(Clone)]
struct User {
    id: u64,
    name: String,
    password_hash: String,
}

// Written by hand so that the hash never reaches a log.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl AuthUser for User {
    type Id = u64;

    fn id(&self) -> u64 {
        self.id
    }

    /// Changing the password changes this, which logs out every other session of the user.
    fn session_auth_hash(&self) -> &[u8] {
        self.password_hash.as_bytes()
    }
}

#[derive(Clone, Deserialize)]
struct Credentials {
    name: String,
    password: String,
}

/// The users: in memory here, your database in an app.
#[derive(Clone)]
struct Users(Arc<HashMap<u64, User>>);

impl Users {
    fn demo() -> Self {
        let alice = User {
            id: 1,
            name: "alice".into(),
            password_hash: password_auth::generate_hash("wonderland"),
        };
        Self(Arc::new(HashMap::from([(alice.id, alice)])))
    }
}

impl AuthnBackend for Users {
    type User = User;
    type Credentials = Credentials;
    type Error = Infallible;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, Infallible> {
        let user = self.0.values().find(|user| user.name == creds.name);
        Ok(user
            .filter(|user| {
                password_auth::verify_password(&creds.password, &user.password_hash).is_ok()
            })
            .cloned())
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>, Infallible> {
        Ok(self.0.get(id).cloned())
    }
}

type AuthSession = axum_login::AuthSession<Users>;

async fn home(auth: AuthSession, messages: Messages) -> Html<String> {
    let flashed: String = messages
        .into_iter()
        .map(|message| format!("<p class=\"{}\">{message}</p>", message.level))
        .collect();
    let body = match auth.user {
        Some(user) => format!(
            "<p>Logged in as {}. <a href=\"/secret\">The secret</a></p>\
             <form method=\"post\" action=\"/logout\"><button>Log out</button></form>",
            user.name
        ),
        None => "<form method=\"post\" action=\"/login\">\
                 <input name=\"name\" placeholder=\"name\"> \
                 <input name=\"password\" type=\"password\" placeholder=\"password\"> \
                 <button>Log in</button></form>"
            .to_owned(),
    };
    Html(format!(
        "<!doctype html><title>satchel + axum-login</title>{flashed}{body}"
    ))
}

async fn login(
    mut auth: AuthSession,
    messages: Messages,
    Form(creds): Form<Credentials>,
) -> Response {
    let user = match auth.authenticate(creds).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            messages.error("Wrong name or password.");
            return Redirect::to("/").into_response();
        }
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    // `login` gives the session a new id: the anonymous one cannot be fixated.
    if auth.login(&user).await.is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    messages.success(format!("Welcome, {}.", user.name));
    Redirect::to("/").into_response()
}

async fn logout(mut auth: AuthSession) -> Response {
    // Deletes the session from the store: the old cookie, replayed, is anonymous.
    match auth.logout().await {
        Ok(_) => Redirect::to("/").into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn secret(auth: AuthSession) -> String {
    let name = auth.user.map(|user| user.name).unwrap_or_default();
    format!("Only {name} can read this.")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("SESSION_STORE").unwrap_or_else(|_| "sqlite:sessions.db".into());
    // Any satchel store; a concrete one (`satchel::RedisStore::new(url)?`) works the same.
    let store = TowerStore::new(satchel::store::open(&url)?.into_store()?);

    let pruning = tokio::spawn(
        store
            .clone()
            .continuously_delete_expired(tokio::time::Duration::from_secs(60)),
    );

    let sessions = SessionManagerLayer::new(store)
        // Plain HTTP on localhost; drop this line behind TLS.
        .with_secure(false)
        .with_expiry(Expiry::OnInactivity(Duration::hours(1)));
    let auth = AuthManagerLayerBuilder::new(Users::demo(), sessions).build();

    let app = Router::new()
        .route("/secret", get(secret))
        .route_layer(login_required!(Users, login_url = "/"))
        .route("/", get(home))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .layer(MessagesManagerLayer)
        .layer(auth);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    pruning.abort();
    Ok(())
}
