"""One Excel workbook of a batch, for analysts who work in Excel.

Sheets: the 2025 targets with P(met), its 95% Wilson interval and the outcome's median
and 5–95% range; per-year quantiles of every recorded metric; the levers with their
values per year and sources; the manifest. Headers in English or Chinese. Written with
``xlsxwriter`` (real .xlsx, no Excel needed) to memory, then atomically to disk.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from sim.model import plan
from sim.model.outcomes import TARGETS
from sim.present.i18n import (
    BACKEND,
    REPORT,
    STATUS,
    WORKBOOK,
    key_label,
    lever_note,
    metric_label,  # noqa: F401 - a recorded metric's readable name, re-exported
    scenario_description,
    unit_text,
)
from sim.present.report import citation, lever_rows, load_batch

T = REPORT

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)

# Units of recorded metrics that are not themselves a target's metric.
_EXTRA_UNITS = {
    "agri_output": "亿元", "firms_alive": "firms", "investment_cum": "亿元",
    "fiscal_cost_yi": "亿元", "cold_chain_total": "万吨", "rural_income": "元/人",
    "national_rural_income": "元/人", "rural_income_ratio": "ratio",
    "land_transferred_share": "share", "land_conservation_error": "share",
    "rent_yuan_per_mu": "元/亩", "coops": "count", "coop_member_share": "share",
    "contract_share": "share",
}
_PREFIX_UNITS = (("fiscal_", "亿元"), ("rural_income_", "元/人"), ("output_", "亿元"),
                 ("farmers_", "万人"), ("income_gain_", "元/人"), ("linkage_income_", "元/人"),
                 ("firms_", "firms"),
                 ("volume_", "万吨"), ("value_", "亿元"))
H = WORKBOOK


def metric_unit(metric: str) -> str:
    """The unit of a recorded metric, or "" when not known."""
    by_target = {t.metric: t.unit for t in TARGETS}
    if metric in by_target:
        return by_target[metric]
    if metric in _EXTRA_UNITS:
        return _EXTRA_UNITS[metric]
    for prefix, unit in _PREFIX_UNITS:
        if metric.startswith(prefix):
            return unit
    return ""


def yearly_quantiles(traj: pd.DataFrame) -> pd.DataFrame:
    """Per metric and year: q05, q25, q50, q75, q95, mean and count across replicates."""
    cols = ["metric", "year", "q05", "q25", "q50", "q75", "q95", "mean", "n"]
    if traj.empty:
        return pd.DataFrame(columns=cols)
    g = traj.groupby(["metric", "year"], sort=True)["value"]
    q = g.quantile(list(QUANTILES)).unstack()
    q.columns = ["q05", "q25", "q50", "q75", "q95"]
    q["mean"] = g.mean()
    q["n"] = g.count()
    return q.reset_index()[cols]


def _width(v) -> int:
    s = str(v)
    return sum(2 if ord(c) > 0x2E80 else 1 for c in s)


class _Sheet:
    """Writes rows to one worksheet with the workbook's formats and sensible widths."""

    def __init__(self, wb, fmts: dict, name: str, head: list[str]):
        self.ws = wb.add_worksheet(name)
        self.fmts = fmts
        self.widths = [_width(h) for h in head]
        self.n_cols = len(head)
        self.row = 1
        for j, h in enumerate(head):
            self.ws.write_string(0, j, h, fmts["head"])
        self.ws.freeze_panes(1, 0)
        self.ws.set_row(0, None, fmts["head"])

    def write(self, values: list, kinds: str = "") -> None:
        """Write one row.

        ``kinds`` gives each column's kind: p probability, n number, i count, y plain
        integer (a year, a seed), t text (the default).
        """
        for j, v in enumerate(values):
            kind = kinds[j] if j < len(kinds) else "t"
            if v is None or (isinstance(v, float) and not np.isfinite(v)):
                self.ws.write_blank(self.row, j, None)
                continue
            if kind in "pniy" and isinstance(v, int | float | np.integer | np.floating):
                x = float(v)
                if kind == "n":
                    kind = "big" if abs(x) >= 1000 else "mid" if abs(x) >= 1 else "small"
                self.ws.write_number(self.row, j, x, self.fmts[kind])
                shown = f"{x:.0f}" if kind == "y" else f"{x:,.4f}"
            else:
                shown = str(v)
                self.ws.write_string(self.row, j, shown)
            self.widths[j] = max(self.widths[j], _width(shown))
        self.row += 1

    def finish(self) -> None:
        """Column widths and a filter over the header row."""
        for j, w in enumerate(self.widths):
            self.ws.set_column(j, j, min(max(w + 2, 6), 60))
        self.ws.autofilter(0, 0, max(self.row - 1, 1), self.n_cols - 1)


