//! Runs the built `satchel` binary against real filesystem stores in temp directories.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::os::unix::fs::PermissionsExt as _;
use std::process::{Command, Output};

use satchel::time::{Duration, OffsetDateTime};
use satchel::{FilesystemStore, SessionId, SessionStoreExt, StorageKey};
use serde_json::{Value, json};
use tempfile::TempDir;

/// A store with live and expired sessions, made through the library.
struct Fixture {
    /// Keeps the directory alive for the test.
    _dir: TempDir,
    /// `file:DIR` for `--store`.
    url: String,
    /// Live sessions and their data.
    live: Vec<(SessionId, Value)>,
    /// Sessions that expired an hour ago.
    expired: Vec<SessionId>,
}

impl Fixture {
    /// Two live sessions and `expired` expired ones.
    fn new(expired: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sessions");
        let store = FilesystemStore::new(&path).unwrap();
        let data = [
            json!({"user": "alice", "count": 3}),
            json!({"cart": [1, 2], "prefs": {"dark": true}}),
        ];
        let live = data.into_iter().map(|d| (save(&store, &d, 1), d)).collect();
        let expired = (0..expired).map(|_| save(&store, &json!({"old": 1}), -1));
        let expired = expired.collect();
        let url = format!("file:{}", path.display());
        Self {
            _dir: dir,
            url,
            live,
            expired,
        }
    }

    /// Runs `satchel --store URL args...`.
    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["--store", &self.url];
        all.extend_from_slice(args);
        satchel(&all)
    }

    /// The stored keys of the live sessions.
    fn live_keys(&self) -> Vec<String> {
        self.live.iter().map(|(id, _)| key_of(id)).collect()
    }
}

/// Saves a session with `data` that expires `hours` from now (in the past when negative).
fn save(store: &FilesystemStore, data: &Value, hours: i64) -> SessionId {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut session = store.new_session().unwrap();
        for (key, value) in data.as_object().unwrap() {
            session.insert(key.clone(), value).unwrap();
        }
        let at = OffsetDateTime::now_utc() + Duration::hours(hours);
        session.set_expires_at(Some(at));
        store.save(&mut session).await.unwrap();
        session.id().clone()
    })
}

/// Runs the binary with `args`, without a `SATCHEL_STORE` from the environment.
fn satchel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_satchel"))
        .args(args)
        .env_remove("SATCHEL_STORE")
        .output()
        .unwrap()
}

/// The stored key of `id`, as `list` prints it.
fn key_of(id: &SessionId) -> String {
    id.storage_key().as_str().to_owned()
}

/// Asserts success and gives stdout, checking that stderr stayed empty.
fn ok(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    assert!(stderr.is_empty(), "stderr: {stderr}");
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Asserts exit code 1, nothing on stdout, and one `error: ` line mentioning `needle`.
fn fails(output: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(output.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "stderr: {stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.ends_with('\n'),
        "{stderr}"
    );
    assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
}

/// `show` output parsed as JSON.
fn shown(fixture: &Fixture, id: &str) -> Value {
    serde_json::from_str(&ok(&fixture.run(&["show", id]))).unwrap()
}

#[test]
fn count_includes_expired_sessions() {
    let fixture = Fixture::new(1);
    assert_eq!(ok(&fixture.run(&["count"])), "3\n");
}

#[test]
fn list_prints_each_stored_key_on_its_own_line() {
    let fixture = Fixture::new(1);
    let mut expected = fixture.live_keys();
    expected.push(key_of(&fixture.expired[0]));
    expected.sort();
    let stdout = ok(&fixture.run(&["list"]));
    let mut listed: Vec<&str> = stdout.lines().collect();
    listed.sort_unstable();
    assert_eq!(listed, expected);
    assert_eq!(
        stdout.len(),
        expected.len() * 65,
        "64 hex digits and a newline each"
    );
}

#[test]
fn list_and_count_of_an_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    FilesystemStore::new(dir.path().join("new")).unwrap();
    let url = format!("file:{}", dir.path().join("new").display());
    assert_eq!(ok(&satchel(&["--store", &url, "list"])), "");
    assert_eq!(ok(&satchel(&["--store", &url, "count"])), "0\n");
}

