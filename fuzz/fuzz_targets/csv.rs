//! Any byte string given to the .csv reader returns Ok or an error, never a panic.
#![no_main]
use ib_analyze::input::{fuzz_entry, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fuzz_entry(data, Format::Csv);
});
