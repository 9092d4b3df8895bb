"""``SessionMiddleware``: werkzeug's WSGI middleware, with SameSite."""

from werkzeug.http import dump_cookie, parse_cookie
from werkzeug.wsgi import ClosingIterator

__all__ = ["SessionMiddleware"]


class SessionMiddleware:
    """Puts the session of ``store`` for the request's cookie into
    ``environ[environ_key]``, saves it when it changed and then sets the cookie.

    The cookie settings are ``dump_cookie``'s, prefixed with ``cookie_`` (``cookie_age``
    is its ``max_age``). The defaults are werkzeug's, so existing apps behave the same:
    pass ``cookie_secure=True`` behind HTTPS and ``cookie_httponly=True`` unless scripts
    must read the id (they should not).
    """

    def __init__(
        self,
        app,
        store,
        cookie_name="session_id",
        cookie_age=None,
        cookie_expires=None,
        cookie_path="/",
        cookie_domain=None,
        cookie_secure=None,
        cookie_httponly=False,
        cookie_samesite="Lax",
        environ_key="werkzeug.session",
    ):
        self.app = app
        self.store = store
        self.cookie_name = cookie_name
        self.cookie_age = cookie_age
        self.cookie_expires = cookie_expires
        self.cookie_path = cookie_path
        self.cookie_domain = cookie_domain
        self.cookie_secure = cookie_secure
        self.cookie_httponly = cookie_httponly
        self.cookie_samesite = cookie_samesite
        self.environ_key = environ_key

    def __call__(self, environ, start_response):
        sid = parse_cookie(environ.get("HTTP_COOKIE", "")).get(self.cookie_name)
        session = self.store.new() if sid is None else self.store.get(sid)
        environ[self.environ_key] = session

        def injecting_start_response(status, headers, exc_info=None):
            if session.should_save:
                self.store.save(session)
                headers.append(("Set-Cookie", self._dump_cookie(session)))
                # Saved: the save after the body is only for changes made while streaming.
                session.modified = False
            return start_response(status, headers, exc_info)

        return ClosingIterator(
            self.app(environ, injecting_start_response),
            lambda: self.store.save_if_modified(session),
        )

    def _dump_cookie(self, session):
        return dump_cookie(
            self.cookie_name,
            session.sid,
            max_age=self.cookie_age,
            expires=self.cookie_expires,
            path=self.cookie_path,
            domain=self.cookie_domain,
            secure=bool(self.cookie_secure),
            httponly=self.cookie_httponly,
            samesite=self.cookie_samesite,
        )
