//! The fuzz targets' corpora (`fuzz/corpus/<target>/`) and every crash they found
//! (`fuzz/artifacts/<target>/`), replayed through the same checks libFuzzer runs, so CI
//! keeps them passing on stable Rust with no fuzzer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use satchel::fuzzing::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files directly in `dir`, sorted; none when it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_and_crash_input_passes_its_target() {
    for (target, check) in TARGETS {
        let corpus = inputs(&fuzz_dir().join("corpus").join(target));
        let crashes = inputs(&fuzz_dir().join("artifacts").join(target));
        assert!(!corpus.is_empty(), "fuzz/corpus/{target} has no inputs");
        for path in corpus.iter().chain(&crashes) {
            let data = std::fs::read(path).unwrap();
            let replay = std::panic::catch_unwind(|| check(&data));
            assert!(replay.is_ok(), "{target}: {} fails", path.display());
        }
        println!(
            "{target}: replayed {} corpus inputs and {} crash inputs",
            corpus.len(),
            crashes.len()
        );
    }
}

/// Writes the seed inputs into `fuzz/corpus/` (genuine cookies, ids, files written by the
/// store, sealed sessions and pickles by werkzeug): run once with
/// `cargo test -p satchel --features fuzzing --test fuzz_corpus -- --ignored write_seeds`,
/// then fuzz and minimize (`fuzz/README.md`).
#[tokio::test]
#[ignore = "writes fuzz/corpus; run by hand"]
async fn write_seeds() {
    seeds::write("cookie_header", seeds::cookie_headers());
    seeds::write("session_id", seeds::ids());
    seeds::write("session_file", seeds::satchel_files().await);
    seeds::write("cookie_envelope", seeds::envelopes());
    seeds::write("pickle", seeds::pickles().await);
}

mod seeds {
    use std::os::unix::fs::PermissionsExt as _;

    use satchel::cookie::{CookieSessions, Protection};
    use satchel::fuzzing::{ENVELOPE_COOKIE, envelope_keys, envelope_sessions};
    use satchel::{FilesystemStore, Owner, Session, SessionId, SessionStoreExt as _, UserKey};
    use serde_json::{Value, json};
    use time::OffsetDateTime;

    pub(super) fn write(target: &str, inputs: Vec<Vec<u8>>) {
        let dir = super::fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (n, input) in inputs.iter().enumerate() {
            #[allow(clippy::disallowed_methods)] // a seed, not a session
            std::fs::write(dir.join(format!("seed-{n:03}")), input).unwrap();
        }
        println!("{target}: {} seeds", inputs.len());
    }

    fn id() -> String {
        SessionId::generate().unwrap().as_str().to_owned()
    }

    pub(super) fn cookie_headers() -> Vec<Vec<u8>> {
        let (a, b) = (id(), id());
        [
            format!("session_id\nsession_id={a}"),
            format!("session_id\n_ga=GA1.2.3.4; session_id={a}; theme=dark"),
            format!("session_id\nsession_id={a}\nsession_id={b}"),
            format!("session_id\n  session_id =\t{a} ;x=1;;"),
            format!("__Host-sid\n__Host-sid={a}; __Secure-sid={b}"),
            format!("sid\nsid=\"{a}\"; sid={b}"),
            "session_id\n=session_id; session_id=x=y; session_idx=1".to_owned(),
            "session_id\nsession_id; session_id=".to_owned(),
            format!("not a token\nsession_id={a}"),
        ]
        .map(String::into_bytes)
        .into()
    }

    pub(super) fn ids() -> Vec<Vec<u8>> {
        let id = SessionId::generate().unwrap();
        [
            id.as_str().to_owned(),
            id.storage_key().as_str().to_owned(),
            "3a616fbce3c894a472b5621bdb2e21dafbf491ee".to_owned(), // a werkzeug id
            "../../../../etc/passwd__________".to_owned(),
            format!("{}=", &id.as_str()[..31]),
            id.storage_key().as_str().to_uppercase(),
        ]
        .map(String::into_bytes)
        .into()
    }

