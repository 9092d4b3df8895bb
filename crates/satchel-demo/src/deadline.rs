//! When a session ends, in words a visitor reads at a glance: the clock time (UTC) and how
//! long until then.

use satchel::time::{Duration, OffsetDateTime};
use satchel::{Expiry, Session};

/// The two ways the session on the page can end, seen from `now`, just after this request
/// used it (the page counts a visit, so every view is a save and restarts the idle clock).
#[derive(Debug)]
pub(crate) struct Deadlines {
    /// The idle timeout, and when it ends the session if it is not used again.
    pub(crate) idle: Option<(Duration, OffsetDateTime)>,
    /// The absolute timeout, and when it ends the session whatever its use.
    pub(crate) absolute: Option<(Duration, OffsetDateTime)>,
}

impl Deadlines {
    /// The deadlines of `session` under `expiry` at `now`.
    pub(crate) fn of(session: &Session, expiry: Expiry, now: OffsetDateTime) -> Self {
        let idle = expiry
            .idle_timeout()
            .and_then(|idle| Some((idle, now.checked_add(idle)?)));
        let absolute = expiry
            .absolute_timeout()
            .and_then(|absolute| Some((absolute, session.created_at().checked_add(absolute)?)));
        Self { idle, absolute }
    }
}

/// `at` as RFC 3339 in UTC, whole seconds: `2026-12-01T14:05:09Z`.
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.to_offset(satchel::time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// `at` as a visitor reads it: `2026-12-01 14:05 UTC`.
pub(crate) fn clock(at: OffsetDateTime) -> String {
    let at = at.to_offset(satchel::time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// A span in the two largest units that matter: `12 h`, `1 h 30 min`, `30 min`, `45 s`;
/// a past or zero span is `0 s`.
pub(crate) fn span(span: Duration) -> String {
    let secs = span.whole_seconds().max(0);
    let (days, hours, minutes) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    let parts: [(i64, &str); 4] = [
        (days, "d"),
        (hours, "h"),
        (minutes, "min"),
        (secs % 60, "s"),
    ];
    let Some(first) = parts.iter().position(|(n, _)| *n > 0) else {
        return "0 s".to_owned();
    };
    parts[first..]
        .iter()
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use satchel::SessionId;

    #[test]
    fn spans_show_their_two_largest_units() {
        assert_eq!(span(Duration::ZERO), "0 s");
        assert_eq!(span(Duration::seconds(-5)), "0 s");
        assert_eq!(span(Duration::seconds(45)), "45 s");
        assert_eq!(span(Duration::minutes(30)), "30 min");
        assert_eq!(span(Duration::seconds(30 * 60 + 59)), "30 min 59 s");
        assert_eq!(span(Duration::minutes(90)), "1 h 30 min");
        assert_eq!(span(Duration::hours(12)), "12 h");
        assert_eq!(span(Duration::hours(12) + Duration::seconds(3)), "12 h");
        assert_eq!(span(Duration::days(2) + Duration::hours(3)), "2 d 3 h");
    }

    #[test]
    fn times_are_shown_in_utc() {
        let at = OffsetDateTime::UNIX_EPOCH + Duration::seconds(1_700_000_000);
        assert_eq!(rfc3339(at), "2023-11-14T22:13:20Z");
        assert_eq!(clock(at), "2023-11-14 22:13 UTC");
    }

    #[test]
    fn idle_runs_from_now_and_absolute_from_the_start() {
        let session = Session::new(SessionId::generate().unwrap());
        let now = session.created_at() + Duration::minutes(5);
        let expiry = Expiry::new()
            .with_idle_timeout(Duration::minutes(30))
            .with_absolute_timeout(Duration::hours(2));
        let deadlines = Deadlines::of(&session, expiry, now);
        assert_eq!(
            deadlines.idle,
            Some((Duration::minutes(30), now + Duration::minutes(30)))
        );
        assert_eq!(
            deadlines.absolute,
            Some((
                Duration::hours(2),
                session.created_at() + Duration::hours(2)
            ))
        );
        let none = Deadlines::of(&session, Expiry::never(), now);
        assert!(none.idle.is_none() && none.absolute.is_none());
    }
}
