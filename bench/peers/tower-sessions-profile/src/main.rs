//! tower-sessions' `/incr` route in-process, `N` times, for profilers:
//! `tower-sessions-profile MODE N` with MODE `memory-reuse` or `memory-fresh`. The same
//! route, runtime and request loop as satchel's `bench/servers/incr-profile`, so the
//! instruction and allocation counts per request of the two compare directly (run each
//! with two values of `N` and divide the difference by the difference of `N`).

use axum::Router;
use axum::body::Body;
use axum::http::StatusCode;
use axum::routing::get;
use tower::ServiceExt as _;
use tower_sessions::{Expiry, MemoryStore, Session, SessionManagerLayer};

type Failure = Box<dyn std::error::Error>;

async fn incr(session: Session) -> Result<String, StatusCode> {
    let failed = |_| StatusCode::INTERNAL_SERVER_ERROR;
    let n = session.get::<u64>("n").await.map_err(failed)?.unwrap_or(0) + 1;
    session.insert("n", n).await.map_err(failed)?;
    Ok(n.to_string())
}

fn request(cookie: Option<&str>) -> Result<http::Request<Body>, Failure> {
    let mut request = http::Request::get("/incr");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    Ok(request.body(Body::empty())?)
}

fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "memory-reuse".into());
    let times: usize = args.next().map_or(Ok(20_000), |n| n.parse())?;
    let scenario = match mode.as_str() {
        "memory-reuse" => "reuse",
        "memory-fresh" => "fresh",
        _ => return Err(format!("unknown mode `{mode}`").into()),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let layer = SessionManagerLayer::new(MemoryStore::default())
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(30)));
    let app = Router::new().route("/incr", get(incr)).layer(layer);
    let first = runtime.block_on(app.clone().oneshot(request(None)?))?;
    let cookie = first
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(str::to_owned);
    let cookie = cookie.as_deref().filter(|_| scenario == "reuse");
    for _ in 0..times {
        let response = runtime.block_on(app.clone().oneshot(request(cookie)?))?;
        std::hint::black_box(response);
    }
    Ok(())
}
