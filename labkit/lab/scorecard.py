"""The scorecard a notebook fills: the claims it checked and the numbers it recorded.

A notebook ends with ``card.publish()``, which displays the table for the reader and, in
the same output, a machine-readable bundle (mimetype :data:`MIMETYPE`). The runner reads
that bundle back from the executed notebook, so results travel with the notebook itself
and need no side channel (papermill, nbval and Dask workers all see the same thing).
"""

from __future__ import annotations

import math
import numbers

from labkit.lab.claims import get_claim

MIMETYPE = "application/vnd.labkit.results+json"
VERDICTS = {True: "holds", False: "DOES NOT HOLD", None: "not run"}
COLUMNS = ["id", "area", "claim", "paper", "measured", "tolerance", "ok", "synthetic",
           "note", "notebook"]


def _plain(value):
    """JSON-safe python scalars (numpy scalars and NaN included)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return None if math.isnan(value) else value
    return str(value)


class Scorecard:
    """Collects claim checks and scalar records for one notebook run.

    ``synthetic=True`` marks every row as computed on a stand-in data set (the real one
    was not found); a single check can override it.
    """

    def __init__(self, notebook: str, *, synthetic: bool = False):
        self.notebook = notebook
        self.synthetic = synthetic
        self.rows: list[dict] = []
        self.records: dict[str, object] = {}

    def check(self, claim_id: str, measured, *, synthetic: bool | None = None,
              note: str = "") -> dict:
        """Judge ``measured`` against the published claim ``claim_id`` and keep the row."""
        claim = get_claim(claim_id)
        measured = _plain(measured)
        row = {
            "id": claim.id, "area": claim.area, "claim": claim.text,
            "paper": _plain(claim.paper), "measured": measured,
            "tolerance": claim.tolerance_text(), "ok": bool(claim.judge(measured)),
            "synthetic": self.synthetic if synthetic is None else bool(synthetic),
            "note": note, "notebook": self.notebook,
        }
        self.rows = [r for r in self.rows if r["id"] != claim.id] + [row]
        return row

    def not_run(self, claim_id: str, why: str) -> dict:
        """Keep a row for a claim that could not be checked in this run (``ok`` is None).

        For a comparison with a real system that is not present here (a peer not built):
        the row says so in ``why`` instead of passing or failing a check that never ran.
        """
        if not why:
            raise ValueError(f"claim {claim_id}: not_run needs the reason")
        claim = get_claim(claim_id)
        row = {
            "id": claim.id, "area": claim.area, "claim": claim.text,
            "paper": _plain(claim.paper), "measured": None,
            "tolerance": claim.tolerance_text(), "ok": None,
            "synthetic": self.synthetic, "note": f"not run: {why}", "notebook": self.notebook,
        }
        self.rows = [r for r in self.rows if r["id"] != claim.id] + [row]
        return row

    def record(self, name: str, value) -> None:
        """Keep a scalar result (sweeps gather these into one DataFrame)."""
        self.records[name] = _plain(value)

    def frame(self):
        import pandas as pd

        return pd.DataFrame(self.rows, columns=COLUMNS)

    def payload(self) -> dict:
        return {"notebook": self.notebook, "claims": list(self.rows),
                "records": dict(self.records)}

    def publish(self):
        """Display the scorecard and the machine-readable bundle the runner reads."""
        from IPython.display import display

        frame = self.frame()
        shown = frame.drop(columns=["notebook"])
        html = shown.to_html(index=False) if len(frame) else "<p>(no claims checked)</p>"
        if self.records:
            import pandas as pd

            rec = pd.DataFrame({"name": list(self.records), "value": list(self.records.values())})
            html += rec.to_html(index=False)
        display({MIMETYPE: self.payload(), "text/html": html,
                 "text/plain": shown.to_string(index=False)}, raw=True)
        return frame


def collect(notebook_json: dict) -> dict:
    """Merge every results bundle found in an executed notebook's outputs."""
    claims, records = {}, {}
    for cell in notebook_json.get("cells", []):
        for output in cell.get("outputs", []):
            bundle = output.get("data", {}).get(MIMETYPE)
            if bundle:
                for row in bundle.get("claims", []):
                    claims[row["id"]] = row
                records.update(bundle.get("records", {}))
    return {"claims": list(claims.values()), "records": records}
