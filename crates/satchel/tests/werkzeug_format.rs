//! werkzeug's session files: fixtures written by the real Python packages read back
//! exactly, malicious pickles refused, and (with `SATCHEL_PYTHON` set to a Python that has
//! secure-cookie 0.2.0) a round trip through the real package.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use satchel::{FilesystemStore, SessionStore, SessionStoreExt};
use serde_json::{Map, Value};

fn fixtures(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/werkzeug")
        .join(folder)
}

/// A temp dir that only its owner may list, as werkzeug's format requires.
fn private_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .unwrap()
}

/// A private copy of a fixture folder (the store wants a directory of its own, and the
/// expiry clock starts at the copy's mtime).
fn copy_of(folder: &str) -> (tempfile::TempDir, Map<String, Value>) {
    let dir = private_dir();
    for entry in std::fs::read_dir(fixtures(folder)).unwrap().flatten() {
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    let expected = std::fs::read_to_string(fixtures(folder).join("expected.json")).unwrap();
    (dir, serde_json::from_str(&expected).unwrap())
}

/// Equal, except that arrays holding sets may come in any order.
fn same(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Array(a), Value::Array(e)) if a.len() == e.len() => {
            a.iter().zip(e).all(|(a, e)| same(a, e)) || {
                let mut a: Vec<String> = a.iter().map(Value::to_string).collect();
                let mut e: Vec<String> = e.iter().map(Value::to_string).collect();
                a.sort();
                e.sort();
                a == e
            }
        }
        (Value::Object(a), Value::Object(e)) => {
            a.len() == e.len() && a.iter().all(|(k, v)| e.get(k).is_some_and(|e| same(v, e)))
        }
        _ => actual == expected,
    }
}

async fn reads_exactly(folder: &str) {
    let (dir, expected) = copy_of(folder);
    let store = FilesystemStore::werkzeug(dir.path()).unwrap();
    let listed = store.list().await.unwrap();
    assert_eq!(listed.len(), expected.len(), "{folder}: {listed:?}");
    for (sid, data) in &expected {
        let session = store.get(sid).await.unwrap();
        assert!(!session.is_new(), "{folder}: {sid} did not load");
        let actual = Value::Object(session.data().clone());
        assert!(same(&actual, data), "{folder}/{sid}:\n{actual}\n!=\n{data}");
    }
    println!("{folder}: {} sessions read exactly", expected.len());
}

#[tokio::test]
async fn files_written_by_secure_cookie_0_2_0_read_back_exactly() {
    reads_exactly("secure-cookie-0.2.0").await;
}

#[tokio::test]
async fn files_written_by_werkzeug_0_16_read_back_exactly() {
    reads_exactly("werkzeug-0.16.1").await;
}

#[tokio::test]
async fn every_pickle_protocol_from_0_to_5_reads_back_exactly() {
    reads_exactly("protocols").await;
}

#[tokio::test]
async fn malicious_and_malformed_pickles_are_refused_and_never_run() {
    let (dir, described) = copy_of("malicious");
    let _ = std::fs::remove_file("/tmp/satchel-pwned");
    let store = FilesystemStore::werkzeug(dir.path()).unwrap();
    for (sid, what) in &described {
        let mut session = store.get(sid).await.unwrap();
        assert!(session.is_new(), "accepted: {what}");
        assert_ne!(session.id().as_str(), sid);
        session.insert("after", "refusal").unwrap();
        store.save(&mut session).await.unwrap();
    }
    // Even werkzeug's unsafe renew_missing=False, which keeps the client's id, never
    // writes over a file it refused to read.
    let adopting = FilesystemStore::werkzeug(dir.path())
        .unwrap()
        .with_renew_missing(false);
    for sid in described.keys() {
        let mut session = adopting.get(sid).await.unwrap();
        session.insert("after", "refusal").unwrap();
        let outcome = adopting.save(&mut session).await.unwrap();
        assert_eq!(outcome, satchel::store::SaveOutcome::Gone, "{sid}");
    }
    assert!(!Path::new("/tmp/satchel-pwned").exists(), "a payload ran");
    // A save never writes into a refused file's place either: the files stay as they were.
    for sid in described.keys() {
        let copy = std::fs::read(dir.path().join(format!("werkzeug_{sid}.sess"))).unwrap();
        let original =
            std::fs::read(fixtures("malicious").join(format!("werkzeug_{sid}.sess"))).unwrap();
        assert_eq!(copy, original);
    }
}

#[tokio::test]
async fn satchel_changes_survive_in_the_pickle() {
    let (dir, expected) = copy_of("secure-cookie-0.2.0");
    let store = FilesystemStore::werkzeug(dir.path()).unwrap();
    for sid in expected.keys() {
        let mut session = store.get(sid).await.unwrap();
        session.insert("seen_by", "satchel").unwrap();
        store.save(&mut session).await.unwrap();
        let again = store.get(sid).await.unwrap();
        let mut want = expected[sid].as_object().unwrap().clone();
        want.insert("seen_by".into(), "satchel".into());
        assert!(
            same(&Value::Object(again.data().clone()), &Value::Object(want)),
            "{sid}"
        );
    }
}

