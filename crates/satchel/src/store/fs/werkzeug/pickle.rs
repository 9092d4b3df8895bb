//! werkzeug's session files: a pickled dict, read as plain data and written as plain data.
//!
//! Python values map to JSON as follows, and back when written:
//! str ↔ string, bool ↔ bool, None ↔ null, float ↔ number, int ↔ number (when it fits
//! 64 bits, else `{"__int__": "<digits>"}`), list ↔ array, dict ↔ object (string keys
//! only), bytes ↔ `{"__bytes__": "<standard base64>"}`. Tuples, sets and frozensets are
//! read as arrays and written back as lists.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use num_bigint::BigInt;
use serde_json::{Map, Number, Value};
use serde_pickle::{HashableValue, SerOptions, Value as Pickle};

use super::unpickle::{Object, Unpickled, unpickle};

const BYTES_TAG: &str = "__bytes__";
const INT_TAG: &str = "__int__";
/// Deeper than any session needs; also what stops a self-referencing pickle.
const MAX_DEPTH: usize = 128;
/// More values than any session holds.
const MAX_NODES: usize = 1_000_000;

/// The session data a werkzeug file holds; an error says why it is not plain data.
pub(super) fn decode(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    let unpickled = unpickle(bytes)?;
    let mut budget = MAX_NODES;
    match to_json(&unpickled, unpickled.root, 0, &mut budget)? {
        Value::Object(data) => Ok(data),
        _ => Err("the pickle does not hold a dict".into()),
    }
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

fn to_json(
    unpickled: &Unpickled,
    index: usize,
    depth: usize,
    budget: &mut usize,
) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err("the pickle nests too deep (or refers to itself)".into());
    }
    // Shared objects (memo GETs) are copied out each time they appear: count every copy,
    // or a few hundred bytes of pickle could expand to billions of values.
    *budget = budget
        .checked_sub(1)
        .ok_or("the pickle expands to too many values")?;
    let mut item = |index: usize| to_json(unpickled, index, depth + 1, budget);
    Ok(match &unpickled.objects[index] {
        Object::None => Value::Null,
        Object::Bool(b) => Value::Bool(*b),
        Object::Int(n) => big_int_to_json(n),
        Object::Float(f) => Number::from_f64(*f)
            .map(Value::Number)
            .ok_or("a float is not finite")?,
        Object::Str(s) => Value::String(s.clone()),
        Object::Bytes(bytes) => tagged(BYTES_TAG, STANDARD.encode(bytes)),
        Object::List(items) | Object::Tuple(items) | Object::Set(items) => {
            Value::Array(items.iter().map(|&i| item(i)).collect::<Result<_, _>>()?)
        }
        Object::Dict(pairs) => Value::Object(
            pairs
                .iter()
                .map(|&(key, value)| match &unpickled.objects[key] {
                    Object::Str(key) => Ok((key.clone(), item(value)?)),
                    _ => Err("a dict key is not a string".to_string()),
                })
                .collect::<Result<_, _>>()?,
        ),
        Object::Builtin(_) => return Err("the pickle holds a function, not data".into()),
    })
}

fn big_int_to_json(n: &BigInt) -> Value {
    if let Ok(small) = i64::try_from(n) {
        Value::from(small)
    } else if let Ok(large) = u64::try_from(n) {
        Value::from(large)
    } else {
        tagged(INT_TAG, n.to_string())
    }
}

fn tagged(tag: &str, text: String) -> Value {
    let mut object = Map::new();
    object.insert(tag.into(), Value::String(text));
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
            Some((BYTES_TAG, text)) => Pickle::Bytes(
                STANDARD
                    .decode(text)
                    .map_err(|err| format!("bad {BYTES_TAG}: {err}"))?,
            ),
            Some((_, text)) => Pickle::Int(
                text.parse()
                    .map_err(|err| format!("bad {INT_TAG}: {err}"))?,
            ),
            None => Pickle::Dict(
                object
                    .iter()
                    .map(|(key, value)| Ok((HashableValue::String(key.clone()), to_pickle(value)?)))
                    .collect::<Result<_, String>>()?,
            ),
        },
    })
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

/// `{"__bytes__": text}` or `{"__int__": text}`: a one-key object that stands for a value
/// JSON has no type for.
fn tag_of(object: &Map<String, Value>) -> Option<(&'static str, &str)> {
    let (key, Value::String(text)) = object.iter().next()? else {
        return None;
    };
    let tag = [BYTES_TAG, INT_TAG].into_iter().find(|tag| key == tag)?;
    (object.len() == 1).then_some((tag, text.as_str()))
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
