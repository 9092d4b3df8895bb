"""``open_store``: satchel's SQLite, Redis, PostgreSQL, file and memory stores behind
werkzeug's interface, on the real servers."""

import threading
import time

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

import satchel
from satchel import ServerSessionStore, Session, SessionMiddleware, open_store


def test_the_interface_round_trips(store_url):
    store = open_store(store_url)
    assert isinstance(store, ServerSessionStore)
    session = store.new()
    assert isinstance(session, Session) and session.new and not session.modified
    assert store.is_valid_key(session.sid) and not store.is_valid_key("../x")
    session.update(user="alice", cart=[1, {"n": 2}], ok=True, none=None, pair=(1, 2))
    store.save(session)
    loaded = store.get(session.sid)
    assert loaded.sid == session.sid and not loaded.new and not loaded.modified
    assert loaded == {"user": "alice", "cart": [1, {"n": 2}], "ok": True, "none": None,
                      "pair": [1, 2]}  # JSON: a tuple comes back a list
    loaded["user"] = "bob"
    del loaded["none"]
    store.save_if_modified(loaded)
    again = store.get(session.sid)
    assert again["user"] == "bob" and "none" not in again
    store.delete(again)
    gone = store.get(session.sid)
    assert gone.new and gone.sid != session.sid and gone == {}


def test_unknown_and_malformed_ids_get_a_fresh_id(store_url):
    store = open_store(store_url)
    for sid in [store.generate_key(), "../../etc/passwd", "", "x" * 5000]:
        session = store.get(sid)
        assert session.new and session.sid != sid and store.is_valid_key(session.sid)


def test_concurrent_saves_merge(store_url):
    store = open_store(store_url)
    session = store.new()
    session.update(keep=1, drop=2)
    store.save(session)
    first, second = store.get(session.sid), store.get(session.sid)
    first["a"] = 1
    del first["drop"]
    second["b"] = 2
    store.save(first)
    store.save(second)
    assert store.get(session.sid) == {"keep": 1, "a": 1, "b": 2}


def test_64_threads_each_setting_their_own_key_keep_64(store_url):
    store = open_store(store_url)
    session = store.new()
    session["start"] = True
    store.save(session)
    barrier = threading.Barrier(64)

    def set_own_key(number):
        mine = store.get(session.sid)
        barrier.wait()
        mine["key%d" % number] = number
        store.save(mine)

    threads = [threading.Thread(target=set_own_key, args=(n,)) for n in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = store.get(session.sid)
    assert {key: final[key] for key in final if key.startswith("key")} == {
        "key%d" % n: n for n in range(64)
    }


def test_sessions_expire_a_lifetime_after_their_last_save(store_url):
    store = open_store(store_url, lifetime=1)
    session = store.new()
    session["x"] = 1
    store.save(session)
    assert store.get(session.sid) == {"x": 1}
    time.sleep(2.2)
    expired = store.get(session.sid)
    assert expired.new and expired == {} and expired.sid != session.sid


@pytest.mark.parametrize(
    "key, value, says",
    [
        ("obj", object(), "object cannot be stored"),
        ("set", {1, 2}, "set cannot be stored"),
        ("bytes", b"x", "bytes cannot be stored"),
        ("nan", float("nan"), "float cannot be stored"),
        (1, "int key", "keys must be str"),
    ],
)
def test_values_json_cannot_hold_are_a_clear_type_error(store_url, key, value, says):
    store = open_store(store_url)
    session = store.new()
    session[key] = value
    with pytest.raises(TypeError, match=says):
        store.save(session)


def test_werkzeug_urls_give_the_pickling_file_store(private_dir):
    store = open_store("werkzeug:" + private_dir)
    assert isinstance(store, satchel.FilesystemSessionStore)
    assert store.renew_missing and store.mode == 0o600
    session = store.new()
    session["raw"] = b"\x00"  # pickled: any value
    store.save(session)
    assert store.get(session.sid) == {"raw": b"\x00"}


def test_bad_urls_are_a_value_error():
    for url in ["gopher://x", "nothing", "file:"]:
        with pytest.raises(ValueError):
            open_store(url)


def test_list_and_prune_on_a_store_of_our_own(tmp_path):
    store = open_store("sqlite:%s" % (tmp_path / "s.sqlite3"), lifetime=1)
    for _ in range(3):
        session = store.new()
        session["x"] = 1
        store.save(session)
    keys = store.list()
    assert len(keys) == 3 and all(len(key) == 64 for key in keys)  # SHA-256s, not ids
    time.sleep(2.2)
    assert store.prune() == 3 and store.list() == []


def test_the_middleware_runs_on_any_store(store_url):
    @Request.application
    def app(request):
        session = request.environ["werkzeug.session"]
        if request.path == "/visit":
            session["visits"] = session.get("visits", 0) + 1
        return Response(str(session.get("visits", 0)))

    client = Client(SessionMiddleware(app, open_store(store_url)))
    assert "Set-Cookie" not in client.get("/").headers
    assert "Set-Cookie" in client.get("/visit").headers
    assert "Set-Cookie" not in client.get("/").headers
    assert client.get("/visit").get_data(as_text=True) == "2"
