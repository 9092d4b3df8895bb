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
use serde_pickle::{DeOptions, HashableValue, SerOptions, Value as Pickle};

use super::pickle_guard;

const BYTES_TAG: &str = "__bytes__";
const INT_TAG: &str = "__int__";

/// The session data a werkzeug file holds; an error says why it is not plain data.
pub(super) fn decode(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    pickle_guard::check(bytes)?;
    let value = serde_pickle::value_from_slice(bytes, DeOptions::new().decode_strings())
        .map_err(|err| format!("unreadable pickle: {err}"))?;
    match value {
        Pickle::Dict(dict) => dict_to_json(dict),
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

fn dict_to_json(dict: BTreeMap<HashableValue, Pickle>) -> Result<Map<String, Value>, String> {
    dict.into_iter()
        .map(|(key, value)| match key {
            HashableValue::String(key) => Ok((key, to_json(value)?)),
            other => Err(format!("a dict key is not a string: {other:?}")),
        })
        .collect()
}

fn to_json(value: Pickle) -> Result<Value, String> {
    Ok(match value {
        Pickle::None => Value::Null,
        Pickle::Bool(b) => Value::Bool(b),
        Pickle::I64(n) => Value::from(n),
        Pickle::Int(n) => big_int_to_json(&n),
        Pickle::F64(f) => Number::from_f64(f)
            .map(Value::Number)
            .ok_or("a float is not finite")?,
        Pickle::Bytes(bytes) => tagged(BYTES_TAG, STANDARD.encode(bytes)),
        Pickle::String(s) => Value::String(s),
        Pickle::List(items) | Pickle::Tuple(items) => array(items)?,
        Pickle::Set(items) | Pickle::FrozenSet(items) => {
            array(items.into_iter().map(HashableValue::into_value).collect())?
        }
        Pickle::Dict(dict) => Value::Object(dict_to_json(dict)?),
    })
}

fn array(items: Vec<Pickle>) -> Result<Value, String> {
    items
        .into_iter()
        .map(to_json)
        .collect::<Result<_, _>>()
        .map(Value::Array)
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
    fn non_dicts_and_non_string_keys_are_refused() {
        let list = serde_pickle::value_to_vec(&Pickle::List(vec![]), SerOptions::new()).unwrap();
        assert!(decode(&list).is_err());
        let mut dict = BTreeMap::new();
        dict.insert(HashableValue::I64(1), Pickle::None);
        let dict = serde_pickle::value_to_vec(&Pickle::Dict(dict), SerOptions::new()).unwrap();
        assert!(decode(&dict).is_err());
    }
}
