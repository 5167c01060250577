#!/usr/bin/env bash
# Training-speed comparison on the ARCHITECTURE.md §7 workload, one thread each: the candle
# benchmark (benches/bench_train.rs) and the PyTorch reference (scripts/bench_train_torch.py), run
# alternately ROUNDS times so machine noise hits both, then the ratio of the medians.
# Not part of CI (needs PyTorch). Usage:
#   PYTHON=/path/to/python-with-torch scripts/bench_train.sh [STEPS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS="${1:-300}"
ROUNDS="${2:-3}"
PYTHON="${PYTHON:-python3}"
export RAYON_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# The bench binary's path, built once (cargo prints it as the executable of the bench target).
BIN="$(cargo bench --quiet --bench bench_train --no-run --message-format=json \
  | "$PYTHON" -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "bench_train" and m.get("executable"):
        print(m["executable"])')"
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
for round in $(seq "$ROUNDS"); do
  "$BIN" --steps "$STEPS" | tee -a "$OUT"
  "$PYTHON" scripts/bench_train_torch.py --steps "$STEPS" --threads 1 | tee -a "$OUT"
done
"$PYTHON" - "$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
by = {}
for r in rows:
    by.setdefault(r["impl"], []).append(r["steps_per_s"])
med = {k: statistics.median(v) for k, v in by.items()}
for k, v in by.items():
    print(f"{k:8s} steps/s: " + " ".join(f"{x:.0f}" for x in v) + f"  (median {med[k]:.0f})")
if "candle" in med and "pytorch" in med:
    # Each round ran candle then PyTorch back to back: the per-round ratio cancels slow drifts
    # of the machine's load.
    paired = [c / p for c, p in zip(by["candle"], by["pytorch"])]
    print("ratio candle/pytorch per round: " + " ".join(f"{r:.2f}" for r in paired))
    print(f"ratio candle/pytorch: {statistics.median(paired):.2f} (median of rounds), "
          f"{med['candle'] / med['pytorch']:.2f} (ratio of medians)")
PY
