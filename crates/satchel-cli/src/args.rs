//! The command line, as clap types; their doc comments are the `--help` text.

use clap::{Parser, Subcommand};

/// The long description under `satchel --help`.
const LONG_ABOUT: &str = "\
Inspect and prune a satchel session store.

Stores keep each session under a stored key (the SHA-256 of the session id), never under the
id itself, so `list` shows stored keys. werkzeug: stores, whose files werkzeug names by the
raw id, are listed by the same SHA-256 of each id: no command prints a session id. `show` and
`delete` take either a session id (the cookie value) or a stored key.";

/// Exit codes and examples, under the options of `satchel --help`.
const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  error: unknown or malformed id, bad store URL, unreachable or unsafe store, I/O failure
  2  usage error: unknown command or option, missing --store

Examples:
  satchel --store file:./sessions count
  SATCHEL_STORE=file:./sessions satchel prune --dry-run";

/// `satchel --store URL <command>`.
#[derive(Debug, Parser)]
#[command(name = "satchel", version, about, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    /// The session store URL, e.g. file:./sessions or memory:
    // The value stays out of --help: a database URL may carry a password.
    #[arg(
        long,
        env = "SATCHEL_STORE",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub(crate) store: String,

    /// What to do with the store.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print every stored key, one a line
    #[command(after_help = "Examples:\n  satchel --store file:./sessions list")]
    List,

    /// Print how many sessions are stored, including expired ones that were not pruned yet
    #[command(after_help = "Examples:\n  satchel --store file:./sessions count")]
    Count,

    /// Print a session's data as JSON; an expired session is an error
    #[command(after_help = "\
Examples:
  satchel --store file:./sessions show Xq3v9c0dL2kP7yWm1nRt8bZa4sFe6hJu
  satchel --store file:./sessions show $(satchel --store file:./sessions list | head -n 1)")]
    Show {
        /// A session id (the cookie value) or a stored key (as `list` prints)
        // Ids are URL-safe base64 and may start with `-`: never read one as a flag.
        #[arg(allow_hyphen_values = true)]
        id: String,
    },

    /// Delete a session, expired or not, and print `deleted`
    #[command(after_help = "\
Examples:
  satchel --store file:./sessions delete Xq3v9c0dL2kP7yWm1nRt8bZa4sFe6hJu")]
    Delete {
        /// A session id (the cookie value) or a stored key (as `list` prints)
        // Ids are URL-safe base64 and may start with `-`: never read one as a flag.
        #[arg(allow_hyphen_values = true)]
        id: String,
    },

    /// Print the live sessions of a user, one a line: handle, created, last seen, expires, label
    #[command(after_help = "\
Examples:
  satchel --store file:./sessions sessions alice
  satchel --store file:./sessions sessions --idle-timeout 2h alice")]
    Sessions {
        /// The user's name, as the app tied sessions to it
        user: String,
        /// The name is the stored key itself (the app used plain user keys)
        #[arg(long)]
        plain_user: bool,
        /// The app's idle timeout, which tells when a session was last seen
        #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = humantime::parse_duration)]
        idle_timeout: std::time::Duration,
    },
    /// End every session of a user (but the one --keep names) and print how many ended
    #[command(after_help = "\
Examples:
  satchel --store file:./sessions revoke alice
  satchel --store file:./sessions revoke --keep 3f2a9c0d8e7b6a5f4e3d2c1b0a998877 alice")]
    Revoke {
        /// The user's name, as the app tied sessions to it
        user: String,
        /// The name is the stored key itself (the app used plain user keys)
        #[arg(long)]
        plain_user: bool,
        /// The handle (as `sessions` prints it) of a session to keep
        #[arg(long, value_name = "HANDLE")]
        keep: Option<String>,
    },
    /// Delete expired sessions and print how many went (a progress bar on a terminal)
    #[command(after_help = "\
Examples:
  satchel --store file:./sessions prune
  satchel --store file:./sessions prune --dry-run")]
    Prune {
        /// Only count the expired sessions; delete nothing
        #[arg(long)]
        dry_run: bool,
    },
}
