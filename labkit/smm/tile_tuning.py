"""Tile tuning, as LIBXSMM's xgemm and transpose samples do with OpenTuner: an autotuner
(optuna's TPE sampler) searches the tile sizes for one problem, timing each candidate on
the real kernel, and the best is stored for the problem's size range
(:mod:`labkit.smm.tiles`), where every later call finds it.

The search starts from the defaults (the first trial), so the stored tiles are never
slower than the defaults on the tuned problem as measured; each trial is the best of
``repeat`` runs (the machine is shared: the minimum is the least disturbed). Cache tiles
are run-time arguments, so trials cost no compilation; micro-tiles other than the default
compile once each (seconds), which is why they are searched only when asked.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from labkit.smm.spec import normalize_dtype, positive_int
from labkit.smm.tiles import GemmTiles, TransposeTiles, save
from labkit.smm.workload import GEMM_FLOP_S, check_runs


@dataclass
class Tuned:
    """What a search found: the best tiles, their time and the defaults' time, the store
    key they were saved under (None when not saved), and every trial (a DataFrame)."""

    kind: str
    tiles: object
    seconds: float
    default_seconds: float
    key: str | None
    trials: object

    def as_dict(self) -> dict:
        return {"kind": self.kind, "tiles": asdict(self.tiles), "seconds": self.seconds,
                "default_seconds": self.default_seconds,
                "speedup_vs_default": self.default_seconds / self.seconds, "key": self.key,
                "trials": len(self.trials)}


def _best_of(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def _search(kind, measure, suggest, defaults, trials, seed, progress) -> tuple:
    """optuna over ``suggest(trial) -> tiles``, the defaults enqueued first."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize",
                                sampler=optuna.samplers.TPESampler(seed=seed))
    study.enqueue_trial(defaults)
    chosen = {}

    def objective(trial):
        tiles = suggest(trial)
        chosen[trial.number] = tiles
        return measure(tiles)

    study.optimize(objective, n_trials=trials, show_progress_bar=progress)
    frame = study.trials_dataframe(attrs=("number", "value", "params"))
    frame.insert(0, "kind", kind)
    return chosen[study.best_trial.number], study.best_value, study.trials[0].value, frame


def tune_gemm(m, n, k, trials: int = 30, threads: int = 1, dtype: str = "float64",
              repeat: int = 3, micro_tiles=((3, 8),), store: bool = True, seed: int = 0,
              progress: bool = True) -> Tuned:
    """Search ``mc``, ``kc``, ``nc`` (and the micro-tile among ``micro_tiles``, pairs of
    ``(vectors, nr)``) for an ``m x n x k`` GEMM on ``threads`` threads."""
    from labkit.smm.streaming import thread_limits
    from labkit.smm.xgemm import check_size, random_operands, xgemm

    (m, n, k), shapes = check_size(m, n, k, dtype=dtype, copies=1)
    dtype = normalize_dtype(dtype)
    trials, repeat = positive_int("trials", trials), positive_int("repeat", repeat)
    check_runs(f"--trials {trials} of a {m}x{n}x{k} GEMM", (trials + 2) * repeat,
               2.0 * m * n * k, flop_s=GEMM_FLOP_S)
    micro = [tuple(pair) for pair in micro_tiles]
    a, b, c = random_operands(shapes, dtype)
    base = GemmTiles()
    defaults = {"micro": f"{base.vectors}x{base.nr}", "mc_strips": base.mc // base.mr(dtype),
                "kc": base.kc, "nc": base.nc}

    def suggest(trial):
        vectors, nr = (int(x) for x in trial.suggest_categorical(
            "micro", sorted({f"{v}x{r}" for v, r in micro} | {defaults["micro"]})).split("x"))
        mr = GemmTiles(vectors=vectors, nr=nr).mr(dtype)
        strips = trial.suggest_int("mc_strips", 1, 16)
        return GemmTiles(vectors=vectors, nr=nr, mc=strips * mr,
                         kc=trial.suggest_int("kc", 32, 512, step=32),
                         nc=trial.suggest_int("nc", 256, 4096, step=256))

    def measure(tiles):
        return _best_of(lambda: xgemm(m, n, k, a, m, b, k, c, m, 1.0, 0.0, threads=threads,
                                      tiles=tiles), repeat)

    with thread_limits(threads):
        for vectors, nr in set(micro) | {(base.vectors, base.nr)}:     # compile outside timing
            first = GemmTiles(vectors=vectors, nr=nr, mc=GemmTiles(vectors=vectors).mr(dtype))
            xgemm(m, n, k, a, m, b, k, c, m, threads=threads, tiles=first.checked(dtype))
        tiles, best, default, frame = _search("gemm", measure, suggest, defaults, trials, seed, progress)
    key = save("gemm", dtype, threads, (m, n, k), tiles, best) if store else None
    return Tuned("gemm", tiles, best, default, key, frame)
def tune_transpose(m, n, trials: int = 20, threads: int = 1, dtype: str = "float64",
                   repeat: int = 3, store: bool = True, seed: int = 0,
                   progress: bool = True) -> Tuned:
    """Search the out-of-place transpose's block rows and columns for an ``m x n`` matrix."""
    from labkit.smm.streaming import thread_limits
    from labkit.smm.transpose import check_size, transpose

    m, n = check_size(m, n, dtype=dtype)
    dtype = normalize_dtype(dtype)
    trials, repeat = positive_int("trials", trials), positive_int("repeat", repeat)
    check_runs(f"--trials {trials} of a {m}x{n} transpose", (trials + 2) * repeat,
               nbytes=2 * m * n * np.dtype(dtype).itemsize)
    rng = np.random.default_rng(0)
    a = rng.standard_normal(m * n).astype(dtype)
    out = np.empty(m * n, dtype=dtype)
    base = TransposeTiles()

    def suggest(trial):
        return TransposeTiles(rows=8 * trial.suggest_int("rows_w", 1, 32),
                              cols=8 * trial.suggest_int("cols_w", 1, 64))

    def measure(tiles):
        return _best_of(lambda: transpose(a, m, n, out=out, threads=threads, tiles=tiles), repeat)

    with thread_limits(threads):
        transpose(a, m, n, out=out, threads=threads, tiles=base)
        tiles, best, default, frame = _search("transpose", measure, suggest,
                                              {"rows_w": base.rows // 8, "cols_w": base.cols // 8},
                                              trials, seed, progress)
    key = save("transpose", dtype, threads, (m, n), tiles, best) if store else None
    return Tuned("transpose", tiles, best, default, key, frame)

