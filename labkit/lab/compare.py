"""What changed between two reproduction runs: claims and figures.

A claim changed when its measured value or verdict differs; a figure changed when the
data behind a chart (its Vega-Lite spec) differs, which is robust to PNG rasterisation.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from labkit.lab.charts import VEGALITE_MIME
from labkit.lab.errors import InputError


def _load_scorecard(folder: Path) -> dict:
    if not folder.is_dir():
        raise InputError(f"cannot compare with {folder}: no such folder")
    path = folder / "scorecard.json"
    if not path.is_file():
        raise InputError(f"no scorecard.json in {folder}: not a `labkit reproduce` output folder")
    return json.loads(path.read_text())


def chart_fingerprints(folder: Path) -> dict[tuple[str, int], str]:
    """``(notebook, chart number) -> hash of its spec`` over a folder's executed notebooks."""
    prints = {}
    for nb_path in sorted(folder.glob("*.ipynb")):
        nb = json.loads(nb_path.read_text())
        n = 0
        for cell in nb.get("cells", []):
            for output in cell.get("outputs", []):
                spec = output.get("data", {}).get(VEGALITE_MIME)
                if spec is not None:
                    blob = json.dumps(spec, sort_keys=True).encode()
                    prints[(nb_path.stem, n)] = hashlib.sha256(blob).hexdigest()[:16]
                    n += 1
    return prints


def compare_runs(old_dir: str | Path, new_dir: str | Path) -> dict:
    """``{"claims": [...], "figures": [...]}``: only what changed, appeared or vanished."""
    old_dir, new_dir = Path(old_dir), Path(new_dir)
    old = {c["id"]: c for c in _load_scorecard(old_dir)["claims"]}
    new = {c["id"]: c for c in _load_scorecard(new_dir)["claims"]}
    claims = []
    for cid in sorted(old.keys() | new.keys()):
        a, b = old.get(cid), new.get(cid)
        if a is None or b is None:
            change = "new" if a is None else "removed"
        elif a["ok"] != b["ok"]:
            change = {True: "now holds", False: "no longer holds", None: "not run now"}[b["ok"]]
        elif a["measured"] != b["measured"]:
            change = "value changed"
        else:
            continue
        claims.append({"id": cid, "change": change,
                       "old_measured": a and a["measured"], "new_measured": b and b["measured"],
                       "old_ok": a and a["ok"], "new_ok": b and b["ok"]})
    before, after = chart_fingerprints(old_dir), chart_fingerprints(new_dir)
    figures = []
    for key in sorted(before.keys() | after.keys()):
        if before.get(key) != after.get(key):
            change = ("new" if key not in before else "removed" if key not in after
                      else "data changed")
            figures.append({"notebook": key[0], "chart": key[1], "change": change})
    return {"old": str(old_dir), "new": str(new_dir), "claims": claims, "figures": figures}


def format_changes(changes: dict) -> str:
    lines = [f"changes from {changes['old']} to {changes['new']}:"]
    for c in changes["claims"]:
        lines.append(f"  claim {c['id']}: {c['change']} ({c['old_measured']} -> {c['new_measured']})")
    for f in changes["figures"]:
        lines.append(f"  figure {f['notebook']} #{f['chart']}: {f['change']}")
    if len(lines) == 1:
        lines.append("  nothing changed")
    return "\n".join(lines)
