"""Run the built toy-mt-framework (TBBDemo) on a configuration scaled as the comparisons
scale it, and print its numbers.

    python benchmarks/peers/run_toymt.py CONFIG [--scale 0.05] [--inflight N] [--events N]
        [--threads N] [--safety as-config|reentrant|one-at-a-time|unsafe] [--realtime] [--json]

``events_per_s`` is the peer's own number: events / wall time of the whole run (makespan).
Build the peer first with ``benchmarks/peers/build_toymt.sh``. Bad input (a missing peer,
a configuration labkit refuses, a bad argument): exit 2, one line on stderr.
"""

from __future__ import annotations

import json
import sys

from labkit.lab.argtypes import Parser, positive_int, positive_number
from labkit.lab.errors import InputError
from labkit.scheduler import toymt


def main(argv=None) -> int:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--scale", type=positive_number, default=0.05)
    parser.add_argument("--inflight", type=positive_int, default=1)
    parser.add_argument("--events", type=positive_int, default=20)
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="options.nThreads (default: the peer's, one per core)")
    parser.add_argument("--safety", choices=list(toymt.THREAD_TYPE_FOR), default="as-config")
    parser.add_argument("--realtime", action="store_true",
                        help="run the peer under SCHED_FIFO (chrt -f 10): takes the machine's "
                             "load out of its wake-ups; short runs only")
    parser.add_argument("--json", action="store_true")
    try:
        args = parser.parse_args(argv)
        config = toymt.peer_config(toymt.read_raw(args.config), scale=args.scale,
                                   inflight=args.inflight, events=args.events,
                                   threads=args.threads, safety=args.safety)
        if toymt.find_peer() is None:
            raise InputError(toymt.BUILD_HINT)
        result = toymt.run_peer(config, realtime=args.realtime)
    except InputError as exc:
        print(f"run_toymt: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        print(" ".join(f"{key}={value}" for key, value in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
