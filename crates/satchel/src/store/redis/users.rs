//! `RedisStore`'s per-user index: a sorted set per user of the keys their sessions live
//! under, scored by when each was added.
//!
//! The set and a session's hash sit in different cluster slots, so no one script can
//! change both: a key joins the set *before* its record is written, so a session is listed
//! whenever it can be loaded, and leaves it lazily (when listing finds it missing, and at
//! prune) once it is older than [`IN_FLIGHT_SECONDS`], so an entry whose record is still
//! being written is never dropped.

use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use redis::Value;

use super::{Node, RedisStore};
use crate::error::Result;
use crate::id::StorageKey;
use crate::owner::UserKey;
use crate::record::Record;
use crate::store::owned::{Entry, IN_FLIGHT, judge};

/// Longer than any write may take (the store's timeout is half a second by default).
const IN_FLIGHT_SECONDS: i64 = 60;

impl RedisStore {
    fn index_key(&self, user: &UserKey) -> String {
        format!("{}user:{}", self.inner.prefix, user.index_name())
    }

    /// Adds `key` to `user`'s index: before its record is written.
    pub(super) async fn index(&self, user: &UserKey, key: &StorageKey) -> Result<()> {
        let zadd = redis::cmd("ZADD")
            .arg(self.index_key(user))
            .arg(self.now())
            .arg(key.as_str())
            .clone();
        self.query::<Value>(&zadd).await.map(drop)
    }

    pub(super) async fn records_of(&self, user: &UserKey) -> Result<Vec<(StorageKey, Record)>> {
        let index = self.index_key(user);
        let members = self.members(&index, &None).await?;
        let (now, mut found, mut stale) = (self.inner.clock.now(), Vec::new(), Vec::new());
        let old_before = self.now() - IN_FLIGHT_SECONDS;
        // The loads overlap on the multiplexed connection: one round trip's wait for many.
        let mut loads = stream::iter(members)
            .map(|(member, added)| async move {
                let Some(key) = StorageKey::parse(&member) else {
                    return Ok((member, None, Entry::Stale));
                };
                let record = crate::store::SessionStore::load(self, &key).await?;
                Ok::<_, crate::Error>((
                    member,
                    Some(key),
                    judge(record, user, now, added < old_before),
                ))
            })
            .buffered(IN_FLIGHT);
        while let Some(loaded) = loads.next().await {
            match loaded? {
                (_, Some(key), Entry::Live(record)) => found.push((key, record)),
                (member, _, Entry::Stale) => stale.push(member),
                _ => {}
            }
        }
        drop(loads);
        self.unindex(&index, &stale, &None).await?;
        Ok(found)
    }

    /// Removes, from every user's index, keys whose session is gone: after a prune.
    pub(super) async fn sweep_indexes(&self) -> Result<()> {
        for node in self.scan_targets().await? {
            let pattern = format!("{}user:*", super::glob_escape(&self.inner.prefix));
            for index in self.scan_names(&pattern, &node).await? {
                let old_before = self.now() - IN_FLIGHT_SECONDS;
                let old = self.members(&index, &node).await?.into_iter();
                let stale: Vec<String> = stream::iter(old.filter(|(_, added)| *added < old_before))
                    .map(|(member, _)| async move {
                        let exists = redis::cmd("EXISTS")
                            .arg(format!("{}{member}", self.inner.prefix))
                            .clone();
                        Ok::<_, crate::Error>(
                            (self.query::<u64>(&exists).await? == 0).then_some(member),
                        )
                    })
                    .buffered(IN_FLIGHT)
                    .try_filter_map(|gone| async move { Ok(gone) })
                    .try_collect()
                    .await?;
                self.unindex(&index, &stale, &node).await?;
            }
        }
        Ok(())
    }

    async fn members(&self, index: &str, node: &Node) -> Result<Vec<(String, i64)>> {
        let zrange = redis::cmd("ZRANGE")
            .arg(index)
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES")
            .clone();
        self.query_node(&zrange, node).await
    }

    async fn unindex(&self, index: &str, stale: &[String], node: &Node) -> Result<()> {
        if stale.is_empty() {
            return Ok(());
        }
        let zrem = redis::cmd("ZREM").arg(index).arg(stale).clone();
        self.query_node::<Value>(&zrem, node).await.map(drop)
    }
}
