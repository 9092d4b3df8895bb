//! `SessionService`: read the id, hand over a lazy session, run the handler, commit.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{CACHE_CONTROL, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use time::OffsetDateTime;
use tower_service::Service;

use super::transport::{Loader, Transport};
use crate::cookie::CookieConfig;
use crate::error::{Error, Result};
use crate::expiry::Expiry;
use crate::handle::SessionHandle;
use crate::limits::Limits;
use crate::metrics::Meters;
use crate::session::Session;
use crate::store::{SaveOutcome, SessionStore};

/// The service [`SessionLayer`](super::SessionLayer) builds around an inner service.
///
/// # Example
/// ```
/// use satchel::{MemoryStore, SessionLayer};
/// use tower::{Layer, service_fn};
///
/// let service = SessionLayer::new(MemoryStore::new()).layer(service_fn(|_: http::Request<String>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
/// }));
/// # let _ = service;
/// ```
pub struct SessionService<S, Store> {
    inner: S,
    shared: Arc<Shared<Store>>,
}

/// What every request of one layer shares.
pub(super) struct Shared<Store> {
    pub(super) transport: Transport<Store>,
    /// The transport, erased for the request's handle (made once, not per request).
    pub(super) loader: Loader,
    pub(super) cookie: CookieConfig,
    pub(super) expiry: Expiry,
    pub(super) limits: Limits,
    /// The store's metrics handles, registered when the layer was built.
    pub(super) meters: Meters,
}

impl<S, Store> SessionService<S, Store> {
    pub(super) fn new(inner: S, shared: Arc<Shared<Store>>) -> Self {
        Self { inner, shared }
    }
}

impl<S: Clone, Store> Clone for SessionService<S, Store> {
    fn clone(&self) -> Self {
        Self::new(self.inner.clone(), Arc::clone(&self.shared))
    }
}

impl<S: fmt::Debug, Store> fmt::Debug for SessionService<S, Store> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionService")
            .field("inner", &self.inner)
            .field("cookie", &self.shared.cookie)
            .finish_non_exhaustive()
    }
}

impl<S, Store, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S, Store>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
    Store: SessionStore,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let handle = self.read_id(&request);
        request.extensions_mut().insert(handle.clone());
        // Called here, not in the future: the service driven to readiness serves the
        // request without a clone (a boxed route's clone allocates), and the future holds
        // neither the request nor the service.
        let response = self.inner.call(request);
        let shared = Arc::clone(&self.shared);
        ResponseFuture {
            inner: Box::pin(async move {
                let response = response.await?;
                Ok(commit(&shared, &handle, response).await)
            }),
        }
    }
}

impl<S, Store> SessionService<S, Store> {
    /// Step 1: the cookie's value, unparsed; the transport decides whether it names a
    /// session, when (and only if) a handler asks for it.
    fn read_id<B>(&self, request: &Request<B>) -> SessionHandle {
        let shared = &self.shared;
        SessionHandle::for_request(
            shared.loader.clone(),
            shared.expiry,
            shared.limits,
            shared.cookie.find(request.headers()),
        )
    }
}

/// Step 4: save what the handler changed and tell the browser what it needs to know.
async fn commit<Store: SessionStore, B: Default>(
    shared: &Shared<Store>,
    handle: &SessionHandle,
    mut response: Response<B>,
) -> Response<B> {
    let Some(session) = handle.take_for_commit().await else {
        return response;
    };
    add_vary_cookie(response.headers_mut());
    if response.status().is_server_error() {
        // A failed request's half-done changes are not kept (as tower-sessions does).
        return response;
    }
    // Boxed on its own: the store's futures are most of this step's state, and one box
    // for all of it would pass glibc's 1 KiB per-thread cache, whose slow path costs
    // more than a second small box (profiled on `incr-profile memory-fresh`).
    Box::pin(save_and_answer(shared, session, response)).await
}

