//! The satchel demo web app: a page and a small JSON API over one session.
//!
//! The binary (`satchel-demo`) parses its arguments and serves [`app`]; the router lives in
//! this library so that tests can drive it in-process.
//!
//! | route | does |
//! | --- | --- |
//! | `GET /` | an HTML page: visit count, who is logged in, login and logout forms |
//! | `POST /login`, `/logout`, `/count` | the page's forms; each redirects (303) to `/` |
//! | `GET /api/session` | the session's data as a JSON object (`{}` when there is none) |
//! | `PUT /api/session/{key}` | body is a JSON value; sets the key; 204 |
//! | `DELETE /api/session/{key}` | removes the key; 204 |
//! | `POST /api/counter` | increments the integer `count`; 200 `{"count": N}` |
//! | `POST /api/login` | body `{"user": NAME}`; stores `user` and gives the session a new id |
//! | `POST /api/logout` | deletes the session from the store and expires the cookie; 204 |
//!
//! A malformed body gets 400 with `{"error": "…"}` and changes nothing; a change that would
//! take the session past its size or nesting limit ([`satchel::Limits`]) gets 413 with
//! `{"error": "…"}`, changes nothing, and the session stays readable.

mod api_error;
mod page;
mod router;
mod routes;
mod visitor;

pub use router::app;
