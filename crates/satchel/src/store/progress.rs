//! `Progress`: how far a long store operation (prune) has got.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Told `(checked, total)` as [`SessionStore::prune`](super::SessionStore::prune) goes
/// through the stored sessions (the `satchel prune` progress bar); [`Progress::none`] for
/// no report. It also tallies how many of the deleted sessions were unreadable records
/// (corrupt files, say) that the store removed for their age alone: see
/// [`Progress::unreadable`].
///
/// # Example
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use satchel::store::Progress;
///
/// let seen = Arc::new(AtomicU64::new(0));
/// let counter = Arc::clone(&seen);
/// let progress = Progress::new(move |checked, _total| counter.store(checked, Ordering::Relaxed));
/// progress.report(3, 10);
/// assert_eq!(seen.load(Ordering::Relaxed), 3);
/// ```
#[derive(Clone, Default)]
pub struct Progress {
    report: Option<Arc<dyn Fn(u64, u64) + Send + Sync>>,
    /// Shared by clones, so the caller reads what the store counted.
    unreadable: Arc<AtomicU64>,
}

impl Progress {
    /// Reports to nobody.
    ///
    /// # Example
    /// ```
    /// satchel::store::Progress::none().report(1, 1);
    /// ```
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Reports to `report(checked, total)`.
    ///
    /// # Example
    /// ```
    /// let progress = satchel::store::Progress::new(|checked, total| assert!(checked <= total));
    /// progress.report(1, 2);
    /// ```
    #[must_use]
    pub fn new(report: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        Self {
            report: Some(Arc::new(report)),
            ..Self::default()
        }
    }

    /// Says that `checked` of `total` sessions have been looked at.
    ///
    /// # Example
    /// ```
    /// satchel::store::Progress::none().report(0, 0);
    /// ```
    pub fn report(&self, checked: u64, total: u64) {
        if let Some(report) = &self.report {
            report(checked, total);
        }
    }

    /// Says that `removed` more of the deleted sessions were records the store could not
    /// read, removed because they were older than it keeps such records (stores call this).
    ///
    /// # Example
    /// ```
    /// let progress = satchel::store::Progress::none();
    /// progress.add_unreadable(2);
    /// assert_eq!(progress.unreadable(), 2);
    /// ```
    pub fn add_unreadable(&self, removed: u64) {
        self.unreadable.fetch_add(removed, Ordering::Relaxed);
    }

    /// How many of the sessions deleted so far were unreadable records (included in what
    /// [`SessionStore::prune`](super::SessionStore::prune) returns).
    ///
    /// # Example
    /// ```
    /// use satchel::{MemoryStore, SessionStore, store::Progress};
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let progress = Progress::none();
    /// MemoryStore::new().prune(&progress).await?;
    /// assert_eq!(progress.unreadable(), 0);
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn unreadable(&self) -> u64 {
        self.unreadable.load(Ordering::Relaxed)
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress")
            .field("reports", &self.report.is_some())
            .field("unreadable", &self.unreadable())
            .finish()
    }
}
