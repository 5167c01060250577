//! Throughput of the augmentation's standard normals (`data::rng`, the module documentation
//! gives the decision this supports): the own ziggurat on xoshiro256++ against
//! `rand_distr::StandardNormal` on the same generator, and against `rand_distr::Normal` on
//! `StdRng` (ChaCha12).
//!
//! `cargo bench --bench bench_rng -- [--n N] [--reps R]` fills a buffer of N f32 normals
//! (default 45 056, the draws of one training step of the default workload: 2 views × 256 rows ×
//! (24 style + 64 noise)) R times per generator, alternating the generators, and prints one JSON
//! line per generator with the best ns per normal and its ratio to the own ziggurat.

use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;
use std::time::Instant;

use ib_analyze::data::rng::AugRng;

fn main() -> Result<()> {
    let (mut n, mut reps) = (45_056usize, 200usize);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--n" => n = args.next().context("--n N")?.parse()?,
            "--reps" => reps = args.next().context("--reps R")?.parse()?,
            // `cargo bench` passes this to every bench binary.
            "--bench" => {}
            other => bail!("unknown argument {other} (usage: bench_rng [--n N] [--reps R])"),
        }
    }
    if n == 0 || reps == 0 {
        bail!("--n and --reps must be at least 1");
    }
    let mut buf = vec![0.0f32; n];
    let mut own = AugRng::seed_from_u64(1);
    let mut own_one = AugRng::seed_from_u64(1);
    let mut xo = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut chacha = StdRng::seed_from_u64(1);
    let unit = Normal::new(0.0f32, 1.0).expect("unit normal");
    let names = [
        "own-ziggurat fill_normal (xoshiro256++)",
        "own-ziggurat normal() (xoshiro256++)",
        "rand_distr StandardNormal (xoshiro256++)",
        "rand_distr Normal (StdRng, ChaCha12)",
    ];
    let mut best = [f64::INFINITY; 4];
    for _ in 0..reps {
        for (i, b) in best.iter_mut().enumerate() {
            let t0 = Instant::now();
            match i {
                0 => own.fill_normal(&mut buf),
                1 => buf.iter_mut().for_each(|v| *v = own_one.normal()),
                2 => buf
                    .iter_mut()
                    .for_each(|v| *v = StandardNormal.sample(&mut xo)),
                _ => buf.iter_mut().for_each(|v| *v = unit.sample(&mut chacha)),
            }
            black_box(&mut buf);
            *b = b.min(t0.elapsed().as_secs_f64() * 1e9 / n as f64);
        }
    }
    for (name, ns) in names.iter().zip(best) {
        println!(
            "{{\"impl\":\"{name}\",\"ns_per_normal\":{ns:.3},\"relative_to_own\":{:.2},\"n\":{n},\"reps\":{reps}}}",
            ns / best[0]
        );
    }
    Ok(())
}
