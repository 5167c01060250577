//! Every value of the metric-panel reference set (`tests/reference/metrics/refs.json`, written by
//! `make_metric_refs.py`, a numpy implementation of the definitions in ARCHITECTURE.md §4
//! independent of this crate) reproduced to 1e-9 relative, with the counts (ranks fitted, rows,
//! zero rows, duplicates, skipped inputs) exactly.
//!
//! 1e-9 is far above the floating-point uncertainty of the references themselves: refs.json
//! records, per value, the relative change when the rows (or the inputs and their views) are
//! reordered (`fp_spread`), at most 9e-14 (LiDAR with a singular within-view scatter, where
//! δ = 1e-6 sets Σ_w's smallest eigenvalues), and at most 6e-15 elsewhere.
//!
//! TwoNN's empirical CDF is F_j = j/M at the j-th smallest ratio, j = 1..⌊0.9·M⌋ (Facco et al.
//! 2017; scikit-dimension's `TwoNN()` since 0.3.7, which the script matches to 2.5e-15 on every
//! dataset, see the README there). F_j = (j−1)/M, scikit-dimension 0.3.4's, is 0.5–6.4 % lower on
//! these datasets (`zero_based_variant` in refs.json).

use std::path::PathBuf;

use ib_estimators::panel::alpha_req::{alpha_req, covariance_eigenvalues, FitRange};
use ib_estimators::panel::isotropic::uniformity_isotropic;
use ib_estimators::panel::lidar::lidar;
use ib_estimators::panel::nc1::nc1;
use ib_estimators::panel::sphere::{alignment, uniformity};
use ib_estimators::panel::twonn::two_nn;
use ib_estimators::spectral::singular_values_centred;
use ndarray::{Array2, Array3};
use serde_json::Value;

const REL_TOL: f64 = 1e-9;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/metrics")
}

