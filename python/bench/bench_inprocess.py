"""In-process speed of ib_analyze against NPEET (npeet-plus) and infomeasure on the same arrays,
in the same Python process: the cells of the estimator table (docs/benchmarks.md), then the call
overhead on a 1,000-row input.

    pip install ./python npeet-plus==0.2.0 infomeasure==0.6.3
    python python/bench/bench_inprocess.py [--reps 3] [--python-reps 3] [--cap 150] [--scale 1.0] [--cells 1,2,3]
        [--all-tools]

KL entropy (max-norm) of x and KSG-1 I(x; y), k = 3, x ~ N(0, I_d), y = 0.6x + 0.8·noise
(seeded), the data of `bench_estimators`. Each call is timed alone (time.perf_counter); the
median of --reps runs is reported (a Python library whose first run exceeds --cap seconds runs
once). ``--scale`` multiplies every N (0.1 for a quick look); ratios are Python / ib_analyze.
The values are printed next to each other: NPEET adds 1e-10 noise by default, so its values
differ from the exact ones in the last digits.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import ib_analyze

# (measure, d, N, the fastest Python tool of that cell in docs/benchmarks.md): the five cells
# with a published baseline. --all-tools times both libraries in every cell.
CELLS = [
    ("ksg1", 1, 1_000_000, "NPEET"),
    ("kl", 4, 1_000_000, "infomeasure"),
    ("ksg1", 4, 100_000, "NPEET"),
    ("ksg1", 16, 10_000, "NPEET"),
    ("kl", 16, 100_000, "NPEET"),
]


def data(d, n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = 0.6 * x + 0.8 * rng.standard_normal((n, d))
    return x, y


def python_tools(measure):
    """(name, f(x, y)) of the Python libraries that compute `measure`, if installed."""
    tools = []
    try:
        import npeet_plus

        if measure == "kl":
            tools.append(("NPEET", lambda x, y: npeet_plus.entropy(x, k=3, base=np.e)))
        else:
            tools.append(("NPEET", lambda x, y: npeet_plus.mi(x, y, k=3, base=np.e)))
    except ImportError:
        pass
    try:
        import infomeasure as im

        if measure == "kl":
            tools.append(("infomeasure", lambda x, y: im.entropy(
                x, approach="kl", k=3, noise_level=0, base="e")))
        else:
            tools.append(("infomeasure", lambda x, y: im.mutual_information(
                x, y, approach="ksg", k=3, noise_level=0, base="e")))
    except ImportError:
        pass
    return tools


def ours(measure):
    if measure == "kl":
        return lambda x, y: ib_analyze.kl_entropy(x, k=3)
    return lambda x, y: ib_analyze.ksg_mi(x, y, k=3)


def timed(f, x, y, reps, cap):
    """(median seconds, runs, value)."""
    times, value = [], None
    for _ in range(reps):
        t = time.perf_counter()
        value = f(x, y)
        times.append(time.perf_counter() - t)
        if times[0] > cap:
            break
    return statistics.median(times), len(times), value


def fmt(s):
    return f"{s * 1e3:.3g} ms" if s < 1 else f"{s:.3g} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3, help="runs of ib_analyze per cell")
    ap.add_argument("--python-reps", type=int, default=3, help="runs of each Python tool per cell")
    ap.add_argument("--cap", type=float, default=150.0)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--cells", default="1,2,3,4,5", help="which of the five cells, 1-based")
    ap.add_argument("--all-tools", action="store_true", help="NPEET and infomeasure in every cell")
    args = ap.parse_args()

    print("| measure | d | N | ib_analyze | Python (library) | Python / ib_analyze | values |")
    print("|---|---|---|---|---|---|---|")
    for i in [int(c) for c in args.cells.split(",")]:
        measure, d, n, fastest = CELLS[i - 1]
        n = max(100, int(n * args.scale))
        x, y = data(d, n)
        warm = ours(measure)
        warm(x[:200], y[:200])
        t_ours, _, v_ours = timed(ours(measure), x, y, args.reps, args.cap)
        for name, f in python_tools(measure):
            if not args.all_tools and name != fastest:
                continue
            f(x[:200].copy(), y[:200].copy())  # warm-up: lazy imports, first-call overheads
            t, runs, v = timed(f, x, y, args.python_reps, args.cap)
            label = "KL" if measure == "kl" else "KSG-1"
            dims = str(d) if measure == "kl" else f"{d}+{d}"
            note = "" if runs == args.python_reps else f", {runs} run"
            print(f"| {label} | {dims} | {n:.0e} | {fmt(t_ours)} | {fmt(t)} ({name}{note}) | "
                  f"**{t / t_ours:.1f}×** | {v_ours:.6f} / {float(v):.6f} |", flush=True)

    # Call overhead on 1,000 rows, d = 1: KL (its k-NN search included) and the Gaussian entropy
    # (a variance: little beyond the call itself, its checks and the conversion of the result).
    x, _ = data(1, 1000)
    reps = 2000
    print()
    for label, f in [
        ("kl_entropy", lambda: ib_analyze.kl_entropy(x)),
        ("estimate('entropy', 'kl') with its dict", lambda: ib_analyze.estimate("entropy", "kl", x)),
        ("gaussian_entropy", lambda: ib_analyze.gaussian_entropy(x)),
    ]:
        f()
        t = time.perf_counter()
        for _ in range(reps):
            f()
        per_call = (time.perf_counter() - t) / reps
        print(f"{label} on 1,000×1 float64: {per_call * 1e3:.3f} ms per call, mean of {reps}")


if __name__ == "__main__":
    main()
