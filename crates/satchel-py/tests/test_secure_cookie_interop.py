"""Round trips with the real secure-cookie 0.2.0 on one directory, both ways."""

import pickle

import pytest

from satchel import FilesystemSessionStore

secure_cookie_session = pytest.importorskip("secure_cookie.session")


@pytest.mark.parametrize("template", ["werkzeug_%s.sess", "secure_cookie_%s.session"])
def test_secure_cookie_reads_what_satchel_writes(private_dir, template):
    ours = FilesystemSessionStore(private_dir, filename_template=template)
    theirs = secure_cookie_session.FilesystemSessionStore(private_dir, filename_template=template)
    session = ours.new()
    session.update(user="alice", cart=[1, 2], nested={"a": (1, 2)}, raw=b"\x00")
    ours.save(session)
    read = theirs.get(session.sid)
    assert dict(read) == dict(session) and not read.new
    assert theirs.list() == [session.sid]


@pytest.mark.parametrize("template", ["werkzeug_%s.sess", "secure_cookie_%s.session"])
def test_satchel_reads_what_secure_cookie_writes(private_dir, template):
    ours = FilesystemSessionStore(private_dir, filename_template=template)
    theirs = secure_cookie_session.FilesystemSessionStore(private_dir, filename_template=template)
    session = theirs.new()
    session.update(user="bob", visits=3, tags={"x", "y"})
    theirs.save(session)
    read = ours.get(session.sid)
    assert dict(read) == dict(session) and not read.new and not read.modified
    assert ours.list() == [session.sid]


def test_both_change_one_session_in_turn(private_dir):
    ours = FilesystemSessionStore(private_dir)
    theirs = secure_cookie_session.FilesystemSessionStore(
        private_dir, filename_template="werkzeug_%s.sess"
    )
    session = ours.new()
    session["from"] = ["satchel"]
    ours.save(session)
    for round in range(3):
        mine = theirs.get(session.sid)
        mine["from"] = mine["from"] + ["secure-cookie"]
        theirs.save(mine)
        back = ours.get(session.sid)
        back["from"] = back["from"] + ["satchel"]
        ours.save(back)
    final = theirs.get(session.sid)
    assert final["from"] == ["satchel"] + ["secure-cookie", "satchel"] * 3
    theirs.delete(final)
    assert ours.get(session.sid) == {}


def test_a_change_secure_cookie_made_meanwhile_is_merged_not_lost(private_dir):
    ours = FilesystemSessionStore(private_dir)
    theirs = secure_cookie_session.FilesystemSessionStore(
        private_dir, filename_template="werkzeug_%s.sess"
    )
    session = ours.new()
    ours.save(session)
    loaded = ours.get(session.sid)
    other = theirs.get(session.sid)
    other["theirs"] = 1
    theirs.save(other)  # lands while `loaded` is in flight
    loaded["ours"] = 2
    ours.save(loaded)
    with open(ours.get_session_filename(session.sid), "rb") as file:
        assert pickle.load(file) == {"theirs": 1, "ours": 2}
