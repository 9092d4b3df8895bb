//! The real demo binary with `--idle-timeout 2s`: a session is alive after 1 s of
//! idleness and gone after 3 s, over a real socket.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The demo, killed when dropped.
struct Demo {
    child: Child,
    addr: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Demo {
    let mut child = Command::new(env!("CARGO_BIN_EXE_satchel-demo"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--store",
            "memory:",
            "--insecure-cookies",
        ])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "satchel demo listening on http://ADDR (store: URL)"
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    Demo { child, addr }
}

fn request(demo: &Demo, head: &str) -> String {
    let mut stream = TcpStream::connect(&demo.addr).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn read_session(demo: &Demo, cookie: &str) -> String {
    let response = request(
        demo,
        &format!(
            "GET /api/session HTTP/1.1\r\nHost: t\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        ),
    );
    response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_session_idle_longer_than_the_timeout_is_gone() {
    let demo = start(&["--idle-timeout", "2s"]);
    let put = request(
        &demo,
        "PUT /api/session/colour HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\nConnection: close\r\n\r\n\"green\"",
    );
    let cookie = put
        .lines()
        .find_map(|line| line.strip_prefix("set-cookie: "))
        .and_then(|value| value.split(';').next())
        .unwrap()
        .to_owned();

    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        read_session(&demo, &cookie),
        r#"{"colour":"green"}"#,
        "gone after 1 s"
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(read_session(&demo, &cookie), "{}", "alive after 3 s idle");
}
