//! `analyze` on large exports: an f32 `.npy` is analysed within twice its size in memory, and
//! keeping f32 data in f32 changes no number.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::io::{BufWriter, Read, Seek, Write};
use std::path::Path;

/// Writes an n×d `.npy` of rank-8 structure plus noise, as f32 (`<f4`) or f64 (`<f8`) holding
/// the same (f32) values, row by row (the test process never holds the whole array).
fn write_embedding(path: &Path, n: usize, d: usize, f64_file: bool) {
    let descr = if f64_file { "<f8" } else { "<f4" };
    let mut w = BufWriter::new(std::fs::File::create(path).unwrap());
    w.write_all(&common::npy_header(descr, &format!("({n}, {d})")))
        .unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    for _ in 0..n {
        let latent: Vec<f32> = (0..8).map(|_| next()).collect();
        for j in 0..d {
            let v = latent[j % 8] + 0.1 * next();
            if f64_file {
                w.write_all(&f64::from(v).to_le_bytes()).unwrap();
            } else {
                w.write_all(&v.to_le_bytes()).unwrap();
            }
        }
    }
    w.flush().unwrap();
}

fn analyze_json(args: &[&str]) -> Value {
    let out = Command::cargo_bin("ib-analyze")
        .unwrap()
        .arg("analyze")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn f32_and_f64_files_of_the_same_values_give_the_same_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (n, d) = (6000, 16);
    // Same file name, so that the tensor names agree.
    let (f32_path, f64_path) = (
        dir.path().join("f32/emb.npy"),
        dir.path().join("f64/emb.npy"),
    );
    for p in [&f32_path, &f64_path] {
        std::fs::create_dir(p.parent().unwrap()).unwrap();
    }
    write_embedding(&f32_path, n, d, false);
    write_embedding(&f64_path, n, d, true);
    let labels: Vec<f64> = (0..n).map(|i| (i % 3) as f64).collect();
    let labels_path = dir.path().join("y.npy");
    common::write_npy(&labels_path, &[n], &labels);
    let run = |p: &Path| {
        // The file is its own row-paired target (V' = V): the target path is f32 or f64 too.
        let mut v = analyze_json(&[
            p.to_str().unwrap(),
            "--target",
            p.to_str().unwrap(),
            "--labels",
            labels_path.to_str().unwrap(),
            "--knn-rows",
            "700",
        ]);
        v.as_object_mut().unwrap().remove("input");
        v
    };
    let (a, b) = (run(&f32_path), run(&f64_path));
    assert!(a == b, "f32:\n{a}\nf64:\n{b}");
    // The kNN accuracy was measured on the seeded subsample, and says so.
    assert_eq!(
        a["knn_subsample"],
        serde_json::json!({"rows": 700, "of": n, "seed": 1})
    );
    // The information estimates subsample too (info.max_rows = 4096) and say so.
    let warnings = a["info"][0]["warnings"].to_string();
    assert!(warnings.contains("subsampled 4096 of 6000"), "{warnings}");
    let quantities = a["info"].to_string();
    assert!(
        quantities.contains("I(V;V')"),
        "no I(V;V') row with --target"
    );
}

#[test]
fn a_large_f32_export_is_analysed_within_twice_its_file_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.npy");
    let (n, d) = (400_000, 128);
    write_embedding(&path, n, d, false);
    let size = std::fs::metadata(&path).unwrap().len();
    let out_dir = dir.path().join("out");
    let (peak, stdout) = run_measured(&[
        "analyze",
        path.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--json",
    ]);
    let v: Value = serde_json::from_slice(&stdout).unwrap();
    assert!(
        peak <= 2 * size,
        "peak RSS {peak} B > 2 × file size {size} B"
    );
    assert_eq!(v["n"], n);
    eprintln!("peak RSS {peak} B for a {size} B file");
    assert_eq!(v["verdict"], "healthy");
    assert!(out_dir.join("report.html").is_file() && out_dir.join("run.json").is_file());
}

/// Runs `ib-analyze ARGS`, which must succeed; returns its peak resident memory in bytes,
/// from the child's own rusage (not the maximum over every finished child of this process,
/// which the tests running beside it share), and its stdout.
// The child is reaped by `wait4` (which std's `wait` does not offer), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run_measured(args: &[&str]) -> (u64, Vec<u8>) {
    let out = tempfile::tempfile().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_ib-analyze"))
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .stdout(out.try_clone().unwrap())
        .spawn()
        .unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child and writes its status and usage into our locals; the
    // `Child` handle is not waited on again.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{args:?}: status {status}"
    );
    let mut stdout = Vec::new();
    let mut out = out;
    out.seek(std::io::SeekFrom::Start(0)).unwrap();
    out.read_to_end(&mut stdout).unwrap();
    (usage.ru_maxrss as u64 * 1024, stdout)
}

#[test]
fn a_compressed_npz_member_is_streamed_into_the_array() {
    // n × d f32 zeros, deflated: a few hundred kB on disk, n·d·4 bytes as an array. Read
    // whole and then converted, the member's bytes and the array were both held (2×).
    let (n, d) = (300_000usize, 256usize);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zeros.npz");
    {
        let mut zip = zip::ZipWriter::new(BufWriter::new(std::fs::File::create(&path).unwrap()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        zip.start_file("emb.npy", opts).unwrap();
        zip.write_all(&common::npy_header("<f4", &format!("({n}, {d})")))
            .unwrap();
        let row = vec![0u8; d * 4];
        for _ in 0..n {
            zip.write_all(&row).unwrap();
        }
        zip.finish().unwrap();
    }
    let data = (n * d * 4) as u64;
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size < data / 100, "{size} B on disk");
    let keyed = format!("{}:emb", path.display());
    let (peak, stdout) = run_measured(&["analyze", &keyed, "--json"]);
    let v: Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(v["n"], n);
    eprintln!("peak RSS {peak} B for {data} B of f32 data in a {size} B .npz");
    assert!(
        peak <= data + data / 2,
        "peak RSS {peak} B > 1.5 × the f32 data ({data} B)"
    );
}
