//! satchel's file store, measured two ways (one JSON line per figure on stdout):
//!
//! - `files-ops ops FORMAT DIR COUNT LISTED`: what `bench/files/secure_cookie_ops.py` does
//!   with secure-cookie 0.2.0 — new+save, get, save of a change and delete, `COUNT` times
//!   each, one at a time, then `list` of `LISTED` sessions — on FORMAT `satchel` (the
//!   default file format) or `werkzeug` (werkzeug's own pickles).
//! - `files-ops durable DIR WRITERS SECONDS`: the disk's raw durable-write rate (write a
//!   temp file, fsync it, rename it, fsync the directory) with `WRITERS` threads, then
//!   satchel's saves of changed sessions with as many tasks, for `SECONDS` each.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use satchel::{FilesystemStore, SessionStore as _, SessionStoreExt as _};

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn report(label: &str, format: &str, count: usize, elapsed: Duration) {
    let per_s = count as f64 / elapsed.as_secs_f64();
    println!(
        "{{\"impl\":\"satchel ({format})\",\"op\":\"{label}\",\"count\":{count},\"per_s\":{per_s:.1}}}"
    );
}

fn store(format: &str, dir: &Path) -> Result<FilesystemStore, Failure> {
    Ok(match format {
        "satchel" => FilesystemStore::new(dir)?,
        "werkzeug" => FilesystemStore::werkzeug(dir)?,
        _ => return Err(format!("unknown format `{format}`").into()),
    })
}

async fn ops(format: &str, dir: &Path, count: usize, listed: usize) -> Result<(), Failure> {
    let store = store(format, dir)?;
    let mut ids = Vec::with_capacity(count);
    let started = Instant::now();
    for _ in 0..count {
        let mut session = store.new_session()?;
        session.insert("user", "someone@example.com")?;
        session.insert("n", 0)?;
        store.save(&mut session).await?;
        ids.push(session.id().as_str().to_owned());
    }
    report("new+save", format, count, started.elapsed());
    let started = Instant::now();
    for id in &ids {
        if store.get(id).await?.is_new() {
            return Err("a saved session was not found".into());
        }
    }
    report("get", format, count, started.elapsed());
    let started = Instant::now();
    for (i, id) in ids.iter().enumerate() {
        let mut session = store.get(id).await?;
        session.insert("n", i)?;
        store.save(&mut session).await?;
    }
    report("save of a change", format, count, started.elapsed());
    let started = Instant::now();
    for id in &ids {
        let mut session = store.get(id).await?;
        store.destroy(&mut session).await?;
    }
    report("delete", format, count, started.elapsed());
    for _ in 0..listed {
        let mut session = store.new_session()?;
        session.insert("n", 0)?;
        store.save(&mut session).await?;
    }
    let started = Instant::now();
    if store.list().await?.len() != listed {
        return Err("list missed sessions".into());
    }
    report("list", format, listed, started.elapsed());
    Ok(())
}

/// One durable replacement of a small file, as an atomic save must make it.
fn raw_write(dir: &Path, name: &str, body: &[u8]) -> std::io::Result<()> {
    let temp: PathBuf = dir.join(format!(".{name}.tmp"));
    let mut file = File::create(&temp)?;
    file.write_all(body)?;
    file.sync_all()?;
    std::fs::rename(&temp, dir.join(name))?;
    File::open(dir)?.sync_all()
}

/// Raw writes and satchel saves, each for `window`, alternating `rounds` times so that
/// the disk's drift over the run (it moves by half on this kind of machine) hits both.
async fn durable(dir: &Path, writers: usize, seconds: u64) -> Result<(), Failure> {
    let window = Duration::from_millis(500);
    let rounds = (seconds * 2).max(1);
    let raw_dir = dir.join("raw");
    std::fs::create_dir_all(&raw_dir)?;
    let store = FilesystemStore::new(dir.join("sessions"))?;
    let mut sessions = Vec::new();
    for _ in 0..writers {
        let mut session = store.new_session()?;
        session.insert("user", "someone@example.com")?;
        store.save(&mut session).await?;
        sessions.push(session);
    }
    let (mut raw, mut saves) = (0, 0);
    for _ in 0..rounds {
        raw += raw_writes(&raw_dir, writers, window)?;
        let (done, sessions_back) = satchel_saves(&store, sessions, window).await?;
        saves += done;
        sessions = sessions_back;
    }
    let elapsed = window.as_secs_f64() * rounds as f64;
    let (raw, saves) = (raw as f64 / elapsed, saves as f64 / elapsed);
    println!(
        "{{\"durable\":true,\"writers\":{writers},\"raw_per_s\":{raw:.1},\"satchel_per_s\":{saves:.1},\"ratio\":{:.3}}}",
        saves / raw
    );
    Ok(())
}

/// How many raw durable writes `writers` threads make in `window`.
fn raw_writes(dir: &Path, writers: usize, window: Duration) -> Result<u64, Failure> {
    let done = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let body = br#"{"data":{"n":1,"user":"someone@example.com"},"created_at":1,"expires_at":2}"#;
    let threads: Vec<_> = (0..writers)
        .map(|writer| {
            let (dir, done, count) = (dir.to_owned(), Arc::clone(&done), Arc::clone(&count));
            std::thread::spawn(move || -> std::io::Result<()> {
                while !done.load(Ordering::Relaxed) {
                    raw_write(&dir, &format!("s{writer}"), body)?;
                    count.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
        })
        .collect();
    std::thread::sleep(window);
    done.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().map_err(|_| "a writer panicked")??;
    }
    Ok(count.load(Ordering::Relaxed))
}

/// How many saves of changed sessions one task per session makes in `window`.
async fn satchel_saves(
    store: &FilesystemStore,
    sessions: Vec<satchel::Session>,
    window: Duration,
) -> Result<(u64, Vec<satchel::Session>), Failure> {
    let done = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|mut session| {
            let (store, done, count) = (store.clone(), Arc::clone(&done), Arc::clone(&count));
            tokio::spawn(async move {
                let mut n = 0u64;
                while !done.load(Ordering::Relaxed) {
                    n += 1;
                    session.insert("n", n)?;
                    store.save(&mut session).await?;
                    count.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<_, Failure>(session)
            })
        })
        .collect();
    tokio::time::sleep(window).await;
    done.store(true, Ordering::Relaxed);
    let mut back = Vec::new();
    for task in tasks {
        back.push(task.await??);
    }
    Ok((count.load(Ordering::Relaxed), back))
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |at: usize| -> Result<usize, Failure> {
        Ok(args.get(at).ok_or("missing argument")?.parse()?)
    };
    match args.first().map(String::as_str) {
        Some("ops") => {
            let format = args.get(1).ok_or("missing FORMAT")?;
            let dir = Path::new(args.get(2).ok_or("missing DIR")?);
            ops(format, dir, number(3)?, number(4)?).await
        }
        Some("durable") => {
            let dir = Path::new(args.get(1).ok_or("missing DIR")?);
            durable(dir, number(2)?, number(3)? as u64).await
        }
        _ => {
            Err("usage: files-ops ops FORMAT DIR COUNT LISTED | durable DIR WRITERS SECONDS".into())
        }
    }
}
