//! The HTML page at `/`: visits, who is logged in, when the session ends, and its data,
//! with the forms of [`crate::forms`]. Plain HTML and CSS, no script; one column that reads
//! as well on a phone as on a desktop.
//!
//! Each view counts a visit in `count` and shows the session's CSRF token in every form, so
//! showing the page starts a session. A logged-in visitor also sees their sessions
//! ([`crate::session_list`]).

use axum::http::header::CACHE_CONTROL;
use axum::response::{Html, IntoResponse, Response};
use satchel::time::OffsetDateTime;
use satchel::{Expiry, Session, SessionHandle, csrf};
use serde_json::Value;

use crate::deadline::{self, Deadlines};
use crate::forms::CSRF_FIELD;
use crate::session_list::Listing;
use crate::visitor::{self, COUNT, USER};

/// The page's stylesheet, inline so the demo serves no other files.
pub(crate) const CSS: &str = include_str!("page.css");

/// `GET /`: counts the visit and shows the page, with the session's CSRF token in each form.
pub(crate) async fn show(handle: SessionHandle) -> Result<Response, satchel::Error> {
    let token = csrf::token(&handle).await?;
    // Listed before the session is borrowed below: the list reads it too.
    let listing = Listing::of(&handle).await?;
    let mut session = handle.load().await?;
    count_visit(&mut session)?;
    let now = OffsetDateTime::now_utc();
    let html = render(&session, &token, &listing, handle.expiry(), now);
    Ok(([(CACHE_CONTROL, "no-store")], Html(html)).into_response())
}

/// Adds one to the visit counter; a counter that cannot grow (not an integer, or a session
/// at its size limit) is left as it is, and the page still shows.
fn count_visit(session: &mut Session) -> satchel::Result<()> {
    match visitor::increment(session) {
        Ok(_) | Err(satchel::Error::TooLarge { .. } | satchel::Error::TooDeep { .. }) => Ok(()),
        Err(err) => Err(err),
    }
}

/// The page for `session` at `now`, its forms carrying `token`.
fn render(
    session: &Session,
    token: &str,
    listing: &Listing,
    expiry: Expiry,
    now: OffsetDateTime,
) -> String {
    let csrf = format!(
        r#"<input type="hidden" name="{CSRF_FIELD}" value="{}">"#,
        escape(token)
    );
    let sections = [
        visits(session),
        who(session, &csrf),
        listing.section(&expiry, &csrf, now),
        ends(&Deadlines::of(session, expiry, now), now),
        data(session, &csrf),
    ];
    format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>satchel demo</title><style>{CSS}</style></head>
<body>
<header><h1>satchel demo</h1>
<p class="lead">One session, kept on the server; your browser holds only its id, in a cookie no script can read.</p></header>
<main>
{}
</main>
</body>
</html>
"#,
        sections.join("\n")
    )
}

/// The visit counter.
fn visits(session: &Session) -> String {
    let count = session
        .get_value(COUNT)
        .map_or_else(|| "0".to_owned(), text);
    format!(
        r#"<section id="visits"><h2>Visits</h2>
<p class="count" id="visit-count">{}</p>
<p class="hint">Page views in this session; reload to count one more.</p>
</section>"#,
        escape(&count)
    )
}

/// Who is logged in, the login form and the logout button.
fn who(session: &Session, csrf: &str) -> String {
    let (status, logout) = match session.get_value(USER) {
        Some(user) => (
            format!(
                r#"Logged in as <strong id="user">{}</strong>."#,
                escape(&text(user))
            ),
            "Log out",
        ),
        None => ("Nobody is logged in.".to_owned(), "End this session"),
    };
    format!(
        r#"<section id="who"><h2>Who you are</h2>
<p id="who-status">{status}</p>
<form method="post" action="/login" class="row">{csrf}<input name="user" placeholder="your name" required aria-label="your name" autocomplete="username">
<button type="submit">Log in</button></form>
<div class="row"><form method="post" action="/logout">{csrf}<button type="submit" class="quiet" id="logout">{logout}</button></form></div>
<p class="hint">Logging in gives the session a new id; logging out deletes it on the server.</p>
</section>"#
    )
}

