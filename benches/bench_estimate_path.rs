//! What `estimate`'s path costs around the estimator (not a test): on the arrays of
//! `bench_estimators --write-npy DIR`, the bare estimator call (`kl_entropy`,
//! `ksg_mutual_information`) against `estimate::run_columns` (the Python package's entry: the
//! checks of the arrays, the estimator, its warnings, the degenerate-data rules and the report),
//! in the same process, in turn (bare, path, bare, path, ...), one JSON line per cell with both
//! medians and their ratio. Both give the same value (checked bit for bit).
//!
//! ```text
//! cargo bench -p ib-estimators --bench bench_estimators -- --measures kl --ds 4 --ns 1000000 \
//!     --write-npy /tmp/bench-npy
//! cargo bench --bench bench_estimate_path -- --npy /tmp/bench-npy --cells kl:4:1000000 [--reps 5]
//! ```
//!
//! A cell is `MEASURE:D:N` with MEASURE `kl` (H of x) or `ksg1` (I(x; y)), reading
//! `x_dD_nN.npy` (and `y_dD_nN.npy`); `--cells` takes a comma-separated list.

use std::path::PathBuf;
use std::time::Instant;

use ib_analyze::estimate::{run_columns, EstimateRequest, Method, Quantity};
use ib_analyze::input::{read_array, InputSpec};
use ib_estimators::{kl_entropy, ksg_mutual_information, KnnParams, KsgAlgorithm};
use ndarray::{Array2, Ix2};

fn load(path: &std::path::Path) -> Array2<f64> {
    let spec = InputSpec::parse(&path.display().to_string()).expect("input path");
    read_array(&spec)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .into_dimensionality::<Ix2>()
        .expect("an N×d array")
}

fn median(mut t: Vec<f64>) -> f64 {
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() {
    let (mut npy, mut cells, mut reps) = (PathBuf::from("/tmp/bench-npy"), String::new(), 5usize);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || {
            it.next()
                .unwrap_or_else(|| panic!("{a} needs a value"))
                .clone()
        };
        match a.as_str() {
            "--npy" => npy = PathBuf::from(val()),
            "--cells" => cells = val(),
            "--reps" => reps = val().parse().expect("--reps N"),
            "-h" | "--help" => {
                println!("see the header of benches/bench_estimate_path.rs");
                return;
            }
            // Passed by `cargo bench` to every bench target.
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    let params = KnnParams::new(3).expect("k = 3");
    for cell in cells.split(',').filter(|c| !c.is_empty()) {
        let parts: Vec<&str> = cell.split(':').collect();
        let [measure, d, n] = parts[..] else {
            panic!("cell '{cell}': expected MEASURE:D:N")
        };
        let x = load(&npy.join(format!("x_d{d}_n{n}.npy")));
        let kl = match measure {
            "kl" => true,
            "ksg1" => false,
            other => panic!("measure '{other}': kl or ksg1"),
        };
        let y = (!kl).then(|| load(&npy.join(format!("y_d{d}_n{n}.npy"))));
        let request = if kl {
            EstimateRequest::with_defaults(Quantity::Entropy, Method::Kl)
        } else {
            EstimateRequest::with_defaults(Quantity::Mi, Method::Ksg1)
        };
        let (mut bare, mut path) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let t = Instant::now();
            let v = match &y {
                None => kl_entropy(x.view(), &params),
                Some(y) => ksg_mutual_information(x.view(), y.view(), &params, KsgAlgorithm::One),
            }
            .expect("estimate")
            .value;
            bare.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            let out = run_columns(&request, x.view(), y.as_ref().map(|y| y.view()), "<arrays>")
                .expect("estimate");
            path.push(t.elapsed().as_secs_f64());
            assert_eq!(v.to_bits(), out.estimate.value.to_bits(), "{cell}");
        }
        let (b, p) = (median(bare.clone()), median(path.clone()));
        println!(
            "{}",
            serde_json::json!({
                "cell": cell, "threads": rayon::current_num_threads(), "reps": reps,
                "bare_median_s": b, "path_median_s": p, "path_over_bare": p / b,
                "bare_s": bare, "path_s": path,
            })
        );
    }
}
