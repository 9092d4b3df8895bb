"""``satchel.flask``: a Flask ``SessionInterface`` putting a Flask app's sessions on any
satchel store, server-side::

    from flask import Flask
    import satchel
    from satchel.flask import SatchelSessionInterface

    app = Flask(__name__)
    app.session_interface = SatchelSessionInterface(satchel.open_store("sqlite:sessions.db"))

The cookie holds only the session id and follows ``SESSION_COOKIE_NAME``,
``SESSION_COOKIE_DOMAIN``, ``SESSION_COOKIE_PATH``, ``SESSION_COOKIE_HTTPONLY``,
``SESSION_COOKIE_SECURE``, ``SESSION_COOKIE_SAMESITE`` (and ``SESSION_COOKIE_PARTITIONED``
on Flask 3.1). ``PERMANENT_SESSION_LIFETIME`` is how long a permanent session's cookie
lasts and how long a session of an ``open_store`` store lives past its last save
(werkzeug's files keep no deadline);
``SESSION_REFRESH_EACH_REQUEST`` re-sends the cookie of a permanent session, and moves
its deadline in the store, on every request. No secret key is needed: nothing but a
random id reaches the browser.

Call ``session.regenerate()`` at login: the session gets a fresh id (the old record is
deleted), so an id planted before login is worthless after it. ``session.clear()``
at logout deletes the record and the cookie.
"""

from flask.sessions import SessionInterface, SessionMixin

from ._session import Session
from ._stores import ServerSessionStore

__all__ = ["FlaskSession", "SatchelSessionInterface"]


class FlaskSession(Session, SessionMixin):
    """A satchel ``Session`` with Flask's ``SessionMixin`` (``permanent``, ``accessed``)."""

    __slots__ = ("accessed", "_regenerate")

    def __init__(self, data, sid, new=False):
        Session.__init__(self, data, sid, new)
        # Every request's session is assumed read: Flask then adds `Vary: Cookie`.
        self.accessed = True
        self._regenerate = False

    def regenerate(self):
        """Gives the session a fresh id when it is saved (call it at login)."""
        self._regenerate = True
        self.modified = True


class SatchelSessionInterface(SessionInterface):
    """Flask's sessions in ``store``: a ``FilesystemSessionStore``, or any store
    ``satchel.open_store`` gives."""

    def __init__(self, store):
        self.store = store

    def open_session(self, app, request):
        sid = request.cookies.get(self.get_cookie_name(app))
        stored = self.store.new() if not sid else self.store.get(sid)
        session = FlaskSession(stored, stored.sid, stored.new)
        session._satchel = getattr(stored, "_satchel", None)
        return session

    def save_session(self, app, session, response):
        name = self.get_cookie_name(app)
        cookie = {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "samesite": self.get_cookie_samesite(app),
            "httponly": self.get_cookie_httponly(app),
        }
        if hasattr(self, "get_cookie_partitioned"):
            cookie["partitioned"] = self.get_cookie_partitioned(app)
        if session.accessed:
            response.vary.add("Cookie")
        if not session:
            if session.modified:
                # Emptied (logout): the record goes too, not only the cookie.
                if not session.new:
                    self.store.delete(session)
                response.delete_cookie(name, **cookie)
            return
        if not self.should_set_cookie(app, session):
            return
        if getattr(session, "_regenerate", False):
            self.store.rotate(session)
        self._save(app, session)
        response.set_cookie(
            name, session.sid, expires=self.get_expiration_time(app, session), **cookie
        )

    def _save(self, app, session):
        lifetime = app.permanent_session_lifetime
        if isinstance(self.store, ServerSessionStore):
            self.store.save_for(session, lifetime)
        else:
            self.store.save(session)
