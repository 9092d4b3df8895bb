//! Cross-site requests refused: a browser says which site sent a request, and no other
//! site may change a visitor's session. The forms carry a CSRF token as well, and the JSON
//! API requires `Content-Type: application/json`, which a cross-site page cannot send
//! without a CORS preflight that this server never grants; this check covers the API's
//! bodiless POSTs too.

use axum::Json;
use axum::extract::Request;
use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Passes safe requests, and unsafe ones sent by this site or by no browser at all (curl
/// sends neither header); refuses the rest with 403.
pub(crate) async fn same_site_only(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && is_cross_site(request.headers()) {
        let error = json!({"error": "a request from another site may not change the session"});
        return (StatusCode::FORBIDDEN, Json(error)).into_response();
    }
    next.run(request).await
}

/// `Sec-Fetch-Site` when the browser sends it (every current one does): only
/// `same-origin` and `none` (the user's own navigation) are this site. Else an `Origin`
/// that is not this host (an opaque `null` included).
fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return false;
    };
    let authority = origin
        .to_str()
        .ok()
        .and_then(|origin| origin.split_once("://"))
        .map(|(_, authority)| authority);
    let host = headers.get(HOST).and_then(|host| host.to_str().ok());
    match (authority, host) {
        (Some(authority), Some(host)) => !authority.eq_ignore_ascii_case(host),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.parse().unwrap(), value.parse().unwrap()))
            .collect()
    }

    #[test]
    fn only_this_site_and_non_browsers_pass() {
        assert!(!is_cross_site(&headers(&[])));
        assert!(!is_cross_site(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(!is_cross_site(&headers(&[("sec-fetch-site", "none")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        let same = [("origin", "http://t:3000"), ("host", "t:3000")];
        assert!(!is_cross_site(&headers(&same)));
        assert!(is_cross_site(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "t:3000")
        ])));
        assert!(is_cross_site(&headers(&[
            ("origin", "null"),
            ("host", "t")
        ])));
    }
}
