//! The session cookie found in request `Cookie` headers, checked against the `cookie` crate.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel::fuzzing::cookie_header(data));
