//! `CookieConfig`: the session cookie's name, scope and attributes.

use ::cookie::SameSite;
use http::HeaderMap;
#[cfg(test)]
use http::header::COOKIE;
use time::{Duration, OffsetDateTime};

use super::header;
use crate::error::{Error, Result};
use crate::session::Session;

/// How the session cookie is named and scoped.
///
/// Defaults: name `session_id`, `Path=/`, no Domain, `Secure`, `HttpOnly`, `SameSite=Lax`,
/// and neither Max-Age nor Expires (a browser-session cookie). werkzeug defaulted to
/// neither Secure nor HttpOnly; OWASP and NIST SP 800-63B ask for both.
///
/// # Example
/// ```
/// use satchel::{CookieConfig, SameSite};
///
/// let config = CookieConfig::new()
///     .with_name("__Host-sid")
///     .with_max_age(time::Duration::hours(12))
///     .with_same_site(SameSite::Strict);
/// config.validate()?;
/// assert!(CookieConfig::new().with_name("__Host-sid").with_domain("example.com").validate().is_err());
/// # Ok::<(), satchel::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CookieConfig {
    name: String,
    max_age: Option<Duration>,
    persistent: bool,
    expires: Option<OffsetDateTime>,
    path: String,
    domain: Option<String>,
    secure: bool,
    http_only: bool,
    same_site: SameSite,
}

impl Default for CookieConfig {
    fn default() -> Self {
        Self {
            name: "session_id".into(),
            max_age: None,
            persistent: false,
            expires: None,
            path: "/".into(),
            domain: None,
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
        }
    }
}

impl CookieConfig {
    /// The defaults described above.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::CookieConfig::new().name(), "session_id");
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The cookie's name (werkzeug's `cookie_name`).
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::CookieConfig::new().with_name("sid").name(), "sid");
    /// ```
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Max-Age, making the cookie persistent (werkzeug's `cookie_age`); Expires is derived
    /// from it for old browsers. The cookie is re-sent whenever the session is saved.
    ///
    /// # Example
    /// ```
    /// let config = satchel::CookieConfig::new().with_max_age(time::Duration::minutes(30));
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Makes the cookie live exactly as long as the session does on the server: its Max-Age
    /// is the time left until the session's deadline (see [`Expiry`](crate::Expiry)), and it
    /// is re-sent whenever that deadline moves. Without it (the default) the cookie is a
    /// browser-session cookie that ends when the browser closes, while the server enforces
    /// the deadline either way.
    ///
    /// # Example
    /// ```
    /// let config = satchel::CookieConfig::new().with_persistent(true);
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn with_persistent(mut self, persistent: bool) -> Self {
        self.persistent = persistent;
        self
    }

    /// A fixed Expires date (werkzeug's `cookie_expires`).
    ///
    /// # Example
    /// ```
    /// let at = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    /// let config = satchel::CookieConfig::new().with_expires(at);
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn with_expires(mut self, expires: OffsetDateTime) -> Self {
        self.expires = Some(expires);
        self
    }

    /// The cookie's Path (default `/`).
    ///
    /// # Example
    /// ```
    /// let config = satchel::CookieConfig::new().with_path("/app");
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The cookie's Domain (default none: this host only).
    ///
    /// # Example
    /// ```
    /// let config = satchel::CookieConfig::new().with_domain("example.com");
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn with_domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// The Secure attribute (default on). Browsers treat `localhost` as secure, so plain-HTTP
    /// development on localhost works with it on.
    ///
    /// # Example
    /// ```
    /// let config = satchel::CookieConfig::new().with_secure(false);
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn with_secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The HttpOnly attribute (default on).
    ///
    /// # Example
    /// ```
    /// let config = satchel::CookieConfig::new().with_http_only(true);
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn with_http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// The SameSite attribute (default Lax).
    ///
    /// # Example
    /// ```
    /// let config = satchel::CookieConfig::new().with_same_site(satchel::SameSite::Strict);
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn with_same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// The cookie's name.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::CookieConfig::default().name(), "session_id");
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks the rules browsers enforce (RFC 6265bis): a `__Host-` name needs Secure,
    /// `Path=/` and no Domain; a `__Secure-` name needs Secure; `SameSite=None` needs Secure.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the broken rule; browsers would drop such a cookie.
    ///
    /// # Example
    /// ```
    /// use satchel::CookieConfig;
    /// assert!(CookieConfig::new().with_name("__Secure-s").with_secure(false).validate().is_err());
    /// assert!(CookieConfig::new().validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<()> {
        let lower = self.name.to_ascii_lowercase();
        let broken = if !is_token(&self.name) {
            Some(
                "the cookie name is not a valid token (RFC 6265: letters, digits and !#$%&'*+-.^_`|~)",
            )
        } else if lower.starts_with("__host-")
            && (!self.secure || self.path != "/" || self.domain.is_some())
        {
            Some("a __Host- cookie needs Secure, Path=/ and no Domain")
        } else if lower.starts_with("__secure-") && !self.secure {
            Some("a __Secure- cookie needs Secure")
        } else if self.same_site == SameSite::None && !self.secure {
            Some("SameSite=None needs Secure")
        } else {
            None
        };
        broken.map_or(Ok(()), |why| Err(Error::InvalidConfig(why.into())))
    }

    /// Whether every save should re-send the cookie (its expiry moves with each save).
    pub(crate) fn refreshes_on_save(&self) -> bool {
        self.max_age.is_some() || self.persistent
    }

    /// The first cookie with our name in the request; duplicates are logged and ignored.
    pub(crate) fn find(&self, headers: &HeaderMap) -> Option<String> {
        let (first, more) = header::find(headers, &self.name);
        if more {
            tracing::debug!("several session cookies in one request; using the first");
        }
        first.map(str::to_owned)
    }

    /// The `Set-Cookie` line carrying `value` for `session`, at `now`.
    pub(crate) fn session_cookie(
        &self,
        value: &str,
        session: &Session,
        now: OffsetDateTime,
    ) -> String {
        let deadline = session.expires_at().filter(|_| self.persistent);
        let max_age = deadline
            .map(|at| (at - now).max(Duration::ZERO))
            .or(self.max_age);
        let expires = self
            .expires
            .or_else(|| max_age.and_then(|max_age| now.checked_add(max_age)));
        header::set_cookie(&self.name, value, &self.attributes(max_age, expires))
    }

    /// A `Set-Cookie` that makes the browser drop the cookie, with every attribute it was set
    /// with (else browsers ignore it for `__Host-` names or other paths).
    pub(crate) fn removal_cookie(&self, now: OffsetDateTime) -> String {
        // As the `cookie` crate's `make_removal`: Max-Age=0, and an Expires a year ago.
        let expires = now.checked_sub(Duration::days(365));
        header::set_cookie(
            &self.name,
            "",
            &self.attributes(Some(Duration::ZERO), expires),
        )
    }

    fn attributes(
        &self,
        max_age: Option<Duration>,
        expires: Option<OffsetDateTime>,
    ) -> header::Attributes<'_> {
        header::Attributes {
            http_only: self.http_only,
            same_site: self.same_site,
            secure: self.secure,
            path: &self.path,
            domain: self.domain.as_deref(),
            max_age,
            expires,
        }
    }
}

