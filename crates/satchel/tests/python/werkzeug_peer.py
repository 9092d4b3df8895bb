#!/usr/bin/env python3
"""The Python side of satchel's werkzeug round trip (run by .ci/run).

    werkzeug_peer.py write DIR   create 5 sessions, save them, print {sid: data}
    werkzeug_peer.py read DIR    print {sid: data} for every session store.list() finds

Both use secure_cookie.session.FilesystemSessionStore(path=DIR,
filename_template="werkzeug_%s.sess") (secure-cookie 0.2.0; Werkzeug 3 is fine, only the
`session` module is imported). Data is printed as one JSON object in the mapping of
werkzeug_mapping.py (bytes -> {"__bytes__": base64}, ints outside [-2**63, 2**64) ->
{"__int__": "digits"}, tuples and sets -> arrays, sets sorted).

Exit status: 0 on success; 1 with a message on stderr when something is wrong (a listed
session that werkzeug cannot load, a value with no JSON form, a save that left no file);
2 for a usage error.
"""

import os
import pickle
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from werkzeug_mapping import UnmappableValue, dumps, to_json  # noqa: E402

TEMPLATE = "werkzeug_%s.sess"
USAGE = "usage: werkzeug_peer.py write DIR | werkzeug_peer.py read DIR"


class PeerError(Exception):
    pass


def open_store(directory):
    try:
        from secure_cookie.session import FilesystemSessionStore
    except ImportError as e:
        raise PeerError(f"cannot import secure_cookie.session with {sys.executable}: {e}") from e
    return FilesystemSessionStore(path=directory, filename_template=TEMPLATE)


def sessions_to_write():
    shared = ["shared", "twice"]
    return [
        {
            "user": "alice",
            "non_ascii": "zoë ✓ 日本 🎉",
            "empty": "",
            "n": 1,
            "negative": -42,
            "ratio": 0.5,
            "admin": False,
            "verified": True,
            "nothing": None,
        },
        {
            "big": 2**64 + 7,
            "big_negative": -(2**64) - 7,
            "u64_max": 2**64 - 1,
            "i64_min": -(2**63),
            "cart": [1, 2, 3],
            "pair": ("en", "GB"),
            "nested": {"prefs": {"theme": "dark", "sizes": [1.5, -2.25]}, "tags": []},
            "a": shared,
            "b": shared,
        },
        {
            "token": b"\x00\x01binary\xff\xfe",
            "utf8": "naïve".encode(),
            "none_bytes": b"",
            "blobs": [b"x", b"\x80"],
        },
        {},
        {
            "user_id": 99,
            "flashes": [("message", "Saved ✓"), ("error", "")],
            "roles": {"admin", "editor"},
            "long": "λ" * 300,
        },
    ]


def write(directory):
    os.makedirs(directory, exist_ok=True)
    store = open_store(directory)
    out = {}
    for data in sessions_to_write():
        s = store.new()
        for key, value in data.items():
            s[key] = value
        store.save(s)
        path = store.get_session_filename(s.sid)
        if not os.path.isfile(path):  # save() silently swallows rename/chmod errors
            raise PeerError(f"store.save() left no file at {path}")
        out[s.sid] = to_json(data)
    return out


def read(directory):
    if not os.path.isdir(directory):
        raise PeerError(f"{directory} is not a directory")
    store = open_store(directory)
    out = {}
    for sid in sorted(store.list()):
        if not store.is_valid_key(sid):
            raise PeerError(f"store.list() found {TEMPLATE % sid!r}, whose id is not 40 lowercase hex")
        session = store.get(sid)
        if session.sid != sid:
            raise PeerError(f"store.get({sid}) gave a different session id {session.sid}")
        data = dict(session)
        path = store.get_session_filename(sid)
        if not data:
            # get() answers {} both for a stored empty dict and when the file cannot be
            # opened or unpickled. Tell them apart the way get() itself reads the file.
            try:
                with open(path, "rb") as f:
                    raw = f.read()
            except OSError as e:
                raise PeerError(f"session {sid}: listed but cannot be opened: {e}") from e
            if raw:
                try:
                    loaded = pickle.loads(raw)
                except Exception as e:
                    raise PeerError(
                        f"session {sid}: werkzeug's get() returned an empty session for a "
                        f"{len(raw)}-byte file that does not unpickle: {type(e).__name__}: {e}"
                    ) from e
                if loaded != {}:
                    raise PeerError(f"session {sid}: get() returned an empty session, the file holds {loaded!r}")
            else:
                print(f"werkzeug_peer: note: session {sid} is an empty (0-byte) file", file=sys.stderr)
        try:
            out[sid] = to_json(data)
        except UnmappableValue as e:
            raise PeerError(f"session {sid}: {e}") from e
    return out


def main(argv):
    if len(argv) != 3 or argv[1] not in ("write", "read"):
        print(USAGE, file=sys.stderr)
        return 2
    command, directory = argv[1], argv[2]
    try:
        result = write(directory) if command == "write" else read(directory)
        text = dumps(result, ensure_ascii=True, sort_keys=False)
    except PeerError as e:
        print(f"werkzeug_peer {command}: error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # anything unexpected: still a clear one-line reason
        print(f"werkzeug_peer {command}: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
