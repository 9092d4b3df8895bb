//! How a store's latency moves as it grows: `scaling STORE_URL SIZE…` fills one store
//! (`memory:`, `file:DIR`, `sqlite:PATH`, `redis://…`, `postgres://…`, starting empty)
//! to each size in turn and, at each, times 2,000 loads and 2,000 saves of sessions spread
//! over all it holds, one at a time (latency, not throughput). At 100,000 sessions it also
//! times `list` and a `prune` that finds half of them expired; on `memory:` it also fills a
//! store of its own to the largest size and reports the resident memory each stored
//! session costs. One JSON line per figure on stdout.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use satchel::store::{AnyStore, Progress};
use satchel::time::{Duration as Span, OffsetDateTime};
use satchel::{
    Clock, FilesystemStore, MemoryStore, PostgresStore, RedisStore, SessionStore as _,
    SessionStoreExt as _, SqliteStore,
};

type Failure = Box<dyn std::error::Error + Send + Sync>;

const SAMPLES: usize = 2_000;
const WRITERS: usize = 32;
/// Where `list` and `prune` are timed.
const LIST_AT: usize = 100_000;

async fn open(url: &str, clock: Clock) -> Result<AnyStore, Failure> {
    let (scheme, rest) = url.split_once(':').unwrap_or((url, ""));
    Ok(match scheme {
        "memory" => AnyStore::new(MemoryStore::new().with_clock(clock)),
        "file" => AnyStore::new(FilesystemStore::new(rest)?.with_clock(clock)),
        "sqlite" => AnyStore::new(SqliteStore::open(rest)?.with_clock(clock)),
        "redis" => AnyStore::new(RedisStore::open(url).await?.with_clock(clock)),
        "postgres" => AnyStore::new(PostgresStore::new(url)?.with_clock(clock)),
        _ => return Err(format!("unknown store `{url}`").into()),
    })
}

/// Adds sessions until the store holds `target`, `WRITERS` at a time; every other one
/// expires within the hour (so a prune two hours on finds half expired).
/// Every id the store holds, and whether it outlives the prune.
type Ids = Arc<Mutex<Vec<(String, bool)>>>;

async fn fill(store: &AnyStore, ids: &Ids, target: usize) -> Result<(), Failure> {
    let next = Arc::new(AtomicUsize::new(ids.lock().map_err(|_| "poisoned")?.len()));
    let mut writers = Vec::new();
    for _ in 0..WRITERS {
        let (store, ids, next) = (store.clone(), Arc::clone(ids), Arc::clone(&next));
        writers.push(tokio::spawn(async move {
            loop {
                let ticket = next.fetch_add(1, Ordering::Relaxed);
                if ticket >= target {
                    break;
                }
                let long_lived = ticket % 2 == 1;
                let mut session = store.new_session()?;
                session.insert("user", "someone@example.com")?;
                session.insert("n", 0)?;
                let hours = if long_lived { 24 * 365 } else { 1 };
                session.set_expires_at(Some(store.clock().now() + Span::hours(hours)));
                store.save(&mut session).await?;
                let id = session.id().as_str().to_owned();
                ids.lock().map_err(|_| "poisoned")?.push((id, long_lived));
            }
            Ok::<(), Failure>(())
        }));
    }
    for writer in writers {
        writer.await??;
    }
    Ok(())
}

/// The median and 99th percentile, in microseconds.
fn percentiles(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    (at(0.5), at(0.99))
}

async fn latencies(
    store: &AnyStore,
    ids: &[(String, bool)],
) -> Result<(f64, f64, f64, f64), Failure> {
    // Long-lived sessions only, spread evenly over all the store holds.
    let long_lived: Vec<&String> = ids
        .iter()
        .filter(|(_, kept)| *kept)
        .map(|(id, _)| id)
        .collect();
    let step = (long_lived.len() / SAMPLES).max(1);
    let (mut loads, mut saves) = (Vec::new(), Vec::new());
    for (i, id) in long_lived.iter().step_by(step).take(SAMPLES).enumerate() {
        let started = Instant::now();
        let mut session = store.get(id).await?;
        loads.push(started.elapsed());
        if session.is_new() {
            return Err(format!("session {i} was not found").into());
        }
        session.insert("n", i)?;
        let started = Instant::now();
        store.save(&mut session).await?;
        saves.push(started.elapsed());
    }
    let ((load50, load99), (save50, save99)) = (percentiles(loads), percentiles(saves));
    Ok((load50, load99, save50, save99))
}

/// Resident memory of this process, in bytes (Linux).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: scaling STORE_URL SIZE…")?;
    let mut sizes: Vec<usize> = args.map(|size| size.parse()).collect::<Result<_, _>>()?;
    sizes.sort_unstable();
    sizes.dedup();
    let name = url.split(':').next().unwrap_or(&url).to_owned();
    let clock = Clock::manual(OffsetDateTime::now_utc());
    let store = open(&url, clock.clone()).await?;
    let ids = Arc::new(Mutex::new(Vec::new()));
    let sizes_max = sizes.last().ok_or("no sizes given")?;
    for &size in &sizes {
        let started = Instant::now();
        fill(&store, &ids, size).await?;
        let filled = started.elapsed().as_secs_f64();
        let all = ids.lock().map_err(|_| "poisoned")?.clone();
        let (load50, load99, save50, save99) = latencies(&store, &all).await?;
        println!(
            "{{\"store\":\"{name}\",\"sessions\":{size},\"fill_s\":{filled:.1},\"load_p50_us\":{load50:.1},\"load_p99_us\":{load99:.1},\"save_p50_us\":{save50:.1},\"save_p99_us\":{save99:.1}}}"
        );
        if size == LIST_AT {
            let started = Instant::now();
            let listed = store.list().await?.len();
            let list_s = started.elapsed().as_secs_f64();
            clock.advance(Span::hours(2));
            let started = Instant::now();
            let pruned = store.prune(&Progress::none()).await?;
            let prune_s = started.elapsed().as_secs_f64();
            println!(
                "{{\"store\":\"{name}\",\"sessions\":{size},\"listed\":{listed},\"list_per_s\":{:.0},\"pruned\":{pruned},\"prune_checked_per_s\":{:.0}}}",
                listed as f64 / list_s,
                listed as f64 / prune_s
            );
            // The pruned half is gone: keep only the long-lived ids, and refill to size.
            let mut ids = ids.lock().map_err(|_| "poisoned")?;
            ids.retain(|(_, kept)| *kept);
        }
    }
    if name == "memory" {
        memory_per_session(*sizes_max).await?;
    }
    Ok(())
}

/// What one stored session costs `MemoryStore` in resident memory: a store of its own,
/// filled with `count` sessions like the others while this process keeps nothing else.
async fn memory_per_session(count: usize) -> Result<(), Failure> {
    let store = MemoryStore::new();
    let before = resident_bytes().ok_or("no /proc/self/statm")?;
    for _ in 0..count {
        let mut session = store.new_session()?;
        session.insert("user", "someone@example.com")?;
        session.insert("n", 0)?;
        store.save(&mut session).await?;
    }
    let after = resident_bytes().ok_or("no /proc/self/statm")?;
    let per = after.saturating_sub(before) as f64 / count as f64;
    println!(
        "{{\"store\":\"memory\",\"sessions\":{count},\"resident_bytes_per_session\":{per:.0}}}"
    );
    Ok(())
}
