"""``reports/index.html``: the whole reproduction on one page.

The scorecard (each row linking to the executed notebook's HTML), the key chart of each
area, per-notebook timings and status, the machine, and optionally what changed since an
earlier run. Self-contained: charts are embedded PNGs, so the page opens from disk.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

KEY_CHART = "labkit_key_chart"  # output metadata flag set by labkit.lab.charts.key_chart

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3} .ok{color:#2a9d5c;font-weight:600} .bad{color:#c0392b;font-weight:600}
.synthetic{color:#8c6d31} figure{display:inline-block;margin:0 1em 1em 0}
figure img{max-width:560px;border:1px solid #eee} figcaption{font-size:13px;color:#555}
"""


def _area_of(nb: dict, stem: str, claims: list[dict]) -> str:
    area = nb.get("metadata", {}).get("labkit", {}).get("area")
    if area:
        return area
    for c in claims:
        if c["notebook"] == stem:
            return c["area"]
    return "lab"


def key_charts(out_dir: Path, summary: dict) -> dict[str, tuple[str, str]]:
    """``area -> (notebook, base64 PNG)``: a flagged key chart, else the area's first chart."""
    flagged, first = {}, {}
    for run in summary["notebooks"]:
        path = out_dir / f"{run['notebook']}.ipynb"
        if not path.is_file():
            continue
        nb = json.loads(path.read_text())
        area = _area_of(nb, run["notebook"], summary["claims"])
        for cell in nb.get("cells", []):
            for output in cell.get("outputs", []):
                png = output.get("data", {}).get("image/png")
                if not png:
                    continue
                if output.get("metadata", {}).get(KEY_CHART) and area not in flagged:
                    flagged[area] = (run["notebook"], png)
                first.setdefault(area, (run["notebook"], png))
    return {**first, **flagged}


def _value(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else escape(str(v))


def render(out_dir: str | Path, summary: dict, machine: dict, changes: dict | None = None) -> str:
    out_dir = Path(out_dir)
    html_of = {r["notebook"]: Path(r["html"]).name for r in summary["notebooks"] if r.get("html")}
    held = sum(1 for c in summary["claims"] if c["ok"] is True)
    not_run = sum(1 for c in summary["claims"] if c["ok"] is None)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>labkit reproduction</title>"
             f"<style>{STYLE}</style></head><body>",
             f"<h1>labkit reproduction ({escape(summary['profile'])} profile)</h1>",
             f"<p id='summary'>{held} of {len(summary['claims'])} claims hold; "
             + (f"{not_run} not run (a peer absent); " if not_run else "") +
             f"{sum(r['ok'] for r in summary['notebooks'])} of {len(summary['notebooks'])} "
             "notebooks ran.</p>", "<h2>Scorecard</h2>",
             "<table id='scorecard'><tr><th>claim</th><th>area</th><th>published</th>"
             "<th>measured</th><th>tolerance</th><th>holds</th><th>data</th><th>notebook</th></tr>"]
    for c in summary["claims"]:
        link = html_of.get(c["notebook"])
        nb_cell = (f"<a href='{escape(link)}'>{escape(c['notebook'])}</a>" if link
                   else escape(c["notebook"]))
        verdict = {True: "<span class='ok'>holds</span>", False: "<span class='bad'>does not hold</span>",
                   None: "<span class='synthetic'>not run</span>"}[c["ok"]]
        data = "<span class='synthetic'>synthetic</span>" if c["synthetic"] else "real"
        note = f"<br><small>{escape(c['note'])}</small>" if c.get("note") else ""
        parts.append(f"<tr><td><b>{escape(c['id'])}</b><br>{escape(c['claim'])}{note}</td>"
                     f"<td>{escape(c['area'])}</td><td>{_value(c['paper'])}</td>"
                     f"<td>{_value(c['measured'])}</td><td>{escape(c['tolerance'])}</td>"
                     f"<td>{verdict}</td><td>{data}</td><td>{nb_cell}</td></tr>")
    parts.append("</table><h2>Key charts</h2><div id='charts'>")
    for area, (stem, png) in sorted(key_charts(out_dir, summary).items()):
        parts.append(f"<figure><img alt='{escape(area)} key chart' src='data:image/png;base64,{png}'>"
                     f"<figcaption>{escape(area)}: {escape(stem)}</figcaption></figure>")
    parts.append("</div><h2>Notebooks</h2><table id='notebooks'><tr><th>notebook</th>"
                 "<th>status</th><th>seconds</th></tr>")
    for r in summary["notebooks"]:
        link = html_of.get(r["notebook"])
        name = f"<a href='{escape(link)}'>{escape(r['notebook'])}</a>" if link else escape(r["notebook"])
        status = "<span class='ok'>ok</span>" if r["ok"] else f"<span class='bad'>{escape(r['error'] or 'failed')}</span>"
        parts.append(f"<tr><td>{name}</td><td>{status}</td><td>{r['duration_s']:.1f}</td></tr>")
    parts.append("</table>")
    if changes is not None:
        parts.append(f"<h2>Changes since {escape(changes['old'])}</h2><ul id='changes'>")
        for c in changes["claims"]:
            parts.append(f"<li>claim {escape(c['id'])}: {escape(c['change'])} "
                         f"({_value(c['old_measured'])} → {_value(c['new_measured'])})</li>")
        for f in changes["figures"]:
            parts.append(f"<li>figure {escape(f['notebook'])} #{f['chart']}: {escape(f['change'])}</li>")
        if not changes["claims"] and not changes["figures"]:
            parts.append("<li>nothing changed</li>")
        parts.append("</ul>")
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items() if v)
    parts.append(f"<h2>Machine</h2><p id='machine'>{escape(machine['cpu'])}; {machine['cores']} cores; "
                 f"{machine['memory_gib']} GiB; {escape(machine['platform'])}; Python "
                 f"{escape(machine['python'])}<br>{escape(versions)}</p></body></html>")
    return "\n".join(parts)


def write_index(out_dir: str | Path, summary: dict, machine: dict,
                changes: dict | None = None) -> Path:
    path = Path(out_dir) / "index.html"
    path.write_text(render(out_dir, summary, machine, changes))
    return path
