//! `prune`: delete expired sessions, with a progress bar on a terminal.

use std::io::{IsTerminal as _, Write};

use indicatif::{ProgressBar, ProgressFinish, ProgressStyle};
use satchel::SessionStore;
use satchel::store::Progress;

use crate::error::Failure;

/// The bar's look: position, total, and an estimate of the time left.
const BAR_TEMPLATE: &str = "{msg} [{bar:40}] {pos}/{len} ({eta})";

/// Deletes (or with `dry_run`, only counts) the expired sessions, then prints how many,
/// and how many of them were records the store could not read, removed for their age.
pub(crate) async fn prune(
    store: &impl SessionStore,
    dry_run: bool,
    out: &mut impl Write,
) -> Result<(), Failure> {
    if dry_run {
        let expired = count_expired(store).await?;
        writeln!(out, "{expired} expired sessions would be pruned")?;
        return Ok(());
    }
    let bar = progress_bar(false);
    let moved = bar.clone();
    let progress = Progress::new(move |checked, total| {
        moved.set_length(total);
        moved.set_position(checked);
    });
    let deleted = store.prune(&progress).await?;
    bar.finish_and_clear();
    match progress.unreadable() {
        0 => writeln!(out, "pruned {deleted} expired sessions")?,
        unreadable => writeln!(
            out,
            "pruned {deleted} expired sessions ({unreadable} of them unreadable)"
        )?,
    }
    Ok(())
}

/// How many stored sessions have expired, deleting none.
async fn count_expired(store: &impl SessionStore) -> satchel::Result<u64> {
    let keys = store.list().await?;
    let bar = progress_bar(true);
    bar.set_length(keys.len() as u64);
    let now = store.clock().now();
    let mut expired = 0;
    for key in &keys {
        let record = store.load(key).await?;
        expired += u64::from(record.is_some_and(|record| record.is_expired(now)));
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(expired)
}

/// A bar on stderr when it is a terminal, else a hidden one: pipes and logs get only the
/// summary line. It clears itself when dropped, so an error line is not drawn over.
fn progress_bar(dry_run: bool) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(BAR_TEMPLATE)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let message = if dry_run { "checking" } else { "pruning" };
    ProgressBar::new(0)
        .with_style(style)
        .with_message(message)
        .with_finish(ProgressFinish::AndClear)
}
