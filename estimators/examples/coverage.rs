//! Prints the coverage table of the delete-a-group jackknife interval (docs/coverage.md):
//!
//! ```text
//! cargo run --release -p ib-estimators --example coverage [-- REPS]
//! ```
//!
//! REPS replications per case (default 200), the same seeds as `tests/coverage.rs`, plus
//! Kozachenko–Leonenko rows in d = 8 and 16, not asserted: the estimator's bias grows with d and
//! in d = 16 it dominates (the interval covers the sampling spread only). Per-case times go to
//! stderr. The rows do not depend on the thread count.

#[path = "../tests/coverage_cases/mod.rs"]
mod coverage_cases;

use coverage_cases::{asserted_cases, high_dimension_cases, run, seed_base, table};

fn main() {
    let reps = match std::env::args().nth(1) {
        None => 200,
        Some(t) => match t.parse::<usize>() {
            Ok(r) if r >= 2 => r,
            _ => {
                eprintln!("REPS: expected a number of replications >= 2, got '{t}'");
                std::process::exit(2);
            }
        },
    };
    let mut rows = Vec::new();
    let cases = asserted_cases()
        .into_iter()
        .chain(high_dimension_cases())
        .enumerate();
    for (i, case) in cases {
        let t = std::time::Instant::now();
        let row = run(&case, reps, seed_base(i));
        eprintln!("{}: {:.1} s", case.name, t.elapsed().as_secs_f64());
        rows.push(row);
    }
    print!("{}", table(&rows));
}
