//! A stream of requests against an app whose store goes away and comes back: what the
//! outage tests measure.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::send;

/// Generous on purpose: the figures are printed; the bar is that nothing hangs.
pub const FAIL_FAST_BOUND: Duration = Duration::from_secs(5);
pub const RECOVERY_BOUND: Duration = Duration::from_secs(10);
pub const OUTAGE: Duration = Duration::from_millis(1500);
const PAUSE_BETWEEN_REQUESTS: Duration = Duration::from_millis(20);

#[derive(Clone, Copy, Debug)]
pub struct Sample {
    started: Instant,
    took: Duration,
    status: u16,
}

pub type Samples = Arc<Mutex<Vec<Sample>>>;

/// Requests one after another on one session until told to stop (or 3000 of them).
pub async fn request_stream(
    app: axum::Router,
    cookie: String,
    samples: Samples,
    stop: Arc<AtomicBool>,
) {
    for n in 0..3000 {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let started = Instant::now();
        let response = send(
            &app,
            "POST",
            &format!("/insert/k{}", n % 8),
            Some(&cookie),
            "x",
        )
        .await;
        let took = started.elapsed();
        let status = response.status().as_u16();
        samples.lock().unwrap().push(Sample {
            started,
            took,
            status,
        });
        tokio::time::sleep(PAUSE_BETWEEN_REQUESTS).await;
    }
}

/// How long after `since` the first request that started then succeeded had finished.
pub async fn recovery_after(samples: &Samples, since: Instant) -> Duration {
    let deadline = since + RECOVERY_BOUND;
    loop {
        let first_success = samples
            .lock()
            .unwrap()
            .iter()
            .copied()
            .find(|s| s.started >= since && s.status == 200);
        if let Some(sample) = first_success {
            return sample.started + sample.took - since;
        }
        assert!(
            Instant::now() < deadline,
            "requests did not recover within {RECOVERY_BOUND:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The requests that started and ended while the store was away: all 500, all fast.
pub fn check_outage(samples: &Samples, from: Instant, to: Instant, what: &str) {
    let during: Vec<Sample> = samples
        .lock()
        .unwrap()
        .iter()
        .copied()
        .filter(|s| s.started >= from && s.started + s.took <= to)
        .collect();
    assert!(
        !during.is_empty(),
        "no request ran while the store was {what}"
    );
    let mut took: Vec<Duration> = during.iter().map(|s| s.took).collect();
    took.sort();
    println!(
        "{what}: {} requests answered 500; median {:?}, slowest {:?}",
        during.len(),
        took[took.len() / 2],
        took[took.len() - 1]
    );
    assert!(during.iter().all(|s| s.status == 500), "{during:?}");
    assert!(took.iter().all(|t| *t < FAIL_FAST_BOUND), "{took:?}");
}

/// What an outage test does to its server.
pub trait Server {
    /// Freezes it (SIGSTOP): its sockets stay open but nothing answers.
    fn hang(&mut self);
    /// Thaws it (SIGCONT).
    fn resume(&mut self);
    /// Stops it at once.
    fn kill(&mut self);
    /// Starts it again on the same address.
    fn restart(&mut self);
}

/// Runs a stream of requests on `cookie`'s session while `server` first hangs, then dies
/// and comes back: requests fail fast with 500 while it is away, nothing panics, and they
/// succeed again by themselves afterwards. Prints the figures.
pub async fn survive_outages(
    app: &axum::Router,
    cookie: &str,
    server: &mut impl Server,
    name: &str,
) {
    let (samples, stop) = (Samples::default(), Arc::new(AtomicBool::new(false)));
    let stream = tokio::spawn(request_stream(
        app.clone(),
        cookie.to_owned(),
        samples.clone(),
        stop.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let healthy = samples.lock().unwrap().clone();
    assert!(
        !healthy.is_empty() && healthy.iter().all(|s| s.status == 200),
        "{healthy:?}"
    );

    server.hang();
    let hung = Instant::now();
    tokio::time::sleep(OUTAGE).await;
    // As with the restart below: the server may answer before `resume` returns (a
    // loaded CI run answered one request with 200 inside the window that way).
    let resumed = Instant::now();
    server.resume();
    check_outage(&samples, hung, resumed, &format!("{name} hung (SIGSTOP)"));
    let recovery = recovery_after(&samples, resumed).await;
    println!("{name} resumed: the first request succeeded within {recovery:?}");

    server.kill();
    let killed = Instant::now();
    tokio::time::sleep(OUTAGE).await;
    // The server may answer before `restart` returns: the outage ends when it is called.
    let restarted = Instant::now();
    server.restart();
    check_outage(&samples, killed, restarted, &format!("{name} stopped"));
    let recovery = recovery_after(&samples, restarted).await;
    println!("{name} restarted: the first request succeeded within {recovery:?}");

    stop.store(true, Ordering::SeqCst);
    stream.await.expect("the request stream panicked");
}
