//! When sessions end: an idle timeout that activity extends, and an absolute lifetime.

use time::{Duration, OffsetDateTime};

use crate::session::Session;

/// The server-side expiry policy the middleware applies to every session.
///
/// - **Idle timeout** (default 30 minutes): a session unused this long ends. Each save moves
///   the deadline; a request that only reads the session moves it too, by writing only the
///   expiry (never the data), at most once per *touch interval* (default 1 minute).
/// - **Absolute timeout** (default 12 hours): a session ends this long after it was created,
///   whatever its activity.
///
/// The defaults follow OWASP's session cheat sheet (15–30 minutes idle for low-risk
/// applications) and NIST SP 800-63B-4 at AAL2 (reauthentication after at most 1 hour idle
/// and 24 hours overall), taking the stricter figures; Django's two weeks without an idle
/// limit is far looser. Stores enforce the deadline on every load: the cookie's own
/// Max-Age or Expires never keeps a session alive. Deadlines are whole seconds, as the
/// stores keep them, counted from the start of the current second, and a read that writes
/// no new deadline does not move it: a session can end up to a second (or, after reads
/// only, a touch interval) early, never late.
///
/// # Example
/// ```
/// use satchel::Expiry;
/// use time::{Duration, OffsetDateTime};
///
/// let expiry = Expiry::new().with_idle_timeout(Duration::minutes(10));
/// let created = OffsetDateTime::UNIX_EPOCH;
/// let now = created + Duration::hours(1);
/// assert_eq!(expiry.deadline(created, now), Some(now + Duration::minutes(10)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expiry {
    idle: Option<Duration>,
    absolute: Option<Duration>,
    touch_interval: Duration,
}

impl Default for Expiry {
    fn default() -> Self {
        Self {
            idle: Some(Self::DEFAULT_IDLE_TIMEOUT),
            absolute: Some(Self::DEFAULT_ABSOLUTE_TIMEOUT),
            touch_interval: Self::DEFAULT_TOUCH_INTERVAL,
        }
    }
}

