//! A visit counter with login and logout, on axum, with sessions in a private directory.
//!
//! Run: `cargo run -p satchel --example axum`, then
//! `curl -c jar -b jar -X POST localhost:3001/visit`.

use axum::Router;
use axum::routing::post;
use satchel::{FilesystemStore, SessionHandle, SessionLayer};

async fn visit(session: SessionHandle) -> Result<String, satchel::Error> {
    let visits = session
        .update("visits", |n: Option<u64>| n.unwrap_or(0) + 1)
        .await?;
    Ok(format!("visit {visits}\n"))
}

async fn login(session: SessionHandle, user: String) -> Result<String, satchel::Error> {
    session.insert("user", &user).await?;
    session.rotate_id().await?; // a new id at every change of privilege
    Ok(format!("hello {user}\n"))
}

async fn logout(session: SessionHandle) -> Result<&'static str, satchel::Error> {
    session.destroy().await?;
    Ok("bye\n")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = FilesystemStore::in_temp_dir()?;
    // Plain HTTP on localhost in this example; keep Secure on behind TLS.
    let layer = SessionLayer::new(store).with_secure(false)?;
    let app = Router::new()
        .route("/visit", post(visit))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3001").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