fn refs() -> Value {
    let path = dir().join("refs.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("refs.json is valid JSON")
}

/// Header row, then rows of shortest-round-trip values, parsed as `T`.
fn load_csv<T: std::str::FromStr>(rel: &str) -> (usize, Vec<T>)
where
    T::Err: std::fmt::Debug,
{
    let path = dir().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines();
    let cols = lines.next().expect("header row").split(',').count();
    let values = lines
        .filter(|l| !l.is_empty())
        .flat_map(|l| l.split(',').map(|v| v.parse::<T>().expect("a number")))
        .collect();
    (cols, values)
}

fn matrix(entry: &Value) -> Array2<f64> {
    let (cols, values) = load_csv::<f64>(entry["csv"].as_str().unwrap());
    let shape: Vec<usize> = entry["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(cols, shape[1], "{}: columns", entry["csv"]);
    Array2::from_shape_vec((values.len() / cols, cols), values)
        .ok()
        .filter(|a| a.nrows() == shape[0])
        .unwrap_or_else(|| panic!("{}: shape {shape:?}", entry["csv"]))
}

/// Collects every mismatch, so one run reports all of them, and the largest relative difference
/// (printed; `--nocapture` shows it).
#[derive(Default)]
struct Mismatches(Vec<String>, f64);

impl Mismatches {
    fn value(&mut self, what: &str, got: f64, want: &Value) {
        let want = want.as_f64().unwrap_or_else(|| panic!("{what}: no number"));
        let rel = (got - want).abs() / want.abs();
        self.1 = self.1.max(rel);
        if rel.is_nan() || rel > REL_TOL {
            self.0.push(format!(
                "{what}: got {got:?}, reference {want:?} (relative difference {rel:.3e})"
            ));
        }
    }

    fn count(&mut self, what: &str, got: usize, want: &Value) {
        let want = want.as_u64().unwrap_or_else(|| panic!("{what}: no count"));
        if got as u64 != want {
            self.0.push(format!("{what}: got {got}, reference {want}"));
        }
    }

    fn error(&mut self, what: &str, e: impl std::fmt::Display) {
        self.0.push(format!("{what}: error {e}"));
    }

    fn assert_none(self, metric: &str, checked: usize) {
        assert!(checked > 0, "no reference value checked");
        println!(
            "{metric}: {checked} datasets, largest relative difference {:.2e}",
            self.1
        );
        assert!(
            self.0.is_empty(),
            "{} of {checked} reference checks failed:\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

fn datasets(kind: &str) -> Vec<(String, Value)> {
    refs()["datasets"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, e)| e["kind"] == kind)
        .map(|(n, e)| (n.clone(), e.clone()))
        .collect()
}

#[test]
fn alpha_req_matches_the_reference() {
    let mut bad = Mismatches::default();
    let mut checked = 0;
    for (name, entry) in datasets("rows") {
        let z = matrix(&entry);
        let want = &entry["metrics"]["alpha_req"];
        let s = singular_values_centred(z.view()).unwrap();
        let lambda = covariance_eigenvalues(&s, z.nrows());
        bad.count(
            &format!("{name} eigenvalues"),
            lambda.len(),
            &want["eigenvalues_total"],
        );
        match alpha_req(&lambda, FitRange::default()) {
            Ok(a) => {
                bad.value(&format!("{name} alpha_req"), a.alpha, &want["value"]);
                match a.r2 {
                    Some(r2) => bad.value(&format!("{name} alpha_req r2"), r2, &want["r2"]),
                    None => bad.error(&format!("{name} alpha_req r2"), "None"),
                }
                bad.value(
                    &format!("{name} alpha_req intercept"),
                    a.intercept,
                    &want["intercept"],
                );
                bad.count(
                    &format!("{name} first rank"),
                    a.first_rank,
                    &want["first_rank"],
                );
                bad.count(
                    &format!("{name} last rank"),
                    a.last_rank,
                    &want["last_rank"],
                );
                bad.count(&format!("{name} points"), a.points, &want["points"]);
            }
            Err(e) => bad.error(&format!("{name} alpha_req"), e),
        }
        checked += 1;
    }
    bad.assert_none("alpha_req", checked);
}

#[test]
fn uniformity_matches_the_reference() {
    let mut bad = Mismatches::default();
    let mut checked = 0;
    for (name, entry) in datasets("rows") {
        let z = matrix(&entry);
        let want = &entry["metrics"]["uniformity"];
        match uniformity(z.view()) {
            Ok(u) => {
                bad.value(&format!("{name} uniformity"), u.value, &want["value"]);
                bad.count(&format!("{name} uniformity rows"), u.rows, &want["rows"]);
                bad.count(
                    &format!("{name} uniformity zero rows"),
                    u.zero_rows,
                    &want["zero_rows"],
                );
            }
            Err(e) => bad.error(&format!("{name} uniformity"), e),
        }
        checked += 1;
    }
    bad.assert_none("uniformity", checked);
}

#[test]
fn two_nn_matches_the_reference() {
    let mut bad = Mismatches::default();
    let mut checked = 0;
    for (name, entry) in datasets("rows") {
        let z = matrix(&entry);
        let want = &entry["metrics"]["intrinsic_dim"];
        match two_nn(z.view()) {
            Ok(t) => {
                bad.value(
                    &format!("{name} intrinsic_dim"),
                    t.dimension,
                    &want["value"],
                );
                bad.count(&format!("{name} TwoNN used"), t.used, &want["used"]);
                bad.count(
                    &format!("{name} TwoNN duplicates"),
                    t.duplicates,
                    &want["duplicates"],
                );
            }
            Err(e) => bad.error(&format!("{name} intrinsic_dim"), e),
        }
        checked += 1;
    }
    bad.assert_none("intrinsic_dim", checked);
}

#[test]
fn nc1_matches_the_reference() {
    let mut bad = Mismatches::default();
    let mut checked = 0;
    for (name, entry) in datasets("rows") {
        let Some(labels_csv) = entry["labels_csv"].as_str() else {
            continue;
        };
        let z = matrix(&entry);
        let (_, labels) = load_csv::<i64>(labels_csv);
        assert_eq!(labels.len(), z.nrows(), "{name}: labels");
        match nc1(z.view(), &labels) {
            Ok(v) => bad.value(&format!("{name} nc1"), v, &entry["metrics"]["nc1"]["value"]),
            Err(e) => bad.error(&format!("{name} nc1"), e),
        }
        checked += 1;
    }
    bad.assert_none("nc1", checked);
}

fn views(entry: &Value) -> Array3<f64> {
    let m = matrix(entry);
    let k = entry["K"].as_u64().unwrap() as usize;
    let (rows, d) = m.dim();
    assert_eq!(rows % k, 0, "{}: rows not a multiple of K", entry["csv"]);
    assert_eq!(rows / k, entry["inputs"].as_u64().unwrap() as usize);
    m.into_shape_with_order((rows / k, k, d)).unwrap()
}

#[test]
fn lidar_matches_the_reference() {
    let mut bad = Mismatches::default();
    let mut checked = 0;
    for (name, entry) in datasets("views") {
        let v = views(&entry);
        match lidar(v.view()) {
            Ok(l) => bad.value(
                &format!("{name} lidar"),
                l,
                &entry["metrics"]["lidar"]["value"],
            ),
            Err(e) => bad.error(&format!("{name} lidar"), e),
        }
        checked += 1;
    }
    bad.assert_none("lidar", checked);
}

#[test]
fn alignment_matches_the_reference() {
    let mut bad = Mismatches::default();
    let mut checked = 0;
    for (name, entry) in datasets("views") {
        let v = views(&entry);
        let want = &entry["metrics"]["alignment"];
        match alignment(v.view()) {
            Ok(a) => {
                bad.value(&format!("{name} alignment"), a.value, &want["value"]);
                bad.count(
                    &format!("{name} alignment inputs"),
                    a.inputs,
                    &want["inputs"],
                );
                bad.count(
                    &format!("{name} alignment skipped"),
                    a.skipped,
                    &want["skipped"],
                );
            }
            Err(e) => bad.error(&format!("{name} alignment"), e),
        }
        checked += 1;
    }
    bad.assert_none("alignment", checked);
}

#[test]
fn isotropic_uniformity_matches_the_series() {
    let mut bad = Mismatches::default();
    let table = refs()["isotropic_uniformity"].clone();
    let table = table.as_object().unwrap();
    for (d, want) in table {
        let d: usize = d.parse().unwrap();
        bad.value(
            &format!("uniformity_isotropic({d})"),
            uniformity_isotropic(d),
            &want["value"],
        );
    }
    bad.assert_none("uniformity_isotropic", table.len());
}
