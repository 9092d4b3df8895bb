//! `KeySet`: the set of session keys a request changed, sorted.

use std::collections::BTreeSet;

/// Up to this many keys live in a sorted `Vec`; past it, in a `BTreeSet`, so that a
/// handler that sets thousands of keys does not shift the vector on each of them.
const FEW: usize = 32;

/// A sorted set of keys, with no allocation beyond the keys' own for the one or two keys
/// a request usually changes (a `BTreeSet` allocates a node of 280 bytes for its first).
#[derive(Clone, Default)]
pub(crate) enum KeySet {
    #[default]
    Empty,
    Few(Vec<String>),
    Many(BTreeSet<String>),
}

impl KeySet {
    pub(crate) fn insert(&mut self, key: String) {
        match self {
            Self::Empty => *self = Self::Few(vec![key]),
            Self::Few(keys) => match keys.binary_search(&key) {
                Ok(_) => {}
                Err(_) if keys.len() >= FEW => {
                    let mut set: BTreeSet<String> = std::mem::take(keys).into_iter().collect();
                    set.insert(key);
                    *self = Self::Many(set);
                }
                Err(at) => keys.insert(at, key),
            },
            Self::Many(set) => {
                set.insert(key);
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        match self {
            Self::Empty => {}
            // Kept: the vector's room serves the next request of a long-lived session.
            Self::Few(keys) => keys.clear(),
            Self::Many(_) => *self = Self::Empty,
        }
    }

    /// The keys in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &String> {
        let (few, many) = match self {
            Self::Empty => (None, None),
            Self::Few(keys) => (Some(keys.iter()), None),
            Self::Many(set) => (None, Some(set.iter())),
        };
        few.into_iter().flatten().chain(many.into_iter().flatten())
    }
}

impl std::fmt::Debug for KeySet {
    // As a set, whichever form holds it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_unique_on_both_sides_of_the_switch() {
        for count in [0, 1, 3, FEW, FEW + 1, 500] {
            let mut set = KeySet::default();
            let mut expected = BTreeSet::new();
            for i in (0..count).rev().chain(0..count) {
                let key = format!("k{i:04}");
                set.insert(key.clone());
                expected.insert(key);
            }
            assert!(set.iter().eq(expected.iter()), "{count} keys");
            assert_eq!(format!("{set:?}"), format!("{expected:?}"));
            set.clear();
            assert_eq!(set.iter().count(), 0);
        }
    }
}