#[test]
fn show_by_session_id_prints_the_data() {
    let fixture = Fixture::new(0);
    for (id, data) in &fixture.live {
        assert_eq!(&shown(&fixture, id.as_str()), data);
    }
}

#[test]
fn show_by_stored_key_prints_the_data() {
    let fixture = Fixture::new(0);
    for (id, data) in &fixture.live {
        assert_eq!(&shown(&fixture, &key_of(id)), data);
    }
}

#[test]
fn show_refuses_an_expired_session() {
    let fixture = Fixture::new(1);
    let id = &fixture.expired[0];
    fails(&fixture.run(&["show", id.as_str()]), "expired");
    fails(&fixture.run(&["show", &key_of(id)]), "prune");
}

#[test]
fn delete_by_id_removes_the_session() {
    let fixture = Fixture::new(0);
    let id = fixture.live[0].0.as_str();
    assert_eq!(ok(&fixture.run(&["delete", id])), "deleted\n");
    fails(&fixture.run(&["show", id]), "no session");
    fails(&fixture.run(&["delete", id]), "no session");
    assert_eq!(ok(&fixture.run(&["count"])), "1\n");
}

#[test]
fn delete_by_stored_key_removes_the_session() {
    let fixture = Fixture::new(0);
    let key = key_of(&fixture.live[1].0);
    assert_eq!(ok(&fixture.run(&["delete", &key])), "deleted\n");
    fails(&fixture.run(&["show", &key]), "no session stored under key");
}

#[test]
fn prune_dry_run_counts_and_deletes_nothing() {
    let fixture = Fixture::new(2);
    let out = ok(&fixture.run(&["prune", "--dry-run"]));
    assert_eq!(out, "2 expired sessions would be pruned\n");
    assert_eq!(ok(&fixture.run(&["count"])), "4\n");
}

#[test]
fn prune_deletes_exactly_the_expired_sessions() {
    let fixture = Fixture::new(2);
    assert_eq!(ok(&fixture.run(&["prune"])), "pruned 2 expired sessions\n");
    assert_eq!(ok(&fixture.run(&["count"])), "2\n");
    let mut expected = fixture.live_keys();
    expected.sort();
    let stdout = ok(&fixture.run(&["list"]));
    let mut listed: Vec<&str> = stdout.lines().collect();
    listed.sort_unstable();
    assert_eq!(listed, expected);
    assert_eq!(ok(&fixture.run(&["prune"])), "pruned 0 expired sessions\n");
}

#[test]
fn prune_removes_old_unreadable_files_and_says_how_many() {
    let fixture = Fixture::new(1);
    let dir = std::path::Path::new(fixture.url.trim_start_matches("file:"));
    let plant = |hours: u64| {
        let key = SessionId::generate().unwrap().storage_key();
        let path = dir.join(format!("satchel_{key}.json"));
        let mut file = std::fs::File::create(&path).unwrap();
        std::io::Write::write_all(&mut file, b"{\"cut off").unwrap();
        let age = std::time::Duration::from_secs(hours * 3600);
        file.set_modified(std::time::SystemTime::now() - age)
            .unwrap();
        path
    };
    let (old, fresh) = (plant(13), plant(1));
    assert_eq!(
        ok(&fixture.run(&["prune"])),
        "pruned 2 expired sessions (1 of them unreadable)\n"
    );
    assert!(!old.exists() && fresh.exists());
}

#[test]
fn store_url_may_come_from_the_environment() {
    let fixture = Fixture::new(1);
    let output = Command::new(env!("CARGO_BIN_EXE_satchel"))
        .arg("count")
        .env("SATCHEL_STORE", &fixture.url)
        .output()
        .unwrap();
    assert_eq!(ok(&output), "3\n");
}

#[test]
fn unknown_session_id_is_an_error() {
    let fixture = Fixture::new(0);
    let id = SessionId::generate().unwrap();
    fails(
        &fixture.run(&["show", id.as_str()]),
        "no session with this id",
    );
    fails(
        &fixture.run(&["delete", id.as_str()]),
        "no session with this id",
    );
}

