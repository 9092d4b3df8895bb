//! The page's list of the logged-in user's sessions, each with an "end" button, and the
//! "log out everywhere" buttons: forms over the same [`SessionHandle`] calls as the API's
//! `/api/sessions` routes ([`crate::sessions`]), CSRF-checked like every form of the page.

use axum::http::StatusCode;
use axum::response::Response;
use satchel::time::OffsetDateTime;
use satchel::{Expiry, Handle, SessionHandle, UserSession};

use crate::deadline;
use crate::forms::{self, Fields};
use crate::page::escape;
use crate::visitor::USER;

/// What the page shows of the user's sessions.
#[derive(Debug)]
pub(crate) enum Listing {
    /// Nobody is logged in: nothing to show.
    Anonymous,
    /// The store keeps no per-user index (werkzeug's files, cookie sessions).
    Unsupported,
    /// The user's live sessions, oldest first, this one marked current.
    Sessions(Vec<UserSession>),
}

impl Listing {
    /// The sessions of whoever is logged in on `handle`'s session.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) async fn of(handle: &SessionHandle) -> satchel::Result<Self> {
        Ok(match kind(handle).await? {
            Kind::Anonymous => Self::Anonymous,
            Kind::Unsupported => Self::Unsupported,
            Kind::Indexed => Self::Sessions(handle.user_sessions().await?),
        })
    }

    /// The page's section for it (empty for nobody), its forms carrying `csrf`.
    pub(crate) fn section(&self, expiry: &Expiry, csrf: &str, now: OffsetDateTime) -> String {
        let sessions = match self {
            Self::Anonymous => return String::new(),
            Self::Unsupported => {
                return r#"<section id="sessions"><h2>Your sessions</h2>
<p class="hint">This store cannot list a user's sessions (werkzeug's files and cookie sessions keep no index of them).</p>
</section>"#
                    .to_owned();
            }
            Self::Sessions(sessions) => sessions,
        };
        let rows: Vec<String> = sessions
            .iter()
            .map(|session| row(session, expiry, csrf, now))
            .collect();
        format!(
            r#"<section id="sessions"><h2>Your sessions</h2>
<table><tbody>
{}
</tbody></table>
<div class="row"><form method="post" action="/logout-everywhere">{csrf}<button type="submit" class="danger" id="logout-everywhere">Log out everywhere else</button></form>
<form method="post" action="/logout-everywhere">{csrf}<input type="hidden" name="all" value="true"><button type="submit" class="quiet" id="logout-all">Log out everywhere, here too</button></form></div>
</section>"#,
            rows.join("\n")
        )
    }
}

/// One session of the list: where, since when, last seen, when it ends; its end button.
fn row(session: &UserSession, expiry: &Expiry, csrf: &str, now: OffsetDateTime) -> String {
    let label = session.label().unwrap_or("");
    let seen = now - session.last_seen(expiry);
    let seen = if seen.whole_seconds() < 60 {
        "just now".to_owned()
    } else {
        format!("{} ago", deadline::span(seen))
    };
    let ends = session
        .expires_at()
        .map_or_else(|| "never".to_owned(), deadline::clock);
    let facts = format!(
        "since {} · last seen {seen} · ends {ends}",
        deadline::clock(session.created_at())
    );
    let handle = escape(session.handle().as_str());
    let (class, mark, action) = if session.is_current() {
        (r#" class="current""#, " (this browser)", String::new())
    } else {
        let button = format!(
            r#"<form method="post" action="/sessions/end">{csrf}<input type="hidden" name="handle" value="{handle}"><button type="submit" class="danger small">end</button></form>"#
        );
        ("", "", button)
    };
    format!(
        r#"<tr{class} data-handle="{handle}"><td><strong title="{}">{}</strong>{mark}<br><span class="hint">{}</span></td><td class="act">{action}</td></tr>"#,
        escape(label),
        escape(&browser(label)),
        escape(&facts)
    )
}

/// A `User-Agent` in a few words: `Chrome on Linux`; `a browser` when it tells nothing.
fn browser(agent: &str) -> String {
    // Order matters: Edge's and Chrome's strings also name Safari, Edge's names Chrome.
    let names = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ];
    let systems = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ];
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(needle, _)| agent.contains(needle))
            .map(|(_, name)| *name)
    };
    match (find(&names), find(&systems)) {
        (Some(name), Some(system)) => format!("{name} on {system}"),
        (Some(name), None) => name.to_owned(),
        (None, Some(system)) => format!("a browser on {system}"),
        (None, None) => "a browser".to_owned(),
    }
}

/// `POST /sessions/end`: ends the user's session named by the `handle` field (this one
/// too: that is a logout) and goes back to the page; 404 for a handle that is not theirs.
pub(crate) async fn end(handle: SessionHandle, form: Fields) -> Result<Response, satchel::Error> {
    let fields = match forms::checked(&handle, form).await {
        Ok(fields) => fields,
        Err(refused) => return Ok(refused),
    };
    if let Some(refused) = refusal(&handle).await? {
        return Ok(refused);
    }
    let named = forms::field(&fields, "handle").ok().and_then(Handle::parse);
    let ended = match named {
        Some(named) => handle.end_user_session(&named).await?,
        None => false,
    };
    if !ended {
        let why = "None of your sessions has that handle; it may have ended already.";
        return Ok(forms::problem(StatusCode::NOT_FOUND, why));
    }
    Ok(forms::back_to_page())
}

/// `POST /logout-everywhere`: ends the user's other sessions (with `all=true` this one
/// too) and goes back to the page.
pub(crate) async fn end_all(
    handle: SessionHandle,
    form: Fields,
) -> Result<Response, satchel::Error> {
    let fields = match forms::checked(&handle, form).await {
        Ok(fields) => fields,
        Err(refused) => return Ok(refused),
    };
    if let Some(refused) = refusal(&handle).await? {
        return Ok(refused);
    }
    let all = fields.get("all").is_some_and(|all| all == "true");
    handle.end_user_sessions(all).await?;
    Ok(forms::back_to_page())
}

/// The answer when the list cannot be changed: nobody is logged in (401), or the store
/// keeps no per-user index (501).
async fn refusal(handle: &SessionHandle) -> satchel::Result<Option<Response>> {
    Ok(match kind(handle).await? {
        Kind::Anonymous => Some(forms::problem(
            StatusCode::UNAUTHORIZED,
            "Nobody is logged in on this session.",
        )),
        Kind::Unsupported => Some(forms::problem(
            StatusCode::NOT_IMPLEMENTED,
            "This store cannot list or end a user's sessions one by one.",
        )),
        Kind::Indexed => None,
    })
}

/// Whether a session's user, if any, has a list the store keeps.
enum Kind {
    Anonymous,
    Unsupported,
    Indexed,
}

/// The [`Kind`] of `handle`'s session.
async fn kind(handle: &SessionHandle) -> satchel::Result<Kind> {
    if handle.get_value(USER).await?.is_none() {
        return Ok(Kind::Anonymous);
    }
    Ok(if handle.can_tie_users() {
        Kind::Indexed
    } else {
        Kind::Unsupported
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_read_as_a_browser_and_a_system() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36";
        assert_eq!(browser(chrome), "Chrome on Linux");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0";
        assert_eq!(browser(edge), "Edge on Windows");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(browser(safari), "Safari on iOS");
        assert_eq!(browser("curl/8.5.0"), "curl");
        assert_eq!(browser(""), "a browser");
    }
}
