#!/usr/bin/env bash
# Set up the SAM artifact (github.com/weiya711/sam, the paper's own Python simulator) as a
# peer in a scratch folder, with its own venv: its pinned requirements.txt and pytest.
# Its code is never committed to labkit.
#
# usage: benchmarks/peers/sam_artifact_setup.sh [SCRATCH]   (default /work/scratch/sam-artifact)
#   SAM_ARTIFACT_GIT=<a git dir or URL of the artifact>  (default: the fetched mirror, else GitHub)
# Afterwards: $SCRATCH/src is the artifact's tree (the package `sam`), $SCRATCH/venv its venv.
set -euo pipefail
SCRATCH=${1:-/work/scratch/sam-artifact}
SRC=$SCRATCH/src
VENV=$SCRATCH/venv
mkdir -p "$SCRATCH"
if [ ! -f "$SRC/setup.py" ]; then
  GIT=${SAM_ARTIFACT_GIT:-/work/.mirror/weiya711+sam/repo}
  if [ -d "$GIT" ]; then
    mkdir -p "$SRC" && git --git-dir="$GIT" archive HEAD | tar -x -C "$SRC"
    git --git-dir="$GIT" rev-parse HEAD > "$SRC/COMMIT"
  else
    git clone --depth 1 https://github.com/weiya711/sam "$SRC"
    git -C "$SRC" rev-parse HEAD > "$SRC/COMMIT"
  fi
fi
# Three of its final-apps tests cannot run as published; fix the evident typos in the
# scratch copy (bench_sam_artifact.py reports these tests as patched):
#  - tensor3_elemadd reads C's level-1 seg/crd files for C's level 2, and never counts
#    its cycles (its loop lacks `time_cnt += 1`, so it reports 0);
#  - tensor3_innerprod reads the level-1 and level-2 seg files as crd files too;
#  - tensor3_ttv reports statistics of a scanner it never made (fiberlookup_Bj_8).
T=$SRC/sam/sim/test/final-apps
if [ ! -f "$SRC/PATCHED" ]; then
  sed -i 's/C_seg2 = read_inputs(C1_seg_filename)/C_seg2 = read_inputs(C2_seg_filename)/;
          s/C_crd2 = read_inputs(C1_crd_filename)/C_crd2 = read_inputs(C2_crd_filename)/' \
      "$T/test_tensor3_elemadd_FINAL.py"
  sed -i 's/^            fiberwrite_Xvals_0.out_done()$/&\n        time_cnt += 1/' \
      "$T/test_tensor3_elemadd_FINAL.py"
  sed -i -E 's/^(    [BC][12]_crd_filename = .*tensor_[BC]_mode_[12])_seg"/\1_crd"/' \
      "$T/test_tensor3_innerprod_FINAL.py"
  sed -i 's/fiberlookup_Bj_8/fiberlookup_Bk_8/g' "$T/test_tensor3_ttv_FINAL.py"
  echo "tensor3_elemadd tensor3_innerprod tensor3_ttv" > "$SRC/PATCHED"
fi
if [ ! -x "$VENV/bin/python" ]; then
  # its pins (numpy 1.24, scipy 1.10, pandas 1.5) need Python <= 3.11
  PY=$(command -v python3.11 || command -v python3.10 || command -v python3)
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -r "$SRC/requirements.txt"
  "$VENV/bin/pip" install -q -e "$SRC"
fi
"$VENV/bin/python" -c "import sam.sim.src.joiner, pytest; print('SAM artifact ready:', '$SRC', open('$SRC/COMMIT').read().strip())"
