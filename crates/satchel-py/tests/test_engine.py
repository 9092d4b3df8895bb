"""The engine's promises to Python: the GIL is released while it waits or works, and
one runtime per process survives a fork."""

import os
import threading
import time

import satchel


def test_a_thread_waiting_for_a_session_lock_does_not_hold_the_gil(private_dir):
    store = satchel.FilesystemSessionStore(private_dir)
    session = store.new()
    store.save(session)
    held = store._files.lock(session.sid)
    saved = threading.Event()

    def save_behind_the_lock():
        mine = store.get(session.sid)
        mine["late"] = 1
        store.save(mine)  # waits in flock for `held`, without the GIL
        saved.set()

    waiter = threading.Thread(target=save_behind_the_lock)
    waiter.start()
    ticks, deadline = 0, time.monotonic() + 0.3
    while time.monotonic() < deadline:
        ticks += 1  # pure Python: runs only if the waiter let go of the GIL
    assert ticks > 10000 and not saved.is_set()
    held.release()
    waiter.join(timeout=10)
    assert saved.is_set() and store.get(session.sid) == {"late": 1}


def test_other_sessions_save_while_one_is_locked(private_dir):
    store = satchel.FilesystemSessionStore(private_dir)
    first, second = store.new(), store.new()
    with store._files.lock(first.sid):
        second["x"] = 1
        done = threading.Thread(target=store.save, args=(second,))
        done.start()
        done.join(timeout=10)
        # Different stripes unless the ids share their first byte.
        assert not done.is_alive() or first.sid[:2] == second.sid[:2]
    done.join()
    assert store.get(second.sid) == {"x": 1}


def test_the_runtime_is_made_again_in_a_forked_child(tmp_path):
    store = satchel.open_store("sqlite:%s" % (tmp_path / "fork.sqlite3"))
    session = store.new()
    session["parent"] = True
    store.save(session)
    pid = os.fork()
    if pid == 0:  # the child: a pre-forking server's worker
        try:
            mine = store.get(session.sid)
            mine["child"] = True
            store.save(mine)
            os._exit(0 if mine["parent"] else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert store.get(session.sid) == {"parent": True, "child": True}


def test_a_forked_child_never_draws_its_parents_ids():
    # The engine draws ids from a per-thread block of OS randomness; a child starts with
    # a copy of that block and must throw it away, or parent and child would repeat ids.
    satchel.generate_key()  # the parent now holds a partly used block
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(writer, " ".join(satchel.generate_key() for _ in range(8)).encode())
        finally:
            os._exit(0)
    os.close(writer)
    parents = {satchel.generate_key() for _ in range(8)}
    with os.fdopen(reader) as pipe:
        childs = set(pipe.read().split())
    os.waitpid(pid, 0)
    assert len(childs) == 8 and not parents & childs
