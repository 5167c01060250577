#!/usr/bin/env python3
"""Calibrate the collapse-metric panel on exported embeddings: writes seeded synthetic exports
(embedding N×d, views N'×K×d, labels) of known health into OUT and runs
`ib-analyze analyze EMB --views VIEWS --labels LABELS --json` on each, printing a Markdown table
of the panel metrics and the verdict.

Usage: python3 scripts/panel_exports.py OUT [IB_ANALYZE]
Needs numpy. IB_ANALYZE defaults to target/release/ib-analyze.

Every case maps latent inputs x (N×32: 8 classes, class means + noise) through an "encoder" and
its views through the same encoder applied to x + augmentation noise:
  healthy           tanh(W x), W 256×32 Gaussian
  healthy-offset    the same plus a shared offset 10× the rows' norm
  decaying          tanh(W' x), W' with column scales i^-0.5 (a decaying spectrum)
  manifold-4        tanh(L x), L of rank 4: a 4-dimensional curved manifold spread over many
                    directions by the tanh
  dimensional       L x + 1e-3 noise: every row in one 4-dimensional subspace
  dimensional-bn    the same, each channel standardised (an output batch-norm)
  complete          one vector + 1e-3 × tanh(W x)
  complete-noise    one vector + 1e-3 × noise independent of x (the output ignores the input)
  noise-bn          the same, each channel standardised: the residual noise blown up to unit std
"""
import json
import os
import subprocess
import sys

import numpy as np

N, D, M, C, NV, K = 2000, 256, 32, 8, 300, 4


def main(out, exe):
    rng = np.random.default_rng(20261204)
    means = rng.normal(size=(C, M)) * 1.5
    labels = rng.integers(0, C, size=N)
    x = means[labels] + rng.normal(size=(N, M))
    xv = x[:NV, None, :] + 0.3 * rng.normal(size=(NV, K, M))
    w = rng.normal(size=(D, M)) / np.sqrt(M)
    w_pow = w * (np.arange(1, M + 1) ** -0.5)
    w_low = rng.normal(size=(D, 4)) @ rng.normal(size=(4, M)) / np.sqrt(4 * M)
    centre = rng.normal(size=D)
    noise = rng.normal(size=(N + NV * K, D))

    def bn(a, ref):
        return (a - ref.mean(0)) / ref.std(0)

    def case(name):
        xs = np.concatenate([x, xv.reshape(-1, M)])
        if name.startswith("healthy"):
            z = np.tanh(xs @ w.T)
            if name == "healthy-offset":
                z = z + 10 * np.sqrt(D) * centre / np.linalg.norm(centre)
        elif name == "decaying":
            z = np.tanh(xs @ w_pow.T)
        elif name == "manifold-4":
            z = np.tanh(xs @ w_low.T)
        elif name.startswith("dimensional"):
            z = xs @ w_low.T + 1e-3 * noise
        elif name == "complete":
            z = centre + 1e-3 * np.tanh(xs @ w.T)
        else:
            z = centre + 1e-3 * noise
        if name.endswith("-bn"):
            z = bn(z, z[:N])
        return z[:N], z[N:].reshape(NV, K, D)

    names = ["healthy", "healthy-offset", "decaying", "manifold-4", "dimensional", "dimensional-bn",
             "complete", "complete-noise", "noise-bn"]
    cols = ["uniformity", "alpha_req", "alpha_req_r2", "lidar", "alignment", "intrinsic_dim",
            "nc1", "effective_rank_centred_ratio"]
    os.makedirs(out, exist_ok=True)
    np.save(f"{out}/labels.npy", labels.astype(np.int64))
    print("| export | " + " | ".join(cols) + " | verdict |")
    print("|---|" + "---|" * len(cols) + "---|")
    for name in names:
        z, v = case(name)
        np.save(f"{out}/{name}.npy", z.astype(np.float32))
        np.save(f"{out}/{name}-views.npy", v.astype(np.float32))
        res = subprocess.run([exe, "analyze", f"{out}/{name}.npy", "--views", f"{out}/{name}-views.npy",
                              "--labels", f"{out}/labels.npy", "--json"],
                             capture_output=True, text=True, check=True)
        j = json.loads(res.stdout)
        t = next(iter(j["tensors"].values()))
        m = t["metrics"]
        cells = " | ".join("null" if m.get(k) is None else f"{m[k]:.4g}" for k in cols)
        print(f"| {name} | {cells} | {t['verdict']} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "target/release/ib-analyze")
