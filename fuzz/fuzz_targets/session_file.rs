//! The file store's decoder of satchel session files: what reads re-encodes to the same record.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel::fuzzing::session_file(data));
