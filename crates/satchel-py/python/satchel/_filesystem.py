"""``FilesystemSessionStore``: werkzeug's files, written by satchel's engine."""

import os
import pickle
import tempfile

from . import _engine
from ._session import SessionStore

__all__ = ["FilesystemSessionStore", "default_path"]

# werkzeug's suffix for files being written: its list() and ours skip them.
_fs_transaction_suffix = ".__wz_sess"


def default_path():
    """The directory ``path=None`` means: ``satchel-werkzeug-<uid>`` under the temp dir,
    created 0700. werkzeug used the temp dir itself, where every local user can list the
    files and so read the live session ids."""
    return os.path.join(tempfile.gettempdir(), "satchel-werkzeug-%d" % os.geteuid())


class FilesystemSessionStore(SessionStore):
    """werkzeug's ``FilesystemSessionStore``: one pickled ``dict`` per session, in files
    werkzeug 0.16 and secure-cookie read and write, and a Rust service on
    ``werkzeug:PATH`` shares.

    Python pickles and unpickles the values, as werkzeug does; satchel's engine does the
    file work: every save replaces the file atomically (temp file, fsync, rename,
    directory fsync), never follows a symlink, and holds the session's lock (``flock``,
    across threads and processes) while it reads the file, merges and writes, so
    concurrent requests that change different keys of one session all keep their change
    (werkzeug's store kept only the last writer's dict).

    :param path: the directory. ``None`` is a private per-user folder under the temp dir
        (see ``default_path``). The directory is created 0700; one that is a symlink,
        another user's, or that others may read, list or write is refused with
        ``ValueError``, since its file names are the session ids.
    :param filename_template: ``%s`` is replaced with the session id (werkzeug's
        ``werkzeug_%s.sess``; secure-cookie's is ``secure_cookie_%s.session``).
    :param session_class: the session class (``Session`` when ``None``).
    :param renew_missing: what ``get`` does with a well-formed id that has no file.
        ``False`` (werkzeug's default, kept for compatibility) adopts it: whoever sets a
        victim's cookie to an id of their choosing shares the victim's session once it
        is saved (session fixation). Pass ``renew_missing=True`` to give unknown ids a
        fresh session.
    :param mode: the session files' mode. ``0o644`` (werkzeug's default, kept for
        compatibility) makes each file readable by every local user as soon as it is
        copied, backed up or its directory is opened up; the private directory is then
        the only guard. Pass ``mode=0o600``.

    Ids must be werkzeug's shape (``is_valid_key``): the engine refuses other names.
    Like werkzeug, the store does not expire sessions by itself: remove old files by
    their modification time, e.g. ``satchel --store werkzeug:PATH prune``.
    """

    def __init__(
        self,
        path=None,
        filename_template="werkzeug_%s.sess",
        session_class=None,
        renew_missing=False,
        mode=0o644,
    ):
        SessionStore.__init__(self, session_class)
        if path is None:
            path = default_path()
        self.path = os.fspath(path)
        self.filename_template = filename_template
        self.renew_missing = renew_missing
        self.mode = mode
        self._files = _engine.WerkzeugFiles(self.path, filename_template, mode)

    def get_session_filename(self, sid):
        """The file ``sid``'s session lives in."""
        return os.path.join(self.path, self.filename_template % sid)

    def save(self, session):
        """Writes the session: its changes since it was read, merged into the file as it
        is now, under the session's lock."""
        baseline = getattr(session, "_satchel", None)
        with self._files.lock(session.sid) as locked:
            current = _read(locked.read)
            if baseline is None or current == baseline:
                # Nobody else wrote since this session was read: it is the whole truth.
                data = pickle.dumps(dict(session), pickle.HIGHEST_PROTOCOL)
            else:
                merged = _merge(_unpickle(current), _unpickle(baseline), session)
                data = pickle.dumps(merged, pickle.HIGHEST_PROTOCOL)
            locked.write(data)
        _remember(session, data)

    def rotate(self, session):
        """Gives the session a fresh id, as at login (against session fixation): the old
        file is removed now, the session is written under the new id at its next save."""
        old = session.sid
        session.sid = self.generate_key()
        _remember(session, None)
        session.modified = True
        if self.is_valid_key(old):
            self._files.delete(old)

    def delete(self, session):
        """Removes the session's file."""
        if self.is_valid_key(session.sid):
            self._files.delete(session.sid)

    def get(self, sid):
        """The session stored under ``sid``; a new one for a malformed id, or (with
        ``renew_missing``) for an id without a file. An unreadable file is an empty
        session, as in werkzeug."""
        if not self.is_valid_key(sid):
            return self.new()
        stored = _read(lambda: self._files.read(sid))
        if stored is None:
            if self.renew_missing:
                return self.new()
            stored = b""
        session = self.session_class(_unpickle(stored), sid, False)
        _remember(session, stored)
        return session

    def list(self):
        """The ids of every session in the store. Only werkzeug-shaped ids (40 lowercase
        hex characters) are listed: werkzeug listed any name of five characters or more
        that fit the template, but no other id can be saved here."""
        return self._files.list()


def _read(read):
    """A file's bytes; ``b""`` (an empty session) for a name that is a symlink, a
    directory or an oversized file, which a save replaces without following, or a file
    we may not read (as werkzeug's ``IOError``). Other I/O errors are the store failing:
    they propagate rather than pass for "no session"."""
    try:
        return read()
    except (ValueError, PermissionError):
        return b""


def _unpickle(data):
    """The dict in a file's bytes; ``{}`` for nothing, garbage or another type."""
    if not data:
        return {}
    try:
        value = pickle.loads(data)
    except Exception:
        return {}
    return value if isinstance(value, dict) else {}


def _merge(current, baseline, session):
    """``current`` with what ``session`` changed since ``baseline``: keys it set or
    changed (in place too) win, keys it removed go; others' changes to other keys stay."""
    for key, value in session.items():
        if key not in baseline or not _same(baseline[key], value):
            current[key] = value
    for key in baseline:
        if key not in session:
            current.pop(key, None)
    return current


def _same(old, new):
    try:
        return type(old) is type(new) and bool(old == new)
    except Exception:
        return False


def _remember(session, stored):
    try:
        session._satchel = stored
    except AttributeError:
        pass  # a session class without the slot: saves replace the whole file
