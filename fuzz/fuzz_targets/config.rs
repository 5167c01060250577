//! Any text given as a config file returns a config or an error, never a panic; a config that is
//! accepted also goes through the checks `run` makes before anything is allocated (the planned
//! data shape and the memory estimate), which must not panic or overflow either.
#![no_main]
use ib_analyze::config::RunConfig;
use ib_analyze::runner::{budget, workers};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cfg) = RunConfig::from_toml_over_default(text) else {
        return;
    };
    if let Ok(Some(shape)) = ib_analyze::data::planned(&cfg.dataset) {
        let _ = budget::check(&cfg, &shape, workers(&cfg), (24 << 30, "fuzz"));
    }
});
