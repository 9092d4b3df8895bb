//! `MemoryStore`: sessions in a map inside the process.

mod compact;
mod name;
mod packed;
mod users;

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hash as _, Hasher};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use self::compact::Compact;
use self::packed::PackedKey;
use self::users::UserIndex;
use super::{Progress, SessionStore};
use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::id::StorageKey;
use crate::owner::UserKey;
use crate::record::Record;

/// Sessions in memory, for tests and single-process apps; clones share the same map.
///
/// The store holds at most [`MemoryStore::DEFAULT_MAX_BYTES`] (1 GiB) of sessions, or what
/// [`MemoryStore::with_max_bytes`] sets: every request without a cookie that writes makes a
/// session, which lives until its idle timeout, so without a bound one client could fill
/// the process's memory. Past it, a create or a growing save is refused with
/// [`Error::StoreFull`] (503 from the middleware) and nothing is written; expired
/// sessions are swept first, and deletes, prunes and shrinking saves always go through.
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
    /// About how many bytes the records take ([`Compact::weight`]), changed under the
    /// shard lock of the record that changed.
    bytes: Arc<AtomicUsize>,
    max_bytes: usize,
    /// When (unix seconds) a full store last swept its expired records.
    last_sweep: Arc<AtomicI64>,
}

/// One lock and one map per shard: a map that doubles stalls only the requests of its
/// own shard, for 1/SHARDS of the time one big map would (a million-session map takes
/// tens of milliseconds to grow), and threads rarely wait for each other's lock.
type Shard = HashMap<PackedKey, Compact, BuildHasherDefault<KeyHasher>>;

