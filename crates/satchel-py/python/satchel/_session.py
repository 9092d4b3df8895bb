"""``Session`` and ``SessionStore``: werkzeug's classes, with ids from the OS CSPRNG."""

import re

from . import _engine

__all__ = ["ModificationTrackingDict", "Session", "SessionStore", "generate_key"]

# `\Z`, not werkzeug's `$`, which also matched before a trailing newline.
_sha1_re = re.compile(r"^[a-f0-9]{40}\Z")


def generate_key(salt=None):
    """A new session id: 40 lowercase hex characters, 160 bits from the OS CSPRNG.

    ``salt`` is accepted for werkzeug's signature and ignored: werkzeug hashed it with
    the time and ``os.urandom`` into SHA-1; the CSPRNG alone is unpredictable already.
    """
    return _engine.generate_key()


class ModificationTrackingDict(dict):
    """A ``dict`` that sets ``modified`` on the operations werkzeug tracks: item
    assignment and deletion, ``update``, ``clear``, ``popitem``, ``pop`` of a present key
    and ``setdefault`` of a missing one (plus ``|=``, which werkzeug's Python 2-era class
    predates). Changes inside mutable values are not seen: set ``modified = True``.
    """

    __slots__ = ("modified",)

    def __init__(self, *args, **kwargs):
        dict.__init__(self, *args, **kwargs)
        self.modified = False

    def __setitem__(self, key, value):
        dict.__setitem__(self, key, value)
        self.modified = True

    def __delitem__(self, key):
        dict.__delitem__(self, key)
        self.modified = True

    def __ior__(self, other):
        dict.update(self, other)
        self.modified = True
        return self

    def update(self, *args, **kwargs):
        dict.update(self, *args, **kwargs)
        self.modified = True

    def clear(self):
        dict.clear(self)
        self.modified = True

    def popitem(self):
        item = dict.popitem(self)
        self.modified = True
        return item

    _missing = object()

    def pop(self, key, default=_missing):
        present = key in self
        if default is ModificationTrackingDict._missing:
            value = dict.pop(self, key)
        else:
            value = dict.pop(self, key, default)
        if present:
            self.modified = True
        return value

    def setdefault(self, key, default=None):
        missing = key not in self
        value = dict.setdefault(self, key, default)
        if missing:
            self.modified = True
        return value

    def copy(self):
        """A flat copy of the same class, with the same attributes."""
        result = self.__class__.__new__(self.__class__)
        dict.update(result, self)
        for cls in type(self).__mro__:
            for name in getattr(cls, "__slots__", ()):
                if hasattr(self, name):
                    setattr(result, name, getattr(self, name))
        return result

    __copy__ = copy


class Session(ModificationTrackingDict):
    """werkzeug's session: a ``dict`` with ``sid``, ``new``, ``modified`` and
    ``should_save``. Changes inside mutable values are not tracked: set ``modified = True``
    by hand (a save writes them anyway: see ``FilesystemSessionStore.save``).
    """

    __slots__ = ("sid", "new", "_satchel")

    def __init__(self, data, sid, new=False):
        ModificationTrackingDict.__init__(self, data)
        self.sid = sid
        self.new = new
        # What the store last read or wrote for this session (its merge baseline).
        self._satchel = None

    def __repr__(self):
        return "<{} {}{}>".format(
            type(self).__name__, dict.__repr__(self), "*" if self.should_save else ""
        )

    @property
    def should_save(self):
        """True if the session should be saved: it was modified."""
        return self.modified


class SessionStore:
    """The base of every store, as in werkzeug: subclass it and override ``save``,
    ``delete`` and ``get``.

    :param session_class: the session class to use (``Session`` when ``None``).
    """

    def __init__(self, session_class=None):
        if session_class is None:
            session_class = Session
        self.session_class = session_class

    def is_valid_key(self, key):
        """Whether ``key`` has the shape of an id (40 lowercase hex characters)."""
        return isinstance(key, str) and _sha1_re.match(key) is not None

    def generate_key(self, salt=None):
        """A new session id from the OS CSPRNG (``salt`` is ignored, see ``generate_key``)."""
        return generate_key(salt)

    def new(self):
        """A new session with a fresh id."""
        return self.session_class({}, self.generate_key(), True)

    def save(self, session):
        """Save a session."""

    def save_if_modified(self, session):
        """Save the session if it wants saving (``should_save``)."""
        if session.should_save:
            self.save(session)

    def delete(self, session):
        """Delete a session."""

    def get(self, sid):
        """The session for ``sid``, or a new one. A store checks the id's shape and gives
        a new session when it is not valid."""
        return self.session_class({}, sid, True)