    /// Sessions as an app makes them: plain values, nesting, unicode, an owner, an expiry.
    fn sessions(ids: impl Fn() -> SessionId) -> Vec<Session> {
        let values = [
            json!({}),
            json!({"user": "alice", "n": 1, "cart": [1, 2.5, -3], "ok": true, "none": null}),
            json!({"": "", "ключ": "värde \u{0} \u{1F600}", "big": u64::MAX, "neg": i64::MIN}),
            json!({"deep": [[[[{"a": [{"b": {}}]}]]]], "__bytes__": "AAAA", "__int__": "5"}),
        ];
        let mut sessions: Vec<Session> = values
            .iter()
            .map(|value| {
                let mut session = Session::new(ids());
                for (key, value) in value.as_object().unwrap() {
                    session.insert_value(key.clone(), value.clone());
                }
                session
            })
            .collect();
        let at = OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap();
        sessions[1].set_expires_at(Some(at));
        sessions[2].set_owner(Some(Owner::new(UserKey::hashed("alice"))));
        sessions
    }

    async fn files_written_by(store: &FilesystemStore, dir: &std::path::Path) -> Vec<Vec<u8>> {
        for mut session in sessions(|| store.generate_id().unwrap()) {
            if store.save(&mut session).await.is_err() {
                continue; // werkzeug files have no place for an owner
            }
        }
        let mut files: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|ext| ext == "json" || ext == "sess")
            })
            .map(|path| std::fs::read(path).unwrap())
            .collect();
        files.sort();
        files
    }

    pub(super) async fn satchel_files() -> Vec<Vec<u8>> {
        let dir = tempfile::tempdir().unwrap();
        let store = FilesystemStore::new(dir.path()).unwrap();
        files_written_by(&store, dir.path()).await
    }

    pub(super) async fn pickles() -> Vec<Vec<u8>> {
        let dir = tempfile::Builder::new()
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .unwrap();
        let store = FilesystemStore::werkzeug(dir.path()).unwrap();
        let mut pickles = files_written_by(&store, dir.path()).await;
        let fixtures =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/werkzeug");
        for folder in [
            "secure-cookie-0.2.0",
            "werkzeug-0.16.1",
            "protocols",
            "malicious",
        ] {
            for path in super::inputs(&fixtures.join(folder)) {
                let bytes = std::fs::read(&path).unwrap();
                // The large fixtures teach the fuzzer nothing the small ones do not.
                if path.extension().is_some_and(|ext| ext == "sess") && bytes.len() <= 8192 {
                    pickles.push(bytes);
                }
            }
        }
        pickles
    }

    fn mode(protection: Protection, seal_payload: bool) -> u8 {
        u8::from(protection == Protection::Signed) | (u8::from(seal_payload) << 1)
    }

    pub(super) fn envelopes() -> Vec<Vec<u8>> {
        let mut inputs = Vec::new();
        for protection in [Protection::Encrypted, Protection::Signed] {
            let previous =
                CookieSessions::new(envelope_keys()[1].clone()).with_protection(protection);
            for (n, session) in sessions(|| SessionId::generate().unwrap())
                .iter()
                .enumerate()
            {
                let sealer = if n % 2 == 0 {
                    envelope_sessions(protection)
                } else {
                    &previous
                };
                let value = sealer.seal(ENVELOPE_COOKIE, session).unwrap();
                inputs.push([&[mode(protection, false)], value.as_bytes()].concat());
            }
            for payload in [
                json!({"i": id(), "c": 1_795_000_000, "d": {"user": "bob"}}),
                json!({"i": id(), "c": 0, "e": 1, "u": "a".repeat(64), "d": {}}),
                json!({"i": "short", "c": 0, "d": []}),
            ] {
                let payload = serde_json::to_vec(&payload).unwrap();
                inputs.push([&[mode(protection, true)][..], &payload].concat());
            }
        }
        inputs.extend(v1_fixture_cookies());
        inputs
    }

    /// satchel 0.1's `session_id` cookies, whose keys are the target's.
    fn v1_fixture_cookies() -> Vec<Vec<u8>> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cookie-sessions-v1.json");
        let fixtures: Vec<Value> = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        fixtures
            .iter()
            .filter(|fixture| fixture["name"] == ENVELOPE_COOKIE)
            .map(|fixture| {
                let protection = match fixture["protection"].as_str() {
                    Some("signed") => Protection::Signed,
                    _ => Protection::Encrypted,
                };
                let value = fixture["value"].as_str().unwrap().as_bytes();
                [&[mode(protection, false)][..], value].concat()
            })
            .collect()
    }
}
