#!/usr/bin/env python3
"""Print the last-epoch signals of every run and tensor in a run directory as a Markdown table.

Usage: python3 scripts/verdict_table.py RUN_DIR [RUN_DIR ...]
Standard library only. The README's calibration tables are made with it.
"""
import json
import sys

METRICS = ["normalised_std_l2", "effective_rank", "angular_spread",
           "effective_rank_centred_ratio", "effective_rank_ratio"]

def main(dirs):
    print("| seed | run | tensor | √d·std_l2 | effective rank | angular spread | centred rank ratio | raw rank ratio | kNN acc. (run) | verdict |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for d in dirs:
        record = json.load(open(f"{d}/run.json"))
        for run in record["runs"]:
            last = [e for e in run["epochs"] if e["tensors"]][-1]
            knn = last.get("knn_accuracy")
            for name, t in last["tensors"].items():
                if not t["finite"]:
                    continue
                m = t["metrics"]
                cells = " | ".join(f"{m[k]:.4g}" for k in METRICS)
                knn_cell = f"{knn:.3f}" if knn is not None else ""
                verdict = run["verdict"]["tensors"][name]["verdict"]
                print(f"| {run['seed']} | {run['name']} | {name} | {cells} | {knn_cell} | {verdict} |")

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
