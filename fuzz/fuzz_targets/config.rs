//! Any text given as a config file returns a config or an error, never a panic.
#![no_main]
use ib_analyze::config::RunConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = RunConfig::from_toml_over_default(text);
    }
});
