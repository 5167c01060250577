//! Shared helpers for the integration tests: the reference set in `tests/reference/`.
#![allow(dead_code)]

use std::path::PathBuf;

use ndarray::{Array2, ArrayView2, Axis};

/// `tests/reference/` of this crate.
pub fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference")
}

/// The parsed `refs.json`.
pub fn refs() -> serde_json::Value {
    let path = reference_dir().join("refs.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("refs.json is valid JSON")
}

/// A reference CSV (header row, then rows of shortest-round-trip doubles).
pub fn load_csv(name: &str) -> Array2<f64> {
    let path = reference_dir().join("data").join(format!("{name}.csv"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines();
    let cols = lines.next().expect("header row").split(',').count();
    let values: Vec<f64> = lines
        .filter(|l| !l.is_empty())
        .flat_map(|l| l.split(',').map(|v| v.parse::<f64>().expect("a float")))
        .collect();
    let rows = values.len() / cols;
    Array2::from_shape_vec((rows, cols), values).expect("rectangular CSV")
}

/// The columns `cols` of `a`, in that order.
pub fn columns(a: ArrayView2<f64>, cols: &[usize]) -> Array2<f64> {
    a.select(Axis(1), cols)
}
