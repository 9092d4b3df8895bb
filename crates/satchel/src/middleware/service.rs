//! `SessionService`: read the id, hand over a lazy session, run the handler, commit.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::{CACHE_CONTROL, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use tower_service::Service;

use crate::store::SaveOutcome;
use crate::{CookieConfig, DynSessionStore, Expiry, Result, Session, SessionHandle, SessionStore};

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
    store: Arc<Store>,
    cookie: Arc<CookieConfig>,
    expiry: Expiry,
}

impl<S, Store> SessionService<S, Store> {
    pub(super) fn new(
        inner: S,
        store: Arc<Store>,
        cookie: Arc<CookieConfig>,
        expiry: Expiry,
    ) -> Self {
        Self {
            inner,
            store,
            cookie,
            expiry,
        }
    }
}

impl<S: Clone, Store> Clone for SessionService<S, Store> {
    fn clone(&self) -> Self {
        Self::new(
            self.inner.clone(),
            Arc::clone(&self.store),
            Arc::clone(&self.cookie),
            self.expiry,
        )
    }
}

impl<S: fmt::Debug, Store> fmt::Debug for SessionService<S, Store> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionService")
            .field("inner", &self.inner)
            .field("cookie", &self.cookie)
            .finish_non_exhaustive()
    }
}

impl<S, Store, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S, Store>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
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
        // The clone that was driven to readiness serves this request (tower's usual swap).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let (store, cookie, expiry) = (
            Arc::clone(&self.store),
            Arc::clone(&self.cookie),
            self.expiry,
        );
        ResponseFuture {
            inner: Box::pin(async move {
                let response = inner.call(request).await?;
                Ok(commit(&*store, &cookie, expiry, &handle, response).await)
            }),
        }
    }
}

impl<S, Store: SessionStore> SessionService<S, Store> {
    /// Step 1: the cookie's value, unparsed; the store decides whether it names a session.
    fn read_id<B>(&self, request: &Request<B>) -> SessionHandle {
        let store: Arc<dyn DynSessionStore> = Arc::clone(&self.store) as Arc<dyn DynSessionStore>;
        SessionHandle::new(store, self.cookie.find(request.headers()))
            .with_expiry(self.expiry)
            .with_cookie_name(self.cookie.name())
    }
}

/// Step 4: save what the handler changed and tell the browser what it needs to know.
async fn commit<Store: SessionStore, B: Default>(
    store: &Store,
    cookie: &CookieConfig,
    expiry: Expiry,
    handle: &SessionHandle,
    mut response: Response<B>,
) -> Response<B> {
    let Some(mut session) = handle.take_loaded().await else {
        return response;
    };
    add_vary_cookie(response.headers_mut());
    if response.status().is_server_error() {
        // A failed request's half-done changes are not kept (as tower-sessions does).
        return response;
    }
    let written = persist(store, expiry, &mut session)
        .await
        .and_then(|outcome| cookie_for(store, outcome, &session, cookie));
    match written {
        Ok(set) => {
            set_cookie(response.headers_mut(), set);
            response
        }
        Err(err) => {
            tracing::error!(error = %err, "saving the session failed; answering 500");
            opaque_error()
        }
    }
}

/// Saves a changed session with its moved deadline, or only moves the deadline of one that
/// was read (at most once per touch interval).
async fn persist<Store: SessionStore>(
    store: &Store,
    expiry: Expiry,
    session: &mut Session,
) -> Result<SaveOutcome> {
    let now = store.clock().now();
    if session.should_save() || session.is_destroyed() {
        session.set_deadline(expiry.deadline(session.created_at(), now));
        return store.save(session).await;
    }
    let Some(at) = expiry
        .touch_due(session, now)
        .filter(|_| session.is_stored())
    else {
        return Ok(SaveOutcome::Unchanged);
    };
    // Cookie stores carry the deadline in the cookie, so the session must hold it too.
    session.set_deadline(Some(at));
    let touched = store.touch(&store.key_of(session.id()), Some(at)).await?;
    Ok(if touched {
        SaveOutcome::Touched
    } else {
        SaveOutcome::Gone
    })
}

/// The cookie to send after `outcome`: the session's (its id, or for cookie stores the
/// sealed session), a removal, or none.
fn cookie_for<Store: SessionStore>(
    store: &Store,
    outcome: SaveOutcome,
    session: &Session,
    cookie: &CookieConfig,
) -> Result<Option<::cookie::Cookie<'static>>> {
    let refresh = cookie.refreshes_on_save() || store.keeps_sessions_in_cookies();
    let send = match outcome {
        SaveOutcome::Created | SaveOutcome::Rotated => true,
        SaveOutcome::Updated | SaveOutcome::Touched => refresh,
        SaveOutcome::Deleted | SaveOutcome::Gone => return Ok(Some(cookie.removal_cookie())),
        _ => false,
    };
    if !send {
        return Ok(None);
    }
    let value = store.cookie_value(cookie.name(), session)?;
    Ok(Some(cookie.session_cookie(
        value,
        session,
        store.clock().now(),
    )))
}

fn set_cookie(headers: &mut HeaderMap, cookie: Option<::cookie::Cookie<'static>>) {
    let Some(cookie) = cookie else { return };
    match HeaderValue::try_from(cookie.to_string()) {
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

/// A store failure: 500 with an empty body, so nothing about the backend leaks.
fn opaque_error<B: Default>() -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
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
