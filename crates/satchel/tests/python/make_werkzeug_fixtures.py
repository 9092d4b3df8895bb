#!/usr/bin/env python3
"""Write the werkzeug session-file fixtures of tests/fixtures/werkzeug/.

    make_werkzeug_fixtures.py LIB OUT_DIR [--replace]

LIB chooses what writes the files, OUT_DIR is the folder that receives them
(it is created if missing; it must hold no files unless --replace is given,
which first deletes the `werkzeug_*.sess` files and `expected.json` in it):

    secure-cookie   secure_cookie.session.FilesystemSessionStore(path=OUT_DIR,
                    filename_template="werkzeug_%s.sess"); needs secure-cookie==0.2.0
    werkzeug-0.16   werkzeug.contrib.sessions.FilesystemSessionStore(path=OUT_DIR)
                    (default template werkzeug_%s.sess); needs werkzeug==0.16.1
    protocols       plain pickle.dump(data, f, protocol=N) for N = 0..5 (any Python 3.8+)
    malicious       files a data-only reader must reject (any Python 3.8+); they are
                    made with pickle.dumps only and are never unpickled here

Every folder except `malicious` gets an expected.json {sid: data in the JSON mapping of
werkzeug_mapping.py}; `malicious` gets {sid: one-line description}. The library folders
are read back through the store's own get() and checked against expected.json. Session
ids come from store.new() (random) for the library folders and are fixed (sha1 of a label)
for `protocols` and `malicious`, whose bytes are reproducible for a given Python version
(the script re-runs itself with PYTHONHASHSEED=0 so set order is stable).
"""

import argparse
import datetime
import hashlib
import importlib.metadata
import json
import os
import pickle
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from werkzeug_mapping import dumps, to_json  # noqa: E402

TEMPLATE = "werkzeug_%s.sess"
LIBS = ("secure-cookie", "werkzeug-0.16", "protocols", "malicious")
REQUIRED_VERSION = {"secure-cookie": ("secure-cookie", "0.2.0"), "werkzeug-0.16": ("werkzeug", "0.16.1")}


def fail(msg):
    print(f"make_werkzeug_fixtures: error: {msg}", file=sys.stderr)
    sys.exit(1)


def fixed_sid(label):
    return hashlib.sha1(f"satchel-werkzeug-fixture:{label}".encode()).hexdigest()


# ---------------------------------------------------------------------------------------
# The data


def library_sessions():
    """(label, data) pairs stored through a FilesystemSessionStore."""
    shared = ["same", "list", "object"]  # referenced twice: the pickle memo (BINGET) is used
    return [
        (
            "strings",
            {
                "user": "alice",
                "non_ascii": "héllo wörld ✓ 日本語 🎉",
                "empty": "",
                "escapes": 'line1\nline2\r\n\ttab \\ backslash "quote" \x00 nul \x1a sub',
                "long": "abcdefghij" * 30,  # 300 UTF-8 bytes: BINUNICODE, not SHORT_BINUNICODE
            },
        ),
        (
            "numbers",
            {
                "zero": 0,
                "small": 42,
                "negative": -7,
                "byte_max": 255,
                "u16_max": 65535,
                "i32_min": -(2**31),
                "i32_max": 2**31 - 1,
                "i64_min": -(2**63),
                "i64_max": 2**63 - 1,
                "u64_max": 2**64 - 1,
                "above_u64": 2**64 + 1,
                "below_i64": -(2**63) - 1,
                "below_minus_2_64": -(2**64) - 1,
                "huge": 3**1500,  # 298 bytes: LONG4, not LONG1
                "float": 1.5,
                "negative_float": -0.25,
                "zero_float": 0.0,
                "integral_float": 3.0,
                "pi": 3.141592653589793,
                "avogadro": 6.02214076e23,
                "true": True,
                "false": False,
                "none": None,
            },
        ),
        (
            "containers",
            {
                "list": [1, "two", 3.0, None, True],
                "tuple": (1, "a", b"b"),
                "tuple_empty": (),
                "tuple_one": ("one",),
                "tuple_four": (1, 2, 3, 4),
                "empty_list": [],
                "empty_dict": {},
                "nested": {
                    "user": {"id": 7, "roles": ["admin", "dev"], "prefs": {"theme": "dark", "tz": None}},
                    "history": [{"path": "/", "n": 1}, {"path": "/cart", "n": 2}],
                    "matrix": [[1, 2], [3, 4], []],
                },
                "shared_a": shared,
                "shared_b": shared,
            },
        ),
        (
            "bytes",
            {
                "ascii": b"hello",
                "non_utf8": b"\xff\xfe\x00\x80",
                "empty": b"",
                "utf8": "héllo".encode(),
                "all_256": bytes(range(256)),  # 256 bytes: BINBYTES, not SHORT_BINBYTES
                "in_list": [b"a", b"\x00", b""],
            },
        ),
        ("empty", {}),
        (
            "realistic",
            {
                "user_id": 1234,
                "csrf_token": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "flashes": [("message", "Welcome back!"), ("error", "Ünïcode ✓")],
                "cart": {"items": [{"sku": "A-1", "qty": 2, "price": 9.99}], "total": 19.98},
                "logged_in": True,
                "last_seen": 1795000000.5,
            },
        ),
        (
            "large",
            {
                # >= 64 KiB: written outside any FRAME (protocol 4+ "large object" path)
                "big_text": "0123456789abcdef" * 4200,
                # 20 x 3.5 KB strings: the pickle is split into more than one FRAME
                "chunks": [f"{i:04d}" * 875 for i in range(20)],
                "after": "still read after the large parts",
            },
        ),
    ]


