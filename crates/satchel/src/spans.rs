//! The library's tracing spans, made only when a subscriber wants them.
//!
//! A span nobody records still costs: `Instrumented` enters and exits it on every poll of
//! the future it wraps, and with tracing's `log` feature (which axum's default features
//! turn on) each of those asks the `log` crate whether to print it. On the request path
//! that was a measurable share of a session's cost (bench/analysis.md).

/// Awaits `$future` inside a span of `$level` named `$name` when a subscriber records that
/// level, else awaits it alone; used in place of `.await`, so the future is not moved into
/// a wrapper of its own.
macro_rules! in_span {
    ($level:ident, $name:literal, $future:expr) => {
        if ::tracing::enabled!(::tracing::Level::$level) {
            let span = ::tracing::span!(::tracing::Level::$level, $name);
            ::tracing::Instrument::instrument($future, span).await
        } else {
            $future.await
        }
    };
}

pub(crate) use in_span;

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    /// Records the names of the spans made while it is the default subscriber.
    #[derive(Clone, Default)]
    struct Names(Arc<Mutex<Vec<&'static str>>>);

    impl Subscriber for Names {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, span: &Attributes<'_>) -> Id {
            let mut names = self.0.lock().unwrap_or_else(|e| e.into_inner());
            names.push(span.metadata().name());
            Id::from_u64(names.len() as u64)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, _: &Event<'_>) {}
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    fn run<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn a_subscriber_sees_the_span() {
        let names = Names::default();
        let value = tracing::subscriber::with_default(names.clone(), || {
            run(async { in_span!(DEBUG, "satchel.test", async { 7 }) })
        });
        assert_eq!(value, 7);
        assert_eq!(*names.0.lock().unwrap(), ["satchel.test"]);
    }

    #[test]
    fn without_a_subscriber_the_future_runs_bare() {
        assert_eq!(
            run(async { in_span!(DEBUG, "satchel.test", async { 7 }) }),
            7
        );
    }
}
