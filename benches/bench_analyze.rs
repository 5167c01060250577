//! Large-input benchmark of `ib-analyze analyze`: peak memory and wall time on an N×d f32
//! `.npy` (default 1,000,000 × 128, 512 MB), against the file's size and the time to read it.
//!
//! ```sh
//! cargo bench --bench bench_analyze -- --dir /tmp [--rows N] [--cols D]
//! ```
//!
//! Writes `DIR/bench-embedding.npy` (rank-32 structure plus noise, seeded) and
//! `DIR/bench-labels.npy` (N integer labels), then runs the release binary twice — INPUT alone,
//! and with `--labels` (leave-one-out kNN on the default seeded subsample of 10,000 rows) —
//! and prints one JSON line per run: peak resident memory of the child (wait4) over the
//! file size, and wall time over the time this process took to read the file once
//! (`std::fs::read`, page cache warm) just before.

use anyhow::{bail, ensure, Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use ib_analyze::input::npy::encode_header as npy_header;

/// Rows z = W·u + 0.1·e with u ∈ [-1, 1)^32 and a fixed random 32×d W; label = argmax of u_0..3.
fn write_inputs(emb: &Path, labels: &Path, n: usize, d: usize, seed: u64) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    let w: Vec<f32> = (0..32 * d).map(|_| rng.random_range(-1.0..1.0)).collect();
    let mut out = BufWriter::new(std::fs::File::create(emb)?);
    out.write_all(&npy_header("<f4", &format!("({n}, {d})")))?;
    let mut lab = BufWriter::new(std::fs::File::create(labels)?);
    lab.write_all(&npy_header("<i8", &format!("({n},)")))?;
    let mut row = vec![0f32; d];
    for _ in 0..n {
        let u: Vec<f32> = (0..32).map(|_| rng.random_range(-1.0..1.0)).collect();
        for (j, r) in row.iter_mut().enumerate() {
            *r = 0.1 * rng.random_range(-1.0f32..1.0);
            for (k, uk) in u.iter().enumerate() {
                *r += w[k * d + j] * uk;
            }
        }
        for v in &row {
            out.write_all(&v.to_le_bytes())?;
        }
        let label = (0..4).max_by(|&a, &b| u[a].total_cmp(&u[b])).unwrap_or(0) as i64;
        lab.write_all(&label.to_le_bytes())?;
    }
    out.flush()?;
    lab.flush()?;
    Ok(())
}

/// Runs `cmd` with stdout into `stdout_file`; returns (exit ok, wall seconds, peak resident
/// bytes of that child alone, from `wait4`).
fn run_measured(mut cmd: Command, stdout_file: &Path) -> Result<(bool, f64, u64)> {
    cmd.stdout(std::fs::File::create(stdout_file)?);
    let t = Instant::now();
    let child = cmd.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 reaps our own child and writes only the two out-parameters.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = t.elapsed().as_secs_f64();
    ensure!(rc == pid, "wait4 failed");
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    Ok((ok, wall, usage.ru_maxrss as u64 * 1024))
}

fn main() -> Result<()> {
    let (mut n, mut d, mut dir) = (1_000_000usize, 128usize, std::env::temp_dir());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rows" => n = args.next().context("--rows N")?.parse()?,
            "--cols" => d = args.next().context("--cols D")?.parse()?,
            "--dir" => dir = PathBuf::from(args.next().context("--dir DIR")?),
            // Passed by `cargo bench` to every bench target.
            "--bench" => {}
            other => bail!(
                "unknown argument {other} (usage: bench_analyze [--rows N] [--cols D] [--dir DIR])"
            ),
        }
    }
    // Built by `cargo bench` with this benchmark, in the same profile.
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_ib-analyze"));
    let (emb, labels) = (
        dir.join("bench-embedding.npy"),
        dir.join("bench-labels.npy"),
    );
    write_inputs(&emb, &labels, n, d, 1)?;
    let size = std::fs::metadata(&emb)?.len();
    let labels_size = std::fs::metadata(&labels)?.len();

    let json_out = dir.join("bench-analyze.json");
    for with_labels in [false, true] {
        let t = Instant::now();
        let bytes = std::fs::read(&emb)?;
        let read_s = t.elapsed().as_secs_f64();
        drop(bytes);
        let mut cmd = Command::new(&bin);
        cmd.arg("analyze").arg(&emb).arg("--json");
        if with_labels {
            cmd.arg("--labels").arg(&labels);
        }
        let (ok, wall_s, peak) = run_measured(cmd, &json_out)?;
        ensure!(ok, "analyze failed (its stderr is above)");
        let out = std::fs::read(&json_out)?;
        let v: serde_json::Value = serde_json::from_slice(&out)?;
        let inputs = size + if with_labels { labels_size } else { 0 };
        println!(
            "{}",
            serde_json::json!({
                "bench": "analyze_large",
                "rows": n,
                "cols": d,
                "labels": with_labels,
                "input_bytes": inputs,
                "peak_rss_bytes": peak,
                "peak_over_input": peak as f64 / inputs as f64,
                "wall_s": wall_s,
                "read_file_s": read_s,
                "wall_over_read": wall_s / read_s,
                "verdict": v["verdict"],
                "knn_accuracy": v["knn_accuracy"],
                "knn_subsample": v["knn_subsample"],
                "info_rows": v["info"][0]["rows"],
            })
        );
    }
    Ok(())
}
