//! The HTML page at `/` and its forms, which work without JavaScript: each form posts and
//! is redirected (303) back to the page. Every form carries the session's CSRF token
//! ([`satchel::csrf`]); a post without it, or with another session's, gets 403 and changes
//! nothing. Showing the page therefore starts a session, to hold the token.

use std::collections::HashMap;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use satchel::{Session, SessionHandle, csrf};
use serde_json::Value;

use crate::visitor::{self, COUNT, USER};

/// The page's stylesheet, inline so the demo serves no other files.
const CSS: &str = "
body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
p.lead { color: #666; margin-top: 0; }
section { border: 1px solid #ddd; border-radius: 8px; padding: 1rem 1.2rem; margin: 1rem 0; }
h2 { font-size: 1.1rem; margin: 0 0 .6rem; }
.count { font-size: 2.4rem; font-weight: 600; }
form { display: inline-flex; gap: .5rem; margin: .3rem .5rem .3rem 0; }
input { padding: .35rem .5rem; border: 1px solid #bbb; border-radius: 4px; }
button { padding: .35rem .9rem; border: 0; border-radius: 4px; background: #2d5be3; color: #fff; cursor: pointer; }
button.quiet { background: #777; }
pre { background: #f6f6f6; padding: .7rem; border-radius: 4px; overflow-x: auto; }
code { font-size: .9em; }
";

/// A posted form's fields, or why it could not be read.
type Fields = Result<Form<HashMap<String, String>>, FormRejection>;

/// The form field that carries the CSRF token.
const CSRF_FIELD: &str = "csrf";

/// `GET /`: the page, with the session's CSRF token in each form.
pub(crate) async fn show(handle: SessionHandle) -> Result<Response, satchel::Error> {
    let token = csrf::token(&handle).await?;
    let html = render(&*handle.load().await?, &token);
    Ok(([(CACHE_CONTROL, "no-store")], Html(html)).into_response())
}

/// The form's fields once its CSRF token is the session's; else the 403 to answer.
async fn checked(
    handle: &SessionHandle,
    form: Fields,
) -> Result<HashMap<String, String>, Response> {
    let fields = form.map(|Form(fields)| fields).unwrap_or_default();
    let presented = fields.get(CSRF_FIELD).map_or("", String::as_str);
    match csrf::verify(handle, presented).await {
        Ok(true) => Ok(fields),
        Ok(false) => Err(problem(
            StatusCode::FORBIDDEN,
            "This form is out of date or came from another site; reload the page and try again.",
        )),
        Err(err) => Err(err.into_response()),
    }
}

/// `POST /login`: logs the user in (new session id) and goes back to the page.
pub(crate) async fn login(
    handle: SessionHandle,
    headers: HeaderMap,
    form: Fields,
) -> Result<Response, satchel::Error> {
    let fields = match checked(&handle, form).await {
        Ok(fields) => fields,
        Err(refused) => return Ok(refused),
    };
    // 400 for every bad form, as for the API's bodies.
    let Some(user) = fields.get("user") else {
        return Ok(problem(
            StatusCode::BAD_REQUEST,
            "the form has no `user` field",
        ));
    };
    if let Err(why) = visitor::check_user(user) {
        return Ok(problem(StatusCode::BAD_REQUEST, why));
    }
    let owner = visitor::owner(&handle, user, &headers);
    visitor::log_in(&mut *handle.load().await?, user, owner)?;
    Ok(back_to_page())
}

/// `POST /logout`: ends the session and goes back to the page.
pub(crate) async fn logout(
    handle: SessionHandle,
    form: Fields,
) -> Result<Response, satchel::Error> {
    if let Err(refused) = checked(&handle, form).await {
        return Ok(refused);
    }
    handle.load().await?.destroy();
    Ok(back_to_page())
}

/// `POST /count`: adds one to the counter and goes back to the page.
pub(crate) async fn count(handle: SessionHandle, form: Fields) -> Result<Response, satchel::Error> {
    if let Err(refused) = checked(&handle, form).await {
        return Ok(refused);
    }
    if visitor::increment(&mut *handle.load().await?)?.is_none() {
        let why = "The counter holds something other than an integer; delete `count` to restart.";
        return Ok(problem(StatusCode::CONFLICT, why));
    }
    Ok(back_to_page())
}

/// A 303 to `/` (`Redirect::to`), so reloading the page does not post the form again.
fn back_to_page() -> Response {
    Redirect::to("/").into_response()
}

/// A small error page for a form that cannot be carried out.
fn problem(status: StatusCode, why: &str) -> Response {
    let body = format!(
        "<!doctype html><meta charset=\"utf-8\"><title>satchel demo</title><style>{CSS}</style>\
         <h1>Sorry</h1><p>{}</p><p><a href=\"/\">Back</a></p>",
        escape(why)
    );
    (status, Html(body)).into_response()
}

/// The page for `session`, its forms carrying `token`.
fn render(session: &Session, token: &str) -> String {
    let count = session
        .get_value(COUNT)
        .map_or_else(|| "0".to_owned(), text);
    let who = match session.get_value(USER) {
        Some(user) => format!("Logged in as <strong>{}</strong>.", escape(&text(user))),
        None => "Nobody is logged in.".to_owned(),
    };
    let data = format!("{:#}", Value::Object(session.data().clone()));
    let csrf = format!(
        r#"<input type="hidden" name="{CSRF_FIELD}" value="{}">"#,
        escape(token)
    );
    html(&escape(&count), &who, &escape(&data), &csrf)
}

/// The page around its parts, already escaped; `csrf` is the hidden field of every form.
fn html(count: &str, who: &str, data: &str, csrf: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>satchel demo</title><style>{CSS}</style></head>
<body>
<h1>satchel demo</h1>
<p class="lead">One session, kept server-side; the browser holds only its id.</p>
<section><h2>Visits counted</h2>
<p class="count">{count}</p>
<form method="post" action="/count">{csrf}<button type="submit">Count one more</button></form>
</section>
<section><h2>Who you are</h2>
<p>{who}</p>
<form method="post" action="/login">{csrf}<input name="user" placeholder="your name" required aria-label="your name">
<button type="submit">Log in</button></form>
<form method="post" action="/logout">{csrf}<button type="submit" class="quiet">Log out</button></form>
</section>
<section><h2>Session data</h2>
<pre><code>{data}</code></pre>
<p>The same as <a href="/api/session"><code>GET /api/session</code></a>.</p>
</section>
</body>
</html>
"#
    )
}

/// A session value as the page shows it: strings as they are, anything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Escapes text for HTML content and quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }
}
