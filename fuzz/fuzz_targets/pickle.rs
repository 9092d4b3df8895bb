//! The werkzeug pickle reader within its byte budget: what reads is written and reads back the same.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel::fuzzing::pickle(data));
