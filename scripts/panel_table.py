#!/usr/bin/env python3
"""Print the collapse-metric panel (ARCHITECTURE.md §4) of every run and tensor at its last
analysed epoch, with the verdict, as a Markdown table.

Usage: python3 scripts/panel_table.py RUN_DIR [RUN_DIR ...]
Standard library only. docs/metrics.md's calibration tables are made with it.
"""
import json
import sys

METRICS = ["uniformity", "alpha_req", "alpha_req_r2", "lidar", "alignment",
           "intrinsic_dim", "nc1", "effective_rank_centred_ratio"]
HEADER = ["uniformity", "α-ReQ", "R²", "LiDAR", "alignment", "TwoNN", "NC1", "centred rank ratio"]


def cell(v):
    return "null" if v is None else f"{v:.4g}"


def main(dirs):
    print("| seed | run | tensor | N×d | " + " | ".join(HEADER) + " | verdict |")
    print("|---|---|---|---|" + "---|" * len(HEADER) + "---|")
    for d in dirs:
        record = json.load(open(f"{d}/run.json"))
        for run in record["runs"]:
            last = [e for e in run["epochs"] if e["tensors"]][-1]
            for name, t in last["tensors"].items():
                if not t["finite"]:
                    continue
                m = t["metrics"]
                cells = " | ".join(cell(m.get(k)) for k in METRICS)
                verdict = run["verdict"]["tensors"][name]["verdict"]
                print(f"| {run['seed']} | {run['name']} | {name} | {t['n']}×{t['d']} | {cells} | {verdict} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