def protocol_data():
    """The rich dict written with every pickle protocol (includes sets and frozensets)."""
    data = {}
    for label, part in library_sessions():
        if label in ("empty", "large"):
            continue
        for key, value in part.items():
            data[f"{label}.{key}"] = value
    data.update(
        {
            "set_ints": {3, 1, 2, -7, 2**70},
            "set_strs": {"b", "a", "c", "é"},
            "set_mixed": {1, "a", b"z", (1, 2), None, 2.5},
            "set_empty": set(),
            "frozenset": frozenset({"x", "y"}),
            "frozenset_empty": frozenset(),
            "nested_set": {"inner": [{True, False}]},
        }
    )
    return data


PROTOCOL_SET_KEYS = [
    "set_ints",
    "set_strs",
    "set_mixed",
    "set_empty",
    "frozenset (frozenset)",
    "frozenset_empty (frozenset)",
    "nested_set.inner[0]",
]


# ---------------------------------------------------------------------------------------
# Writers


def expected_text(mapping):
    return json.dumps(dict(sorted(mapping.items())), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_with_store(store, out_dir):
    expected = {}
    sessions = library_sessions()
    for label, data in sessions:
        s = store.new()
        for key, value in data.items():
            s[key] = value
        store.save(s)  # saved even when not modified (the empty session)
        path = store.get_session_filename(s.sid)
        if not os.path.isfile(path):  # save() swallows rename errors
            fail(f"store.save() did not produce {path}")
        expected[s.sid] = to_json(data)
        print(f"{label:>10}: {os.path.basename(path)} ({os.path.getsize(path)} bytes)", file=sys.stderr)

    # Read everything back through the library itself.
    listed = set(store.list())
    if listed != set(expected):
        fail(f"store.list() gives {sorted(listed)}, expected {sorted(expected)}")
    for (label, data), sid in zip(sessions, expected):
        got = store.get(sid)
        if got.sid != sid or got.new:
            fail(f"{label}: get({sid}) returned another session")
        if dumps(to_json(dict(got))) != dumps(expected[sid]) or dict(got) != data:
            fail(f"{label}: get({sid}) does not give back what was saved")
    return expected


def write_secure_cookie(out_dir):
    from secure_cookie.session import FilesystemSessionStore

    store = FilesystemSessionStore(path=out_dir, filename_template=TEMPLATE)
    return write_with_store(store, out_dir)


def write_werkzeug016(out_dir):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "contrib.sessions is deprecated"
        from werkzeug.contrib.sessions import FilesystemSessionStore

    store = FilesystemSessionStore(path=out_dir)
    if store.filename_template != TEMPLATE:
        fail(f"unexpected default template {store.filename_template!r}")
    return write_with_store(store, out_dir)


def write_protocols(out_dir):
    data = protocol_data()
    expected = {}
    for proto in range(6):
        sid = fixed_sid(f"protocol-{proto}")
        path = os.path.join(out_dir, TEMPLATE % sid)
        with open(path, "wb") as f:
            pickle.dump(data, f, protocol=proto)
        with open(path, "rb") as f:  # our own, benign file
            back = pickle.load(f)
        if back != data or dumps(to_json(back)) != dumps(to_json(data)):
            fail(f"protocol {proto}: the file does not load back to the data")
        expected[sid] = to_json(data)
        print(f"protocol {proto}: {os.path.basename(path)} ({os.path.getsize(path)} bytes)", file=sys.stderr)
    return expected


# -- malicious ---------------------------------------------------------------------------


class RunsShellCommand:
    """Unpickling this calls os.system(...): the classic pickle RCE."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/satchel-pwned",))


class EvalsExpression:
    """Unpickling this calls builtins.eval(...): same module as the harmless builtins.set."""

    def __reduce__(self):
        return (eval, ("__import__('os').system('touch /tmp/satchel-pwned')",))


class Account:
    """A small custom class; pickled by reference as __main__.Account."""

    def __init__(self, name, balance):
        self.name = name
        self.balance = balance


class PersistentIdPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Account):
            return f"account:{obj.name}"
        return None


def malicious_files():
    """(label, description, bytes). Made with pickle.dumps only; never unpickled."""
    if Account.__module__ != "__main__":
        fail("run this file as a script so that Account pickles as __main__.Account")
    rce = {"user": "mallory", "payload": RunsShellCommand()}
    valid = pickle.dumps({"user": "alice", "n": 1, "items": list(range(10)), "note": "x" * 40}, protocol=5)

    import io

    buf = io.BytesIO()
    PersistentIdPickler(buf, protocol=2).dump({"user": "mallory", "account": Account("mallory", 10)})

    return [
        ("a-reduce-os-system-protocol-0",
         "dict whose 'payload' value is a __reduce__ calling os.system('touch /tmp/satchel-pwned'), "
         "protocol 0 (GLOBAL 'posix system' + REDUCE)",
         pickle.dumps(rce, protocol=0)),
        ("b-reduce-os-system-protocol-2",
         "same os.system __reduce__ payload inside the dict, protocol 2 (GLOBAL 'posix system' + REDUCE)",
         pickle.dumps(rce, protocol=2)),
        ("c-reduce-os-system-protocol-5",
         "same os.system __reduce__ payload inside the dict, protocol 5 (STACK_GLOBAL 'posix' 'system' + REDUCE)",
         pickle.dumps(rce, protocol=5)),
        ("d-datetime",
         "dict holding a datetime.datetime(2024, 1, 2, 3, 4, 5) value, protocol 5 "
         "(STACK_GLOBAL 'datetime' 'datetime' + REDUCE): a global that is not on the allow-list",
         pickle.dumps({"user": "alice", "login_at": datetime.datetime(2024, 1, 2, 3, 4, 5)}, protocol=5)),
        ("e-custom-class",
         "dict holding an instance of a custom class __main__.Account, protocol 5 "
         "(STACK_GLOBAL '__main__' 'Account' + NEWOBJ + BUILD)",
         pickle.dumps({"user": "alice", "account": Account("alice", 10)}, protocol=5)),
        ("f-truncated",
         "first half of a valid protocol-5 pickle of a plain dict (no STOP)",
         valid[: len(valid) // 2]),
        ("g-empty-file",
         "empty file (0 bytes)",
         b""),
        ("h-top-level-list",
         "valid protocol-5 pickle of a list of [key, value] pairs, not a dict, at top level "
         "(werkzeug's get() would pass it to dict() and accept it; a data-only reader refuses it)",
         pickle.dumps([["user", "alice"], ["n", 1]], protocol=5)),
        ("i-top-level-reduce",
         "the os.system __reduce__ payload as the whole pickle (not inside a dict), protocol 5",
         pickle.dumps(RunsShellCommand(), protocol=5)),
        ("j-builtins-eval-protocol-2",
         "dict whose value is a __reduce__ calling builtins.eval, protocol 2 (GLOBAL '__builtin__ eval': "
         "same module as the allowed '__builtin__ set')",
         pickle.dumps({"user": "mallory", "payload": EvalsExpression()}, protocol=2)),
        ("k-persistent-id",
         "dict with a persistent reference (BINPERSID 'account:mallory'), protocol 2",
         buf.getvalue()),
    ]


def write_malicious(out_dir):
    expected = {}
    for label, description, blob in malicious_files():
        sid = fixed_sid(f"malicious-{label}")
        path = os.path.join(out_dir, TEMPLATE % sid)
        with open(path, "wb") as f:
            f.write(blob)
        expected[sid] = f"({label[0]}) {description}"
        print(f"{label:>30}: {os.path.basename(path)} ({len(blob)} bytes)", file=sys.stderr)
    return expected


WRITERS = {
    "secure-cookie": write_secure_cookie,
    "werkzeug-0.16": write_werkzeug016,
    "protocols": write_protocols,
    "malicious": write_malicious,
}


def prepare_dir(out_dir, replace):
    os.makedirs(out_dir, exist_ok=True)
    names = sorted(os.listdir(out_dir))
    ours = [n for n in names if n == "expected.json" or (n.startswith("werkzeug_") and n.endswith(".sess"))]
    others = [n for n in names if n not in ours]
    if others:
        fail(f"{out_dir} holds files this script does not write: {others}")
    if ours and not replace:
        fail(f"{out_dir} already holds {len(ours)} fixture files; pass --replace to rewrite them")
    for n in ours:
        os.unlink(os.path.join(out_dir, n))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lib", choices=LIBS, help="what writes the session files")
    parser.add_argument("out_dir", help="folder that receives the files")
    parser.add_argument("--replace", action="store_true", help="delete existing fixture files first")
    args = parser.parse_args()

    # Stable set order (str hashes) for the reproducible folders.
    if args.lib in ("protocols", "malicious") and os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:],
                  dict(os.environ, PYTHONHASHSEED="0"))

    if args.lib in REQUIRED_VERSION:
        dist, want = REQUIRED_VERSION[args.lib]
        try:
            have = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            fail(f"{dist}=={want} is not installed in {sys.executable}'s environment")
        if have != want:
            fail(f"{dist} {have} is installed; these fixtures are for {dist}=={want}")

    out_dir = os.path.abspath(args.out_dir)
    prepare_dir(out_dir, args.replace)
    expected = WRITERS[args.lib](out_dir)
    with open(os.path.join(out_dir, "expected.json"), "w", encoding="utf-8") as f:
        f.write(expected_text(expected))
    print(f"wrote {len(expected)} session files and expected.json to {out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main()
