//! tower-sessions' `/incr` route in-process, `N` times, for profilers:
//! `tower-sessions-profile MODE N` with MODE `memory-reuse` or `memory-fresh`: the route
//! of `tower-sessions-incr` on its `MemoryStore`, sent through the same loop as satchel's
//! `bench/servers/incr-profile` (`bench/inproc`), so the instruction and allocation counts
//! per request of the two compare directly (run each with two values of `N` and divide
//! the difference by the difference of `N`).

use inproc::{Failure, Scenario};
use tower_sessions::MemoryStore;

fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "memory-reuse".into());
    let times: usize = args.next().map_or(Ok(20_000), |n| n.parse())?;
    let scenario = mode
        .strip_prefix("memory-")
        .and_then(Scenario::parse)
        .ok_or_else(|| format!("unknown mode `{mode}`"))?;
    let app = tower_sessions_incr::app(MemoryStore::default());
    inproc::drive(app, scenario, times)
}
