//! How long "log out everywhere" takes: `revoke STORE_URL [SESSIONS] [ROUNDS]` ties
//! `SESSIONS` sessions (1,000 by default) to one user, among as many of other users, and
//! times `end_sessions_of` ending them all; as the baseline, in the same run, it times
//! deleting as many sessions one by one by id (a logout each, what an app without a
//! per-user index would do if it kept the ids). Each of `ROUNDS` rounds (5) does both, on
//! fresh sessions. One JSON line per round on stdout.

use std::time::{Duration, Instant};

use satchel::store::AnyStore;
use satchel::{
    FilesystemStore, MemoryStore, Owner, PostgresStore, RedisStore, SessionId, SessionStore as _,
    SessionStoreExt as _, SqliteStore, UserKey, UserSessions as _,
};

type Failure = Box<dyn std::error::Error + Send + Sync>;

async fn open(url: &str) -> Result<AnyStore, Failure> {
    let (scheme, rest) = url.split_once(':').unwrap_or((url, ""));
    Ok(match scheme {
        "memory" => AnyStore::new(MemoryStore::new()),
        "file" => AnyStore::new(FilesystemStore::new(rest)?),
        "sqlite" => AnyStore::new(SqliteStore::open(rest)?),
        "redis" | "redis+cluster" => AnyStore::new(RedisStore::open(url).await?),
        "postgres" => AnyStore::new(PostgresStore::new(url)?),
        _ => return Err(format!("unknown store `{url}`").into()),
    })
}

/// Saves `n` sessions tied to `user` and gives their ids.
async fn tied(store: &AnyStore, user: &UserKey, n: usize) -> Result<Vec<SessionId>, Failure> {
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let mut session = store.new_session()?;
        session.insert("user", "someone@example.com")?;
        session.set_owner(Some(Owner::new(user.clone()).with_label("Firefox on Linux")));
        store.save(&mut session).await?;
        ids.push(session.id().clone());
    }
    Ok(ids)
}

async fn round(store: &AnyStore, n: usize, round: usize) -> Result<(Duration, Duration), Failure> {
    let user = UserKey::hashed(&format!("revoke-{round}"));
    let bystander = UserKey::hashed(&format!("bystander-{round}"));
    tied(store, &bystander, n).await?;
    tied(store, &user, n).await?;
    let started = Instant::now();
    let ended = store.end_sessions_of(&user, None).await?;
    let everywhere = started.elapsed();
    if ended != n as u64 {
        return Err(format!("ended {ended} of {n} sessions").into());
    }
    let ids = tied(store, &user, n).await?;
    let started = Instant::now();
    for id in &ids {
        store.delete(&store.ids().storage_key(id)).await?;
    }
    let one_by_one = started.elapsed();
    store.end_sessions_of(&bystander, None).await?;
    Ok((everywhere, one_by_one))
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: revoke STORE_URL [SESSIONS] [ROUNDS]")?;
    let n: usize = args.next().map_or(Ok(1000), |n| n.parse())?;
    let rounds: usize = args.next().map_or(Ok(5), |n| n.parse())?;
    let store = open(&url).await?;
    let scheme = url.split(':').next().unwrap_or("?");
    for r in 0..rounds {
        let (everywhere, one_by_one) = round(&store, n, r).await?;
        println!(
            "{{\"store\": \"{scheme}\", \"sessions\": {n}, \"round\": {r}, \"end_all_ms\": {:.2}, \"one_by_one_ms\": {:.2}}}",
            everywhere.as_secs_f64() * 1e3,
            one_by_one.as_secs_f64() * 1e3
        );
    }
    Ok(())
}
