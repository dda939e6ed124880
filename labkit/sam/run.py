"""One call from an expression to a checked simulation: compile, bind, simulate, gold."""

from __future__ import annotations

from dataclasses import dataclass

from labkit.sam.custard import Program, compile_expr
from labkit.sam.gold import gold, matches
from labkit.sam.simulate import Simulation, simulate


@dataclass
class RunResult:
    program: Program
    sim: Simulation
    matches_gold: bool | None

    @property
    def output(self):
        return self.sim.output

    def summary(self) -> dict:
        """The ``labkit sam run --json`` object."""
        out = self.sim.output
        nnz = 1 if isinstance(out, float) else int(len(out.to_coo()[1]))
        return {"cycles": int(self.sim.cycles), "wall_s": float(self.sim.wall_s),
                "result_nnz": nnz, "matches_gold": self.matches_gold,
                "primitive_counts": self.program.graph.counts(),
                "tokens": self.sim.token_counts()}


def run_expression(expr: str, tensors: dict, formats: dict | None = None, order=None, *,
                   mode: str = "cycle", check: bool = True, out_format: str | None = None,
                   locate: bool = False, skip: bool = False) -> RunResult:
    """Compile ``expr``, simulate it on ``tensors`` and compare with the gold result."""
    program = compile_expr(expr, formats, order, out_format=out_format, locate=locate, skip=skip)
    sim = simulate(program, tensors, mode)
    ok = matches(sim.output, gold(expr, tensors)) if check else None
    return RunResult(program, sim, ok)
