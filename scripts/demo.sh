#!/usr/bin/env bash
# The main job, end to end, in the lab (no packet leaves this machine):
# install, bring the lab up, write a Tranco-format list of lab names, collect a
# labelled dataset version, evaluate it against Nmap's labels and the lab's
# ground truth, show it. Run as root on Debian 12 / Ubuntu.
#   sudo scripts/demo.sh                 # 1000 targets, dataset "lab-tranco"
#   COUNT=200 DATA_DIR=/tmp/osfp-demo sudo -E scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT="${COUNT:-1000}"
DATA_DIR="${DATA_DIR:-./osfp-data}"
# The targets list goes into the data directory (ignored by git), not into the clone.
TARGETS="${TARGETS:-$DATA_DIR/lab-tranco.csv}"
DATASET="$(basename "$TARGETS")"
DATASET="${DATASET%.*}"
# The lab's name prefix; OSFP_LAB_PREFIX picks another lab (default "osfp").
LAB_ARGS=()
if [ -n "${OSFP_LAB_PREFIX:-}" ]; then LAB_ARGS=(--prefix "$OSFP_LAB_PREFIX"); fi

if [ "$(id -u)" -ne 0 ]; then
  echo "demo.sh: run as root (sudo scripts/demo.sh): the lab creates network namespaces" >&2
  exit 1
fi

echo "== setup"
scripts/setup.sh

echo "== lab up"
pnpm -s lab up "${LAB_ARGS[@]}"

echo "== $COUNT lab targets (Tranco format) -> $TARGETS"
mkdir -p "$(dirname "$TARGETS")"
pnpm -s lab targets --count "$COUNT" --format tranco --out "$TARGETS"

echo "== collect (inside the lab's scanner namespace, embedded Redis, local workers)"
pnpm -s collect --lab ${OSFP_LAB_PREFIX:+"$OSFP_LAB_PREFIX"} --targets "$TARGETS" --data-dir "$DATA_DIR"

echo "== what each lab address truly runs -> $DATA_DIR/lab-truth.csv"
pnpm -s lab truth "${LAB_ARGS[@]}" --out "$DATA_DIR/lab-truth.csv"

echo "== evaluate: models, p0f's database and one learned from the training split, vs Nmap and vs the truth"
# The full report is stored beside the version (evaluation/report.md); the summary is in "dataset show" below.
pnpm -s osfp dataset evaluate "$DATASET" --truth "$DATA_DIR/lab-truth.csv" --data-dir "$DATA_DIR" >/dev/null

echo "== the new version"
pnpm -s osfp dataset show "$DATASET" --data-dir "$DATA_DIR"