impl Expiry {
    /// 30 minutes.
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::minutes(30);
    /// 12 hours.
    pub const DEFAULT_ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);
    /// 1 minute.
    pub const DEFAULT_TOUCH_INTERVAL: Duration = Duration::minutes(1);

    /// The defaults described above.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::Expiry::new(), satchel::Expiry::default());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// No expiry at all: sessions live until deleted. Only for applications that prune or
    /// delete sessions themselves.
    ///
    /// # Example
    /// ```
    /// let never = satchel::Expiry::never();
    /// assert_eq!(never.deadline(time::OffsetDateTime::UNIX_EPOCH, time::OffsetDateTime::UNIX_EPOCH), None);
    /// ```
    #[must_use]
    pub fn never() -> Self {
        Self {
            idle: None,
            absolute: None,
            ..Self::default()
        }
    }

    /// Sets the idle timeout.
    ///
    /// # Example
    /// ```
    /// let expiry = satchel::Expiry::new().with_idle_timeout(time::Duration::minutes(5));
    /// assert_eq!(expiry.idle_timeout(), Some(time::Duration::minutes(5)));
    /// ```
    #[must_use]
    pub fn with_idle_timeout(mut self, idle: Duration) -> Self {
        self.idle = Some(idle);
        self
    }

    /// Removes the idle timeout (the absolute one still applies).
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::Expiry::new().without_idle_timeout().idle_timeout(), None);
    /// ```
    #[must_use]
    pub fn without_idle_timeout(mut self) -> Self {
        self.idle = None;
        self
    }

    /// Sets the absolute timeout.
    ///
    /// # Example
    /// ```
    /// let expiry = satchel::Expiry::new().with_absolute_timeout(time::Duration::hours(1));
    /// assert_eq!(expiry.absolute_timeout(), Some(time::Duration::hours(1)));
    /// ```
    #[must_use]
    pub fn with_absolute_timeout(mut self, absolute: Duration) -> Self {
        self.absolute = Some(absolute);
        self
    }

    /// Removes the absolute timeout (the idle one still applies).
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::Expiry::new().without_absolute_timeout().absolute_timeout(), None);
    /// ```
    #[must_use]
    pub fn without_absolute_timeout(mut self) -> Self {
        self.absolute = None;
        self
    }

    /// How often, at most, a read-only request writes the moved idle deadline (never more
    /// than half the idle timeout, so a short idle timeout still slides).
    ///
    /// # Example
    /// ```
    /// let expiry = satchel::Expiry::new().with_touch_interval(time::Duration::seconds(10));
    /// assert_eq!(expiry.touch_interval(), time::Duration::seconds(10));
    /// ```
    #[must_use]
    pub fn with_touch_interval(mut self, interval: Duration) -> Self {
        self.touch_interval = interval;
        self
    }

    /// The idle timeout, if any.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::Expiry::new().idle_timeout(), Some(satchel::Expiry::DEFAULT_IDLE_TIMEOUT));
    /// ```
    #[must_use]
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.idle
    }

    /// The absolute timeout, if any.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::Expiry::new().absolute_timeout(), Some(satchel::Expiry::DEFAULT_ABSOLUTE_TIMEOUT));
    /// ```
    #[must_use]
    pub fn absolute_timeout(&self) -> Option<Duration> {
        self.absolute
    }

    /// The touch interval.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::Expiry::new().touch_interval(), satchel::Expiry::DEFAULT_TOUCH_INTERVAL);
    /// ```
    #[must_use]
    pub fn touch_interval(&self) -> Duration {
        self.touch_interval
    }

    /// When a session created at `created` and active at `now` ends: the earlier of the idle
    /// and the absolute deadline, or `None` without either.
    ///
    /// # Example
    /// ```
    /// use time::{Duration, OffsetDateTime};
    /// let expiry = satchel::Expiry::new().with_absolute_timeout(Duration::hours(1));
    /// let created = OffsetDateTime::UNIX_EPOCH;
    /// // Near the end of its life, the absolute deadline wins over the idle one.
    /// let late = created + Duration::minutes(50);
    /// assert_eq!(expiry.deadline(created, late), Some(created + Duration::hours(1)));
    /// ```
    #[must_use]
    pub fn deadline(&self, created: OffsetDateTime, now: OffsetDateTime) -> Option<OffsetDateTime> {
        // A bound past the calendar's end (a timeout of millennia) bounds nothing.
        let idle = self.idle.and_then(|idle| now.checked_add(idle));
        let absolute = self
            .absolute
            .and_then(|absolute| created.checked_add(absolute));
        match (idle, absolute) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether `session` has ended at `now`: by its stored deadline, by this policy's
    /// absolute timeout, or by its idle timeout, either of which may be shorter than when
    /// the session was stored.
    ///
    /// A deadline further off than `now` plus the idle timeout was set under a longer one
    /// (or none), and when the session was last used cannot be told from it: such a
    /// session is kept only while it is younger than the idle timeout, since only then can
    /// it not have been idle that long. So a shortened idle timeout applies to every
    /// session at its next request, at the price of ending some that were active shortly
    /// before the change.
    ///
    /// # Example
    /// ```
    /// use satchel::{Expiry, Session, SessionId};
    /// use time::Duration;
    ///
    /// let session = Session::new(SessionId::generate()?);
    /// let much_later = session.created_at() + Duration::days(1);
    /// assert!(Expiry::new().is_expired(&session, much_later));
    /// assert!(!Expiry::never().is_expired(&session, much_later));
    ///
    /// // Stored under a one-hour idle timeout, judged under ten minutes 11 minutes later.
    /// let mut stored = session.clone();
    /// stored.set_expires_at(Some(stored.created_at() + Duration::hours(1)));
    /// let now = stored.created_at() + Duration::minutes(11);
    /// let shorter = Expiry::new().with_idle_timeout(Duration::minutes(10));
    /// assert!(shorter.is_expired(&stored, now));
    /// assert!(!Expiry::new().with_idle_timeout(Duration::hours(1)).is_expired(&stored, now));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn is_expired(&self, session: &Session, now: OffsetDateTime) -> bool {
        // In unix seconds, as the clock and the stores keep time: `time`'s calendar-aware
        // additions cost more than all the rest of this check, on every request.
        let now = now.unix_timestamp();
        let created = session.created_at().unix_timestamp();
        let expires = session.expires_at().map(OffsetDateTime::unix_timestamp);
        let stored = expires.is_some_and(|at| at <= now);
        let absolute = self
            .absolute
            .is_some_and(|absolute| created.saturating_add(absolute.whole_seconds()) <= now);
        stored || absolute || self.outlived_idle(created, expires, now)
    }

    /// A deadline set under a longer idle timeout, on a session old enough to have been
    /// idle for the whole of the current one (all in unix seconds).
    fn outlived_idle(&self, created: i64, expires: Option<i64>, now: i64) -> bool {
        let Some(idle) = self.idle.map(|idle| idle.whole_seconds()) else {
            return false;
        };
        let longer = expires.is_none_or(|at| at > now.saturating_add(idle));
        longer && created.saturating_add(idle) <= now
    }

    /// The new deadline to write for a session that was only read, if it moved by at least
    /// the touch interval, or if it comes earlier than the stored one (set under a longer
    /// timeout); `None` when no write is due.
    ///
    /// # Example
    /// ```
    /// use satchel::{Expiry, Record, Session, SessionId};
    /// use time::Duration;
    ///
    /// let expiry = Expiry::new();
    /// let mut record = Record::new();
    /// record.expires_at = expiry.deadline(record.created_at, record.created_at);
    /// let session = Session::from_record(SessionId::generate()?, record);
    /// let soon = session.created_at() + Duration::seconds(10);
    /// assert_eq!(expiry.touch_due(&session, soon), None);
    /// let later = session.created_at() + Duration::minutes(5);
    /// assert!(expiry.touch_due(&session, later).is_some());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn touch_due(&self, session: &Session, now: OffsetDateTime) -> Option<OffsetDateTime> {
        let moved = self.deadline(session.created_at(), now)?;
        // A short idle timeout must still slide: never wait more than half of it.
        let interval = self.idle.map_or(self.touch_interval, |idle| {
            self.touch_interval.min(idle / 2)
        });
        match session.expires_at() {
            Some(current) if current <= moved && moved - current < interval => None,
            _ => Some(moved),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::SessionId;
    use crate::record::Record;
    use proptest::prelude::*;

    #[test]
    fn a_short_idle_timeout_still_slides() {
        let expiry = Expiry::new().with_idle_timeout(Duration::seconds(2));
        let mut record = Record::new();
        record.expires_at = expiry.deadline(record.created_at, record.created_at);
        let session = Session::from_record(SessionId::generate().unwrap(), record);
        let now = session.created_at() + Duration::seconds(1);
        assert_eq!(
            expiry.touch_due(&session, now),
            Some(now + Duration::seconds(2))
        );
    }

    proptest! {
        #[test]
        fn deadline_never_exceeds_either_bound(created in 0i64..1_000_000, later in 0i64..1_000_000,
                                               idle in 1i64..100_000, absolute in 1i64..100_000) {
            let created = OffsetDateTime::UNIX_EPOCH + Duration::seconds(created);
            let now = created + Duration::seconds(later);
            let expiry = Expiry::new()
                .with_idle_timeout(Duration::seconds(idle))
                .with_absolute_timeout(Duration::seconds(absolute));
            let deadline = expiry.deadline(created, now).unwrap();
            prop_assert!(deadline <= now + Duration::seconds(idle));
            prop_assert!(deadline <= created + Duration::seconds(absolute));
            prop_assert!(deadline == now + Duration::seconds(idle) || deadline == created + Duration::seconds(absolute));
        }
    }
}
