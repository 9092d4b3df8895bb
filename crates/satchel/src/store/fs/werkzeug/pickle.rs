//! werkzeug's session files: a pickled dict, read as plain data and written as plain data.
//!
//! Python values map to JSON as follows, and back when written:
//! str ↔ string, bool ↔ bool, None ↔ null, float ↔ number, int ↔ number (when it fits
//! 64 bits, else `{"__int__": "<digits>"}`), list ↔ array, dict ↔ object (string keys
//! only), bytes ↔ `{"__bytes__": "<standard base64>"}`. Tuples, sets and frozensets are
//! read as arrays and written back as lists.
//!
//! Only the exact shapes reading produces are *tags*: canonical base64, and digits of an
//! integer past 64 bits. Any other object, `{"__bytes__": "!!"}` or `{"__int__": "5"}`,
//! is an ordinary dict. A Python dict that does have a tag's shape is read as
//! `{"__dict__": <the dict>}`, and that shape (`__dict__` around a tag-shaped object) is
//! written back as the dict: so every JSON value, and every plain Python value, reads back
//! exactly as it was written.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use num_bigint::BigInt;
use serde_json::{Map, Number, Value};
use serde_pickle::{HashableValue, SerOptions, Value as Pickle};

use super::budget::Budget;
use super::unpickle::{Object, Unpickled, unpickle};

const BYTES_TAG: &str = "__bytes__";
const INT_TAG: &str = "__int__";
const DICT_TAG: &str = "__dict__";
/// Deeper than any session needs; also what stops a self-referencing pickle.
const MAX_DEPTH: usize = 128;
/// More values than any session holds.
const MAX_NODES: usize = 1_000_000;

/// The session data a werkzeug file holds; an error says why it is not plain data.
pub(super) fn decode(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    let unpickled = unpickle(bytes)?;
    let mut expansion = Expansion {
        unpickled: &unpickled,
        nodes_left: MAX_NODES,
        budget: Budget::new(),
    };
    // The root is the session's own map, never a value: it is not tagged (`encode` writes
    // its entries as they are), and an int or bytes, whose JSON is an object, is no dict.
    let Object::Dict(pairs) = &unpickled.objects[unpickled.root] else {
        return Err("the pickle does not hold a dict".into());
    };
    expansion.entries(pairs, 0)
}

/// A pickle (protocol 3) of the session data, which Python 3 reads as a plain dict.
pub(super) fn encode(data: &Map<String, Value>) -> Result<Vec<u8>, String> {
    let dict = data
        .iter()
        .map(|(key, value)| Ok((HashableValue::String(key.clone()), to_pickle(value)?)))
        .collect::<Result<BTreeMap<_, _>, String>>()?;
    serde_pickle::value_to_vec(&Pickle::Dict(dict), SerOptions::new())
        .map_err(|err| format!("cannot pickle the session: {err}"))
}

/// The unpickled objects copied out as JSON. Shared objects (memo GETs) are copied each
/// time they appear, so every copy is counted, in values and in bytes: a few hundred
/// bytes of pickle could otherwise expand to billions of values, or one memoized string
/// to terabytes.
struct Expansion<'a> {
    unpickled: &'a Unpickled,
    nodes_left: usize,
    budget: Budget,
}

