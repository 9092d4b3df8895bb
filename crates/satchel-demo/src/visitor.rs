//! What the demo keeps in a session, and the rules for changing it; shared by the page's
//! forms and the JSON API so both behave the same.

use axum::http::HeaderMap;
use axum::http::header::USER_AGENT;
use satchel::{Owner, Session, SessionHandle, UserKey};

/// The key of the visit counter.
pub(crate) const COUNT: &str = "count";
/// The key of the logged-in user's name.
pub(crate) const USER: &str = "user";

/// Adds one to `count` (absent counts as 0) and returns the new value. `None` when `count`
/// holds something else than an integer, or would overflow: it is then left as it is.
///
/// # Errors
/// Never in practice (an integer always encodes); kept for `Session::insert`'s signature.
pub(crate) fn increment(session: &mut Session) -> satchel::Result<Option<i64>> {
    let next = match session.get_value(COUNT) {
        None => Some(1),
        Some(value) => value.as_i64().and_then(|n| n.checked_add(1)),
    };
    if let Some(n) = next {
        session.insert(COUNT, n)?;
    }
    Ok(next)
}

/// Checks a login name: any string that is not blank.
///
/// # Errors
/// Why the name is refused, for the client.
pub(crate) fn check_user(name: &str) -> Result<(), &'static str> {
    if name.trim().is_empty() {
        return Err("`user` must be a non-empty string");
    }
    Ok(())
}

/// Checks a key the page's data forms may set or remove: not blank, and neither the
/// logged-in user (only logging in sets it, with a new session id) nor the CSRF token.
///
/// # Errors
/// Why the key is refused, for the visitor.
pub(crate) fn check_key(key: &str) -> Result<(), &'static str> {
    if key.trim().is_empty() {
        return Err("The key must not be blank.");
    }
    if is_reserved(key) {
        return Err("That key is the session's own: log in or out to change who you are.");
    }
    Ok(())
}

/// Whether `key` belongs to the demo itself (the user, the CSRF token), not to the visitor.
pub(crate) fn is_reserved(key: &str) -> bool {
    key == USER || key == satchel::csrf::KEY
}

/// Logs `name` in: stores it and gives the session a new id, so an id planted before login
/// (session fixation) is worthless after it.
///
/// # Errors
/// The operating system cannot provide randomness for the new id.
pub(crate) fn log_in(
    session: &mut Session,
    name: &str,
    owner: Option<Owner>,
) -> satchel::Result<()> {
    session.insert(USER, name)?;
    if owner.is_some() || session.owner().is_some() {
        session.set_owner(owner);
    }
    session.rotate_id()
}

/// Whom a login ties the session to, so that the user can list and end their sessions:
/// the name, hashed in the store, labelled with the browser's `User-Agent`. `None` where
/// the store cannot keep it (werkzeug's files, cookie sessions).
pub(crate) fn owner(handle: &SessionHandle, name: &str, headers: &HeaderMap) -> Option<Owner> {
    if !handle.can_tie_users() {
        return None;
    }
    let owner = Owner::new(UserKey::hashed(name));
    let agent = headers
        .get(USER_AGENT)
        .and_then(|agent| agent.to_str().ok());
    Some(match agent {
        Some(agent) => owner.with_label(agent),
        None => owner,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use satchel::SessionId;

    #[test]
    fn increment_starts_at_one_and_leaves_non_integers_alone() {
        let mut session = Session::new(SessionId::generate().unwrap());
        assert_eq!(increment(&mut session).unwrap(), Some(1));
        assert_eq!(increment(&mut session).unwrap(), Some(2));
        session.insert(COUNT, "many").unwrap();
        assert_eq!(increment(&mut session).unwrap(), None);
        session.insert(COUNT, i64::MAX).unwrap();
        assert_eq!(increment(&mut session).unwrap(), None);
        assert_eq!(session.get::<i64>(COUNT).unwrap(), Some(i64::MAX));
    }

    #[test]
    fn blank_names_are_refused() {
        assert!(check_user("").is_err());
        assert!(check_user(" \t").is_err());
        assert!(check_user("alice").is_ok());
    }

    #[test]
    fn the_data_forms_leave_the_user_and_the_token_alone() {
        assert!(check_key("color").is_ok());
        assert!(check_key(" ").is_err());
        assert!(check_key(USER).is_err());
        assert!(check_key(satchel::csrf::KEY).is_err());
    }
}
