//! The write-side limit every store shares: how large and how deep session data may grow.
//!
//! Readers have budgets (serde_json stops at 128 levels, the pickle reader at 128 levels, a
//! million values and 32 MiB, the file store at 16 MiB a file, a cookie at 4 KiB), so a
//! session written past them would be unreadable: lost, and never pruned. The limit here
//! refuses such data before any store sees it, with room to spare for each store's own
//! wrapping.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// How large (as compact JSON) and how deeply nested a session's data may be; a save, or
/// an [`insert`](crate::Session::insert), that would pass either is refused with
/// [`Error::TooLarge`] or [`Error::TooDeep`] and writes nothing.
///
/// The defaults, 1 MiB and 32 levels, are far beyond what sessions hold (a login, a cart,
/// a few flags: a few hundred bytes, three or four levels), yet well inside every reader's
/// budget: a value's depth counts from the session's map, and the deepest store wrapping
/// adds two levels (the file format's record around the map), so 32 stays far from
/// serde_json's 128; 1 MiB of JSON is at most about half a million values, half the pickle
/// reader's million, and a sixteenth of the file store's 16 MiB. Cookie sessions are
/// bounded by the 4 KiB cookie anyway. The settings can go lower, or up to
/// [`Limits::MAX_BYTES`] and [`Limits::MAX_DEPTH`], which keep the same guarantee.
///
/// The bound holds for what one request sees: requests that change the same session at
/// the same moment can together pass it by what each of them adds, which the readers'
/// margins absorb.
///
/// # Example
/// ```
/// use satchel::{Limits, Session, SessionId};
///
/// let limits = Limits::new().with_max_bytes(64).with_max_depth(2);
/// let mut session = Session::new(SessionId::generate()?).with_limits(limits);
/// session.insert("ok", [[1]])?;
/// assert!(matches!(session.insert("deep", [[[1]]]), Err(satchel::Error::TooDeep { .. })));
/// assert!(matches!(session.insert("big", "x".repeat(64)), Err(satchel::Error::TooLarge { .. })));
/// assert_eq!(session.len(), 1); // a refused insert changes nothing
/// # Ok::<(), satchel::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    max_bytes: usize,
    max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_depth: Self::DEFAULT_MAX_DEPTH,
        }
    }
}

impl Limits {
    /// 1 MiB of compact JSON.
    pub const DEFAULT_MAX_BYTES: usize = 1024 * 1024;
    /// 32 levels of arrays and objects inside a value.
    pub const DEFAULT_MAX_DEPTH: usize = 32;
    /// The most [`Limits::with_max_bytes`] allows: 1.5 MiB, about 800,000 values at two
    /// bytes each, still under the pickle reader's million.
    pub const MAX_BYTES: usize = 3 * 512 * 1024;
    /// The most [`Limits::with_max_depth`] allows: 100 levels, plus two of wrapping,
    /// still well under the readers' 128.
    pub const MAX_DEPTH: usize = 100;

    /// The defaults described above.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::Limits::new().max_bytes(), satchel::Limits::DEFAULT_MAX_BYTES);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the largest session, in bytes of compact JSON (at most [`Limits::MAX_BYTES`]).
    ///
    /// # Example
    /// ```
    /// use satchel::Limits;
    /// assert_eq!(Limits::new().with_max_bytes(4096).max_bytes(), 4096);
    /// assert_eq!(Limits::new().with_max_bytes(usize::MAX).max_bytes(), Limits::MAX_BYTES);
    /// ```
    #[must_use]
    pub fn with_max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes.min(Self::MAX_BYTES);
        self
    }

    /// Sets the deepest nesting of a value (at most [`Limits::MAX_DEPTH`]): a number or a
    /// string is 0 deep, `[]` and `{}` are 1, `[[1]]` is 2.
    ///
    /// # Example
    /// ```
    /// use satchel::Limits;
    /// assert_eq!(Limits::new().with_max_depth(8).max_depth(), 8);
    /// assert_eq!(Limits::new().with_max_depth(1000).max_depth(), Limits::MAX_DEPTH);
    /// ```
    #[must_use]
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth.min(Self::MAX_DEPTH);
        self
    }

    /// The largest session, in bytes of compact JSON.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::Limits::new().max_bytes(), 1 << 20);
    /// ```
    #[must_use]
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// The deepest nesting of a value.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::Limits::new().max_depth(), 32);
    /// ```
    #[must_use]
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    fn too_deep(&self) -> Error {
        Error::TooDeep {
            limit: self.max_depth,
        }
    }
}

