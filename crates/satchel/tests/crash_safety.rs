//! A writer killed with SIGKILL at random points leaves every session readable as an old or
//! a new version, never a torn one: in a file store and in a SQLite database.
//! `-- --nocapture` prints how many saves the kills cut into.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use satchel::store::{AnyStore, Opened};
use satchel::{SessionId, SessionStore, SessionStoreExt};

const SESSIONS: usize = 8;
const KILLS: usize = 50;
const CHILD_STORE: &str = "SATCHEL_CRASH_STORE";
const CHILD_IDS: &str = "SATCHEL_CRASH_IDS";

/// What version `n` of a session holds: a payload whose length and content follow from `n`,
/// so any mix of two versions is detectable.
fn payload(n: u64) -> String {
    let unit = char::from(b'a' + (n % 26) as u8);
    unit.to_string().repeat((n % 3000) as usize + 1)
}

/// The child: saves new versions of the sessions as fast as it can, until killed.
#[test]
#[ignore = "run by killed_writers_leave_whole_files in a child process"]
fn crash_writer_child() {
    let (Ok(url), Ok(ids)) = (std::env::var(CHILD_STORE), std::env::var(CHILD_IDS)) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = open(&url);
        let ids: Vec<_> = ids.split(',').map(|id| id.to_owned()).collect();
        for round in 0.. {
            let id = &ids[round % ids.len()];
            let mut session = store.get(id).await.unwrap();
            let n = session.get::<u64>("version").unwrap().unwrap_or(0) + 1;
            session.insert("version", n).unwrap();
            session.insert("payload", payload(n)).unwrap();
            store.save(&mut session).await.unwrap();
        }
    });
}

fn open(url: &str) -> AnyStore {
    match satchel::store::open(url).unwrap() {
        Opened::Store(store) => store,
        _ => panic!("{url} is no server store"),
    }
}

fn random_below(bound: u64) -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    u64::from_le_bytes(bytes) % bound
}

/// Kills writers of the store at `url` `KILLS` times, checking every session after each,
/// and, for a file store in `dir`, that the next open removes the temp files they left.
async fn killed_writers_leave_whole_sessions(url: &str, dir: Option<&std::path::Path>) {
    let store = open(url);
    let mut ids = Vec::new();
    for _ in 0..SESSIONS {
        let mut session = store.new_session().unwrap();
        session.insert("version", 0).unwrap();
        session.insert("payload", payload(0)).unwrap();
        store.save(&mut session).await.unwrap();
        ids.push(session.id().as_str().to_owned());
    }

    let started = Instant::now();
    let mut leftovers = 0;
    for _ in 0..KILLS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["crash_writer_child", "--exact", "--ignored", "--nocapture"])
            .env(CHILD_STORE, url)
            .env(CHILD_IDS, ids.join(","))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(30 + random_below(250)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let left = dir.map_or(0, |dir| common::temp_files(dir).len());
        // A store opened afresh, as after a restart.
        let reopened = open(url);
        if let Some(dir) = dir {
            assert_eq!(
                common::temp_files(dir),
                Vec::<String>::new(),
                "the next open kept a killed writer's temp file"
            );
        }
        leftovers += left;
        check_every_session(&reopened, &ids).await;
    }
    let saves = total_versions(&store, &ids).await;
    let scheme = url.split(':').next().unwrap();
    println!(
        "{scheme}: {saves} saves across {KILLS} SIGKILLs in {:?}; every session whole",
        started.elapsed()
    );
    if dir.is_some() {
        println!(
            "{scheme}: {leftovers} temp files left by killed writers, each removed by the next open"
        );
    }
    assert!(saves > 0, "the child never saved");
}

#[tokio::test]
async fn killed_writers_leave_whole_files() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("s");
    killed_writers_leave_whole_sessions(&format!("file:{}", sessions.display()), Some(&sessions))
        .await;
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn killed_writers_leave_a_whole_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("s.db").display());
    killed_writers_leave_whole_sessions(&url, None).await;
}

async fn check_every_session(store: &AnyStore, ids: &[String]) {
    for id in ids {
        let key = store.ids().storage_key(&SessionId::parse(id).unwrap());
        let record = store
            .load(&key)
            .await
            .unwrap()
            .expect("a session is unreadable");
        let n = record.data["version"].as_u64().unwrap();
        assert_eq!(record.data["payload"], payload(n), "version {n} is torn");
    }
}

async fn total_versions(store: &AnyStore, ids: &[String]) -> u64 {
    let mut total = 0;
    for id in ids {
        let session = store.get(id).await.unwrap();
        total += session.get::<u64>("version").unwrap().unwrap();
    }
    total
}