/// When the session ends, by each timeout.
fn ends(deadlines: &Deadlines, now: OffsetDateTime) -> String {
    let idle = deadlines.idle.map_or_else(
        || "none: only the absolute timeout ends it".to_owned(),
        |(timeout, at)| {
            let after = deadline::span(timeout);
            format!("{after} without a visit: {}", when(at, timeout))
        },
    );
    let absolute = deadlines.absolute.map_or_else(
        || "none: it lasts while it is used".to_owned(),
        |(timeout, at)| {
            let after = deadline::span(timeout);
            format!("{after} after it began: {}", when(at, at - now))
        },
    );
    format!(
        r#"<section id="expiry"><h2>When this session ends</h2>
<dl><dt>Idle timeout</dt><dd id="idle">{idle}</dd>
<dt>Absolute timeout</dt><dd id="absolute">{absolute}</dd></dl>
<p class="hint">Whichever comes first; the server enforces both, whatever the cookie says.</p>
</section>"#
    )
}

/// `at` as a `<time>` element, with how long until then.
fn when(at: OffsetDateTime, left: satchel::time::Duration) -> String {
    format!(
        r#"at <time datetime="{}">{}</time> (in {})"#,
        deadline::rfc3339(at),
        deadline::clock(at),
        deadline::span(left)
    )
}

/// The session's data as a table, each key with its remove button, and the form to set one.
fn data(session: &Session, csrf: &str) -> String {
    let rows: Vec<String> = session
        .data()
        .iter()
        .map(|(key, value)| data_row(key, value, csrf))
        .collect();
    format!(
        r#"<section id="data"><h2>Session data</h2>
<table><thead><tr><th>key</th><th>value</th><th class="act"></th></tr></thead>
<tbody>
{}
</tbody></table>
<form method="post" action="/set" class="row" id="set-form">{csrf}<input name="key" placeholder="key" required aria-label="key">
<input name="value" placeholder="value: JSON or text" aria-label="value"><button type="submit">Set</button></form>
<p class="hint">The same data as <a href="/api/session"><code>GET /api/session</code></a>.</p>
</section>"#,
        rows.join("\n")
    )
}

/// One key of the data table.
fn data_row(key: &str, value: &Value, csrf: &str) -> String {
    let key_html = escape(key);
    if key == satchel::csrf::KEY {
        return format!(
            r#"<tr><td><code>{key_html}</code></td><td class="empty">this page's CSRF token, not shown</td><td class="act"></td></tr>"#
        );
    }
    let action = if visitor::is_reserved(key) {
        String::new()
    } else {
        format!(
            r#"<form method="post" action="/remove">{csrf}<input type="hidden" name="key" value="{key_html}"><button type="submit" class="danger small" aria-label="remove {key_html}">remove</button></form>"#
        )
    };
    format!(
        r#"<tr data-key="{key_html}"><td><code>{key_html}</code></td><td><code>{}</code></td><td class="act">{action}</td></tr>"#,
        escape(&value.to_string())
    )
}

/// A session value as the page shows it in prose: strings as they are, anything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Escapes text for HTML content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
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
    use satchel::SessionId;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_page_shows_data_escaped_and_leaves_the_token_out_of_the_table() {
        let mut session = Session::new(SessionId::generate().unwrap());
        session.insert("<k>", "<v>").unwrap();
        session.insert(satchel::csrf::KEY, "tok").unwrap();
        session.insert(USER, "alice").unwrap();
        let page = render(
            &session,
            "tok",
            &Listing::Anonymous,
            Expiry::new(),
            session.created_at(),
        );
        assert!(page.contains("<code>&lt;k&gt;</code>"), "{page}");
        assert!(
            page.contains("<code>&quot;&lt;v&gt;&quot;</code>"),
            "{page}"
        );
        assert!(!page.contains("<k>") && !page.contains("<v>"));
        assert!(page.contains("this page's CSRF token, not shown"));
        // Neither the user nor the token gets a remove button; `<k>` does.
        assert_eq!(page.matches(r#"action="/remove""#).count(), 1, "{page}");
        assert!(page.contains(r#"Logged in as <strong id="user">alice</strong>"#));
        assert!(page.contains(r#"<dd id="idle">30 min without a visit: at <time"#));
        assert!(page.contains("(in 30 min)"), "{page}");
        assert!(page.contains(r#"<dd id="absolute">12 h after it began"#));
    }

    #[test]
    fn a_counter_that_cannot_grow_still_shows_the_page() {
        let mut session = Session::new(SessionId::generate().unwrap());
        session.insert(COUNT, "many").unwrap();
        count_visit(&mut session).unwrap();
        assert_eq!(
            session.get::<String>(COUNT).unwrap().as_deref(),
            Some("many")
        );
    }
}
