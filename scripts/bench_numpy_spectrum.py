#!/usr/bin/env python3
"""std_l2 and raw/centred RankMe at real sizes: `ib-analyze analyze FILE --spectrum-only --json`
against numpy.

For each size N x d this script

1. writes a seeded f32 .npy (unless it exists): an embedding with a decaying spectrum plus
   noise and a non-zero mean, so that RankMe is neither 1 nor d and centring matters;
2. runs, as separate subprocesses and alternating R times,
   - numpy (BLAS limited to THREADS threads, checked with threadpoolctl): load the file, then
     std_l2 and raw/centred RankMe in float64 (the reference values ib-analyze must equal to
     1e-6 relative) and, as an informative second column, in float32;
   - `ib-analyze analyze FILE --spectrum-only --json` (the same quantities: std, std_l2, both
     spectra and their RankMe; `--full` runs the whole `analyze FILE --json`, with the
     information estimates and the metric panel) with RAYON_NUM_THREADS=THREADS;
   recording wall time and peak RSS (os.wait4) of each process;
3. prints a markdown table: medians of wall and CPU (user + system) seconds, the speed ratios
   numpy / ib-analyze, peak RSS over the file size, and the largest relative value difference
   (of std_l2, effective_rank, effective_rank_centred). CPU seconds are the steadier figure on
   a loaded machine.

The numpy definitions replicate estimators/src/std_metrics.rs and spectral.rs exactly:
std_l2 = mean over columns of the unbiased (ddof = 1) std of the rows scaled to unit norm
(F.normalize: divided by max(||z||, 1e-12)); singular values = sqrt(max(eig(G), 0)) of the
d x d Gram matrix G = z'z (centred: of z - mean); RankMe = exp(-sum p ln p), p = s/sum(s) + 1e-7.

Usage:
  python3 scripts/bench_numpy_spectrum.py \
      --bin target/release/ib-analyze --dir /tmp/spectrum --sizes 50000x2048 16384x8192 -r 3
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

RANKME_EPS = 1e-7
NORM_EPS = 1e-12


def generate(path, n, d, seed):
    """Seeded f32 N x d: rank-k signal with singular values decaying as 1/(1+j/16), noise, mean."""
    import numpy as np

    rng = np.random.default_rng(seed)
    k = max(1, d // 4)
    decay = (1.0 / (1.0 + np.arange(k) / 16.0)).astype(np.float32)
    mix = (rng.standard_normal((k, d), dtype=np.float32) / np.float32(np.sqrt(d))) * decay[:, None]
    z = np.empty((n, d), dtype=np.float32)
    mean = rng.standard_normal(d, dtype=np.float32) * np.float32(0.5)
    step = 4096
    for i in range(0, n, step):
        m = min(step, n - i)
        block = rng.standard_normal((m, k), dtype=np.float32) @ mix
        block += np.float32(0.05) * rng.standard_normal((m, d), dtype=np.float32)
        block += mean
        z[i : i + m] = block
    tmp = path + ".tmp.npy"
    np.save(tmp, z)
    os.replace(tmp, path)


def rankme(s):
    import numpy as np

    total = s.sum()
    if total == 0:
        return 1.0
    p = s / total + RANKME_EPS
    return float(np.exp(-(p * np.log(p)).sum()))


def numpy_metrics(path, dtype, threads):
    """The values, computed in `dtype` (float64 = the definition)."""
    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits

    with threadpool_limits(limits=threads, user_api="blas"):
        blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        assert blas and all(t == threads for t in blas), f"BLAS threads {blas} != {threads}"
        z = np.load(path).astype(dtype, copy=False)
        n, d = z.shape
        assert d <= n, "the Gram route here is the d x d one"
        norms = np.sqrt((z * z).sum(axis=1, dtype=dtype))
        u = z / np.maximum(norms, dtype(NORM_EPS))[:, None]
        std_l2 = float(u.std(axis=0, ddof=1).mean())
        del u
        gram = z.T @ z
        s = np.sqrt(np.maximum(np.linalg.eigvalsh(gram), 0))[::-1]
        er = rankme(s.astype(np.float64))
        del gram
        z -= z.mean(axis=0, dtype=dtype)
        gram = z.T @ z
        s = np.sqrt(np.maximum(np.linalg.eigvalsh(gram), 0))[::-1]
        s[n - 1 :] = 0
        erc = rankme(s.astype(np.float64))
    return {"std_l2": std_l2, "effective_rank": er, "effective_rank_centred": erc}


def run(cmd, env=None):
    """Wall seconds, CPU seconds (user + system), peak RSS bytes and stdout of one subprocess."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed with exit code {p.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, out