def build_workbook(res: dict, lang: str = "en") -> bytes:
    """The workbook of a loaded batch (see :func:`sim.present.report.load_batch`) as bytes."""
    import xlsxwriter

    from sim.config.version import __version__
    if lang not in H:
        raise ValueError(f"language {lang!r}: use one of {', '.join(H)}")
    h, t = H[lang], T[lang]
    m = res["manifest"]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"title": h["title"].format(name=m["name"]),
                       "comments": f"clustersim {__version__}"})
    fmts = {"head": wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1,
                                   "text_wrap": True, "valign": "top"}),
            "p": wb.add_format({"num_format": "0.000"}),
            "i": wb.add_format({"num_format": "#,##0"}),
            "y": wb.add_format({"num_format": "0"}),
            "big": wb.add_format({"num_format": "#,##0"}),
            "mid": wb.add_format({"num_format": "#,##0.00"}),
            "small": wb.add_format({"num_format": "0.0000"})}

    s = _Sheet(wb, fmts, h["sheets"][0], h["summary"])
    for r in res["summary"].itertuples():
        s.write([r.target, r.label_zh if lang == "zh" else r.label_en, r.threshold,
                 unit_text(r.unit, lang), r.section, r.p_met, r.p_lo, r.p_hi, r.median,
                 r.q05, r.q95, int(r.n), int(r.met)], "ttntt" + "pppnnnii")
    s.finish()

    s = _Sheet(wb, fmts, h["sheets"][1], h["yearly"])
    for r in yearly_quantiles(res["trajectories"]).itertuples():
        s.write([r.metric, metric_label(r.metric, lang), unit_text(metric_unit(r.metric), lang),
                 int(r.year), r.q05, r.q25, r.q50, r.q75, r.q95, r.mean, int(r.n)],
                "ttt" + "y" + "nnnnnn" + "i")
    s.finish()

    s = _Sheet(wb, fmts, h["sheets"][2], h["levers"])
    n_years = len(plan.YEARS)
    for lv in lever_rows(m["scenario"]):
        p, a = lv["param"], np.asarray(lv["values"], dtype=float)
        rows = list(zip(p.keys, a, strict=True)) if p.per else [("", a)]
        for key, vals in rows:
            vals = np.ravel(vals) if p.by_year else np.repeat(np.ravel(vals)[:1], n_years)
            tail = [unit_text(p.unit, lang), t["scenario"] if lv["given"] else t["default"],
                    lever_note(p.name, lang)[1] if lang == "zh" else citation(p.provenance)]
            if lang == "en":
                tail.append(p.description)
            s.write([p.name, key_label(p.per, key, lang) if key else "", *vals.tolist(),
                     *tail], "tt" + "n" * n_years + "tttt")
    s.finish()

    s = _Sheet(wb, fmts, h["sheets"][3], h["manifest"])
    rows: list[tuple[str, object]] = []
    for key, label in t["prov_rows"].items():
        v = m.get(key)
        if key == "status" and v is not None:
            v = STATUS[lang].get(str(v), str(v))
        elif key == "backend" and v is not None:
            v = BACKEND[lang].get(str(v), str(v))
        rows.append((label, v))
        if key == "name":
            rows.append((h["description"], scenario_description(m, lang)))
    from sim.analysis.scorecard import manifest_view, view_line
    rows.append(("视角" if lang == "zh" else "view", view_line(manifest_view(m), lang, cite=False)))
    rows.append((h["exported"], __version__))
    for label, v in rows:
        s.write([label, "" if v is None else v if isinstance(v, int) else str(v)], "ty")
    s.finish()

    wb.close()
    return buf.getvalue()


def export_workbook(folder: str | Path, out: str | Path | None = None,
                    lang: str = "en") -> Path:
    """Write the batch's workbook (default ``DIR/results.xlsx``) atomically; returns its path.

    ``ValueError`` with the file and what is wrong for a missing or unreadable results
    folder; ``OSError`` when the workbook cannot be written.
    """
    from sim.run.store import atomic_write_bytes
    folder = Path(folder)
    res = load_batch(folder)
    path = Path(out) if out else folder / "results.xlsx"
    if path.is_dir():
        raise ValueError(f"{path}: is a folder; give the workbook's file name "
                         "(e.g. results.xlsx)")
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"{path}: the workbook's name must end in .xlsx")
    data = build_workbook(res, lang)
    atomic_write_bytes(path, data)  # OSError: the caller says why (the CLI's exit rule)
    return path
