#!/usr/bin/env python3
"""Rust vs Python estimator speed on the same data (not part of CI).

1. The Rust benchmark generates the data, times KL entropy (max-norm) and KSG-1 MI (k = 3),
   writes the arrays it measured to .npy and one JSON line per cell:

     cargo bench -p ib-estimators --bench bench_estimators -- \
         --write-npy /tmp/bench-npy > /tmp/bench-rust.jsonl

2. This script loads the very same .npy files into the Python libraries (pinned versions:
   scripts/requirements-bench.txt, Python 3.11), times the estimator call alone (median of
   --reps runs, each in a fresh subprocess with a wall-clock cap, imports and loading excluded),
   compares the values and prints the ratio table (fastest Python / Rust):

     python3 -m venv /tmp/venv-bench
     /tmp/venv-bench/bin/pip install -r scripts/requirements-bench.txt
     /tmp/venv-bench/bin/python scripts/bench_estimators.py \
         --rust /tmp/bench-rust.jsonl --npy /tmp/bench-npy [--cells named|all] [--cap 150]

--cells named (default) runs only the cells with a published Python baseline (NAMED
below); --cells all runs every cell the Rust side measured.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

# (measure, lib) -> call; every call gets x (N×d) and y (N×d) loaded from the .npy files.
CALLS = {
    ("kl", "npeet"): "npeet_plus.entropy(x, k=3, base=np.e)  [default 1e-10 noise]",
    ("kl", "infomeasure"): "infomeasure.entropy(x, approach='kl', k=3, noise_level=0, base='e')",
    ("kl", "ennemi"): "ennemi.estimate_entropy(x, k=3, multidim=True)",
    ("ksg1", "npeet"): "npeet_plus.mi(x, y, k=3, base=np.e)  [default noise]",
    ("ksg1", "sklearn"): "mutual_info_regression(x, y[:,0], n_neighbors=3, random_state=0)  [1-D only]",
    ("ksg1", "ennemi"): "ennemi._entropy_estimators._estimate_single_mi(x, y, k=3)",
    ("ksg1", "infomeasure"): "infomeasure.mutual_information(x, y, approach='ksg', k=3, noise_level=0, base='e')",
}

# The cells with a published Python baseline: (measure, d, n) -> libs.
NAMED = {
    ("ksg1", 1, 1_000_000): ["sklearn", "npeet"],
    ("kl", 4, 1_000_000): ["infomeasure"],
    ("ksg1", 4, 100_000): ["npeet"],
    ("ksg1", 16, 10_000): ["npeet"],
    ("kl", 16, 100_000): ["npeet"],
}


def worker(measure, lib, xpath, ypath):
    import numpy as np

    x = np.load(xpath)
    y = np.load(ypath)
    if (measure, lib) == ("kl", "npeet"):
        import npeet_plus
        f = lambda a, b: npeet_plus.entropy(a, k=3, base=np.e)
    elif (measure, lib) == ("kl", "infomeasure"):
        import infomeasure as im
        f = lambda a, b: im.entropy(a, approach="kl", k=3, noise_level=0, base="e")
    elif (measure, lib) == ("kl", "ennemi"):
        import ennemi
        f = lambda a, b: ennemi.estimate_entropy(a, k=3, multidim=True)
    elif (measure, lib) == ("ksg1", "npeet"):
        import npeet_plus
        f = lambda a, b: npeet_plus.mi(a, b, k=3, base=np.e)
    elif (measure, lib) == ("ksg1", "sklearn"):
        from sklearn.feature_selection import mutual_info_regression
        f = lambda a, b: mutual_info_regression(a, b[:, 0], n_neighbors=3, random_state=0)[0]
    elif (measure, lib) == ("ksg1", "ennemi"):
        from ennemi._entropy_estimators import _estimate_single_mi
        f = lambda a, b: _estimate_single_mi(a, b, 3)
    elif (measure, lib) == ("ksg1", "infomeasure"):
        import infomeasure as im
        f = lambda a, b: im.mutual_information(a, b, approach="ksg", k=3, noise_level=0, base="e")
    else:
        raise SystemExit(f"unknown {measure} {lib}")
    f(x[:200].copy(), y[:200].copy())  # warm-up: lazy imports, first-call overheads
    t0 = time.perf_counter()
    v = f(x, y)
    dt = time.perf_counter() - t0
    print(json.dumps({"seconds": dt, "value": float(np.asarray(v).reshape(-1)[0])}))


def supported(measure, lib, d):
    return not (lib == "sklearn" and d != 1)


def time_python(measure, lib, xpath, ypath, reps, cap, long):
    times, value = [], None
    for _ in range(reps):
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", measure, lib, xpath, ypath]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=cap)
        except subprocess.TimeoutExpired:
            return {"status": f"timeout > {cap:.0f} s", "times": times}
        if p.returncode != 0:
            err = p.stderr.strip().splitlines()[-1][:200] if p.stderr.strip() else f"rc={p.returncode}"
            return {"status": "error: " + err, "times": times}
        out = json.loads(p.stdout.strip().splitlines()[-1])
        times.append(out["seconds"])
        value = out["value"]
        if out["seconds"] > long:
            break
    return {"status": "ok", "median_s": statistics.median(times), "times": times, "value": value}


def fmt_s(s):
    if s is None:
        return "-"
    return f"{s * 1e3:.3g} ms" if s < 1 else f"{s:.3g} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker", nargs=4, metavar=("MEASURE", "LIB", "X", "Y"))
    ap.add_argument("--rust", help="JSON lines of the Rust benchmark")
    ap.add_argument("--npy", help="directory the Rust benchmark wrote with --write-npy")
    ap.add_argument("--cells", choices=["named", "all"], default="named")
    ap.add_argument("--libs", default=None, help="comma-separated libraries (default: per cell)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--cap", type=float, default=150.0, help="per-run wall-clock cap (s)")
    ap.add_argument("--long", type=float, default=40.0, help="runs longer than this are not repeated")
    ap.add_argument("--out", default=None, help="write all rows as JSON here")
    a = ap.parse_args()
    if a.worker:
        worker(*a.worker)
        return
    if not (a.rust and a.npy):
        ap.error("--rust and --npy are required")

    rust = {}
    with open(a.rust) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                r = json.loads(line)
                rust[(r["measure"], r["d"], r["n"])] = r

    rows = []
    for (measure, d, n), r in sorted(rust.items()):
        if r.get("status") != "ok":
            continue
        if a.cells == "named":
            libs = NAMED.get((measure, d, n))
            if not libs:
                continue
        else:
            libs = [l for (m, l) in CALLS if m == measure and supported(m, l, d)]
        if a.libs:
            libs = [l for l in a.libs.split(",") if supported(measure, l, d)]
        xpath = os.path.join(a.npy, f"x_d{d}_n{n}.npy")
        ypath = os.path.join(a.npy, f"y_d{d}_n{n}.npy")
        for lib in libs:
            py = time_python(measure, lib, xpath, ypath, a.reps, a.cap, a.long)
            row = {"measure": measure, "d": d, "n": n, "lib": lib, "call": CALLS[(measure, lib)],
                   "rust_s": r["median_s"], "rust_value": r["value"], "rust_threads": r.get("threads"), **py}
            if py.get("value") is not None:
                row["abs_diff"] = abs(py["value"] - r["value"])
                row["ratio"] = py["median_s"] / r["median_s"]
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)

    if a.out:
        with open(a.out, "w") as f:
            json.dump(rows, f, indent=1)

    print("| measure | d | N | Rust | Python (library) | Python / Rust | |value diff| |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        py = fmt_s(row.get("median_s")) if row["status"] == "ok" else row["status"]
        ratio = f"{row['ratio']:.1f}x" if "ratio" in row else "-"
        diff = f"{row['abs_diff']:.1e}" if "abs_diff" in row else "-"
        print(f"| {row['measure']} | {row['d']} | {row['n']:.0e} | {fmt_s(row['rust_s'])} | {py} ({row['lib']}) | {ratio} | {diff} |")


if __name__ == "__main__":
    main()
