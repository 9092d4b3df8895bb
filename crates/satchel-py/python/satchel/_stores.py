"""``open_store``: satchel's other stores behind werkzeug's store interface."""

import datetime
import json

from . import _engine
from ._filesystem import FilesystemSessionStore
from ._session import SessionStore

__all__ = ["ServerSessionStore", "open_store"]

_DEFAULT_LIFETIME = datetime.timedelta(minutes=30)


def open_store(url, session_class=None, lifetime=_DEFAULT_LIFETIME):
    """The store a URL names, with werkzeug's interface (``new``, ``get``, ``save``,
    ``save_if_modified``, ``delete``, ``list``, ``generate_key``, ``is_valid_key``):

    - ``sqlite:PATH``, ``redis://HOST:PORT[/DB]``, ``redis+cluster://HOST:PORT,...``,
      ``postgres://USER@HOST:PORT/DB``, ``file:DIR`` (satchel's own JSON files) and
      ``memory:`` give a ``ServerSessionStore``: values must be JSON (``str``, ``int``,
      ``float``, ``bool``, ``None``, ``list``, ``dict`` with ``str`` keys; a tuple comes
      back a list), anything else is a ``TypeError`` at save. A session lives
      ``lifetime`` (a ``timedelta`` or seconds) past its last save.
    - ``werkzeug:DIR`` gives a ``FilesystemSessionStore`` (pickled values, werkzeug's
      files) with ``renew_missing=True`` and ``mode=0o600``.
    """
    if url.startswith("werkzeug:"):
        return FilesystemSessionStore(
            url[len("werkzeug:") :],
            session_class=session_class,
            renew_missing=True,
            mode=0o600,
        )
    return ServerSessionStore(url, session_class=session_class, lifetime=lifetime)


class ServerSessionStore(SessionStore):
    """A satchel store (see ``open_store``). Ids are satchel's (at least 128 bits from
    the CSPRNG, URL-safe) and stored only as their SHA-256; an unknown, expired or
    malformed id gets a fresh session with a new id. A save hands the store only the keys
    the session changed since it was read, so concurrent saves of one session merge."""

    def __init__(self, url, session_class=None, lifetime=_DEFAULT_LIFETIME):
        SessionStore.__init__(self, session_class)
        if isinstance(lifetime, datetime.timedelta):
            lifetime = lifetime.total_seconds()
        self.url = url
        self._store = _engine.Store(url, float(lifetime))

    def is_valid_key(self, key):
        """Whether ``key`` has the shape of this store's ids."""
        return isinstance(key, str) and self._store.is_valid_key(key)

    def generate_key(self, salt=None):
        """A fresh id (``salt`` is ignored: ids come from the OS CSPRNG)."""
        return self._store.generate_key()

    def new(self):
        """A new session with a fresh id."""
        return self._wrap(self._store.new_session(), {})

    def get(self, sid):
        """The live session stored under ``sid``, or a new one with a fresh id."""
        if not isinstance(sid, str):
            return self.new()
        handle = self._store.get(sid)
        return self._wrap(handle, json.loads(handle.data_json()))

    def save(self, session):
        """Writes what changed since the session was read (a create for a new one)."""
        self.save_for(session, None)

    def save_for(self, session, lifetime):
        """``save``, the session then living ``lifetime`` (a ``timedelta`` or seconds;
        the store's own when ``None``) past now."""
        if isinstance(lifetime, datetime.timedelta):
            lifetime = lifetime.total_seconds()
        handle = self._handle(session)
        baseline = json.loads(handle.data_json())
        sets = {}
        for key, value in session.items():
            if key not in baseline or baseline[key] != value:
                sets[key] = value
        removed = [key for key in baseline if key not in session]
        self._store.save(handle, _to_json(sets), removed, lifetime)
        session.sid = handle.sid

    def rotate(self, session):
        """Gives the session a fresh id, as at login (against session fixation): the next
        save stores it under the new id and deletes the old record."""
        session.sid = self._store.rotate(self._handle(session))
        session.modified = True

    def delete(self, session):
        """Deletes the session's record."""
        self._store.delete(self._handle(session))

    def list(self):
        """The storage keys (SHA-256 of the ids) of every stored session."""
        return self._store.list()

    def prune(self):
        """Removes expired sessions; returns how many."""
        return self._store.prune()

    def _wrap(self, handle, data):
        session = self.session_class(data, handle.sid, handle.is_new)
        try:
            session._satchel = handle
        except AttributeError:
            pass
        return session

    def _handle(self, session):
        handle = getattr(session, "_satchel", None)
        if not isinstance(handle, _engine.Handle):
            # A session this store did not hand out: bind it to its id's record.
            handle = self._store.get(session.sid)
            session.sid = handle.sid
            try:
                session._satchel = handle
            except AttributeError:
                pass
        return handle


def _to_json(values):
    for key, value in values.items():
        if not isinstance(key, str):
            raise TypeError(
                "session keys must be str to be stored as JSON, not %s (%r)"
                % (type(key).__name__, key)
            )
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise TypeError(
                "session key %r: %s cannot be stored in a JSON store (%s); store str, "
                "int, float, bool, None, list or dict values, or use a werkzeug: "
                "store, which pickles" % (key, type(value).__name__, err)
            ) from None
    return json.dumps(values, allow_nan=False)
