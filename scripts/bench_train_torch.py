#!/usr/bin/env python3
"""PyTorch reference for the training benchmark (ARCHITECTURE.md §7), out of CI.

The same workload as `cargo bench --bench bench_train`: synthetic content/style data
4096 x 64 (content 8-d = 2*prototype(class of 10) + N(0, 0.5^2), style 24-d ~ N(0, 2^2), fixed
random orthonormal mixing to 64-d), augmentation style += N(0, 1.5^2) and input noise
N(0, 0.05^2); encoder 64-256-128 (Linear+BN+ReLU x2), projector 128-128(BN,ReLU)-64(BN),
predictor 64-16(BN,ReLU)-64; symmetric negative cosine with stop-gradient; SGD momentum 0.9,
lr 0.1, weight decay 5e-4, batch 256; one thread; 20 warm-up steps, then --steps timed steps.
Augmentation is part of the timed step, as in the candle benchmark.

Prints one JSON line: {"impl": "pytorch", "steps_per_s": ..., "ms_per_step": ..., ...}.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

N, D, C, S, K = 4096, 64, 8, 24, 10
BATCH, WARMUP = 256, 20


def make_data(g):
    mixing, _ = torch.linalg.qr(torch.randn(D, C + S, generator=g, dtype=torch.float64))
    protos = torch.randn(K, C, generator=g, dtype=torch.float64)
    protos = protos / protos.norm(dim=1, keepdim=True)
    y = torch.randint(0, K, (N,), generator=g)
    content = 2 * protos[y] + 0.5 * torch.randn(N, C, generator=g, dtype=torch.float64)
    style = 2 * torch.randn(N, S, generator=g, dtype=torch.float64)
    x = torch.cat([content, style], dim=1) @ mixing.T
    basis = mixing[:, C:].T.contiguous()  # S x D
    return x.float(), basis.float()


def bn(d):
    # Batch statistics only, as the candle layers (no running statistics).
    return nn.BatchNorm1d(d, eps=1e-5, track_running_stats=False)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(D, 256), bn(256), nn.ReLU(), nn.Linear(256, 128), bn(128), nn.ReLU()
        )
        self.projector = nn.Sequential(
            nn.Linear(128, 128), bn(128), nn.ReLU(), nn.Linear(128, 64), bn(64)
        )
        self.predictor = nn.Sequential(nn.Linear(64, 16), bn(16), nn.ReLU(), nn.Linear(16, 64))

    def forward(self, x):
        z = self.projector(self.encoder(x))
        return z, self.predictor(z)


def neg_cos(p, z):
    return -(F.normalize(p, dim=1, eps=1e-12) * F.normalize(z, dim=1, eps=1e-12)).sum(1).mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    x_train, basis = make_data(g)
    net = Net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    order, cursor = torch.randperm(N, generator=g), 0
    loss = torch.tensor(float("nan"))

    def augment(x):
        shift = 1.5 * torch.randn(x.shape[0], S, generator=g)
        return x + shift @ basis + 0.05 * torch.randn(x.shape, generator=g)

    def run(n):
        nonlocal order, cursor, loss
        for _ in range(n):
            if cursor + BATCH > N:
                order, cursor = torch.randperm(N, generator=g), 0
            x = x_train[order[cursor : cursor + BATCH]]
            cursor += BATCH
            x1, x2 = augment(x), augment(x)
            z1, p1 = net(x1)
            z2, p2 = net(x2)
            loss = 0.5 * neg_cos(p1, z2.detach()) + 0.5 * neg_cos(p2, z1.detach())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return loss.item()

    run(WARMUP)
    t0 = time.perf_counter()
    final = run(args.steps)
    secs = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "impl": "pytorch",
                "steps_per_s": args.steps / secs,
                "ms_per_step": 1e3 * secs / args.steps,
                "threads": torch.get_num_threads(),
                "steps": args.steps,
                "batch": BATCH,
                "final_loss": final,
                "torch": torch.__version__,
                "mkl": torch.backends.mkl.is_available(),
            }
        )
    )


if __name__ == "__main__":
    main()
