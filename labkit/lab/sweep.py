"""Parameter sweeps: papermill runs of a grid, executed on Dask.

A local ``distributed.LocalCluster`` by default, any scheduler address otherwise. Every
run's results (its parameters, ``ok``/``error``, duration and recorded scalars) become one
row of a tidy DataFrame, saved as CSV and parquet beside the executed notebooks. A failing
run is a row with ``ok=False``; it never stops the others.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

from labkit.lab import notebooks
from labkit.lab.errors import InputError
from labkit.lab.profiles import check_profile
from labkit.lab.runner import check_parameters, run_notebook, run_tag


def expand_grid(grid: dict[str, list]) -> list[dict]:
    """The cartesian product of ``{key: values}`` as a list of parameter dicts."""
    if not grid:
        raise InputError("a sweep needs at least one -p KEY=V1,V2,...")
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


def _run_point(notebook: str, profile: str, params: dict, out_dir: str) -> dict:
    """One grid point, on a worker; never raises (a failure is a row)."""
    try:
        result = run_notebook(notebook, profile=profile, parameters=params, out_dir=out_dir,
                              tag=run_tag(params))
        row = {**params, "ok": result.ok, "error": result.error,
               "duration_s": result.duration_s, "executed": result.executed}
        row.update(result.records)
        row["claims_held"] = sum(bool(c["ok"]) for c in result.claims)
        row["claims_checked"] = len(result.claims)
        return row
    except Exception as exc:
        return {**params, "ok": False, "error": f"{type(exc).__name__}: {exc}"}


def connect(scheduler: str | None, workers: int = 2):
    """A dask Client: on ``scheduler`` (an address) or on a new local cluster."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout="5s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"cannot reach Dask scheduler at {scheduler!r}: {exc}") from None
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster)


def run_sweep(notebook: str, grid: dict[str, list], *, profile: str = "quick",
              out_dir: str | Path = "reports", scheduler: str | None = None,
              workers: int = 2, client=None, progress: bool = True):
    """Run ``notebook`` at every point of ``grid``; return the tidy DataFrame of runs."""
    import pandas as pd
    from distributed import as_completed
    from tqdm.auto import tqdm

    path = notebooks.resolve(notebook)
    check_profile(profile)
    points = expand_grid(grid)
    check_parameters(path, {**points[0], "profile": profile})
    out = Path(out_dir) / f"sweep-{path.stem}"
    out.mkdir(parents=True, exist_ok=True)
    own_client = client is None
    client = client or connect(scheduler, workers)
    try:
        futures = [client.submit(_run_point, str(path), profile, p, str(out.resolve()), pure=False)
                   for p in points]
        rows = []
        for future in tqdm(as_completed(futures), total=len(futures), desc=f"sweep {path.stem}",
                           unit="run", disable=not progress):
            rows.append(future.result())
    finally:
        if own_client:
            cluster = client.cluster
            client.close()
            if cluster is not None:
                cluster.close()
    order = {run_tag(p): i for i, p in enumerate(points)}
    rows.sort(key=lambda r: order.get(run_tag({k: r[k] for k in grid}), 0))
    frame = pd.DataFrame(rows)
    frame.to_csv(out / "sweep.csv", index=False)
    try:
        frame.to_parquet(out / "sweep.parquet", index=False)
    except (ImportError, ValueError, TypeError):
        pass  # mixed-type columns: the CSV still holds every row
    return frame
