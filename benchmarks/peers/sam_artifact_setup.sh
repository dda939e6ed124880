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
if [ ! -x "$VENV/bin/python" ]; then
  # its pins (numpy 1.24, scipy 1.10, pandas 1.5) need Python <= 3.11
  PY=$(command -v python3.11 || command -v python3.10 || command -v python3)
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -r "$SRC/requirements.txt"
  "$VENV/bin/pip" install -q -e "$SRC"
fi
"$VENV/bin/python" -c "import sam.sim.src.joiner, pytest; print('SAM artifact ready:', '$SRC', open('$SRC/COMMIT').read().strip())"
