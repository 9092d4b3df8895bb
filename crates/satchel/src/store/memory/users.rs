//! `MemoryStore`'s per-user index: which stored keys each user's sessions live under.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use crate::id::StorageKey;
use crate::owner::{Owner, UserKey};

/// Kept beside the shards and changed while the shard of the key is locked (shard first,
/// then index, always), so a session is in its user's index whenever it can be loaded.
#[derive(Debug, Default)]
pub(super) struct UserIndex(Mutex<HashMap<UserKey, HashSet<StorageKey>>>);

impl UserIndex {
    /// Moves `key` from the index of `before`'s user to that of `after`'s.
    pub(super) fn moved(&self, key: &StorageKey, before: Option<&Owner>, after: Option<&Owner>) {
        let (before, after) = (before.map(Owner::user), after.map(Owner::user));
        if before == after {
            return;
        }
        let mut users = self.lock();
        if let Some((user, keys)) = before.and_then(|user| Some((user, users.get_mut(user)?))) {
            keys.remove(key);
            if keys.is_empty() {
                users.remove(user);
            }
        }
        if let Some(user) = after {
            users.entry(user.clone()).or_default().insert(key.clone());
        }
    }

    /// The keys indexed under `user`: live, expired or (briefly) being removed.
    pub(super) fn keys_of(&self, user: &UserKey) -> Vec<StorageKey> {
        self.lock()
            .get(user)
            .map(|keys| keys.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// How many keys the index holds, over every user.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.lock().values().map(HashSet::len).sum()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<UserKey, HashSet<StorageKey>>> {
        // Every critical section leaves the map consistent, so a poisoned lock is still good.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
