//! `MemoryStore`: sessions in a map inside the process.

mod compact;
mod users;

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hash as _, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use self::compact::Compact;
use self::users::UserIndex;
use super::{Progress, SessionStore};
use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::Result;
use crate::id::StorageKey;
use crate::owner::UserKey;
use crate::record::Record;

/// Sessions in memory, for tests and single-process apps; clones share the same map.
///
/// Every operation holds the lock of its session's shard for its whole read-apply-write,
/// so concurrent saves of one session merge their changes. Expired records are never handed out as sessions and
/// go at the next [`SessionStore::prune`].
///
/// # Example
/// ```
/// use satchel::{MemoryStore, SessionStoreExt};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let store = MemoryStore::new();
/// let mut session = store.new_session()?;
/// session.insert("user", "alice")?;
/// store.save(&mut session).await?;
/// let loaded = store.get(session.id().as_str()).await?;
/// assert_eq!(loaded.get::<String>("user")?.as_deref(), Some("alice"));
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    shards: Arc<[Mutex<Shard>]>,
    users: Arc<UserIndex>,
    clock: Clock,
}

/// One lock and one map per shard: a map that doubles stalls only the requests of its
/// own shard, for 1/SHARDS of the time one big map would (a million-session map takes
/// tens of milliseconds to grow), and threads rarely wait for each other's lock.
type Shard = HashMap<StorageKey, Compact, BuildHasherDefault<KeyHasher>>;

const SHARDS: usize = 64;

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            users: Arc::default(),
            clock: Clock::default(),
        }
    }
}

/// Keys are the hex of SHA-256 outputs, so their bytes are already uniform and no client
/// can choose one to collide: the first 16 bytes (64 bits) are as good a hash as SipHash of
/// all 64 would be, at a fraction of its cost on every lookup.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = [0u8; 16];
        let taken = bytes.len().min(16);
        words[..taken].copy_from_slice(&bytes[..taken]);
        let (low, high) = words.split_at(8);
        let word = |half: &[u8]| u64::from_le_bytes(half.try_into().unwrap_or_default());
        // A folded 64×64→128-bit multiply (as foldhash does) spreads every input bit over
        // the low bits the map indexes by and the high bits the shards do.
        let product = u128::from(self.0 ^ word(low) ^ 0x243f_6a88_85a3_08d3)
            * u128::from(word(high) ^ 0x1319_8a2e_0370_7344);
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl MemoryStore {
    /// An empty store.
    ///
    /// # Example
    /// ```
    /// let store = satchel::MemoryStore::new();
    /// assert!(store.is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Judges expiry by `clock` (tests use a manual one).
    ///
    /// # Example
    /// ```
    /// let clock = satchel::Clock::manual(time::OffsetDateTime::UNIX_EPOCH);
    /// let store = satchel::MemoryStore::new().with_clock(clock);
    /// # let _ = store;
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// How many records the store holds, expired ones included.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::MemoryStore::new().len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.shards.iter().map(|shard| lock(shard).len()).sum()
    }

    /// Whether the store holds no records.
    ///
    /// # Example
    /// ```
    /// assert!(satchel::MemoryStore::new().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.shards.iter().all(|shard| lock(shard).is_empty())
    }

    /// The shard that holds `key`.
    fn records(&self, key: &StorageKey) -> MutexGuard<'_, Shard> {
        lock(&self.shards[shard_of(key)])
    }

    /// Takes a removed record's key out of its user's index.
    fn forget(&self, key: &StorageKey, removed: Option<&Compact>) {
        if let Some(owner) = removed.and_then(Compact::owner) {
            self.users.moved(key, Some(owner), None);
        }
    }

    fn is_live(&self, record: Option<&Compact>) -> bool {
        record.is_some_and(|record| !record.is_expired(self.clock.now()))
    }
}

impl fmt::Debug for MemoryStore {
    // By hand: the sessions' data stays out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("sessions", &self.len())
            .field("clock", &self.clock)
            .finish()
    }
}

