"""``SessionMiddleware``'s cookie and save logic, through werkzeug's test client."""

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from satchel import FilesystemSessionStore, SessionMiddleware


class CountingStore(FilesystemSessionStore):
    saves = 0

    def save(self, session):
        type(self).saves += 1
        FilesystemSessionStore.save(self, session)


@Request.application
def app(request):
    session = request.environ[request.args.get("key", "werkzeug.session")]
    if "set" in request.args:
        session["value"] = request.args["set"]
    return Response(session.get("value", "-"))


def test_cookie_attributes_follow_the_settings(private_dir):
    wrapped = SessionMiddleware(
        app,
        FilesystemSessionStore(private_dir),
        cookie_name="sid",
        cookie_age=600,
        cookie_path="/app",
        cookie_domain="example.com",
        cookie_secure=True,
        cookie_httponly=True,
        cookie_samesite="Strict",
    )
    response = Client(wrapped).get("/?set=1")
    header = response.headers["Set-Cookie"]
    for part in ["sid=", "Max-Age=600", "Path=/app", "Domain=example.com", "Secure",
                 "HttpOnly", "SameSite=Strict"]:
        assert part in header, (part, header)


def test_defaults_are_werkzeugs_plus_samesite_lax(private_dir):
    response = Client(SessionMiddleware(app, FilesystemSessionStore(private_dir))).get("/?set=1")
    header = response.headers["Set-Cookie"]
    assert header.startswith("session_id=") and "Path=/" in header and "SameSite=Lax" in header
    assert "Secure" not in header and "HttpOnly" not in header and "Max-Age" not in header


def test_the_environ_key_is_configurable(private_dir):
    wrapped = SessionMiddleware(app, FilesystemSessionStore(private_dir), environ_key="my.session")
    assert Client(wrapped).get("/?key=my.session&set=x").get_data(as_text=True) == "x"


def test_a_changed_session_is_saved_once_and_an_unchanged_one_never(private_dir):
    CountingStore.saves = 0
    client = Client(SessionMiddleware(app, CountingStore(private_dir)))
    client.get("/?set=1")
    assert CountingStore.saves == 1
    client.get("/")
    assert CountingStore.saves == 1
    assert client.get("/").get_data(as_text=True) == "1"


@pytest.mark.parametrize("cookie", ["", "session_id=", "session_id=" + "z" * 40])
def test_missing_or_bad_cookies_start_fresh(private_dir, cookie):
    client = Client(SessionMiddleware(app, FilesystemSessionStore(private_dir)))
    response = client.get("/", headers={"Cookie": cookie} if cookie else {})
    assert response.get_data(as_text=True) == "-" and "Set-Cookie" not in response.headers