#[test]
fn malformed_id_is_an_error() {
    let fixture = Fixture::new(0);
    for bad in [
        "not-an-id",
        "../../etc/passwd",
        "",
        "line\nbreak",
        &"A".repeat(64),
    ] {
        fails(&fixture.run(&["show", bad]), "neither a session id");
        fails(&fixture.run(&["delete", bad]), "neither a session id");
    }
}

#[test]
fn an_id_that_starts_with_a_dash_is_an_id_not_a_flag() {
    let fixture = Fixture::new(0);
    let id = format!("-{}", "A".repeat(31));
    fails(&fixture.run(&["show", &id]), "no session");
    fails(&fixture.run(&["delete", &id]), "no session");
}

#[test]
fn unknown_stored_key_is_an_error() {
    let fixture = Fixture::new(0);
    let key: StorageKey = SessionId::generate().unwrap().storage_key();
    fails(&fixture.run(&["show", key.as_str()]), key.as_str());
    fails(&fixture.run(&["delete", key.as_str()]), key.as_str());
}

#[test]
fn bad_store_url_is_an_error() {
    fails(&satchel(&["--store", "gopher://x", "list"]), "gopher");
    fails(
        &satchel(&["--store", "no-scheme", "count"]),
        "not a store URL",
    );
}

#[test]
fn unsupported_store_url_is_an_error() {
    fails(&satchel(&["--store", "cookie:", "count"]), "cookie");
}

#[test]
fn unreachable_store_is_an_error() {
    // Nothing listens on port 1; the store's timeout turns that into one error line.
    fails(
        &satchel(&["--store", "redis://127.0.0.1:1", "count"]),
        "error",
    );
    fails(
        &satchel(&["--store", "postgres://postgres@127.0.0.1:1/test", "count"]),
        "error",
    );
}

#[test]
fn no_output_repeats_a_secret_of_the_store_url() {
    for url in [
        "postgres://postgres:s3cret@127.0.0.1:1/test",
        "postgres://postgres@127.0.0.1:1/test?password=s3cret",
        "postgres://postgres@127.0.0.1:1/test?sslpassword=s3cret&port=x",
        "redis://:s3cret@127.0.0.1:1",
        "redis://127.0.0.1:1/0?pass=s3cret",
        "host=127.0.0.1 password=s3cret",
        "password=s3cret:x",
    ] {
        let output = satchel(&["--store", url, "count"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{url}: {stderr}");
        assert!(!stderr.contains("s3cret"), "{url}: {stderr}");
        assert!(!String::from_utf8_lossy(&output.stdout).contains("s3cret"));
    }
}

#[test]
fn unsafe_store_directory_is_an_error() {
    let fixture = Fixture::new(0);
    let dir = fixture.url.trim_start_matches("file:");
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    fails(&fixture.run(&["count"]), "others may write to it");
    fails(&fixture.run(&["prune"]), "others may write to it");
}

#[test]
fn a_mistyped_store_directory_is_an_error_and_is_not_created() {
    let root = tempfile::tempdir().unwrap();
    let typo = root.path().join("sesions");
    let url = format!("file:{}", typo.display());
    fails(&satchel(&["--store", &url, "list"]), "no session directory");
    assert!(!typo.exists());
}

#[test]
fn missing_store_is_a_usage_error() {
    let output = satchel(&["list"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--store"));
}

#[test]
fn unknown_command_is_a_usage_error() {
    assert_eq!(
        satchel(&["--store", "memory:", "frobnicate"]).status.code(),
        Some(2)
    );
}

#[test]
fn help_states_exit_codes_and_examples() {
    let help = ok(&satchel(&["--help"]));
    assert!(
        help.contains("Exit codes:") && help.contains("Examples:"),
        "{help}"
    );
    for command in ["list", "count", "show", "delete", "prune"] {
        let help = ok(&satchel(&[command, "--help"]));
        let example = format!("satchel --store file:./sessions {command}");
        assert!(
            help.contains("Examples:") && help.contains(&example),
            "{help}"
        );
    }
}