/// Middle bits of the key's hash: the map inside a shard indexes by the low bits and
/// filters by the top seven, so shards cut from either would leave it colliding.
fn shard_of(key: &StorageKey) -> usize {
    let mut hasher = KeyHasher::default();
    key.hash(&mut hasher);
    (hasher.finish() >> 40) as usize % SHARDS
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // Every critical section leaves the map consistent, so a poisoned lock is still good.
    shard
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SessionStore for MemoryStore {
    async fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
        let mut map = self.records(key);
        if self.is_live(map.get(key)) {
            return Ok(false);
        }
        let replaced = map.insert(key.clone(), Compact::new(record));
        let before = replaced.as_ref().and_then(Compact::owner);
        self.users.moved(key, before, record.owner.as_ref());
        Ok(true)
    }

    async fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        Ok(self.records(key).get(key).map(Compact::to_record))
    }

    async fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        let mut map = self.records(key);
        match map.get_mut(key) {
            Some(record) if !record.is_expired(self.clock.now()) => {
                let before = changes.owner.as_ref().and(record.owner().cloned());
                record.apply(changes);
                if let Some(after) = &changes.owner {
                    self.users.moved(key, before.as_ref(), after.as_ref());
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete(&self, key: &StorageKey) -> Result<bool> {
        let mut map = self.records(key);
        let removed = map.remove(key);
        self.forget(key, removed.as_ref());
        Ok(removed.is_some())
    }

    async fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
        let mut map = self.records(key);
        let expired = map
            .get(key)
            .is_some_and(|record| record.is_expired(self.clock.now()));
        if !expired {
            return Ok(false);
        }
        let removed = map.remove(key);
        self.forget(key, removed.as_ref());
        Ok(true)
    }

    async fn list(&self) -> Result<Vec<StorageKey>> {
        let mut keys = Vec::new();
        for shard in self.shards.iter() {
            keys.extend(lock(shard).keys().cloned());
        }
        keys.sort();
        Ok(keys)
    }

    async fn prune(&self, progress: &Progress) -> Result<u64> {
        let now = self.clock.now();
        let (mut checked, mut deleted) = (0, 0);
        let total = self.len() as u64;
        for shard in self.shards.iter() {
            let mut map = lock(shard);
            let before = map.len();
            map.retain(|key, record| {
                let keep = !record.is_expired(now);
                if !keep {
                    self.users.moved(key, record.owner(), None);
                }
                keep
            });
            checked += before as u64;
            deleted += (before - map.len()) as u64;
            drop(map);
            progress.report(checked.min(total), total);
        }
        Ok(deleted)
    }

    async fn user_records(&self, user: &UserKey) -> Result<Vec<(StorageKey, Record)>> {
        let now = self.clock.now();
        let mut found = Vec::new();
        for key in self.users.keys_of(user) {
            let map = self.records(&key);
            let Some(record) = map.get(&key) else {
                continue;
            };
            if !record.is_expired(now) && record.owner().is_some_and(|o| o.user() == user) {
                let record = record.to_record();
                drop(map);
                found.push((key, record));
            }
        }
        Ok(found)
    }

    fn clock(&self) -> Clock {
        self.clock.clone()
    }

    fn backend_name(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::SessionId;
    use crate::owner::Owner;
    use crate::store::{SessionStoreExt as _, UserSessions as _};

    #[tokio::test]
    async fn the_user_index_keeps_no_entry_past_its_session() {
        let clock = Clock::manual(time::OffsetDateTime::now_utc());
        let store = MemoryStore::new().with_clock(clock.clone());
        let alice = UserKey::hashed("alice");
        for expires in [Some(clock.now() + time::Duration::seconds(1)), None] {
            let mut session = store.new_session().unwrap();
            session.set_owner(Some(Owner::new(alice.clone())));
            session.set_expires_at(expires);
            store.save(&mut session).await.unwrap();
        }
        assert_eq!(store.users.len(), 2);
        clock.advance(time::Duration::seconds(1));
        store.prune(&Progress::none()).await.unwrap();
        assert_eq!(
            store.users.len(),
            1,
            "prune left the expired session's entry"
        );
        store.end_sessions_of(&alice, None).await.unwrap();
        assert_eq!(store.users.len(), 0, "ending left an entry");
    }

    #[test]
    fn keys_spread_over_shards_and_within_each() {
        let mut shards = [0usize; SHARDS];
        let (mut low_bits, mut top_bits) = ([0usize; 64], [0usize; 128]);
        for _ in 0..25_600 {
            let key = SessionId::generate().unwrap().storage_key();
            let shard = shard_of(&key);
            shards[shard] += 1;
            if shard == 0 {
                // What the shard's own map uses: bucket index and control byte.
                let mut hasher = KeyHasher::default();
                key.hash(&mut hasher);
                let hash = hasher.finish();
                low_bits[(hash & 0x3f) as usize] += 1;
                top_bits[(hash >> 57) as usize] += 1;
            }
        }
        // 400 per shard expected; a poor hash leaves some near zero and others far over.
        assert!(
            shards.iter().all(|&n| (250..600).contains(&n)),
            "{shards:?}"
        );
        let used = |counts: &[usize]| counts.iter().filter(|&&n| n > 0).count();
        // About 400 keys in shard 0: a uniform hash leaves about 0.1 of 64 and 6 of 128
        // values unused; a hash that shards and filters by the same bits uses 2 of 128.
        assert!(used(&low_bits) > 56, "{low_bits:?}");
        assert!(used(&top_bits) > 100, "{top_bits:?}");
    }
}
