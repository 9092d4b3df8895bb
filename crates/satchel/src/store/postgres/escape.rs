//! What PostgreSQL's `jsonb` cannot hold, escaped: `\u0000` in a string or a key.
//!
//! PostgreSQL text has no NUL character, so `jsonb` refuses `"\u0000"` outright. Strings and
//! keys holding one are written with NUL as `MARK 0` and `MARK` itself as `MARK MARK`, where
//! `MARK` is U+FFFE, a noncharacter that Unicode reserves for uses like this one; other
//! strings are written as they are. A row says whether it holds escapes (its `escaped`
//! column), so rows without any, the usual case, are read without a second pass.

use std::borrow::Cow;

use serde_json::{Map, Value};

const MARK: char = '\u{FFFE}';

/// Whether `text` must be escaped.
fn needs(text: &str) -> bool {
    text.contains(['\0', MARK])
}

fn escape_text(text: &str) -> Cow<'_, str> {
    if !needs(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\0' => out.extend([MARK, '0']),
            MARK => out.extend([MARK, MARK]),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn unescape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, c == MARK) {
            (_, true) => match chars.next() {
                Some('0') => out.push('\0'),
                Some(MARK) => out.push(MARK),
                // Not written by satchel: kept as it is.
                Some(other) => out.extend([MARK, other]),
                None => out.push(MARK),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

fn value_needs(value: &Value) -> bool {
    match value {
        Value::String(text) => needs(text),
        Value::Array(items) => items.iter().any(value_needs),
        Value::Object(map) => map_needs(map),
        _ => false,
    }
}

fn map_needs(map: &Map<String, Value>) -> bool {
    map.iter()
        .any(|(key, value)| needs(key) || value_needs(value))
}

fn map_with(map: &Map<String, Value>, text: fn(&str) -> String) -> Map<String, Value> {
    map.iter()
        .map(|(key, value)| (text(key), value_with(value, text)))
        .collect()
}

fn value_with(value: &Value, text: fn(&str) -> String) -> Value {
    match value {
        Value::String(s) => Value::String(text(s)),
        Value::Array(items) => Value::Array(items.iter().map(|v| value_with(v, text)).collect()),
        Value::Object(map) => Value::Object(map_with(map, text)),
        other => other.clone(),
    }
}

/// `data` as `jsonb` can hold it, and whether anything in it was escaped.
pub(super) fn escape(data: &Map<String, Value>) -> (Value, bool) {
    if !map_needs(data) {
        return (Value::Object(data.clone()), false);
    }
    (
        Value::Object(map_with(data, |s| escape_text(s).into_owned())),
        true,
    )
}

/// Keys as `jsonb` holds them.
pub(super) fn escape_keys(keys: &[String]) -> Cow<'_, [String]> {
    if !keys.iter().any(|key| needs(key)) {
        return Cow::Borrowed(keys);
    }
    Cow::Owned(keys.iter().map(|k| escape_text(k).into_owned()).collect())
}

/// The data a row with escapes holds, as it was written.
pub(super) fn unescape(data: Map<String, Value>) -> Map<String, Value> {
    map_with(&data, unescape_text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn nul_and_the_mark_round_trip_and_plain_data_is_untouched() {
        let data =
            json!({"a\u{0}": ["\u{0}", "x\u{FFFE}0", {"\u{FFFE}": "\u{FFFE}\u{FFFE}"}], "b": 1});
        let data = data.as_object().unwrap();
        let (escaped, changed) = escape(data);
        assert!(changed && !escaped.to_string().contains("\\u0000"));
        assert_eq!(unescape(escaped.as_object().unwrap().clone()), *data);
        let plain = json!({"k": "v"});
        assert_eq!(escape(plain.as_object().unwrap()), (plain.clone(), false));
    }

    proptest! {
        #[test]
        fn any_text_round_trips(text in "[\\x00a\u{FFFE}0]*") {
            prop_assert_eq!(unescape_text(&escape_text(&text)), text);
        }
    }
}
