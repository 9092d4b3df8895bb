"""``FilesystemSessionStore``: werkzeug's bytes and names, satchel's safety and merging."""

import os
import pickle
import stat
import subprocess
import sys
import threading

import pytest

import satchel
from satchel import FilesystemSessionStore, Session


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_files_hold_exactly_werkzeugs_bytes_under_werkzeugs_name(private_dir):
    store = FilesystemSessionStore(private_dir)
    session = store.new()
    session.update(user="alice", items=[1, 2, (3, 4)], blob=b"\x00\xff", n=None)
    store.save(session)
    name = store.get_session_filename(session.sid)
    assert name == os.path.join(private_dir, "werkzeug_%s.sess" % session.sid)
    with open(name, "rb") as file:
        assert file.read() == pickle.dumps(dict(session), pickle.HIGHEST_PROTOCOL)
    assert store.list() == [session.sid]


def test_mode_is_werkzeugs_by_default_and_configurable(private_dir):
    for mode in (0o644, 0o600, 0o640):
        store = FilesystemSessionStore(private_dir, mode=mode)
        session = store.new()
        store.save(session)
        assert mode_of(store.get_session_filename(session.sid)) == mode
    assert FilesystemSessionStore(private_dir).mode == 0o644


def test_path_none_is_a_private_per_user_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    store = FilesystemSessionStore()
    assert store.path == satchel.default_path()
    assert store.path == os.path.join(str(tmp_path), "satchel-werkzeug-%d" % os.geteuid())
    assert mode_of(store.path) == 0o700


@pytest.mark.parametrize("mode", [0o755, 0o750, 0o705, 0o711, 0o777])
def test_a_directory_others_can_read_or_enter_is_refused(tmp_path, mode):
    path = tmp_path / "shared"
    path.mkdir()
    path.chmod(mode)
    with pytest.raises(ValueError, match="others may"):
        FilesystemSessionStore(str(path))


def test_a_symlinked_directory_is_refused(tmp_path, private_dir):
    link = tmp_path / "link"
    link.symlink_to(private_dir)
    with pytest.raises(ValueError, match="symbolic link"):
        FilesystemSessionStore(str(link))


def test_bad_templates_are_refused(private_dir):
    for template in ["none", "%s%s", "../%s", "%s.__wz_sess"]:
        with pytest.raises(ValueError):
            FilesystemSessionStore(private_dir, filename_template=template)


def test_get_gives_werkzeugs_answers(private_dir):
    adopting = FilesystemSessionStore(private_dir)
    renewing = FilesystemSessionStore(private_dir, renew_missing=True)
    unknown = "0123456789abcdef0123456789abcdef01234567"
    adopted = adopting.get(unknown)
    assert (adopted.sid, adopted.new, adopted) == (unknown, False, {})
    renewed = renewing.get(unknown)
    assert renewed.new and renewed.sid != unknown
    for malformed in ["../../etc/passwd", "A" * 40, "short", ""]:
        fresh = adopting.get(malformed)
        assert fresh.new and fresh.sid != malformed


def test_a_corrupt_or_foreign_file_is_an_empty_session(private_dir):
    store = FilesystemSessionStore(private_dir)
    sid = satchel.generate_key()
    for junk in [b"", b"not a pickle", pickle.dumps([1, 2]), pickle.dumps({"a": 1})[:-3]]:
        with open(store.get_session_filename(sid), "wb") as file:
            file.write(junk)
        session = store.get(sid)
        assert session == {} and not session.new


def test_a_symlink_in_place_of_a_file_is_not_followed(private_dir, tmp_path):
    store = FilesystemSessionStore(private_dir)
    secret = tmp_path / "secret"
    secret.write_bytes(pickle.dumps({"secret": 1}))
    sid = satchel.generate_key()
    os.symlink(str(secret), store.get_session_filename(sid))
    assert store.get(sid) == {}
    session = store.get(sid)
    session["x"] = 1
    store.save(session)
    assert pickle.loads(secret.read_bytes()) == {"secret": 1}
    assert store.get(sid) == {"x": 1}


def test_delete_and_list(private_dir):
    store = FilesystemSessionStore(private_dir, renew_missing=True)
    sessions = [store.new() for _ in range(5)]
    for session in sessions:
        store.save(session)
    # A write in progress (werkzeug's temp suffix) and strangers are not sessions.
    open(os.path.join(private_dir, "tmpabc.__wz_sess"), "wb").close()
    open(os.path.join(private_dir, "notes.txt"), "wb").close()
    assert sorted(store.list()) == sorted(s.sid for s in sessions)
    store.delete(sessions[0])
    store.delete(sessions[0])  # deleting twice is fine
    assert sessions[0].sid not in store.list()
    assert store.get(sessions[0].sid).new


