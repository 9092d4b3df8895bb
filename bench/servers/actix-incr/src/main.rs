//! `GET /incr` on actix-web with actix-session: read `n`, store `n + 1`, return it.
//! Usage: `actix-incr ADDR cookie:`, `actix-incr ADDR redis://HOST:PORT`, or
//! `actix-incr ADDR none:` for actix-web's own ceiling (the route with no sessions). One
//! worker, as the other servers run on one core.

use std::sync::atomic::{AtomicU64, Ordering};

use actix_session::storage::{CookieSessionStore, RedisSessionStore};
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::Key;
use actix_web::{App, HttpServer, web};

static COUNT: AtomicU64 = AtomicU64::new(0);

/// The ceiling of actix-web itself: the same route with no sessions.
async fn plain() -> String {
    (COUNT.fetch_add(1, Ordering::Relaxed) + 1).to_string()
}

async fn incr(session: Session) -> actix_web::Result<String> {
    let n = session.get::<u64>("n")?.unwrap_or(0) + 1;
    session.insert("n", n)?;
    Ok(n.to_string())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:3100".into());
    let store = args.next().unwrap_or_else(|| "cookie:".into());
    let key = Key::generate();
    if store == "none:" {
        HttpServer::new(|| App::new().route("/incr", web::get().to(plain)))
            .workers(1)
            .bind(&addr)?
            .run()
            .await
    } else if store == "cookie:" {
        HttpServer::new(move || {
            App::new()
                .wrap(SessionMiddleware::new(
                    CookieSessionStore::default(),
                    key.clone(),
                ))
                .route("/incr", web::get().to(incr))
        })
        .workers(1)
        .bind(&addr)?
        .run()
        .await
    } else {
        let redis = RedisSessionStore::new(store.as_str())
            .await
            .map_err(std::io::Error::other)?;
        HttpServer::new(move || {
            App::new()
                .wrap(SessionMiddleware::new(redis.clone(), key.clone()))
                .route("/incr", web::get().to(incr))
        })
        .workers(1)
        .bind(&addr)?
        .run()
        .await
    }
}
