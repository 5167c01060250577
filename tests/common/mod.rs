//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

pub use ib_analyze::input::npy::encode_header as npy_header;

/// The bytes of a little-endian f64 .npy file.
pub fn npy_f64(shape: &[usize], values: &[f64]) -> Vec<u8> {
    let shape_txt = match shape {
        [n] => format!("({n},)"),
        s => format!(
            "({})",
            s.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut bytes = npy_header("<f8", &shape_txt);
    for v in values {
        bytes.extend(v.to_le_bytes());
    }
    bytes
}

/// Write a little-endian f64 .npy file.
pub fn write_npy(path: &Path, shape: &[usize], values: &[f64]) {
    std::fs::write(path, npy_f64(shape, values)).unwrap();
}

/// Deterministic pseudo-random values in [-1, 1) (no RNG dependency needed in tests).
pub fn pseudo_random(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

/// Deterministic standard normal draws (Box–Muller on [`pseudo_random`]).
pub fn gaussian(n: usize, seed: u64) -> Vec<f64> {
    let u = pseudo_random(2 * n, seed);
    (0..n)
        .map(|i| {
            let u1 = (u[2 * i] + 1.0) / 2.0 + 1e-12;
            let u2 = (u[2 * i + 1] + 1.0) / 2.0;
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        })
        .collect()
}

/// N×d of rank r exactly, row-major: an N×r Gaussian basis times an r×d Gaussian mixing.
pub fn low_rank(n: usize, d: usize, r: usize, seed: u64) -> Vec<f64> {
    let a = gaussian(n * r, seed);
    let m = gaussian(r * d, seed + 1);
    let mut out = vec![0.0; n * d];
    for i in 0..n {
        for j in 0..d {
            out[i * d + j] = (0..r).map(|k| a[i * r + k] * m[k * d + j]).sum();
        }
    }
    out
}

/// The `ib-analyze` binary on one rayon thread (the tests run side by side).
pub fn bin() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("ib-analyze").unwrap();
    cmd.env("RAYON_NUM_THREADS", "1");
    cmd
}

/// Runs `estimate ARGS`, expects exit 2, nothing on stdout and no panic; returns stderr.
pub fn est_fails(args: &[&str]) -> String {
    let out = bin()
        .arg("estimate")
        .args(args)
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(out.stdout.is_empty(), "nothing on stdout on error");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// Runs `analyze ARGS --json`, expects success and returns the JSON object.
pub fn analyze_json(args: &[&std::ffi::OsStr]) -> serde_json::Value {
    let out = bin()
        .arg("analyze")
        .args(args)
        .arg("--json")
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}