def test_changes_inside_values_are_saved_by_save(private_dir):
    store = FilesystemSessionStore(private_dir)
    session = store.new()
    session["cart"] = [1]
    store.save(session)
    loaded = store.get(session.sid)
    loaded["cart"].append(2)  # not tracked, but save() writes it, as werkzeug's does
    store.save(loaded)
    assert store.get(session.sid)["cart"] == [1, 2]


def test_concurrent_saves_of_different_keys_merge(private_dir):
    store = FilesystemSessionStore(private_dir)
    session = store.new()
    session.update(keep=1, drop=2, shared=0)
    store.save(session)
    first, second = store.get(session.sid), store.get(session.sid)
    first["a"] = 1
    del first["drop"]
    second["b"] = 2
    second["shared"] = 9
    store.save(first)
    store.save(second)  # read before `first` was saved: merges instead of overwriting
    assert store.get(session.sid) == {"keep": 1, "a": 1, "b": 2, "shared": 9}


def test_64_threads_each_setting_their_own_key_keep_64(private_dir):
    store = FilesystemSessionStore(private_dir)
    session = store.new()
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
    assert store.get(session.sid) == {"key%d" % n: n for n in range(64)}


WRITER = """
import sys
from satchel import FilesystemSessionStore
store = FilesystemSessionStore(sys.argv[1])
for n in range(int(sys.argv[3]), int(sys.argv[3]) + 16):
    session = store.get(sys.argv[2])
    session["p%d" % n] = n
    store.save(session)
"""


def test_processes_merge_too(private_dir):
    store = FilesystemSessionStore(private_dir)
    session = store.new()
    store.save(session)
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, private_dir, session.sid, str(16 * p)])
        for p in range(4)
    ]
    assert [writer.wait() for writer in writers] == [0] * 4
    assert store.get(session.sid) == {"p%d" % n: n for n in range(64)}


def test_a_rust_service_on_the_directory_shares_the_sessions(private_dir):
    """satchel's Rust store for ``werkzeug:DIR`` (its own unpickler) reads what Python
    wrote, and Python reads what it writes."""
    store = FilesystemSessionStore(private_dir, mode=0o600)
    session = store.new()
    session.update(user="alice", roles=["admin"], n=3)
    store.save(session)
    rust = satchel._engine.Store("werkzeug:" + private_dir, 1800.0)
    handle = rust.get(session.sid)
    assert not handle.is_new and handle.sid == session.sid
    import json

    assert json.loads(handle.data_json()) == {"user": "alice", "roles": ["admin"], "n": 3}
    rust.save(handle, json.dumps({"from_rust": True}), ["n"])
    assert store.get(session.sid) == {"user": "alice", "roles": ["admin"], "from_rust": True}


def test_sessions_of_a_custom_class_without_the_slot_still_save(private_dir):
    class Plain(dict):
        def __init__(self, data, sid, new=False):
            dict.__init__(self, data)
            self.sid, self.new, self.modified = sid, new, False

        should_save = property(lambda self: self.modified)

    store = FilesystemSessionStore(private_dir, session_class=Plain)
    session = store.new()
    session["x"] = 1
    store.save(session)
    assert type(store.get(session.sid)) is Plain and store.get(session.sid) == {"x": 1}
    assert isinstance(FilesystemSessionStore(private_dir).new(), Session)



def test_the_python_face_and_a_rust_store_share_the_locks(private_dir):
    """32 threads through the Python face and 32 through satchel's Rust store for
    ``werkzeug:DIR``, each setting its own key of one session: all 64 are kept."""
    import json

    store = FilesystemSessionStore(private_dir, mode=0o600)
    rust = satchel._engine.Store("werkzeug:" + private_dir, 1800.0)
    session = store.new()
    store.save(session)
    barrier = threading.Barrier(64)

    def through_python(number):
        mine = store.get(session.sid)
        barrier.wait()
        mine["py%d" % number] = number
        store.save(mine)

    def through_rust(number):
        handle = rust.get(session.sid)
        barrier.wait()
        rust.save(handle, json.dumps({"rs%d" % number: number}), [])

    threads = [threading.Thread(target=through_python, args=(n,)) for n in range(32)]
    threads += [threading.Thread(target=through_rust, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = {"py%d" % n: n for n in range(32)}
    expected.update({"rs%d" % n: n for n in range(32)})
    assert store.get(session.sid) == expected
