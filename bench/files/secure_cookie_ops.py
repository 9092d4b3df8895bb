#!/usr/bin/env python3
"""secure-cookie 0.2.0's FilesystemSessionStore, the same operations as bench/servers/files-ops.

Usage: secure_cookie_ops.py DIR COUNT LISTED -- one JSON line per operation on stdout:
new+save, get, save of a change and delete, COUNT times each, one at a time; then list()
of a directory holding LISTED sessions.
"""
import json
import os
import sys
import time

from secure_cookie.session import FilesystemSessionStore


def rate(label, count, run):
    started = time.perf_counter()
    run()
    elapsed = time.perf_counter() - started
    print(json.dumps({"impl": "secure-cookie", "op": label, "count": count,
                      "per_s": round(count / elapsed, 1)}), flush=True)


def main():
    directory, count, listed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    store = FilesystemSessionStore(directory)
    sids = []

    def new_and_save():
        for _ in range(count):
            session = store.new()
            session["user"] = "someone@example.com"
            session["n"] = 0
            store.save(session)
            sids.append(session.sid)

    def get():
        for sid in sids:
            assert not store.get(sid).new

    def change():
        for i, sid in enumerate(sids):
            session = store.get(sid)
            session["n"] = i
            store.save(session)

    def delete():
        for sid in sids:
            store.delete(store.get(sid))

    rate("new+save", count, new_and_save)
    rate("get", count, get)
    rate("save of a change", count, change)
    rate("delete", count, delete)
    for _ in range(listed):
        session = store.new()
        session["n"] = 0
        store.save(session)
    rate("list", listed, lambda: len(store.list()) == listed or sys.exit("list missed sessions"))


if __name__ == "__main__":
    main()
