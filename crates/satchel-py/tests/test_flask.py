"""``satchel.flask``: a Flask app's login flow on werkzeug's files, SQLite, Redis and
PostgreSQL, and Flask's SESSION_* settings."""

import datetime
import time

import pytest

flask = pytest.importorskip("flask")

from satchel.flask import FlaskSession, SatchelSessionInterface  # noqa: E402


def make_app(store, **config):
    app = flask.Flask(__name__)
    app.config.update(config)
    app.session_interface = SatchelSessionInterface(store)
    session = flask.session

    @app.post("/login")
    def login():
        session.regenerate()
        session["user"] = flask.request.form["user"]
        session.permanent = True
        return "welcome"

    @app.get("/me")
    def me():
        return session.get("user", "anonymous")

    @app.post("/cart")
    def cart():
        session["cart"] = session.get("cart", []) + [flask.request.form["item"]]
        return ",".join(session["cart"])

    @app.post("/logout")
    def logout():
        session.clear()
        return "bye"

    @app.get("/kind")
    def kind():
        return type(session._get_current_object()).__name__

    return app


def sid_of(response, name="session"):
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return header.split(";", 1)[0].split("=", 1)[1]
    return None


def test_login_flow(any_store):
    app = make_app(any_store)
    client = app.test_client()
    assert client.get("/kind").text == "FlaskSession"
    anonymous = client.get("/me")
    assert anonymous.text == "anonymous" and sid_of(anonymous) is None
    cart = client.post("/cart", data={"item": "apple"})
    before_login = sid_of(cart)
    assert before_login and cart.text == "apple"
    login = client.post("/login", data={"user": "alice"})
    after_login = sid_of(login)
    assert after_login and after_login != before_login  # the id rotates at login
    assert any_store.get(before_login).get("user") is None  # the old id is worthless
    assert client.get("/me").text == "alice"
    assert client.post("/cart", data={"item": "pear"}).text == "apple,pear"
    # Another browser presenting the pre-login id is not logged in.
    stranger = app.test_client()
    stranger.set_cookie("session", before_login)
    assert stranger.get("/me").text == "anonymous"
    logout = client.post("/logout")
    assert "session=;" in logout.headers["Set-Cookie"]  # the cookie is deleted
    assert any_store.get(after_login).get("user") is None  # and the record with it
    assert client.get("/me").text == "anonymous"


def test_cookie_settings_are_honoured(any_store):
    app = make_app(
        any_store,
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.com",
        SESSION_COOKIE_PATH="/shop",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=datetime.timedelta(hours=2),
    )
    response = app.test_client().post(
        "/login", data={"user": "bob"}, base_url="https://example.com"
    )
    header = response.headers["Set-Cookie"]
    assert header.startswith("sid=")
    for part in ["Domain=example.com", "Path=/shop", "HttpOnly", "Secure", "SameSite=Strict"]:
        assert part in header, (part, header)
    expires = response.headers["Set-Cookie"].split("Expires=", 1)[1].split(";", 1)[0]
    left = (
        datetime.datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT")
        - datetime.datetime.utcnow()
    )
    assert datetime.timedelta(hours=1, minutes=59) < left <= datetime.timedelta(hours=2)
    assert response.headers["Vary"] == "Cookie"


@pytest.mark.parametrize("refresh", [True, False])
def test_refresh_each_request(any_store, refresh):
    app = make_app(any_store, SESSION_REFRESH_EACH_REQUEST=refresh)
    client = app.test_client()
    sid = sid_of(client.post("/login", data={"user": "carol"}))
    again = client.get("/me")
    assert again.text == "carol"
    assert sid_of(again) == (sid if refresh else None)


def test_a_non_permanent_session_gets_a_browser_session_cookie(any_store):
    client = make_app(any_store).test_client()
    header = client.post("/cart", data={"item": "x"}).headers["Set-Cookie"]
    assert "Expires" not in header
    assert sid_of(client.get("/me")) is None  # refresh only applies to permanent ones


def test_server_side_sessions_end_after_the_permanent_lifetime(tmp_path):
    import satchel

    store = satchel.open_store("sqlite:%s" % (tmp_path / "s.sqlite3"))
    app = make_app(store, PERMANENT_SESSION_LIFETIME=1)
    client = app.test_client()
    client.post("/login", data={"user": "dave"})
    assert client.get("/me").text == "dave"
    time.sleep(2.2)
    assert client.get("/me").text == "anonymous"


def test_the_session_class_is_a_flask_session_mixin():
    session = FlaskSession({}, "sid", True)
    assert isinstance(session, flask.sessions.SessionMixin) and isinstance(session, dict)
    session.permanent = True
    assert session.modified and session.permanent
