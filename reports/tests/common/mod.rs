//! What the report tests share: the hand-written fixture records of tests/fixtures.

use ib_reports::record::RunRecord;
use std::path::Path;

/// The record `tests/fixtures/<name>.json`.
pub fn fixture(name: &str) -> RunRecord {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).expect("fixture readable");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
