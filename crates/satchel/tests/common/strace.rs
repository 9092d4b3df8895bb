//! Runs one `#[ignore]`d test of the current binary as a child under strace, for tests
//! that check which system calls the store makes.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// Written to stderr between a child's steps, so the trace shows where each one ends.
pub const MARK: &str = "satchel-mark:";

/// Marks the end of a step in one write(2), which the trace shows whole.
pub fn mark(name: &str) {
    let line = format!("{MARK}{name}\n");
    std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes()).unwrap();
}

/// The trace of `child` (a test of this binary, run with `--ignored --exact`) with
/// `env`, tracing `syscalls` (include `write`: the marks are writes) with file descriptors resolved to paths (`-y`); `None`, with
/// a message, where strace is missing or cannot trace.
pub fn trace_child(child: &str, syscalls: &str, env: &HashMap<&str, String>) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace");
    let traced = Command::new("strace")
        .args([
            "-f",
            "-y",
            "-s",
            "4096",
            "-e",
            &format!("trace={syscalls}"),
            "-o",
        ])
        .arg(&trace)
        .arg(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", child, "--nocapture"])
        .envs(env)
        .output();
    match traced {
        Ok(output) if output.status.success() => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains(&format!("{MARK}end")),
                "the child did not finish: {stderr}"
            );
            Some(std::fs::read_to_string(&trace).unwrap())
        }
        Ok(output) => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            if stderr.contains("ptrace") || stderr.contains("PTRACE") {
                println!("skipped: strace cannot trace here: {}", stderr.trim());
                return None;
            }
            panic!("the traced child failed: {stderr}");
        }
        Err(err) => {
            println!("skipped: strace is not available ({err})");
            None
        }
    }
}

/// The traced lines of one step: from its mark to the next.
pub fn step<'a>(trace: &'a str, name: &str) -> Vec<&'a str> {
    let mark = format!("\"{MARK}{name}\\n\"");
    trace
        .lines()
        .skip_while(|line| !line.contains(&mark))
        .skip(1)
        .take_while(|line| !line.contains(MARK))
        .collect()
}

/// Every path a traced line names: its quoted string arguments, joined to the directory
/// of a `dirfd<path>` argument before them when relative (`openat(3</dir>, "name", …)`).
pub fn paths_of(line: &str) -> Vec<std::path::PathBuf> {
    let Some(open) = line.find('(') else {
        return Vec::new();
    };
    let mut paths = Vec::new();
    let mut base: Option<&str> = None;
    let mut rest = &line[open + 1..];
    while let Some(start) = rest.find(['"', '<']) {
        let quote = rest.as_bytes()[start];
        let close = if quote == b'"' { "\"" } else { ">" };
        let Some(len) = rest[start + 1..].find(close) else {
            break;
        };
        let text = &rest[start + 1..start + 1 + len];
        if quote == b'<' {
            base = Some(text);
        } else if text.starts_with('/') {
            paths.push(Path::new(text).to_path_buf());
        } else if let Some(base) = base {
            paths.push(Path::new(base).join(text));
        }
        rest = &rest[start + 1 + len + 1..];
    }
    paths
}