def ours_metrics(out):
    doc = json.loads(out)
    found = {}

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k in ("std_l2", "effective_rank", "effective_rank_centred") and isinstance(
                    x, (int, float)
                ):
                    found.setdefault(k, x)
                else:
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(doc)
    return found


def rel(a, b):
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="target/release/ib-analyze")
    ap.add_argument("--dir", default="/tmp/ib-spectrum-bench")
    ap.add_argument("--sizes", nargs="+", default=["50000x2048", "16384x8192"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("-r", "--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--full", action="store_true",
                    help="time the whole `analyze FILE --json` instead of --spectrum-only")
    ap.add_argument("--numpy", help=argparse.SUPPRESS)  # child: FILE:DTYPE
    args = ap.parse_args()

    if args.numpy:
        path, dtype = args.numpy.rsplit(":", 1)
        import numpy as np

        print(json.dumps(numpy_metrics(path, getattr(np, dtype), args.threads)))
        return

    os.makedirs(args.dir, exist_ok=True)
    files = []
    for size in args.sizes:
        n, d = (int(x) for x in size.lower().split("x"))
        path = os.path.join(args.dir, f"emb_{n}x{d}_seed{args.seed}.npy")
        if not os.path.exists(path):
            print(f"writing {path}", file=sys.stderr)
            generate(path, n, d, args.seed)
        files.append((n, d, path))
    if args.generate_only:
        return

    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    env_np = dict(
        os.environ,
        OMP_NUM_THREADS=str(args.threads),
        OPENBLAS_NUM_THREADS=str(args.threads),
    )
    me = [sys.executable, os.path.abspath(__file__), "--threads", str(args.threads)]
    rows = []
    for n, d, path in files:
        t = {"np64": [], "np32": [], "ours": []}
        cpu = {"np64": [], "np32": [], "ours": []}
        rss = {"np64": [], "np32": [], "ours": []}
        vals = {}
        for rep in range(args.repeats):
            for side in ("np64", "ours", "np32"):
                if side == "ours":
                    cmd = [args.bin, "analyze", path, "--json"]
                    if not args.full:
                        cmd.append("--spectrum-only")
                    wall, cpu_s, peak, out = run(cmd, env)
                    v = ours_metrics(out)
                else:
                    dtype = "float64" if side == "np64" else "float32"
                    wall, cpu_s, peak, out = run(me + ["--numpy", f"{path}:{dtype}"], env_np)
                    v = json.loads(out)
                t[side].append(wall)
                cpu[side].append(cpu_s)
                rss[side].append(peak)
                vals[side] = v
                print(f"{n}x{d} rep {rep} {side}: {wall:.1f} s, CPU {cpu_s:.1f} s, "
                      f"{peak / 1e6:.0f} MB, {v}",
                      file=sys.stderr)
        size = os.path.getsize(path)
        keys = ("std_l2", "effective_rank", "effective_rank_centred")
        diff = max(rel(vals["ours"][k], vals["np64"][k]) for k in keys)
        diff32 = max(rel(vals["np32"][k], vals["np64"][k]) for k in keys)
        med = {k: statistics.median(x) for k, x in t.items()}
        mcpu = {k: statistics.median(x) for k, x in cpu.items()}
        rows.append(
            f"| {n} × {d} | {size / 1e6:.0f} MB | {med['np64']:.1f} s | {med['ours']:.1f} s "
            f"| {med['np64'] / med['ours']:.2f}× "
            f"| {mcpu['np64']:.0f} s | {mcpu['ours']:.0f} s | {mcpu['np64'] / mcpu['ours']:.2f}× "
            f"| {max(rss['np64']) / size:.2f} | {max(rss['ours']) / size:.2f} "
            f"| {diff:.1e} | {med['np32']:.1f} s | {diff32:.1e} |"
        )
    what = "analyze --json" if args.full else "analyze --spectrum-only --json"
    print(f"\nthreads: {args.threads} (BLAS and rayon), repeats: {args.repeats} (medians), "
          f"alternating numpy f64 / ib-analyze ({what}) / numpy f32\n")
    print("| N × d | file | numpy f64 | ib-analyze | speed-up (wall) | numpy CPU | ib-analyze CPU "
          "| speed-up (CPU) | numpy RSS/file | ib-analyze RSS/file | max rel. diff vs numpy f64 "
          "| numpy f32 | f32 rel. diff |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(r)


if __name__ == "__main__":
    main()
