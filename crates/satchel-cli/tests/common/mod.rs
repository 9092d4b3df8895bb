//! Running the built `satchel` binary on a store, and reading what it printed.
#![allow(dead_code, unreachable_pub)] // each test binary uses a different part
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::process::{Command, Output};

/// Runs `satchel --store URL args...`, with no store from the environment.
pub fn satchel(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_satchel"))
        .arg("--store")
        .arg(url)
        .args(args)
        .env_remove("SATCHEL_STORE")
        .output()
        .unwrap()
}

/// Asserts success and gives stdout.
pub fn stdout(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    String::from_utf8(output.stdout.clone()).unwrap()
}
