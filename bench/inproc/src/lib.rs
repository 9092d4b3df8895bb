//! The request loop of the in-process profilers: `GET /incr` sent `N` times through a
//! router with tower's `oneshot`, on a current-thread runtime, no sockets. satchel's
//! `bench/servers/incr-profile` and tower-sessions' `bench/peers/tower-sessions-profile`
//! both run it, so that their instruction and allocation counts per request compare.
//! A path crate beside both workspaces, as neither can hold the other's members.

use axum::Router;
use axum::body::Body;
use tower::ServiceExt as _;

/// What the loop fails with: the runtime, a request or the router.
pub type Failure = Box<dyn std::error::Error>;

/// Which requests the loop sends: "reuse" carries the session cookie the first response
/// set, "fresh" none, so each request makes a new session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Every request after the first carries its session cookie.
    Reuse,
    /// No request carries a cookie.
    Fresh,
}

impl Scenario {
    /// `reuse` or `fresh`; `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "reuse" => Some(Self::Reuse),
            "fresh" => Some(Self::Fresh),
            _ => None,
        }
    }
}

/// Sends one request for the session cookie, then `times` requests of `scenario`.
pub fn drive(app: Router, scenario: Scenario, times: usize) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let first = runtime.block_on(app.clone().oneshot(request(None)?))?;
    let cookie = first
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(str::to_owned);
    let cookie = cookie.as_deref().filter(|_| scenario == Scenario::Reuse);
    for _ in 0..times {
        let response = runtime.block_on(app.clone().oneshot(request(cookie)?))?;
        std::hint::black_box(response);
    }
    Ok(())
}

fn request(cookie: Option<&str>) -> Result<http::Request<Body>, Failure> {
    let mut request = http::Request::get("/incr");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    Ok(request.body(Body::empty())?)
}
