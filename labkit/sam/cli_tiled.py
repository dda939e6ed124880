"""``labkit sam tiled``: one point of the tiled SpM*SpM memory-model study (Fig. 15).

Kept apart from :mod:`labkit.sam.cli` (which registers it) so the two evolve separately.
"""

from __future__ import annotations


def cmd_tiled(args):
    from labkit.sam.extensor import run_point
    from labkit.sam.memory import MemoryModel

    model = MemoryModel(glb_tile=args.glb_tile, mem_tile=args.mem_tile)   # validates first
    return run_point(args.dim, args.nnz, model, args.seed)


def register_tiled(sub) -> None:
    p = sub.add_parser("tiled", help="tiled ikj SpM*SpM under the memory model (Fig. 15 point)")
    p.add_argument("--dim", type=int, required=True, help="matrix dimension (square)")
    p.add_argument("--nnz", type=int, required=True, help="nonzeros of each operand")
    p.add_argument("--glb-tile", type=int, default=16, help="memory tiles per GLB tile side")
    p.add_argument("--mem-tile", type=int, default=128, help="coordinates per memory tile side")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=cmd_tiled)