const SHARDS: usize = 64;

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            users: Arc::default(),
            clock: Clock::default(),
            bytes: Arc::default(),
            max_bytes: Self::DEFAULT_MAX_BYTES,
            last_sweep: Arc::new(AtomicI64::new(i64::MIN)),
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
    /// The default memory limit: 1 GiB of sessions, a million of a kilobyte each.
    pub const DEFAULT_MAX_BYTES: usize = 1 << 30;

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

    /// Sets how many bytes of sessions the store holds at most (`usize::MAX`: no limit).
    /// The count is an estimate of what the records take in memory: their keys and
    /// values, plus a fixed cost per record and per value.
    ///
    /// # Example
    /// ```
    /// use satchel::{Error, MemoryStore, SessionStoreExt};
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let store = MemoryStore::new().with_max_bytes(4096);
    /// let mut small = store.new_session()?;
    /// small.insert("n", 1)?;
    /// store.save(&mut small).await?;
    /// let mut big = store.new_session()?;
    /// big.insert("blob", "x".repeat(5000))?;
    /// assert!(matches!(store.save(&mut big).await, Err(Error::StoreFull { limit: 4096 })));
    /// assert!(store.bytes() <= 4096);
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// About how many bytes the records take (the measure [`MemoryStore::with_max_bytes`]
    /// limits).
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::MemoryStore::new().bytes(), 0);
    /// ```
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Counts a record that goes from `before` to `after` bytes, if the limit allows;
    /// `false`, counting nothing, when it does not.
    fn resize(&self, before: usize, after: usize) -> bool {
        if after <= before {
            self.uncount(before - after);
            return true;
        }
        let grow = after - before;
        // Two shards may both pass this check at once and overshoot by one record each:
        // an estimate's bound, not an allocator's.
        if self.bytes().saturating_add(grow) > self.max_bytes {
            return false;
        }
        self.bytes.fetch_add(grow, Ordering::Relaxed);
        true
    }

    /// [`MemoryStore::resize`], sweeping expired records first when the store is full;
    /// called under `key`'s shard lock, which `map` is.
    fn make_room(
        &self,
        map: &mut Shard,
        key: PackedKey,
        before: usize,
        after: usize,
    ) -> Result<()> {
        if self.resize(before, after) {
            return Ok(());
        }
        self.sweep_expired(map, key);
        if self.resize(before, after) {
            return Ok(());
        }
        Err(Error::StoreFull {
            limit: self.max_bytes,
        })
    }

    /// Applies `changes` to `key`'s record, already counted at `weight` bytes.
    fn apply_to(&self, key: &StorageKey, record: &mut Compact, changes: &Changes, weight: usize) {
        let before = changes.owner.as_ref().and(record.owner().cloned());
        record.apply_weighed(changes, weight);
        if let Some(after) = &changes.owner {
            self.users.moved(key, before.as_ref(), after.as_ref());
        }
    }

    /// Removes the expired records of every shard, at most once a second (a full store
    /// would otherwise scan all of them on every refused write): `held` is the shard of
    /// `key`, locked by the caller; the others are only taken when free, so two sweeping
    /// writers never wait for each other's shard.
    fn sweep_expired(&self, held: &mut Shard, key: PackedKey) {
        let now = self.clock.now();
        let second = now.unix_timestamp();
        let last = self.last_sweep.load(Ordering::Relaxed);
        if last >= second
            || self
                .last_sweep
                .compare_exchange(last, second, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let sweep = |map: &mut Shard| {
            map.retain(|stored, record| {
                let keep = *stored == key || !record.is_expired(now);
                if !keep {
                    self.dropped(*stored, record);
                }
                keep
            });
        };
        sweep(held);
        let own = shard_of(&key);
        for (index, shard) in self.shards.iter().enumerate() {
            if index == own {
                continue;
            }
            if let Ok(mut map) = shard.try_lock() {
                sweep(&mut map);
            }
        }
    }

    /// Takes `bytes` off the count, never below zero: a count that wrapped would read as
    /// a full store for good.
    fn uncount(&self, bytes: usize) {
        if bytes > 0 {
            let _ = self
                .bytes
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |count| {
                    Some(count.saturating_sub(bytes))
                });
        }
    }

    /// Counts a removed record out and takes it out of its user's index.
    fn dropped(&self, key: PackedKey, removed: &Compact) {
        self.uncount(removed.weight());
        if let Some(owner) = removed.owner() {
            self.users.moved(&key.to_key(), Some(owner), None);
        }
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
    fn records(&self, key: &PackedKey) -> MutexGuard<'_, Shard> {
        lock(&self.shards[shard_of(key)])
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
fn shard_of(key: &PackedKey) -> usize {
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
        let packed = PackedKey::of(key)?;
        let mut map = self.records(&packed);
        if self.is_live(map.get(&packed)) {
            return Ok(false);
        }
        let compact = Compact::new(record);
        let before = map.get(&packed).map_or(0, Compact::weight);
        self.make_room(&mut map, packed, before, compact.weight())?;
        let replaced = map.insert(packed, compact);
        let before = replaced.as_ref().and_then(Compact::owner);
        self.users.moved(key, before, record.owner.as_ref());
        Ok(true)
    }

    async fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        let packed = PackedKey::of(key)?;
        Ok(self.records(&packed).get(&packed).map(Compact::to_record))
    }

    async fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        let packed = PackedKey::of(key)?;
        let mut map = self.records(&packed);
        let now = self.clock.now();
        let Some(record) = map
            .get_mut(&packed)
            .filter(|record| !record.is_expired(now))
        else {
            return Ok(false);
        };
        let (weight, weight_after) = (record.weight(), record.weight_after(changes));
        if self.resize(weight, weight_after) {
            self.apply_to(key, record, changes, weight_after);
            return Ok(true);
        }
        // Full: sweep, then look the record up again.
        self.make_room(&mut map, packed, weight, weight_after)?;
        let Some(record) = map.get_mut(&packed) else {
            return Ok(false); // not reached: the sweep keeps `key`
        };
        self.apply_to(key, record, changes, weight_after);
        Ok(true)
    }

    async fn delete(&self, key: &StorageKey) -> Result<bool> {
        let packed = PackedKey::of(key)?;
        let mut map = self.records(&packed);
        let removed = map.remove(&packed);
        if let Some(record) = &removed {
            self.dropped(packed, record);
        }
        Ok(removed.is_some())
    }

    async fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
        let packed = PackedKey::of(key)?;
        let mut map = self.records(&packed);
        let expired = map
            .get(&packed)
            .is_some_and(|record| record.is_expired(self.clock.now()));
        let removed = expired.then(|| map.remove(&packed)).flatten();
        if let Some(record) = &removed {
            self.dropped(packed, record);
        }
        Ok(removed.is_some())
    }

    async fn list(&self) -> Result<Vec<StorageKey>> {
        let mut keys = Vec::new();
        for shard in self.shards.iter() {
            keys.extend(lock(shard).keys().map(|key| key.to_key()));
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
                    self.dropped(*key, record);
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
            let packed = PackedKey::of(&key)?;
            let map = self.records(&packed);
            let Some(record) = map.get(&packed) else {
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

    #[tokio::test]
    async fn the_memory_limit_refuses_growth_and_counts_back_to_zero() {
        let clock = Clock::manual(time::OffsetDateTime::now_utc());
        let store = MemoryStore::new()
            .with_clock(clock.clone())
            .with_max_bytes(64 * 1024);
        let mut saved = Vec::new();
        let refused = loop {
            let mut session = store.new_session().unwrap();
            session.insert("blob", "x".repeat(1000)).unwrap();
            session.set_expires_at(Some(clock.now() + time::Duration::seconds(10)));
            match store.save(&mut session).await {
                Ok(_) => saved.push(session),
                Err(err) => break err,
            }
        };
        assert!(
            matches!(refused, crate::Error::StoreFull { limit: 65536 }),
            "{refused}"
        );
        assert!(store.bytes() <= 64 * 1024, "{}", store.bytes());
        assert!((50..64).contains(&saved.len()), "{}", saved.len());
        let full = store.len();

        // Growing a session is refused and leaves it as it was; shrinking goes through.
        let mut grown = store.get(saved[0].id().as_str()).await.unwrap();
        grown.insert("more", "y".repeat(8000)).unwrap();
        assert!(store.save(&mut grown).await.is_err());
        let mut shrunk = store.get(saved[0].id().as_str()).await.unwrap();
        assert_eq!(shrunk.get::<String>("blob").unwrap().unwrap().len(), 1000);
        shrunk.insert("blob", "").unwrap();
        store.save(&mut shrunk).await.unwrap();

        // Expired sessions make room at once, swept when a write finds the store full.
        clock.advance(time::Duration::seconds(11));
        let mut fresh = store.new_session().unwrap();
        fresh.insert("blob", "z".repeat(30_000)).unwrap();
        store.save(&mut fresh).await.unwrap();
        assert!(store.len() < full);

        store.prune(&Progress::none()).await.unwrap();
        store.destroy(&mut fresh).await.unwrap();
        assert_eq!(store.bytes(), 0, "the count drifted");
    }

    #[test]
    fn keys_spread_over_shards_and_within_each() {
        let mut shards = [0usize; SHARDS];
        let (mut low_bits, mut top_bits) = ([0usize; 64], [0usize; 128]);
        for _ in 0..25_600 {
            let key = PackedKey::of(&SessionId::generate().unwrap().storage_key()).unwrap();
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
