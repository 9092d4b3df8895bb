//! Temp files: named after their writer, so the next start can tell a dead writer's
//! leftovers from a live writer's work in progress.
//!
//! A name is `.tmp-<host>-<pid>-<random><suffix>`. `host` is a short hash of the boot id
//! and the pid namespace, so a pid is only judged where it means the same process: a
//! writer in another container or on another host sharing the directory is never taken
//! for dead. Its files, and those of other programs (werkzeug's own `tmp*.__wz_sess`), go
//! only once they are an hour old.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use sha2::{Digest as _, Sha256};

/// Temp files older than this are leftovers whoever wrote them: no write takes an hour.
const STALE_TEMP_AGE: Duration = Duration::from_secs(3600);

/// The prefix of this process's temp file names (before tempfile's random part).
pub(super) fn temp_prefix() -> String {
    format!(".tmp-{}-{}-", host(), std::process::id())
}

/// Boot id and pid namespace, hashed to 8 hex digits; `0` when either is unknown, which
/// no other host claims, so then only the age rule applies.
fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id");
        let namespace = std::fs::read_link("/proc/self/ns/pid");
        match (boot, namespace) {
            (Ok(boot), Ok(namespace)) => {
                let digest = Sha256::new()
                    .chain_update(boot.trim())
                    .chain_update(namespace.as_os_str().as_encoded_bytes())
                    .finalize();
                digest[..4]
                    .iter()
                    .map(|byte| format!("{byte:02x}"))
                    .collect()
            }
            _ => "0".to_owned(),
        }
    })
}

/// Whether `name` (a temp file's) was written by a process of this host that has exited.
fn writer_is_gone(name: &str) -> bool {
    let mut parts = name
        .strip_prefix(".tmp-")
        .unwrap_or_default()
        .splitn(3, '-');
    let (Some(writer_host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    let ours = host();
    writer_host == ours
        && ours != "0"
        && pid.parse::<u32>().is_ok_and(|pid| {
            pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists()
        })
}

/// Removes the temp files that killed writers left behind: at once when the writer's pid
/// is gone from this host, after an hour otherwise. Best effort: errors are logged.
/// Returns how many it removed.
pub(super) fn remove_stale_temp_files(dir: &Path, temp_suffix: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str().filter(|name| name.ends_with(temp_suffix)) else {
            continue;
        };
        let old = || {
            entry
                .metadata()
                .ok()
                .and_then(|meta| meta.modified().ok())
                .and_then(|at| at.elapsed().ok())
                .is_some_and(|age| age > STALE_TEMP_AGE)
        };
        if !(writer_is_gone(name) || old()) {
            continue;
        }
        match std::fs::remove_file(entry.path()) {
            Ok(()) => removed += 1,
            Err(err) => {
                tracing::warn!(file = %entry.path().display(), "could not remove a stale temp file: {err}");
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // planting files, as a crashed writer leaves them
    fn a_dead_writers_temp_file_goes_a_live_ones_stays() {
        let dir = tempfile::tempdir().unwrap();
        let mine = format!("{}abc.tmp", temp_prefix());
        // pid 0 is never a process of ours, and no /proc entry: a dead writer.
        let dead = format!(".tmp-{}-0-abc.tmp", host());
        let foreign = ".tmp-ffffffff-1-abc.tmp";
        let other_program = "tmp1234.tmp";
        for name in [&mine, &dead, foreign, other_program, "session.json"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        assert_eq!(
            remove_stale_temp_files(dir.path(), ".tmp"),
            usize::from(host() != "0")
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        for name in [&mine, foreign, other_program, "session.json"] {
            assert!(left.iter().any(|left| left == name), "{name} was removed");
        }
    }
}