/// A session's running size, kept as it changes so that a check costs only what changed
/// (plus one measurement of the loaded data, at the first write).
#[derive(Clone, Debug, Default)]
pub(crate) struct Tally {
    /// The bytes of every entry (`"key":value`, without commas or braces) except those
    /// of `lent` keys; `None` until the first write.
    entries: Option<usize>,
    /// Keys lent out by `get_mut`: measured again at the next check.
    lent: BTreeSet<String>,
    /// Keys written with a value nested deeper than the limit.
    deep: BTreeSet<String>,
}

impl Tally {
    /// Before any change to `data`: measures it once.
    pub(crate) fn start(&mut self, data: &Map<String, Value>) {
        if self.entries.is_none() {
            // Loaded data was read by a store, so its depth is bounded by the readers'.
            let sum = data.iter().map(|(k, v)| entry(k, v, usize::MAX).0).sum();
            self.entries = Some(sum);
        }
    }

    /// `key` now holds a value whose entry takes `bytes`, nested deeper than the limit
    /// if `too_deep`; `old` is what it held, if anything.
    pub(crate) fn set(&mut self, key: &str, old: Option<&Value>, bytes: usize, too_deep: bool) {
        self.forget(key, old);
        self.add(bytes);
        if too_deep {
            self.deep.insert(key.to_owned());
        }
    }

    /// `key`, which held `old`, is gone (or about to be lent out).
    pub(crate) fn forget(&mut self, key: &str, old: Option<&Value>) {
        self.deep.remove(key);
        if self.lent.remove(key) {
            return; // its size was taken off when it was lent
        }
        if let (Some(old), Some(entries)) = (old, self.entries.as_mut()) {
            *entries = entries.saturating_sub(entry(key, old, usize::MAX).0);
        }
    }

    /// `key` is lent out for arbitrary change.
    pub(crate) fn lend(&mut self, key: &str, current: &Value) {
        self.forget(key, Some(current));
        self.lent.insert(key.to_owned());
    }

    /// The data was cleared.
    pub(crate) fn clear(&mut self) {
        *self = Self {
            entries: Some(0),
            ..Self::default()
        };
    }

    fn add(&mut self, bytes: usize) {
        if let Some(entries) = self.entries.as_mut() {
            *entries = entries.saturating_add(bytes);
        }
    }

    /// The data's size if `key` held a value of `bytes` (its entry's size).
    pub(crate) fn size_with(
        &self,
        data: &Map<String, Value>,
        key: &str,
        bytes: usize,
    ) -> Option<usize> {
        let old = data.get(key);
        let mut entries = self.entries?;
        if let Some(old) = old.filter(|_| !self.lent.contains(key)) {
            entries = entries.saturating_sub(entry(key, old, usize::MAX).0);
        }
        let len = data.len() + usize::from(old.is_none());
        Some(encoded_size(entries.saturating_add(bytes), len))
    }

    /// Checks `data` against `limits`, measuring the keys lent out since the last check.
    pub(crate) fn check(&mut self, data: &Map<String, Value>, limits: Limits) -> Result<()> {
        let Some(mut entries) = self.entries else {
            return Ok(()); // no key was written since the data was read
        };
        for key in std::mem::take(&mut self.lent) {
            if let Some(value) = data.get(&key) {
                let (bytes, depth) = entry(&key, value, limits.max_depth);
                entries = entries.saturating_add(bytes);
                if depth > limits.max_depth {
                    self.deep.insert(key);
                }
            }
        }
        self.entries = Some(entries);
        if !self.deep.is_empty() {
            return Err(limits.too_deep());
        }
        let size = encoded_size(entries, data.len());
        if size > limits.max_bytes {
            return Err(Error::TooLarge {
                size,
                limit: limits.max_bytes,
            });
        }
        Ok(())
    }
}

/// Checks one value about to go under `key`, before anything changes.
pub(crate) fn check_value(
    tally: &Tally,
    data: &Map<String, Value>,
    key: &str,
    value: &Value,
    limits: Limits,
) -> Result<(usize, usize)> {
    let (bytes, depth) = entry(key, value, limits.max_depth);
    if depth > limits.max_depth {
        return Err(limits.too_deep());
    }
    match tally.size_with(data, key, bytes) {
        Some(size) if size > limits.max_bytes => Err(Error::TooLarge {
            size,
            limit: limits.max_bytes,
        }),
        _ => Ok((bytes, depth)),
    }
}

