//! The session layer on a plain hyper server, without axum.
//!
//! Run: `cargo run -p satchel --example hyper`, then `curl -c jar -b jar localhost:3002`.

use std::convert::Infallible;

use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use satchel::{MemoryStore, SessionHandle, SessionLayer};
use tower::ServiceBuilder;

async fn handle(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let Some(handle) = request.extensions().get::<SessionHandle>().cloned() else {
        return Ok(status(StatusCode::INTERNAL_SERVER_ERROR));
    };
    let Ok(visits) = count(&handle).await else {
        return Ok(status(StatusCode::INTERNAL_SERVER_ERROR));
    };
    Ok(Response::new(Full::new(Bytes::from(format!(
        "visit {visits}\n"
    )))))
}

async fn count(handle: &SessionHandle) -> satchel::Result<u64> {
    handle
        .update("visits", |n: Option<u64>| n.unwrap_or(0) + 1)
        .await
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::default());
    *response.status_mut() = code;
    response
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let layer = SessionLayer::new(MemoryStore::new()).with_secure(false)?;
    let service = ServiceBuilder::new().layer(layer).service_fn(handle);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3002").await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let served = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(err) = served {
                eprintln!("connection error: {err}");
            }
        });
    }
}
