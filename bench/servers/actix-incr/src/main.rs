//! `GET /incr` on actix-web with actix-session: read `n`, store `n + 1`, return it.
//! Usage: `actix-incr ADDR cookie:` or `actix-incr ADDR redis://HOST:PORT`. One worker,
//! as the other servers run on one core.

use actix_session::storage::{CookieSessionStore, RedisSessionStore};
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::Key;
use actix_web::{App, HttpServer, web};

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
    if store == "cookie:" {
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
