"""werkzeug 0.16's middleware example (werkzeug.contrib.sessions' module docs), unchanged
but for the import, around a small app that counts visits and logs in."""

from werkzeug.wrappers import Request, Response

from satchel import SessionMiddleware, FilesystemSessionStore


@Request.application
def app(request):
    session = request.environ["werkzeug.session"]
    if request.path == "/login":
        session["user"] = request.args["user"]
    elif request.path == "/visit":
        session["visits"] = session.get("visits", 0) + 1
    return Response("%s %d" % (session.get("user", "nobody"), session.get("visits", 0)))


# --- the example, verbatim but for the import above ---
app = SessionMiddleware(app, FilesystemSessionStore())
application = app
