//! libFuzzer entry of the `csv_schema` target; what it runs and what its input
//! is: `kaca_fuzz::csv_schema` in `fuzz/src/lib.rs`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kaca_fuzz::csv_schema(data));