/// [`commit`]'s store work: persists `session` and sets the cookie, or answers the error.
async fn save_and_answer<Store: SessionStore, B: Default>(
    shared: &Shared<Store>,
    mut session: Box<Session>,
    mut response: Response<B>,
) -> Response<B> {
    // One reading of the clock for the deadline and the cookie's Max-Age alike.
    let now = shared.transport.now();
    let written = shared
        .transport
        .persist(shared.expiry, &mut session, now, &shared.meters)
        .await
        .and_then(|outcome| cookie_for(shared, outcome, &session, now));
    match written {
        Ok(set) => {
            set_cookie(response.headers_mut(), set);
            response
        }
        Err(err @ (Error::TooLarge { .. } | Error::TooDeep { .. })) => {
            // Refused before anything was written: the client's doing, not the store's.
            tracing::warn!(error = %err, "the session passed its limits; answering 413");
            bare_status(StatusCode::PAYLOAD_TOO_LARGE)
        }
        Err(err @ Error::StoreFull { .. }) => {
            tracing::warn!(error = %err, "no room for the session; answering 503");
            bare_status(StatusCode::SERVICE_UNAVAILABLE)
        }
        Err(err) => {
            tracing::error!(error = %err, "saving the session failed; answering 500");
            bare_status(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// The cookie to send after `outcome`: the session's (its id, or the sealed session), a
/// removal, or none.
fn cookie_for<Store: SessionStore>(
    shared: &Shared<Store>,
    outcome: SaveOutcome,
    session: &Session,
    now: OffsetDateTime,
) -> Result<Option<String>> {
    let cookie = &shared.cookie;
    let refresh = cookie.refreshes_on_save() || shared.transport.resends_on_every_save();
    let send = match outcome {
        SaveOutcome::Created | SaveOutcome::Rotated => true,
        SaveOutcome::Updated | SaveOutcome::Touched => refresh,
        SaveOutcome::Deleted | SaveOutcome::Gone => return Ok(Some(cookie.removal_cookie(now))),
        _ => false,
    };
    if !send {
        return Ok(None);
    }
    let value = shared.transport.cookie_value(cookie.name(), session)?;
    Ok(Some(cookie.session_cookie(&value, session, now)))
}

fn set_cookie(headers: &mut HeaderMap, cookie: Option<String>) {
    let Some(cookie) = cookie else { return };
    match HeaderValue::try_from(cookie) {
        Ok(value) => {
            headers.append(SET_COOKIE, value);
            // A shared cache must never hand one visitor's cookie to another.
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        Err(_) => tracing::error!(
            "the session cookie is not a valid header value; check the cookie settings"
        ),
    }
}

fn add_vary_cookie(headers: &mut HeaderMap) {
    let present = headers.get_all(VARY).iter().any(|value| {
        value.to_str().is_ok_and(|text| {
            text.split(',')
                .any(|part| matches!(part.trim().to_ascii_lowercase().as_str(), "cookie" | "*"))
        })
    });
    if !present {
        headers.append(VARY, HeaderValue::from_static("Cookie"));
    }
}

/// A failed save: the status with an empty body, so nothing about the backend leaks.
fn bare_status<B: Default>(status: StatusCode) -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The future [`SessionService`] returns.
///
/// # Example
/// ```
/// fn is_future<F: std::future::Future>(_: &F) {}
/// # use satchel::{MemoryStore, SessionLayer};
/// # use tower::{Layer, Service, service_fn};
/// let mut service = SessionLayer::new(MemoryStore::new()).layer(service_fn(|_: http::Request<String>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
/// }));
/// let future: satchel::middleware::ResponseFuture<String, _> = service.call(http::Request::new(String::new()));
/// is_future(&future);
/// ```
pub struct ResponseFuture<B, E> {
    inner: Pin<Box<dyn Future<Output = Result<Response<B>, E>> + Send>>,
}

impl<B, E> Future for ResponseFuture<B, E> {
    type Output = Result<Response<B>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<B, E> fmt::Debug for ResponseFuture<B, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
