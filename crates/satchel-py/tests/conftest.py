"""Shared fixtures: private directories, and the real servers the store tests talk to."""

import os
import socket
import time

import pytest

# Where satchel's rules deliberately differ from werkzeug's, a vendored test that pins
# werkzeug's unsafe default is expected to fail (strictly: it must keep failing).
DIVERGENCES = {
    "test_default_tempdir": (
        "path=None is a private per-user folder under the temp dir "
        "(satchel.default_path()), not the shared temp dir werkzeug used"
    ),
}


def pytest_collection_modifyitems(items):
    for item in items:
        if "vendored" in item.nodeid and item.name in DIVERGENCES:
            item.add_marker(pytest.mark.xfail(reason=DIVERGENCES[item.name], strict=True))


@pytest.fixture
def private_dir(tmp_path):
    """A fresh directory only we may enter (werkzeug's file names are the session ids)."""
    path = tmp_path / "sessions"
    path.mkdir(mode=0o700)
    path.chmod(0o700)
    return str(path)


def _host_port(url):
    rest = url.split("://", 1)[-1].rsplit("@", 1)[-1]
    host_port = rest.split("/", 1)[0].split("?", 1)[0]
    host, _, port = host_port.rpartition(":")
    return host, int(port)


def server_url(store, var, default):
    """The URL of a real server: from ``var`` if set (then it must answer), else
    ``default`` if something listens there, else the test is skipped, saying why."""
    url = os.environ.get(var) or default
    required = bool(os.environ.get(var))
    host, port = _host_port(url)
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        if required:
            pytest.fail("%s not reachable at %s:%d, but %s is set" % (store, host, port, var))
        message = "skipped: %s not reachable at %s:%d (set %s to run these tests)" % (
            store,
            host,
            port,
            var,
        )
        print(message)
        pytest.skip(message)
    return url


@pytest.fixture
def redis_url():
    return server_url("redis", "SATCHEL_TEST_REDIS_URL", "redis://127.0.0.1:6379")


@pytest.fixture
def postgres_url():
    return server_url(
        "postgres", "SATCHEL_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"
    )


@pytest.fixture
def redis_cluster_url():
    url = server_url("redis cluster", "SATCHEL_TEST_REDIS_CLUSTER_URL", "redis://127.0.0.1:7000")
    return "redis+cluster://" + url.split("://", 1)[1]


STORE_KINDS = ["sqlite", "file", "memory", "redis", "redis-cluster", "postgres"]


@pytest.fixture(params=STORE_KINDS)
def store_url(request, tmp_path):
    """The URL of each of satchel's server-side stores (the network ones skip, saying
    why, when their server is absent and not required)."""
    kind = request.param
    if kind == "sqlite":
        return "sqlite:%s" % (tmp_path / "sessions.sqlite3")
    if kind == "file":
        return "file:%s" % (tmp_path / "sessions")
    if kind == "memory":
        return "memory:"
    return request.getfixturevalue(kind.replace("-", "_") + "_url")


@pytest.fixture(params=["werkzeug-files", "sqlite", "redis", "postgres"])
def any_store(request, tmp_path):
    """Each store a Flask app can use: werkzeug's files, SQLite, Redis, PostgreSQL."""
    import satchel

    if request.param == "werkzeug-files":
        path = tmp_path / "sessions"
        path.mkdir(mode=0o700)
        return satchel.FilesystemSessionStore(str(path), renew_missing=True, mode=0o600)
    if request.param == "sqlite":
        return satchel.open_store("sqlite:%s" % (tmp_path / "flask.sqlite3"))
    return connected(satchel.open_store(request.getfixturevalue(request.param + "_url")))


def connected(store, attempts=5):
    """`store` once it has answered: the store's first connection is opened within its
    500 ms timeout, which a CI machine still busy with the other suites can miss (seen once
    on PostgreSQL); what the tests check comes after."""
    for attempt in range(attempts):
        try:
            store.list()
            return store
        except RuntimeError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2)
