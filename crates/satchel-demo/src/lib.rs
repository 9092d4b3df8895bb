//! The satchel demo web app: a page and a small JSON API over one session.
//!
//! The binary (`satchel-demo`) parses its arguments and serves [`app`]; the router lives in
//! this library so that tests can drive it in-process.
//!
//! | route | does |
//! | --- | --- |
//! | `GET /` | an HTML page: counts a visit; shows the visits, who is logged in, when the session ends and its data, with the forms below |
//! | `POST /login`, `/logout` | the page's forms: log in (field `user`), log out; each redirects (303) to `/` |
//! | `POST /set`, `/remove` | the page's data forms: set `key` to `value` (JSON, else text), remove `key`; each redirects (303) to `/` |
//! | `POST /sessions/end`, `/logout-everywhere` | the page's forms over the user's sessions: end the one `handle` names; end all but this one (`all=true`: this one too); each redirects (303) to `/` |
//! | `GET /api/session` | the session's data as a JSON object (`{}` when there is none) |
//! | `PUT /api/session/{key}` | body is a JSON value; sets the key; 204 |
//! | `DELETE /api/session/{key}` | removes the key; 204 |
//! | `POST /api/counter` | increments the integer `count`; 200 `{"count": N}` |
//! | `POST /api/login` | body `{"user": NAME}`; stores `user` and gives the session a new id |
//! | `POST /api/logout` | deletes the session from the store and expires the cookie; 204 |
//! | `GET /api/sessions` | the logged-in user's sessions: `[{"handle", "created", "last_seen", "expires", "current", "label"}]` (RFC 3339; `handle` is never the id); 401 when nobody is logged in |
//! | `DELETE /api/sessions/{handle}` | ends one of the user's sessions; 204; 404 for a handle that is not theirs |
//! | `POST /api/logout-everywhere` | ends the user's other sessions (`{"all": true}`: this one too); 200 `{"ended": N}` |
//!
//! Every form on the page carries the session's CSRF token ([`satchel::csrf`]): a form POST
//! without it, or with another session's, gets 403 and changes nothing. The JSON API stays
//! token-less: its bodies must be `Content-Type: application/json` (else 415, nothing
//! changes), which a cross-site page cannot send without a CORS preflight, and any POST,
//! PUT or DELETE that a browser marks as sent by another site (`Sec-Fetch-Site`, `Origin`)
//! gets 403.
//!
//! A malformed body gets 400 with `{"error": "…"}` and changes nothing; a change that would
//! take the session past its size or nesting limit ([`satchel::Limits`]) gets 413 with
//! `{"error": "…"}`, changes nothing, and the session stays readable.

mod api_error;
mod deadline;
mod forms;
mod origin;
mod page;
mod router;
mod routes;
mod session_list;
mod sessions;
mod visitor;

pub use router::app;
