"""Wrapped GEMM: an unmodified loop of small products, plain numpy vs under
labkit.smm.wrap, alternating in the same run; prints the median ratio and its spread.

    python benchmarks/bench_smm_wrap.py [--products 100000] [--rounds 7]
"""

import argparse

from labkit.smm.wrap_bench import overhead_breakdown, speedup


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print(overhead_breakdown().to_string(index=False, float_format="%.0f"))
    print()
    for shape in ((5, 5, 5), (8, 8, 8), (13, 5, 7)):
        for op in ("@", "matmul", "dot", "dgemm"):
            r = speedup(*shape, products=args.products, rounds=args.rounds, op=op)
            print(f"{r['shape']:>8} {op:>6}: plain {r['plain_s'] * 1e3:7.1f} ms, wrapped "
                  f"{r['wrapped_s'] * 1e3:7.1f} ms, ratio {r['speedup']:.2f}x "
                  f"(min {r['speedup_min']:.2f}, max {r['speedup_max']:.2f}), identical {r['identical']}")


if __name__ == "__main__":
    main()
