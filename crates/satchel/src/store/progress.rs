//! `Progress`: how far a long store operation (prune) has got.

use std::fmt;
use std::sync::Arc;

/// Told `(checked, total)` as [`SessionStore::prune`](super::SessionStore::prune) goes
/// through the stored sessions (the `satchel prune` progress bar); [`Progress::none`] for
/// no report.
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
pub struct Progress(Option<Arc<dyn Fn(u64, u64) + Send + Sync>>);

impl Progress {
    /// Reports to nobody.
    ///
    /// # Example
    /// ```
    /// satchel::store::Progress::none().report(1, 1);
    /// ```
    #[must_use]
    pub fn none() -> Self {
        Self(None)
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
        Self(Some(Arc::new(report)))
    }

    /// Says that `checked` of `total` sessions have been looked at.
    ///
    /// # Example
    /// ```
    /// satchel::store::Progress::none().report(0, 0);
    /// ```
    pub fn report(&self, checked: u64, total: u64) {
        if let Some(report) = &self.0 {
            report(checked, total);
        }
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Progress").field(&self.0.is_some()).finish()
    }
}
