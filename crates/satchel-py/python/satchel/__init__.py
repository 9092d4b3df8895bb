"""satchel: werkzeug's session API (``secure_cookie.session`` / ``werkzeug.contrib.sessions``)
on satchel's Rust engine.

Change only the import::

    from satchel import FilesystemSessionStore, SessionMiddleware

    app = SessionMiddleware(app, FilesystemSessionStore())

Files are werkzeug's (pickled dicts, ``werkzeug_<sid>.sess``), written atomically and
durably under a per-session lock that merges concurrent changes. ``open_store(URL)``
puts the same interface on satchel's SQLite, Redis, PostgreSQL and file stores, and
``satchel.flask`` is a Flask ``SessionInterface`` for any of them.
"""

from ._filesystem import FilesystemSessionStore, default_path
from ._middleware import SessionMiddleware
from ._session import ModificationTrackingDict, Session, SessionStore, generate_key
from ._stores import ServerSessionStore, open_store

__all__ = [
    "FilesystemSessionStore",
    "ModificationTrackingDict",
    "ServerSessionStore",
    "Session",
    "SessionMiddleware",
    "SessionStore",
    "default_path",
    "generate_key",
    "open_store",
]
