//! Why a command failed, and how that reaches the user.

use std::io::{self, Write as _};
use std::process::ExitCode;

/// A failed command: a message for stderr, or a reader of stdout that went away.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Something the user must read; printed as one `error: ` line, exit code 1.
    Message(String),
    /// stdout was closed early (`satchel list | head`): stop quietly, as ripgrep does.
    BrokenPipe,
}

impl Failure {
    /// A failure with `message`.
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self::Message(message.into())
    }

    /// Prints the failure and gives the exit code.
    pub(crate) fn report(self) -> ExitCode {
        let Self::Message(message) = self else {
            return ExitCode::SUCCESS;
        };
        // One line, always: a driver's error may carry newlines.
        let line = message.replace(['\n', '\r'], " ");
        // Nothing is left to tell if stderr is gone too; the exit code still says it.
        let _ = writeln!(io::stderr().lock(), "error: {line}");
        ExitCode::FAILURE
    }
}

impl From<satchel::Error> for Failure {
    fn from(err: satchel::Error) -> Self {
        Self::Message(err.to_string())
    }
}

/// The CLI's only direct I/O is writing its output, so an `io::Error` is an output failure.
impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Self {
        if err.kind() == io::ErrorKind::BrokenPipe {
            return Self::BrokenPipe;
        }
        Self::Message(format!("cannot write the output: {err}"))
    }
}
