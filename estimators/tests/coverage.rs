//! Coverage of the nominal 95 % delete-a-group jackknife interval (20 groups) on cases with an
//! analytic truth (`coverage_cases`; ARCHITECTURE.md §4 "Intervals", docs/coverage.md): in 200
//! seeded replications each interval contains its estimate and at least 90 % contain the truth.
//! The table is printed on failure (and by `cargo run --release -p ib-estimators --example
//! coverage`). Run in release: about 21 × 200 estimates per case.

mod coverage_cases;

use coverage_cases::{asserted_cases, run, seed_base, table, Row};

const REPS: usize = 200;

fn check(index: usize) -> Row {
    let case = &asserted_cases()[index];
    let row = run(case, REPS, seed_base(index));
    let shown = table(std::slice::from_ref(&row));
    assert_eq!(
        row.not_containing, 0,
        "every interval exists and contains its estimate:\n{shown}"
    );
    assert!(row.coverage >= 0.90, "coverage below 0.90:\n{shown}");
    row
}

#[test]
fn kl_entropy_d1_max_norm() {
    check(0);
}

#[test]
fn kl_entropy_d2_max_norm() {
    check(1);
}

#[test]
fn kl_entropy_d2_euclidean() {
    check(2);
}

#[test]
fn ksg1_mutual_information() {
    check(3);
}

#[test]
fn ksg2_mutual_information() {
    check(4);
}

#[test]
fn plug_in_discrete_entropy() {
    check(5);
}

#[test]
fn miller_madow_discrete_entropy() {
    check(6);
}

#[test]
fn gaussian_proxy_entropy_d2() {
    check(7);
}

/// Every case above has a test (the list and the tests stay in step).
#[test]
fn every_asserted_case_is_tested() {
    assert_eq!(asserted_cases().len(), 8);
}