/// The Python peer (`tests/python/werkzeug_peer.py`) under `SATCHEL_PYTHON`, or `None`
/// with the reason printed.
fn python_peer() -> Option<(String, PathBuf)> {
    let peer = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/werkzeug_peer.py");
    match std::env::var("SATCHEL_PYTHON") {
        Ok(python) if !python.is_empty() => Some((python, peer)),
        _ => {
            println!(
                "skipped: SATCHEL_PYTHON is not set (a Python with secure-cookie==0.2.0; .ci/run makes one)"
            );
            None
        }
    }
}

fn run_peer(python: &str, peer: &Path, command: &str, dir: &Path) -> Map<String, Value> {
    let output = Command::new(python)
        .arg(peer)
        .arg(command)
        .arg(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "peer {command}: {stderr}");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn a_round_trip_with_the_real_python_package() {
    let Some((python, peer)) = python_peer() else {
        return;
    };
    let dir = private_dir();
    let written = run_peer(&python, &peer, "write", dir.path());
    let store = FilesystemStore::werkzeug(dir.path()).unwrap();

    // Python wrote; satchel reads them exactly and changes each.
    let mut expected = Map::new();
    for (sid, data) in &written {
        let mut session = store.get(sid).await.unwrap();
        assert!(!session.is_new(), "{sid}");
        assert!(same(&Value::Object(session.data().clone()), data), "{sid}");
        session.insert("changed_by", "satchel").unwrap();
        session.remove_value("nothing");
        store.save(&mut session).await.unwrap();
        expected.insert(sid.clone(), Value::Object(session.data().clone()));
    }
    // satchel writes new ones, with every mapped type.
    for n in 0..3 {
        let mut session = store.new_session().unwrap();
        let data = serde_json::json!({
            "n": n, "name": "zoë", "big": {"__int__": "-36893488147419103232"},
            "raw": {"__bytes__": "AP8Q"}, "nested": {"list": [1.5, null, true]}
        });
        for (key, value) in data.as_object().unwrap() {
            session.insert_value(key.clone(), value.clone());
        }
        store.save(&mut session).await.unwrap();
        expected.insert(session.id().as_str().to_owned(), data);
    }

    // Python's list() and get() see exactly that.
    let read = run_peer(&python, &peer, "read", dir.path());
    assert_eq!(read.len(), expected.len());
    for (sid, data) in &expected {
        assert!(
            same(&read[sid], data),
            "{sid}: python read {}, want {data}",
            read[sid]
        );
    }
    println!(
        "round trip: python wrote {}, satchel changed them and wrote 3, python read {}",
        written.len(),
        read.len()
    );
}

#[tokio::test]
async fn an_adopted_id_rotated_before_its_first_save_gets_a_werkzeug_id() {
    let dir = private_dir();
    let store = FilesystemStore::werkzeug(dir.path())
        .unwrap()
        .with_renew_missing(false);
    let chosen = "ab".repeat(20);
    let mut session = store.get(&chosen).await.unwrap();
    assert_eq!(
        session.id().as_str(),
        chosen,
        "werkzeug's renew_missing=False keeps the id"
    );
    session.insert("user", "alice").unwrap();
    session.rotate_id().unwrap();
    store.save(&mut session).await.unwrap();
    let id = session.id().as_str().to_owned();
    assert!(store.is_valid_id(&id) && id != chosen, "{id}");
    assert!(dir.path().join(format!("werkzeug_{id}.sess")).exists());
    assert_eq!(store.list().await.unwrap().len(), 1);
}

/// `{"a": [S] * 999000}`, S one memoized 1 MiB string: 3 MB on disk, a terabyte if every
/// memo reference were copied without being counted.
fn memo_bomb() -> Vec<u8> {
    let mut pickle = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01](X\x00\x00\x10\x00".to_vec();
    pickle.extend(std::iter::repeat_n(b's', 1 << 20));
    pickle.extend_from_slice(b"q\x02");
    for _ in 1..999_000 {
        pickle.extend_from_slice(b"h\x02");
    }
    pickle.extend_from_slice(b"es.");
    pickle
}

#[tokio::test]
async fn a_memo_bomb_reads_as_no_session_instead_of_exhausting_memory() {
    let dir = private_dir();
    let sid = "0123456789abcdef0123456789abcdef01234567";
    let mut file = std::fs::File::create(dir.path().join(format!("werkzeug_{sid}.sess"))).unwrap();
    std::io::Write::write_all(&mut file, &memo_bomb()).unwrap();
    let store = FilesystemStore::werkzeug(dir.path()).unwrap();
    assert!(store.get(sid).await.unwrap().is_new());
    let key = store.ids().parse_storage_key(sid).unwrap();
    assert_eq!(store.load(&key).await.unwrap(), None);
}

#[test]
fn a_directory_others_may_list_is_refused_for_werkzeug_files_only() {
    let dir = private_dir();
    for mode in [0o755, 0o750, 0o740, 0o710, 0o705, 0o701] {
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        let err = FilesystemStore::werkzeug(dir.path()).unwrap_err();
        assert!(matches!(err, satchel::Error::InvalidConfig(_)), "{mode:o}");
        let message = err.to_string();
        assert!(
            message.contains(&format!("chmod 700 {}", dir.path().display())),
            "{message}"
        );
        // satchel's own files are named by hashes: listing them gives nothing away.
        assert!(FilesystemStore::new(dir.path()).is_ok(), "{mode:o}");
    }
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(FilesystemStore::werkzeug(dir.path()).is_ok());
}
