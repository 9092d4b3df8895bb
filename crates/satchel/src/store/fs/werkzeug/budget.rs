//! The byte budget of one pickle read: what every value expands to, each memo reference
//! and each builtin call counted as the copy it becomes.

use crate::store::fs::format::MAX_FILE_BYTES;

/// What one read may build, in each of its two phases (the pickle machine, then the
/// JSON): twice the largest file the store reads, so a file of plain data within that
/// limit reads (bytes grow by a third as base64), while a memo reference, two bytes that
/// stand for a shared value of any size, cannot multiply a small file into gigabytes.
pub(super) const MAX_EXPANDED_BYTES: usize = 2 * MAX_FILE_BYTES as usize;

/// The bytes a value costs beyond its text: its slot in a container or on the stack.
pub(super) const SLOT_BYTES: usize = 8;

/// Bytes left to build; every value spends from it before it is built.
#[derive(Debug)]
pub(super) struct Budget {
    left: usize,
}

impl Budget {
    pub(super) fn new() -> Self {
        Self {
            left: MAX_EXPANDED_BYTES,
        }
    }

    /// Spends `bytes`, or says why the pickle is refused.
    pub(super) fn spend(&mut self, bytes: usize) -> Result<(), String> {
        self.left = self.left.checked_sub(bytes).ok_or_else(|| {
            format!(
                "the pickle expands to more than {MAX_EXPANDED_BYTES} bytes \
                 (shared values counted each time they appear)"
            )
        })?;
        Ok(())
    }

    /// Spends a slot and `payload` bytes of text.
    pub(super) fn value(&mut self, payload: usize) -> Result<(), String> {
        self.spend(SLOT_BYTES.saturating_add(payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spending_past_the_limit_is_refused_and_stays_refused() {
        let mut budget = Budget::new();
        budget.spend(MAX_EXPANDED_BYTES - SLOT_BYTES).unwrap();
        budget.value(0).unwrap();
        assert!(budget.spend(1).unwrap_err().contains("more than"));
        assert!(budget.value(usize::MAX).is_err());
    }
}
