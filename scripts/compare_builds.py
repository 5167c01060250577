#!/usr/bin/env python3
"""Speed of two builds of ib-analyze, side by side, in one script run.

Runs the training benchmark (bench_train) and the five estimator cells with a published Python
baseline (bench_estimators) of build A and build B alternately, ROUNDS times, so that changes of
the machine's load hit both, and prints per-benchmark medians and the ratio B/A (> 1: B is
faster). Each build is a directory holding the two benchmark binaries, e.g. made by

    cargo bench --no-run --bench bench_train -p ib-analyze
    cargo bench --no-run --bench bench_estimators -p ib-estimators
    mkdir -p /tmp/build-b && cp target/release/deps/bench_train-* target/release/deps/bench_estimators-* /tmp/build-b/

(executables only; the script picks the file whose name starts with the benchmark's name).

    python3 scripts/compare_builds.py /tmp/build-a /tmp/build-b [--rounds 5] [--steps 300] \
        [--torch-python /path/to/python-with-torch]

With --torch-python, each round also runs the PyTorch reference of the training workload
(scripts/bench_train_torch.py, one thread) and the table gives each build's steps/s over
PyTorch's.
"""
import argparse
import json
import os
import statistics
import subprocess

CELLS = [  # (measure, d, n): the five cells of docs/benchmarks.md
    ("ksg1", 1, 1_000_000),
    ("kl", 4, 1_000_000),
    ("ksg1", 4, 100_000),
    ("ksg1", 16, 10_000),
    ("kl", 16, 100_000),
]


def binary(build, name):
    for f in sorted(os.listdir(build)):
        path = os.path.join(build, f)
        if f.startswith(name) and os.access(path, os.X_OK) and not f.endswith(".d"):
            return path
    raise SystemExit(f"{build}: no executable named {name}*")


def json_lines(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--torch-python", help="a Python with torch: also time the PyTorch reference")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    train_env = dict(os.environ, RAYON_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    est_env = dict(os.environ)
    est_env.pop("RAYON_NUM_THREADS", None)
    times = {}  # (bench, build) -> [value]
    for r in range(args.rounds):
        for label, build in (("a", args.a), ("b", args.b)):
            row = json_lines([binary(build, "bench_train"), "--steps", str(args.steps)], train_env)[-1]
            times.setdefault(("train steps/s", label), []).append(row["steps_per_s"])
            for measure, d, n in CELLS:
                cmd = [binary(build, "bench_estimators"), "--measures", measure, "--ds", str(d),
                       "--ns", str(n), "--reps", "1", "--cap", "600"]
                row = json_lines(cmd, est_env)[-1]
                times.setdefault((f"{measure} d={d} N={n:.0e} s", label), []).append(row["median_s"])
        if args.torch_python:
            cmd = [args.torch_python, os.path.join(here, "bench_train_torch.py"),
                   "--steps", str(args.steps), "--threads", "1"]
            times.setdefault(("torch steps/s", "t"), []).append(json_lines(cmd, train_env)[-1]["steps_per_s"])
        print(f"round {r + 1}/{args.rounds} done", flush=True)
    print(f"\n{'benchmark':28s} {'A median':>10s} {'B median':>10s} {'B vs A':>8s}")
    for bench in dict.fromkeys(k[0] for k in times if k[1] != "t"):
        a, b = statistics.median(times[(bench, "a")]), statistics.median(times[(bench, "b")])
        speedup = b / a if bench.startswith("train") else a / b
        print(f"{bench:28s} {a:10.4g} {b:10.4g} {speedup:7.3f}x")
    if args.torch_python:
        t = times[("torch steps/s", "t")]
        for label in ("a", "b"):
            per_round = [c / p for c, p in zip(times[("train steps/s", label)], t)]
            print(f"build {label.upper()} / PyTorch (steps/s, per round): "
                  + " ".join(f"{x:.2f}" for x in per_round)
                  + f"  median {statistics.median(per_round):.2f}x")
        print(f"PyTorch steps/s median {statistics.median(t):.4g}")
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
