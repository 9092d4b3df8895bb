//! `satchel`: inspect and prune a session store from the command line.
//!
//! `satchel --store URL list | count | show ID | delete ID | prune [--dry-run] | sessions
//! USER | revoke USER [--keep HANDLE]`; see
//! `satchel --help`. Exit codes: 0 success, 1 error (one `error: ` line on stderr),
//! 2 usage error (from clap).

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

mod args;
mod delete;
mod error;
mod list;
mod prune;
mod show;
mod target;
mod users;

use args::{Cli, Command};
use error::Failure;

fn main() -> ExitCode {
    // clap prints its own usage errors and exits 2.
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// Runs the command on a single-threaded runtime: the CLI does one thing at a time.
fn run(cli: Cli) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| Failure::new(format!("cannot start the async runtime: {err}")))?;
    runtime.block_on(dispatch(cli))
}

/// Opens the store and hands it to the command.
async fn dispatch(cli: Cli) -> Result<(), Failure> {
    // Inspecting must not create a store where a directory name was mistyped, and
    // `cookie:` has no store: both refused by the library.
    let store = satchel::store::open_existing(&cli.store)?;
    let mut out = std::io::stdout().lock();
    match &cli.command {
        Command::List => list::list(&store, &mut out).await?,
        Command::Count => list::count(&store, &mut out).await?,
        Command::Show { id } => show::show(&store, id, &mut out).await?,
        Command::Delete { id } => delete::delete(&store, id, &mut out).await?,
        Command::Prune { dry_run } => prune::prune(&store, *dry_run, &mut out).await?,
        Command::Sessions {
            user,
            plain_user,
            idle_timeout,
        } => {
            let user = users::user_key(user, *plain_user)?;
            users::sessions(&store, &user, *idle_timeout, &mut out).await?;
        }
        Command::Revoke {
            user,
            plain_user,
            keep,
        } => {
            let user = users::user_key(user, *plain_user)?;
            users::revoke(&store, &user, keep.as_deref(), &mut out).await?;
        }
    }
    // Surface a failed final write here, not silently at exit.
    out.flush()?;
    Ok(())
}
