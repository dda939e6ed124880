"""Write labkit/sam/reference/sam_artifact_table1.csv: primitive counts of the SAM artifact's
compiler-generated graphs.

The artifact's repository (github.com/weiya711/sam) holds the DOT graphs its TACO-based
compiler wrote (``compiler/sam-kernels.sh`` -> ``compiler/sam-outputs/dot/*.gv``) only in
its history: commit e84a882 ("New graphs", 2023-11-16, after the asplos23-ae tag, which
has only the hand-written graphs) added them and a revert the same day removed them from
main; a724a56 (same day) still holds them. Usage, with a bare clone of that repository:

    python benchmarks/peers/sam_artifact_table1.py /path/to/sam.git [commit]

The commit defaults to a724a56. The
expression, formats and loop order of each graph are read from the same commit's
``compiler/sam-kernels.sh``.
"""

import re
import subprocess
import sys
from pathlib import Path

from labkit.sam.artifact_table1 import REFERENCE_CSV, count_dot

# artifact graph -> labkit kernel name (DESIGN_EXPRESSIONS, and the six SpM*SpM orders)
GRAPHS = {"mat_vecmul_ij": "SpMV", "matmul_ijk": "SpM*SpM", "matmul_jik": "SpM*SpM",
          "matmul_ikj": "SpM*SpM", "matmul_jki": "SpM*SpM", "matmul_kij": "SpM*SpM",
          "matmul_kji": "SpM*SpM", "mat_sddmm": "SDDMM", "tensor3_innerprod": "InnerProd",
          "tensor3_ttv": "TTV", "tensor3_ttm": "TTM", "tensor3_mttkrp": "MTTKRP",
          "mat_elemadd3": "Plus3", "mat_residual": "Residual", "mat_mattransmul": "MatTransMul",
          "vec_elemadd": "VecElemAdd", "vec_elemmul": "VecElemMul", "mat_elemadd": "MatElemAdd",
          "mat_elemmul": "MatElemMul", "tensor3_elemadd": "TensorElemAdd",
          "tensor3_elemmul": "TensorElemMul"}


def git_show(git_dir, commit, path):
    return subprocess.run(["git", "--git-dir", git_dir, "show", f"{commit}:{path}"],
                          check=True, capture_output=True, text=True).stdout


def taco_args(script):
    """graph name -> its TACO argument string, from sam-kernels.sh's two parallel arrays."""
    names = re.search(r"GEN_KERNEL_NAMES=\((.*?)\)", script, re.S).group(1).split()
    args = re.findall(r'^\s*"(.*)"\s*$', re.search(r"TACO_ARGS=\((.*?)\n\)", script, re.S).group(1),
                      re.M)
    return dict(zip(names, args))


def labkit_setting(args):
    """TACO arguments -> (expression, labkit formats "T:letters;...", loop order)."""
    expr = args.split()[0]
    fmts = [(t, f.replace("s", "c")) for t, f in re.findall(r"-f=(\w+):([sd]+)", args)]
    order = re.search(r"reorder\(([\w,]+)\)", args)
    return expr, ";".join(f"{t}:{f}" for t, f in fmts), order.group(1).replace(",", "") if order else ""


def main(git_dir, commit="a724a56ec0328eed4c2fe366dbf36b952fd1cb1b"):
    script = git_show(git_dir, commit, "compiler/sam-kernels.sh")
    args = taco_args(script)
    lines = [f"# counts of compiler/sam-outputs/dot/<graph>.gv at weiya711/sam {commit}",
             "# (graphs added in e84a882 'New graphs', 2023-11-16),",
             "# by labkit.sam.artifact_table1.count_dot; expr/formats/order from that commit's",
             "# compiler/sam-kernels.sh; written by benchmarks/peers/sam_artifact_table1.py",
             "graph,kernel,expr,formats,order,primitive,count"]
    for graph, kernel in GRAPHS.items():
        expr, fmts, order = labkit_setting(args[graph])
        counts = count_dot(git_show(git_dir, commit, f"compiler/sam-outputs/dot/{graph}.gv"))
        lines += [f'{graph},{kernel},"{expr}",{fmts},{order},{k},{v}' for k, v in counts.items()]
    Path(REFERENCE_CSV).write_text("\n".join(lines) + "\n")
    print(f"wrote {REFERENCE_CSV} ({len(GRAPHS)} graphs)")


if __name__ == "__main__":
    main(*sys.argv[1:])
