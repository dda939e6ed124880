#!/usr/bin/env bash
# Build toy-mt-framework (the CMS paper's own framework, TBB back end) into a scratch folder,
# from the source kept beside the project in ../shared/peers/toy-mt-framework/.
#
#   benchmarks/peers/build_toymt.sh [SCRATCH]     (default: $TOYMT_SCRATCH, else the folder
#                                                  labkit.scheduler.toymt.DEFAULT_BUILD is in,
#                                                  /work/scratch/cms-peer/toymt)
#
# Leaves SCRATCH/build/TBBProcessingDemo/TBBDemo and
# SCRATCH/build/SingleThreadedProcessingDemo/SingleThreadedDemo; prints the TBBDemo path last.
# The build runs under nice (the machine is shared) and takes about 3 minutes on 2 cores.
# Never build inside the repository: the peer's code and binaries are not committed.
# Bad input (a missing prerequisite, a SCRATCH inside the repository): exit 2, one line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
src="${TOYMT_SOURCE:-$repo/../shared/peers/toy-mt-framework}"
scratch="${1:-${TOYMT_SCRATCH:-/work/scratch/cms-peer/toymt}}"

fail() { echo "build_toymt: $*" >&2; exit 2; }

[ $# -le 1 ] || fail "usage: build_toymt.sh [SCRATCH] (got $# arguments)"
[ -f "$src/toy-mt-framework-src.tar.gz" ] || fail "no toy-mt-framework-src.tar.gz in $src"
[ -f "$src/build.patch" ] || fail "no build.patch in $src"
for tool in cmake make g++ patch; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (apt-get install -y cmake g++ make patch)"
done
[ -e /usr/include/oneapi/tbb.h ] || [ -e /usr/include/tbb/tbb.h ] \
  || fail "TBB headers are missing (apt-get install -y libtbb-dev)"
[ -d /usr/include/boost ] || fail "boost headers are missing (apt-get install -y libboost-dev)"
mkdir -p "$scratch" || fail "cannot create $scratch"
scratch="$(cd "$scratch" && pwd)"
case "$scratch/" in "$repo"/*) fail "SCRATCH $scratch is inside the repository" ;; esac

cd "$scratch"
if [ ! -f .unpacked ]; then
  find "$scratch" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  tar -xzf "$src/toy-mt-framework-src.tar.gz" -C "$scratch"
  patch -p1 < "$src/build.patch" >/dev/null
  touch .unpacked
fi
mkdir -p build && cd build
# --no-as-needed: Debian's gcc would drop libTBBTestModules.so, only reached through static
# registration, and every module factory would then return null (see build.patch).
nice -n 10 cmake -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXE_LINKER_FLAGS=-Wl,--no-as-needed .. >cmake.log
nice -n 10 make -j2 TBBDemo SingleThreadedDemo >make.log 2>&1 || { tail -20 make.log >&2; exit 1; }
echo "$scratch/build/TBBProcessingDemo/TBBDemo"
