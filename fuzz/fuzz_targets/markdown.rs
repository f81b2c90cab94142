//! libFuzzer entry of the `markdown` target; what it runs and what its input
//! is: `kaca_fuzz::markdown` in `fuzz/src/lib.rs`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kaca_fuzz::markdown(data));
