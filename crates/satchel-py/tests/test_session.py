"""``Session``, ``SessionStore`` and ids: werkzeug's behaviour, operation by operation."""

import copy
import re
import threading

import pytest

import satchel
from satchel import ModificationTrackingDict, Session, SessionStore


def fresh(**data):
    return Session(data, satchel.generate_key())


def test_session_is_a_real_dict_with_werkzeugs_attributes():
    session = Session({"a": 1}, "sid", new=True)
    assert isinstance(session, dict) and isinstance(session, ModificationTrackingDict)
    assert session == {"a": 1}
    assert (session.sid, session.new, session.modified, session.should_save) == (
        "sid",
        True,
        False,
        False,
    )
    assert Session({}, "sid").new is False
    assert repr(session) == "<Session {'a': 1}>"
    session["b"] = 2
    assert repr(session) == "<Session {'a': 1, 'b': 2}*>"


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.__setitem__("x", 1),
        lambda s: s.__delitem__("a"),
        lambda s: s.update(),
        lambda s: s.update(x=1),
        lambda s: s.clear(),
        lambda s: s.popitem(),
        lambda s: s.pop("a"),
        lambda s: s.pop("a", None),
        lambda s: s.setdefault("x", 1),
        lambda s: s.__ior__({"x": 1}),
    ],
    ids=[
        "setitem",
        "delitem",
        "update-empty",
        "update",
        "clear",
        "popitem",
        "pop",
        "pop-default",
        "setdefault-missing",
        "ior",
    ],
)
def test_tracked_operations_mark_it_modified(change):
    session = fresh(a=1)
    change(session)
    assert session.modified and session.should_save


@pytest.mark.parametrize(
    "look",
    [
        lambda s: s["a"],
        lambda s: s.get("a"),
        lambda s: s.pop("missing", None),
        lambda s: s.setdefault("a", 2),
        lambda s: s["a"].append(2),  # inside a mutable value: not tracked, as in werkzeug
        lambda s: list(s.items()),
    ],
    ids=["getitem", "get", "pop-missing", "setdefault-present", "nested", "items"],
)
def test_reads_and_no_ops_do_not(look):
    session = fresh(a=[1])
    look(session)
    assert not session.modified and not session.should_save


def test_failed_operations_do_not_mark_it_modified():
    session = fresh()
    with pytest.raises(KeyError):
        del session["missing"]
    with pytest.raises(KeyError):
        session.pop("missing")
    with pytest.raises(KeyError):
        session.popitem()
    assert not session.modified


def test_modified_can_be_set_by_hand_and_copies_keep_everything():
    session = fresh(a=[1])
    session["a"].append(2)
    session.modified = True
    assert session.should_save
    for duplicate in (session.copy(), copy.copy(session)):
        assert type(duplicate) is Session and duplicate == session
        assert (duplicate.sid, duplicate.new, duplicate.modified) == (session.sid, False, True)
        duplicate["b"] = 1
        assert "b" not in session


def test_subclasses_may_add_state_and_override_should_save():
    class Flagged(Session):
        __slots__ = ("permanent",)

        @property
        def should_save(self):
            return self.modified or self.new

    store = SessionStore(session_class=Flagged)
    session = store.new()
    assert type(session) is Flagged and session.new and session.should_save


def test_the_base_store_is_werkzeugs():
    saved = []

    class ListStore(SessionStore):
        def save(self, session):
            saved.append(dict(session))

    store = ListStore()
    assert store.session_class is Session
    session = store.new()
    assert session.new and store.is_valid_key(session.sid)
    store.save_if_modified(session)
    assert saved == []
    session["x"] = 1
    store.save_if_modified(session)
    assert saved == [{"x": 1}]
    fetched = SessionStore().get("0" * 40)
    assert fetched.new and fetched.sid == "0" * 40 and fetched == {}
    assert SessionStore().delete(session) is None and SessionStore().save(session) is None


def test_keys_are_40_hex_from_the_csprng_and_salt_is_accepted():
    keys = {satchel.generate_key() for _ in range(1000)} | {
        SessionStore().generate_key(salt=b"salt") for _ in range(1000)
    }
    assert len(keys) == 2000
    assert all(re.fullmatch(r"[a-f0-9]{40}", key) for key in keys)
    store = SessionStore()
    assert store.is_valid_key("a" * 40)
    for bad in ["A" * 40, "a" * 39, "a" * 41, "../" + "a" * 37, "a" * 40 + "\n", None, 5]:
        assert not store.is_valid_key(bad), bad


def test_ids_are_made_without_the_gil_from_many_threads():
    found = []
    threads = [
        threading.Thread(target=lambda: found.extend(satchel.generate_key() for _ in range(200)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1600