impl Expansion<'_> {
    fn copy_out(&mut self, index: usize, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("the pickle nests too deep (or refers to itself)".into());
        }
        self.nodes_left = self
            .nodes_left
            .checked_sub(1)
            .ok_or("the pickle expands to too many values")?;
        let unpickled = self.unpickled;
        let object = &unpickled.objects[index];
        self.budget.value(json_payload(object))?;
        Ok(match object {
            Object::None => Value::Null,
            Object::Bool(b) => Value::Bool(*b),
            Object::Int(n) => big_int_to_json(n),
            Object::Float(f) => Number::from_f64(*f)
                .map(Value::Number)
                .ok_or("a float is not finite")?,
            Object::Str(s) => Value::String(s.clone()),
            Object::Bytes(bytes) => tagged(BYTES_TAG, Value::String(STANDARD.encode(bytes))),
            Object::List(items) | Object::Tuple(items) | Object::Set(items) => Value::Array(
                items
                    .iter()
                    .map(|&i| self.copy_out(i, depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            Object::Dict(pairs) => {
                let dict = self.entries(pairs, depth)?;
                // A dict that looks like a tag must not be written back as what it tags.
                if tag_of(&dict).is_some() {
                    tagged(DICT_TAG, Value::Object(dict))
                } else {
                    Value::Object(dict)
                }
            }
            Object::Builtin(_) => return Err("the pickle holds a function, not data".into()),
        })
    }

    fn entries(
        &mut self,
        pairs: &[(usize, usize)],
        depth: usize,
    ) -> Result<Map<String, Value>, String> {
        pairs
            .iter()
            .map(|&(key, value)| self.entry(key, value, depth))
            .collect()
    }

    fn entry(&mut self, key: usize, value: usize, depth: usize) -> Result<(String, Value), String> {
        let unpickled = self.unpickled;
        let Object::Str(key) = &unpickled.objects[key] else {
            return Err("a dict key is not a string".into());
        };
        self.budget.spend(key.len())?;
        Ok((key.clone(), self.copy_out(value, depth + 1)?))
    }
}

/// The bytes of text a value becomes in JSON, beyond its slot (items count themselves).
fn json_payload(object: &Object) -> usize {
    match object {
        Object::Str(text) => text.len(),
        Object::Bytes(bytes) => bytes.len().div_ceil(3).saturating_mul(4),
        // Decimal digits: about 2.41 per byte of the integer.
        Object::Int(n) => usize::try_from(n.bits().div_ceil(3)).unwrap_or(usize::MAX),
        _ => 0,
    }
}

fn big_int_to_json(n: &BigInt) -> Value {
    if let Ok(small) = i64::try_from(n) {
        Value::from(small)
    } else if let Ok(large) = u64::try_from(n) {
        Value::from(large)
    } else {
        tagged(INT_TAG, Value::String(n.to_string()))
    }
}

fn tagged(tag: &str, inner: Value) -> Value {
    let mut object = Map::new();
    object.insert(tag.into(), inner);
    Value::Object(object)
}

fn to_pickle(value: &Value) -> Result<Pickle, String> {
    Ok(match value {
        Value::Null => Pickle::None,
        Value::Bool(b) => Pickle::Bool(*b),
        Value::Number(n) => number_to_pickle(n)?,
        Value::String(s) => Pickle::String(s.clone()),
        Value::Array(items) => Pickle::List(items.iter().map(to_pickle).collect::<Result<_, _>>()?),
        Value::Object(object) => match tag_of(object) {
            Some(Tag::Bytes(bytes)) => Pickle::Bytes(bytes),
            Some(Tag::Int(n)) => Pickle::Int(n),
            Some(Tag::Dict(inner)) => dict_to_pickle(inner)?,
            None => dict_to_pickle(object)?,
        },
    })
}

fn dict_to_pickle(object: &Map<String, Value>) -> Result<Pickle, String> {
    let items = object
        .iter()
        .map(|(key, value)| Ok((HashableValue::String(key.clone()), to_pickle(value)?)))
        .collect::<Result<_, String>>()?;
    Ok(Pickle::Dict(items))
}

fn number_to_pickle(n: &Number) -> Result<Pickle, String> {
    if let Some(small) = n.as_i64() {
        Ok(Pickle::I64(small))
    } else if let Some(large) = n.as_u64() {
        Ok(Pickle::Int(BigInt::from(large)))
    } else {
        n.as_f64()
            .map(Pickle::F64)
            .ok_or_else(|| format!("unsupported number {n}"))
    }
}

/// What a tag-shaped object stands for.
enum Tag<'a> {
    Bytes(Vec<u8>),
    Int(BigInt),
    /// A Python dict that itself has a tag's shape.
    Dict(&'a Map<String, Value>),
}

/// The value a one-key object stands for, if it has exactly the shape reading gives that
/// value: `{"__bytes__": canonical base64}`, `{"__int__": digits past 64 bits}`, or
/// `{"__dict__": a tag-shaped object}`. Anything else is an ordinary object.
fn tag_of(object: &Map<String, Value>) -> Option<Tag<'_>> {
    if object.len() != 1 {
        return None;
    }
    match object.iter().next()? {
        (key, Value::String(text)) if key == BYTES_TAG => {
            let bytes = STANDARD.decode(text).ok()?;
            (STANDARD.encode(&bytes) == *text).then_some(Tag::Bytes(bytes))
        }
        (key, Value::String(text)) if key == INT_TAG => {
            let n: BigInt = text.parse().ok()?;
            let wide = i64::try_from(&n).is_err() && u64::try_from(&n).is_err();
            (wide && n.to_string() == *text).then_some(Tag::Int(n))
        }
        (key, Value::Object(inner)) if key == DICT_TAG => {
            tag_of(inner).is_some().then_some(Tag::Dict(inner))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_every_mapped_type() {
        let data = json!({
            "s": "héllo", "n": -5, "big": {"__int__": "-123456789012345678901234567890"},
            "u": 18446744073709551615u64, "f": 1.5, "t": true, "none": null,
            "list": [1, [2, {"x": "y"}]], "bytes": {"__bytes__": "AP8="}, "empty": {}
        });
        let map = data.as_object().unwrap();
        assert_eq!(decode(&encode(map).unwrap()).unwrap(), *map);
    }

    #[test]
    fn objects_shaped_like_tags_round_trip_exactly() {
        let data = json!({
            "bad_bytes": {"__bytes__": "!!"}, "loose_bytes": {"__bytes__": "AP8"},
            "small_int": {"__int__": "5"}, "padded_int": {"__int__": "007"},
            "not_text": {"__int__": 5}, "two_keys": {"__bytes__": "AP8=", "x": 1},
            "dict": {"__dict__": {"a": 1}}, "escaped": {"__dict__": {"__bytes__": "AP8="}},
            "twice": {"__dict__": {"__dict__": {"__int__": "123456789012345678901234567890"}}},
        });
        let map = data.as_object().unwrap();
        assert_eq!(decode(&encode(map).unwrap()).unwrap(), *map);
        // Python's own tag-shaped dict comes back as the dict, not as bytes.
        let mut dict = BTreeMap::new();
        dict.insert(
            HashableValue::String(BYTES_TAG.into()),
            Pickle::String("AP8=".into()),
        );
        let mut root = BTreeMap::new();
        root.insert(
            HashableValue::String("d".into()),
            Pickle::Dict(dict.clone()),
        );
        let pickle = serde_pickle::value_to_vec(&Pickle::Dict(root), SerOptions::new()).unwrap();
        let read = decode(&pickle).unwrap();
        assert_eq!(read["d"], json!({"__dict__": {"__bytes__": "AP8="}}));
        assert_eq!(to_pickle(&read["d"]).unwrap(), Pickle::Dict(dict));
    }

    #[test]
    fn a_pickle_that_doubles_itself_forty_times_is_refused() {
        // {"a": L40} with L0 = [1] and L(n+1) = [Ln, Ln]: 2^40 values from ~300 bytes.
        let mut pickle = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02K\x01a".to_vec();
        for memo in 3u8..43 {
            // POP the previous list (the memo keeps it), then build [previous, previous].
            pickle.extend_from_slice(&[
                b'0',
                b']',
                b'q',
                memo,
                b'(',
                b'h',
                memo - 1,
                b'h',
                memo - 1,
                b'e',
            ]);
        }
        pickle.extend_from_slice(b"s.");
        assert!(decode(&pickle).unwrap_err().contains("too many values"));
        // An integer of a million digits is refused before it is printed.
        let mut huge = b"\x80\x02}X\x01\x00\x00\x00n\x8b\x00\x00\x10\x00".to_vec();
        huge.extend(std::iter::repeat_n(0x11, 0x10_0000));
        huge.extend_from_slice(b"s.");
        assert!(decode(&huge).unwrap_err().contains("too large"));
    }

    /// `{"a": [S] * copies}` with S one memoized string of `len` bytes, as Python's
    /// protocol 2 writes it: S once, then a two-byte memo reference per copy.
    fn shared_string_list(len: usize, copies: usize) -> Vec<u8> {
        let mut pickle = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01](X".to_vec();
        pickle.extend(u32::try_from(len).unwrap().to_le_bytes());
        pickle.extend(std::iter::repeat_n(b's', len));
        pickle.extend_from_slice(b"q\x02");
        for _ in 1..copies {
            pickle.extend_from_slice(b"h\x02");
        }
        pickle.extend_from_slice(b"es.");
        pickle
    }

    #[test]
    fn a_memoized_string_copied_a_million_times_is_refused() {
        let pickle = shared_string_list(1 << 20, 999_000);
        assert!(pickle.len() < 3_200_000);
        let err = decode(&pickle).unwrap_err();
        assert!(err.contains("more than"), "{err}");
        // Sharing within the budget reads: one big copy, or many small ones.
        assert_eq!(
            decode(&shared_string_list(1 << 20, 1)).unwrap()["a"][0]
                .as_str()
                .unwrap()
                .len(),
            1 << 20
        );
        let small = decode(&shared_string_list(16, 10_000)).unwrap();
        assert_eq!(small["a"].as_array().unwrap().len(), 10_000);
    }

    #[test]
    fn calls_on_a_shared_argument_do_not_pile_up() {
        // [_codecs.encode(S, "latin1")] * 100: each call copies the 1 MiB argument.
        let mut pickle = b"\x80\x02}X\x01\x00\x00\x00a](c_codecs\nencode\nq\x00X".to_vec();
        pickle.extend((1u32 << 20).to_le_bytes());
        pickle.extend(std::iter::repeat_n(b's', 1 << 20));
        pickle.extend_from_slice(b"q\x01X\x06\x00\x00\x00latin1q\x02\x86R");
        for _ in 1..100 {
            pickle.extend_from_slice(b"h\x00h\x01h\x02\x86R");
        }
        pickle.extend_from_slice(b"es.");
        let err = unpickle(&pickle).err().unwrap();
        assert!(err.contains("more than"), "{err}");
    }

    /// fuzz/artifacts/pickle: a session whose one key is a tag's name was read back
    /// wrapped in `__dict__`, and a pickled int or bytes (JSON objects) read as a session.
    #[test]
    fn the_root_dict_is_never_a_tag() {
        let data = json!({"__int__": "123456789012345678901234567890"});
        let map = data.as_object().unwrap();
        assert_eq!(decode(&encode(map).unwrap()).unwrap(), *map);
        for root in [
            Pickle::Int(BigInt::from(u128::MAX)),
            Pickle::Bytes(vec![0, 255]),
        ] {
            let pickle = serde_pickle::value_to_vec(&root, SerOptions::new()).unwrap();
            assert!(decode(&pickle).is_err(), "{root:?}");
        }
    }

    #[test]
    fn non_dicts_and_non_string_keys_are_refused() {
        let list = serde_pickle::value_to_vec(&Pickle::List(vec![]), SerOptions::new()).unwrap();
        assert!(decode(&list).is_err());
        let mut dict = BTreeMap::new();
        dict.insert(HashableValue::I64(1), Pickle::None);
        let dict = serde_pickle::value_to_vec(&Pickle::Dict(dict), SerOptions::new()).unwrap();
        assert!(decode(&dict).is_err());
        // l = []; l.append(l): a list that holds itself.
        assert!(decode(b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02h\x02as.").is_err());
    }
}
