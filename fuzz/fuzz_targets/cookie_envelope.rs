//! Opening cookie sessions under fixed keys: what opens is what the key seals.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| satchel::fuzzing::cookie_envelope(data));
