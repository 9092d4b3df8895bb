//! A million session ids: no two alike, and every one of their 192 bits a fair coin.
//! `cargo test -p satchel --test ids -- --nocapture` prints the figures.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use satchel::SessionId;

const IDS: usize = 1_000_000;
const BYTES: usize = 24;

#[test]
fn a_million_ids_are_distinct_and_every_bit_is_unbiased() {
    let mut seen = HashSet::with_capacity(IDS);
    let mut ones = [0u32; BYTES * 8];
    for _ in 0..IDS {
        let id = SessionId::generate().unwrap();
        let bytes: [u8; BYTES] = URL_SAFE_NO_PAD
            .decode(id.as_str())
            .unwrap()
            .try_into()
            .unwrap();
        for (position, count) in ones.iter_mut().enumerate() {
            *count += u32::from(bytes[position / 8] >> (position % 8) & 1);
        }
        assert!(seen.insert(bytes), "a duplicate id");
    }
    // Each bit is Binomial(n, 1/2): mean n/2, sigma sqrt(n)/2.
    let (mean, sigma) = (IDS as f64 / 2.0, (IDS as f64).sqrt() / 2.0);
    let worst = ones
        .iter()
        .map(|&count| (f64::from(count) - mean).abs() / sigma)
        .fold(0.0, f64::max);
    println!(
        "{IDS} ids: {} distinct; the most biased of {} bits is {worst:.2} sigma from even",
        seen.len(),
        ones.len()
    );
    // 4 sigma is the published bar; with 192 bits a fair source passes 5 sigma but for
    // one run in 10,000, so the test asserts that and the figure is printed.
    assert!(worst < 5.0, "bit bias of {worst:.2} sigma");
}
