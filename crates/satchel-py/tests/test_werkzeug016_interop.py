"""Round trips with the real werkzeug 0.16.1 (``werkzeug.contrib.sessions``), which
runs in a venv of its own (``SATCHEL_WERKZEUG016_PYTHON``, set by ``.ci/python``)."""

import json
import os
import subprocess

import pytest

from satchel import FilesystemSessionStore

PEER = """
import json, sys, warnings
warnings.simplefilter("ignore")
from werkzeug.contrib.sessions import FilesystemSessionStore
store = FilesystemSessionStore(sys.argv[1])
command = json.loads(sys.argv[2])
if command["do"] == "write":
    session = store.new()
    session.update(command["data"])
    store.save(session)
    print(json.dumps({"sid": session.sid}))
else:
    session = store.get(command["sid"])
    print(json.dumps({"data": dict(session), "new": session.new, "list": store.list()}))
"""


def peer(path, **command):
    python = os.environ.get("SATCHEL_WERKZEUG016_PYTHON")
    if not python:
        message = "skipped: werkzeug 0.16 not installed (set SATCHEL_WERKZEUG016_PYTHON)"
        print(message)
        pytest.skip(message)
    out = subprocess.run(
        [python, "-c", PEER, path, json.dumps(command)], capture_output=True, check=True
    )
    return json.loads(out.stdout)


def test_werkzeug_016_reads_what_satchel_writes(private_dir):
    ours = FilesystemSessionStore(private_dir)
    session = ours.new()
    session.update(user="alice", cart=[1, 2], nested={"a": None})
    ours.save(session)
    theirs = peer(private_dir, do="read", sid=session.sid)
    assert theirs == {"data": dict(session), "new": False, "list": [session.sid]}


def test_satchel_reads_what_werkzeug_016_writes(private_dir):
    data = {"user": "bob", "visits": 3, "tags": ["x"]}
    sid = peer(private_dir, do="write", data=data)["sid"]
    ours = FilesystemSessionStore(private_dir)
    session = ours.get(sid)
    assert dict(session) == data and not session.new and ours.list() == [sid]
    session["visits"] += 1
    ours.save(session)
    assert peer(private_dir, do="read", sid=sid)["data"]["visits"] == 4
