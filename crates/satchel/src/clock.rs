//! Where satchel reads the time: the system clock, or one that tests move by hand.

use std::cell::Cell;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use time::{Duration, OffsetDateTime};

/// The time source of a store and of the middleware's expiry checks.
///
/// [`Clock::system`] (the default) reads the system clock; [`Clock::manual`] stands still
/// until moved, so expiry can be tested without sleeping. Clones of a manual clock share
/// its time. Times are whole seconds, as stores keep them.
///
/// # Example
/// ```
/// use satchel::Clock;
/// use time::{Duration, OffsetDateTime};
///
/// let clock = Clock::manual(OffsetDateTime::UNIX_EPOCH);
/// let shared = clock.clone();
/// clock.advance(Duration::minutes(5));
/// assert_eq!(shared.now(), OffsetDateTime::UNIX_EPOCH + Duration::minutes(5));
/// ```
#[derive(Clone, Default)]
pub struct Clock {
    manual: Option<Arc<Mutex<OffsetDateTime>>>,
}

impl Clock {
    /// The system clock.
    ///
    /// # Example
    /// ```
    /// assert!(satchel::Clock::system().now() <= time::OffsetDateTime::now_utc());
    /// ```
    #[must_use]
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that shows `start` until moved with [`Clock::advance`] or [`Clock::set`].
    ///
    /// # Example
    /// ```
    /// let clock = satchel::Clock::manual(time::OffsetDateTime::UNIX_EPOCH);
    /// assert_eq!(clock.now().unix_timestamp(), 0);
    /// ```
    #[must_use]
    pub fn manual(start: OffsetDateTime) -> Self {
        Self {
            manual: Some(Arc::new(Mutex::new(whole_seconds(start)))),
        }
    }

    /// The current time, in whole seconds.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::Clock::system().now().nanosecond(), 0);
    /// ```
    #[must_use]
    pub fn now(&self) -> OffsetDateTime {
        match &self.manual {
            Some(time) => *time
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            None => system_now(),
        }
    }

    /// Moves a manual clock forward by `by`; the system clock cannot be moved and ignores it.
    ///
    /// # Example
    /// ```
    /// let clock = satchel::Clock::manual(time::OffsetDateTime::UNIX_EPOCH);
    /// clock.advance(time::Duration::seconds(3));
    /// assert_eq!(clock.now().unix_timestamp(), 3);
    /// ```
    pub fn advance(&self, by: Duration) {
        if let Some(time) = &self.manual {
            let mut time = time
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // Past the calendar's end the clock stays put rather than panicking.
            *time = whole_seconds(time.checked_add(by).unwrap_or(*time));
        }
    }

    /// Sets a manual clock to `at`; the system clock ignores it.
    ///
    /// # Example
    /// ```
    /// let clock = satchel::Clock::manual(time::OffsetDateTime::UNIX_EPOCH);
    /// clock.set(time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(1));
    /// assert_eq!(clock.now().unix_timestamp(), 86_400);
    /// ```
    pub fn set(&self, at: OffsetDateTime) {
        if let Some(time) = &self.manual {
            *time
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = whole_seconds(at);
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.manual {
            Some(_) => write!(f, "Clock::manual({})", self.now()),
            None => f.write_str("Clock::system()"),
        }
    }
}

/// The system time to the second. The calendar arithmetic that turns seconds into a date
/// is done once per second and thread, not on each of the several reads a request makes.
fn system_now() -> OffsetDateTime {
    thread_local! {
        static LAST: Cell<Option<(u64, OffsetDateTime)>> = const { Cell::new(None) };
    }
    let Ok(since_epoch) = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) else {
        return whole_seconds(OffsetDateTime::now_utc()); // a clock set before 1970
    };
    let seconds = since_epoch.as_secs();
    LAST.with(|last| match last.get() {
        Some((cached, at)) if cached == seconds => at,
        _ => {
            let at = i64::try_from(seconds)
                .ok()
                .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok())
                .unwrap_or_else(|| whole_seconds(OffsetDateTime::now_utc()));
            last.set(Some((seconds, at)));
            at
        }
    })
}

fn whole_seconds(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_nanosecond(0).unwrap_or(at)
}