/// An HTTP token (RFC 9110 `tchar`), which RFC 6265 requires of a cookie's name.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_cookie_is_hardened() {
        let session = Session::new(crate::id::SessionId::generate().unwrap());
        let now = OffsetDateTime::now_utc();
        let text = CookieConfig::new().session_cookie("v", &session, now);
        let pair = "session_id=v".to_owned();
        for part in [
            pair.as_str(),
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
        ] {
            assert!(text.contains(part), "{text}");
        }
        assert!(
            !text.contains("Max-Age") && !text.contains("Expires"),
            "{text}"
        );
    }

    #[test]
    fn persistent_cookie_follows_the_session_deadline() {
        let mut session = Session::new(crate::id::SessionId::generate().unwrap());
        let now = OffsetDateTime::UNIX_EPOCH;
        session.set_expires_at(Some(now + Duration::minutes(20)));
        let config = CookieConfig::new().with_persistent(true);
        let text = config.session_cookie("v", &session, now);
        assert!(text.contains("Max-Age=1200"), "{text}");
        let browser = CookieConfig::new().session_cookie("v", &session, now);
        assert!(!browser.contains("Max-Age"), "{browser}");
    }

    #[test]
    fn removal_keeps_attributes() {
        let config = CookieConfig::new()
            .with_domain("example.com")
            .with_path("/app");
        let text = config.removal_cookie(OffsetDateTime::now_utc());
        for part in [
            "session_id=",
            "Max-Age=0",
            "Domain=example.com",
            "Path=/app",
            "Secure",
            "HttpOnly",
        ] {
            assert!(text.contains(part), "{text}");
        }
    }

    #[test]
    fn finds_the_first_cookie_with_our_name() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, "a=1; session_id=first".parse().unwrap());
        headers.append(COOKIE, "session_id=second".parse().unwrap());
        assert_eq!(CookieConfig::new().find(&headers).as_deref(), Some("first"));
        assert_eq!(CookieConfig::new().with_name("other").find(&headers), None);
    }
}
