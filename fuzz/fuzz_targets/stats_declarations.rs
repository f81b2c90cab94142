//! libFuzzer entry of the `stats_declarations` target; what it runs and what its input
//! is: `kaca_fuzz::stats_declarations` in `fuzz/src/lib.rs`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kaca_fuzz::stats_declarations(data));
