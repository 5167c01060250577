//! Speed benchmark of the kNN estimators (not a test): KL entropy (max-norm) of x and KSG-1
//! I(x; y), k = 3, median of repetitions, one JSON line per cell on stdout.
//!
//! Data (seeded): x ~ N(0, I_d), y = 0.6·x + 0.8·noise, noise ~ N(0, I_d). The Python tools
//! get the very same arrays through `--write-npy DIR` (see `scripts/bench_estimators.py`).
//!
//! ```text
//! cargo bench -p ib-estimators --bench bench_estimators -- \
//!     [--ns 1000,10000,100000,1000000] [--ds 1,4,16] [--measures kl,ksg1] [--reps 3] \
//!     [--cap 60] [--seed 12345] [--write-npy DIR]
//! ```
//!
//! A cell whose predicted time (from the previous N of the same measure and d) exceeds
//! `--cap` seconds is skipped and printed with `"status": "skipped ..."`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ib_estimators::knn::neighbors::MAX_TREE_AUTO_DIM;
use ib_estimators::{kl_entropy, ksg_mutual_information, KnnParams, KsgAlgorithm};
use ndarray::Array2;
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

struct Opts {
    ns: Vec<usize>,
    ds: Vec<usize>,
    measures: Vec<String>,
    reps: usize,
    cap: f64,
    seed: u64,
    write_npy: Option<PathBuf>,
}

fn parse_list<T: std::str::FromStr>(s: &str) -> Vec<T> {
    s.split(',')
        .map(|t| {
            let t = t.trim();
            t.parse::<T>()
                .ok()
                .or_else(|| {
                    t.parse::<f64>()
                        .ok()
                        .and_then(|f| f.to_string().parse().ok())
                })
                .unwrap_or_else(|| panic!("cannot parse '{t}'"))
        })
        .collect()
}

fn opts() -> Opts {
    let mut o = Opts {
        ns: vec![1_000, 10_000, 100_000, 1_000_000],
        ds: vec![1, 4, 16],
        measures: vec!["kl".into(), "ksg1".into()],
        reps: 3,
        cap: 60.0,
        seed: 12345,
        write_npy: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || {
            it.next()
                .unwrap_or_else(|| panic!("{a} needs a value"))
                .clone()
        };
        match a.as_str() {
            "--ns" => o.ns = parse_list(&val()),
            "--ds" => o.ds = parse_list(&val()),
            "--measures" => o.measures = val().split(',').map(str::to_string).collect(),
            "--reps" => o.reps = val().parse().expect("--reps N"),
            "--cap" => o.cap = val().parse().expect("--cap SECONDS"),
            "--seed" => o.seed = val().parse().expect("--seed N"),
            "--write-npy" => o.write_npy = Some(PathBuf::from(val())),
            "-h" | "--help" => {
                println!("see the header of estimators/benches/bench_estimators.rs");
                std::process::exit(0);
            }
            // Passed by `cargo bench` to every bench target.
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    o
}

/// x ~ N(0, I_d); y = 0.6 x + 0.8 noise. Row-major draws: x first, then the noise.
fn data(n: usize, d: usize, seed: u64) -> (Array2<f64>, Array2<f64>) {
    let mut rng = StdRng::seed_from_u64(seed ^ ((n as u64) << 8) ^ d as u64);
    let x = Array2::from_shape_simple_fn((n, d), || StandardNormal.sample(&mut rng));
    let noise: Array2<f64> =
        Array2::from_shape_simple_fn((n, d), || StandardNormal.sample(&mut rng));
    let y = &x * 0.6 + &noise * 0.8;
    (x, y)
}

/// Writes a C-order little-endian float64 `.npy` (format 1.0).
fn write_npy(path: &Path, a: &Array2<f64>) -> std::io::Result<()> {
    let (n, d) = a.dim();
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({n}, {d}), }}");
    // magic (6) + version (2) + header length (2) + header + '\n' is a multiple of 64.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    f.write_all(b"\x93NUMPY\x01\x00")?;
    f.write_all(&(header.len() as u16).to_le_bytes())?;
    f.write_all(header.as_bytes())?;
    for v in a.iter() {
        f.write_all(&v.to_le_bytes())?;
    }
    f.flush()
}

fn median(mut t: Vec<f64>) -> f64 {
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() {
    let o = opts();
    let params = KnnParams::new(3).expect("k = 3");
    let threads = rayon::current_num_threads();
    if let Some(dir) = &o.write_npy {
        std::fs::create_dir_all(dir).expect("create --write-npy directory");
    }
    for measure in &o.measures {
        for &d in &o.ds {
            // Joint dimension of the searched space and whether the search is O(N^2).
            let d_search = if measure == "ksg1" { 2 * d } else { d };
            let quadratic = d_search > MAX_TREE_AUTO_DIM;
            let mut prev: Option<(usize, f64)> = None;
            for &n in &o.ns {
                let mut row = serde_json::json!({
                    "measure": measure, "d": d, "n": n, "k": 3, "threads": threads,
                    "search": if d_search == 1 { "sorted" } else if quadratic { "brute-force" } else { "max-norm k-d tree" },
                });
                if let Some((pn, pt)) = prev {
                    let r = n as f64 / pn as f64;
                    let predicted = pt * r * if quadratic { r } else { 1.3 };
                    if predicted > o.cap {
                        row["status"] =
                            format!("skipped (predicted {predicted:.0} s > cap {:.0} s)", o.cap)
                                .into();
                        println!("{row}");
                        continue;
                    }
                }
                let (x, y) = data(n, d, o.seed);
                if let Some(dir) = &o.write_npy {
                    write_npy(&dir.join(format!("x_d{d}_n{n}.npy")), &x).expect("write x");
                    write_npy(&dir.join(format!("y_d{d}_n{n}.npy")), &y).expect("write y");
                }
                let run = || -> f64 {
                    match measure.as_str() {
                        "kl" => kl_entropy(x.view(), &params).expect("kl").value,
                        "ksg1" => {
                            ksg_mutual_information(x.view(), y.view(), &params, KsgAlgorithm::One)
                                .expect("ksg1")
                                .value
                        }
                        m => panic!("unknown measure {m} (kl, ksg1)"),
                    }
                };
                let mut times = Vec::new();
                let mut value = f64::NAN;
                for _ in 0..o.reps {
                    let t0 = Instant::now();
                    value = run();
                    let dt = t0.elapsed().as_secs_f64();
                    times.push(dt);
                    if dt > o.cap / 2.0 {
                        break;
                    }
                }
                let med = median(times.clone());
                prev = Some((n, med));
                row["median_s"] = med.into();
                row["times"] = times.into();
                row["value"] = value.into();
                row["status"] = "ok".into();
                println!("{row}");
            }
        }
    }
}
