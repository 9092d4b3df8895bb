//! The page's forms, which work without JavaScript: each posts and is redirected (303) back
//! to the page. Every form carries the session's CSRF token ([`satchel::csrf`]); a post
//! without it, or with another session's, gets 403 and changes nothing. A form that cannot
//! be carried out gets a small HTML page saying why (400 or 413), and changes nothing.

use std::collections::HashMap;

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use satchel::{SessionHandle, csrf};
use serde_json::Value;

use crate::page::{CSS, escape};
use crate::visitor;

/// A posted form's fields, or why it could not be read.
pub(crate) type Fields = Result<Form<HashMap<String, String>>, FormRejection>;

/// The form field that carries the CSRF token.
pub(crate) const CSRF_FIELD: &str = "csrf";

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
    let user = match field(&fields, "user").map(|user| visitor::check_user(user).map(|()| user)) {
        Ok(Ok(user)) => user,
        Ok(Err(why)) | Err(why) => return Ok(problem(StatusCode::BAD_REQUEST, why)),
    };
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

/// `POST /set`: stores `value` under `key` (`value` read as JSON when it is JSON, else kept
/// as text) and goes back to the page; 413 when the session would pass its limits.
pub(crate) async fn set(handle: SessionHandle, form: Fields) -> Result<Response, satchel::Error> {
    let fields = match checked(&handle, form).await {
        Ok(fields) => fields,
        Err(refused) => return Ok(refused),
    };
    let (key, value) = match (key_field(&fields), field(&fields, "value")) {
        (Ok(key), Ok(value)) => (key, form_value(value)),
        (Err(why), _) | (_, Err(why)) => return Ok(problem(StatusCode::BAD_REQUEST, why)),
    };
    match handle.load().await?.insert(key, value) {
        Ok(_) => Ok(back_to_page()),
        Err(satchel::Error::TooLarge { .. } | satchel::Error::TooDeep { .. }) => Ok(problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "That would take the session past its size or nesting limit; nothing was changed.",
        )),
        Err(err) => Err(err),
    }
}

/// `POST /remove`: removes `key` (a missing key is not an error) and goes back to the page.
pub(crate) async fn remove(
    handle: SessionHandle,
    form: Fields,
) -> Result<Response, satchel::Error> {
    let fields = match checked(&handle, form).await {
        Ok(fields) => fields,
        Err(refused) => return Ok(refused),
    };
    let key = match key_field(&fields) {
        Ok(key) => key,
        Err(why) => return Ok(problem(StatusCode::BAD_REQUEST, why)),
    };
    handle.load().await?.remove_value(key);
    Ok(back_to_page())
}

/// The form's fields once its CSRF token is the session's; else the 403 to answer.
pub(crate) async fn checked(
    handle: &SessionHandle,
    form: Fields,
) -> Result<HashMap<String, String>, Response> {
    let fields = match form {
        Ok(Form(fields)) => fields,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let why = "The form is larger than this demo takes; nothing was changed.";
            return Err(problem(StatusCode::PAYLOAD_TOO_LARGE, why));
        }
        // Unreadable, so its token cannot be checked either: refused below.
        Err(_) => HashMap::new(),
    };
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

/// The field `name`, or why the form is refused without it.
pub(crate) fn field<'a>(
    fields: &'a HashMap<String, String>,
    name: &str,
) -> Result<&'a str, &'static str> {
    fields
        .get(name)
        .map(String::as_str)
        .ok_or("The form is missing one of its fields.")
}

/// The `key` field, once it is a key the data forms may change.
fn key_field(fields: &HashMap<String, String>) -> Result<&str, &'static str> {
    let key = field(fields, "key")?;
    visitor::check_key(key)?;
    Ok(key)
}

/// What a visitor typed as a value: JSON when it reads as JSON (`42`, `true`, `[1, 2]`,
/// `"text"`), else the text itself, so `blue` needs no quotes.
fn form_value(typed: &str) -> Value {
    serde_json::from_str(typed).unwrap_or_else(|_| Value::String(typed.to_owned()))
}

/// A 303 to `/` (`Redirect::to`), so reloading the page does not post the form again.
pub(crate) fn back_to_page() -> Response {
    Redirect::to("/").into_response()
}

/// A small error page for a form that cannot be carried out.
pub(crate) fn problem(status: StatusCode, why: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>satchel demo: {status}</title><style>{CSS}</style></head>\
         <body><h1>Sorry</h1><p id=\"problem\">{}</p><p><a href=\"/\">Back to the page</a></p></body></html>",
        escape(why)
    );
    (status, Html(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_are_json_when_they_can_be() {
        assert_eq!(form_value("42"), Value::from(42));
        assert_eq!(form_value("true"), Value::Bool(true));
        assert_eq!(form_value("[1, 2]"), serde_json::json!([1, 2]));
        assert_eq!(form_value(r#""quoted""#), Value::from("quoted"));
        assert_eq!(form_value("blue"), Value::from("blue"));
        assert_eq!(form_value(""), Value::from(""));
        assert_eq!(form_value("{not json"), Value::from("{not json"));
    }
}
