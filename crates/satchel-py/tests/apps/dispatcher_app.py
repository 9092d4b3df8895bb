"""werkzeug 0.16's "use the store directly" example (werkzeug.contrib.sessions' module
docs), unchanged but for the import; the example leaves `get_the_response_object` to the
application, so this one counts visits and logs in."""

from werkzeug.wrappers import Request, Response

from satchel import FilesystemSessionStore


def get_the_response_object(request):
    if request.path == "/login":
        request.session["user"] = request.args["user"]
    elif request.path == "/visit":
        request.session["visits"] = request.session.get("visits", 0) + 1
    user = request.session.get("user", "nobody")
    return Response("%s %d" % (user, request.session.get("visits", 0)))


# --- the example, verbatim but for the import above ---
session_store = FilesystemSessionStore()

def application(environ, start_response):
    request = Request(environ)
    sid = request.cookies.get('cookie_name')
    if sid is None:
        request.session = session_store.new()
    else:
        request.session = session_store.get(sid)
    response = get_the_response_object(request)
    if request.session.should_save:
        session_store.save(request.session)
        response.set_cookie('cookie_name', request.session.sid)
    return response(environ, start_response)
