"""``labkit reproduce``: run every notebook and gather one scorecard."""

from __future__ import annotations

import json
from pathlib import Path

from labkit.lab import notebooks
from labkit.lab.profiles import check_profile
from labkit.lab.runner import run_notebook
from labkit.lab.scorecard import COLUMNS, VERDICTS


def scorecard_frame(runs) -> "pd.DataFrame":
    """One row per claim checked over all runs (tidy: claim columns of COLUMNS)."""
    import pandas as pd

    rows = [row for run in runs for row in run.claims]
    return pd.DataFrame(rows, columns=COLUMNS)


def reproduce(*, profile: str = "paper", out_dir: str | Path = "reports", names=None,
              progress: bool = True, compare_with: str | Path | None = None) -> dict:
    """Run the notebooks (all by default); write ``scorecard.json``/``.csv`` and
    ``index.html`` in ``out_dir``.

    Returns ``{"profile", "ok", "claims", "notebooks", "machine", "index"}`` (plus
    ``"changes"`` against ``compare_with``); ``ok`` is True when every notebook ran (a
    claim that does not hold is a result, not a failure).
    """
    from tqdm.auto import tqdm

    from labkit.lab import compare, index_page, machine

    check_profile(profile)
    if compare_with is not None:
        compare._load_scorecard(Path(compare_with))  # refuse a bad folder before running
    paths = [notebooks.resolve(n) for n in names] if names else notebooks.list_notebooks()
    out = Path(out_dir)
    runs = []
    bar = tqdm(paths, desc=f"reproduce ({profile})", unit="notebook", disable=not progress)
    for path in bar:
        bar.set_postfix_str(path.stem)
        runs.append(run_notebook(path, profile=profile, out_dir=out))
    frame = scorecard_frame(runs)
    summary = {
        "profile": profile,
        "ok": all(r.ok for r in runs),
        "claims": json.loads(frame.to_json(orient="records")),
        "notebooks": [{"notebook": r.notebook, "ok": r.ok, "error": r.error,
                       "duration_s": r.duration_s, "html": r.html} for r in runs],
    }
    summary["machine"] = machine.describe()
    out.mkdir(parents=True, exist_ok=True)
    (out / "scorecard.json").write_text(json.dumps(summary, indent=2))
    frame.to_csv(out / "scorecard.csv", index=False)
    changes = compare.compare_runs(compare_with, out) if compare_with is not None else None
    if changes is not None:
        summary["changes"] = changes
    summary["index"] = str(index_page.write_index(out, summary, summary["machine"], changes))
    return summary


def load_last(out_dir: str | Path = "reports") -> dict | None:
    """The scorecard of the last ``reproduce`` into ``out_dir``, if any."""
    path = Path(out_dir) / "scorecard.json"
    return json.loads(path.read_text()) if path.is_file() else None


def format_table(summary: dict) -> str:
    """The scorecard as a fixed-width text table."""
    import pandas as pd

    frame = pd.DataFrame(summary["claims"], columns=COLUMNS)
    lines = []
    if len(frame):
        shown = frame[["id", "paper", "measured", "tolerance", "ok", "synthetic"]].copy()
        verdicts = [c["ok"] for c in summary["claims"]]
        shown["ok"] = [VERDICTS[ok] for ok in verdicts]
        lines.append(shown.to_string(index=False))
        held = sum(ok is True for ok in verdicts)
        not_run = sum(ok is None for ok in verdicts)
        skipped = f"; {not_run} not run (a peer absent)" if not_run else ""
        lines.append(f"\n{held} of {len(frame)} claims hold{skipped} ({summary['profile']} profile)")
    else:
        lines.append(f"no claims checked ({summary['profile']} profile)")
    for nb in summary["notebooks"]:
        if not nb["ok"]:
            lines.append(f"FAILED {nb['notebook']}: {nb['error']}")
    if "changes" in summary:
        from labkit.lab.compare import format_changes

        lines.append(format_changes(summary["changes"]))
    return "\n".join(lines)
