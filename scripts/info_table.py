#!/usr/bin/env python3
"""Print the headline information quantities (pairwise-KL, unit sphere, sigma = 0.2) of the last
epoch of every run in run directories, as a Markdown table. Usage: python3 scripts/info_table.py RUN_DIR...
"""
import json
import sys

print("| seed | run | H(V) | H(V\\|X) | I(X;V) | I(V;V') | H(V\\|V') | gap H(T) − H(V\\|X) |")
print("|---|---|---|---|---|---|---|---|")
for d in sys.argv[1:]:
    r=json.load(open(d+'/run.json'))
    for run in r['runs']:
        e=run['epochs'][-1]
        rows={x['quantity']:x['value'] for x in e['info'] if x['estimator']=='pairwise-kl' and x['space']=='l2' and x['scale']==0.2}
        gap=[l['gap'] for l in e['lagrangian'] if l['estimator']=='pairwise-kl' and l['space']=='l2' and l['scale']==0.2][0]
        f=lambda q: f"{rows[q]:.3f}" if rows.get(q) is not None else "—"
        cells = " | ".join(f(q) for q in ("H(V)", "H(V|X)", "I(X;V)", "I(V;V')", "H(V|V')"))
        print(f"| {run['seed']} | {run['name']} | {cells} | {gap:.3f} |")
