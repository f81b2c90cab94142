//! libFuzzer entry of the `front_matter` target; what it runs and what its input
//! is: `kaca_fuzz::front_matter` in `fuzz/src/lib.rs`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kaca_fuzz::front_matter(data));
