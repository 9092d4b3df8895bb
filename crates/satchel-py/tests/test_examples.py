"""The seed toolkit's two examples, unchanged but for the import, under a real WSGI
server (werkzeug's threaded server in its own process), driven over HTTP."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

APPS = os.path.join(os.path.dirname(__file__), "apps")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One app in a server process; `TMPDIR` points `FilesystemSessionStore()`'s default
    folder at the test's own temp dir."""

    def __init__(self, module, tmp):
        self.module, self.tmp = module, tmp
        self.port = free_port()
        self.process = None

    def start(self):
        env = dict(os.environ, TMPDIR=self.tmp, PYTHONPATH=APPS)
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(APPS, "serve.py"), self.module, str(self.port)],
            env=env,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                assert self.process.poll() is None, "the server exited"
                time.sleep(0.05)
        raise AssertionError("the server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def get(self, path, cookie=None):
        """The body and the Set-Cookie headers of GET `path`."""
        request = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path))
        if cookie:
            request.add_header("Cookie", cookie)
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode(), response.headers.get_all("Set-Cookie") or []


EXAMPLES = [("dispatcher_app", "cookie_name"), ("middleware_app", "session_id")]


@pytest.fixture(params=EXAMPLES, ids=[name for name, _ in EXAMPLES])
def example(request, tmp_path):
    module, cookie_name = request.param
    server = Server(module, str(tmp_path)).start()
    yield server, cookie_name
    server.stop()


def cookie_of(set_cookies, name):
    (header,) = set_cookies
    pair = header.split(";", 1)[0]
    assert pair.startswith(name + "=")
    return pair


def test_sessions_persist_and_the_cookie_is_set_only_on_change(example):
    server, name = example
    body, set_cookies = server.get("/")
    assert (body, set_cookies) == ("nobody 0", [])  # nothing changed: no cookie, no file
    body, set_cookies = server.get("/login?user=alice")
    assert body == "alice 0"
    cookie = cookie_of(set_cookies, name)
    assert server.get("/", cookie) == ("alice 0", [])
    for visits in range(1, 4):
        body, set_cookies = server.get("/visit", cookie)
        assert body == "alice %d" % visits
        assert cookie_of(set_cookies, name) == cookie  # same id, set because it changed
    assert server.get("/", cookie) == ("alice 3", [])
    sessions = os.path.join(server.tmp, "satchel-werkzeug-%d" % os.geteuid())
    sid = cookie.split("=", 1)[1]
    assert sorted(os.listdir(sessions)) == [".satchel-locks", "werkzeug_%s.sess" % sid]


def test_a_restart_keeps_the_sessions(example):
    server, name = example
    cookie = cookie_of(server.get("/login?user=bob")[1], name)
    server.get("/visit", cookie)
    server.stop()
    server.start()
    assert server.get("/", cookie) == ("bob 1", [])


def test_concurrent_requests_of_one_session_keep_every_visit(example):
    server, name = example
    cookie = cookie_of(server.get("/login?user=carol")[1], name)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: server.get("/visit", cookie), range(8)))
    # Same key from 8 requests: the last write wins, so the count is between 1 and 8;
    # what must hold is that the session survives and stays readable.
    body, _ = server.get("/", cookie)
    user, visits = body.split()
    assert user == "carol" and 1 <= int(visits) <= 8


def test_an_unknown_or_forged_cookie_is_no_session(example):
    server, name = example
    for forged in ["../../etc/passwd", "A" * 40, "x" * 5000]:
        assert server.get("/", "%s=%s" % (name, forged)) == ("nobody 0", [])
