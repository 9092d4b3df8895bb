//! `SessionId`, `StorageKey` and werkzeug id parsing: exactly the documented shapes, round-tripped.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel::fuzzing::session_id(data));
