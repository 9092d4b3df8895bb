//! The real demo binary, started on a free port, and plain HTTP/1.1 requests to it.
#![allow(dead_code, unreachable_pub)] // each test binary uses a different part
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// A running demo, killed when dropped.
pub struct Demo {
    child: Child,
    addr: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    /// Starts the demo on a free loopback port with `args` added.
    pub fn start(args: &[&str]) -> Self {
        Self::start_with_env(args, &[])
    }

    /// Starts the demo with `args` and environment variables `env`.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_satchel-demo"))
            .args(["--addr", "127.0.0.1:0", "--insecure-cookies"])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "satchel demo listening on http://ADDR (store: URL)"
        let addr = line.split("http://").nth(1).expect(&line);
        let addr = addr.split(' ').next().unwrap().to_owned();
        Self { child, addr }
    }

    /// Starts the demo with `args` and `env`, keeping everything it prints (its log goes to
    /// stdout) in the returned buffer, which a thread fills until the demo exits.
    pub fn start_logged(
        args: &[&str],
        env: &[(&str, &str)],
    ) -> (Self, std::sync::Arc<std::sync::Mutex<String>>) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_satchel-demo"))
            .args(["--addr", "127.0.0.1:0", "--insecure-cookies"])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = loop {
            let line = lines.next().expect("the demo exited").unwrap();
            log.lock().unwrap().push_str(&line);
            log.lock().unwrap().push('\n');
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split(' ').next().unwrap().to_owned();
            }
        };
        let (kept, stderr) = (log.clone(), child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in lines
                .chain(BufReader::new(stderr).lines())
                .map_while(Result::ok)
            {
                let mut log = kept.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        (Self { child, addr }, log)
    }

    /// Sends one request and gives the status, the session cookie it sets, and the body.
    pub fn send(&self, method: &str, path: &str, cookie: Option<&str>, body: &str) -> Reply {
        let cookie = cookie
            .map(|c| format!("Cookie: {c}\r\n"))
            .unwrap_or_default();
        // The API's bodies are JSON, and must say so.
        let json = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/json\r\n"
        };
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: t\r\n{cookie}{json}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        Reply::parse(&response)
    }
}

/// What a test needs from a response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// `session_id=VALUE`, when the response sets the cookie.
    pub cookie: Option<String>,
    pub body: String,
}

impl Reply {
    fn parse(response: &str) -> Self {
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((response, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let cookie = head
            .lines()
            .find_map(|line| line.strip_prefix("set-cookie: "))
            .and_then(|value| value.split(';').next())
            .map(str::to_owned);
        Self {
            status,
            cookie,
            body: body.to_owned(),
        }
    }
}