/// A map of `len` entries taking `entries` bytes, as compact JSON: braces and commas.
fn encoded_size(entries: usize, len: usize) -> usize {
    entries
        .saturating_add(2)
        .saturating_add(len.saturating_sub(1))
}

/// The bytes of `"key":value` as compact JSON, and the value's depth (measured no further
/// than one past `max_depth`, so a deep value costs no more than a legal one).
pub(crate) fn entry(key: &str, value: &Value, max_depth: usize) -> (usize, usize) {
    let (bytes, depth) = measure(value, 0, max_depth);
    (string_size(key) + 1 + bytes, depth)
}

fn measure(value: &Value, depth: usize, max_depth: usize) -> (usize, usize) {
    match value {
        Value::Null => (4, depth),
        Value::Bool(b) => (if *b { 4 } else { 5 }, depth),
        Value::Number(n) => (number_size(n), depth),
        Value::String(s) => (string_size(s), depth),
        _ if depth >= max_depth => (0, depth + 1),
        Value::Array(items) => {
            let (bytes, deepest) = items.iter().fold((0, depth + 1), |(sum, deepest), item| {
                let (bytes, d) = measure(item, depth + 1, max_depth);
                (sum + bytes, deepest.max(d))
            });
            (bytes + 2 + items.len().saturating_sub(1), deepest)
        }
        Value::Object(map) => {
            let (bytes, deepest) = map.iter().fold((0, depth + 1), |(sum, deepest), (k, v)| {
                let (bytes, d) = measure(v, depth + 1, max_depth);
                (sum + string_size(k) + 1 + bytes, deepest.max(d))
            });
            (bytes + 2 + map.len().saturating_sub(1), deepest)
        }
    }
}

/// A number's bytes as serde_json writes it; integers (nearly every number a session
/// holds) without going through `fmt`.
fn number_size(number: &serde_json::Number) -> usize {
    let digits = |n: u64| n.checked_ilog10().map_or(1, |log| log as usize + 1);
    if let Some(n) = number.as_u64() {
        digits(n)
    } else if let Some(n) = number.as_i64() {
        1 + digits(n.unsigned_abs())
    } else {
        let mut counter = Counter(0);
        // Writing to a counter cannot fail; serde_json prints numbers as `Display` does.
        let _ = write!(counter, "{number}");
        counter.0
    }
}

/// A string's bytes as serde_json writes it: quoted, with its escapes.
fn string_size(text: &str) -> usize {
    let escapes: usize = text
        .bytes()
        .map(|byte| match byte {
            b'"' | b'\\' | b'\x08' | b'\x0c' | b'\n' | b'\r' | b'\t' => 1,
            0..0x20 => 5,
            _ => 0,
        })
        .sum();
    text.len() + escapes + 2
}

struct Counter(usize);

impl std::fmt::Write for Counter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn size(value: &Value) -> usize {
        measure(value, 0, usize::MAX).0
    }

    #[test]
    fn sizes_match_serde_json() {
        for value in [
            json!(null),
            json!([
                true,
                false,
                1.5e300,
                -7,
                u64::MAX,
                i64::MIN,
                0,
                9,
                10,
                -1,
                -10,
                0.1
            ]),
            json!({"a\"\\\n\u{1}\u{7f}é": ["x", {}, []], "": {"b": null}}),
            json!("\u{0}\u{1f}\t"),
        ] {
            assert_eq!(size(&value), serde_json::to_string(&value).unwrap().len());
        }
    }

    #[test]
    fn depth_counts_containers_and_stops_past_the_limit() {
        assert_eq!(measure(&json!(1), 0, 32).1, 0);
        assert_eq!(measure(&json!([]), 0, 32).1, 1);
        assert_eq!(measure(&json!([[1], {"a": {}}]), 0, 32).1, 3);
        assert_eq!(measure(&json!([[[[1]]]]), 0, 2).1, 3);
    }

    proptest! {
        #[test]
        fn strings_measure_as_serialized(text in "\\PC*|[\\x00-\\x7f]*") {
            prop_assert_eq!(string_size(&text), serde_json::to_string(&text).unwrap().len());
        }
    }
}
