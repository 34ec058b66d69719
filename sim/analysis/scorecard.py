"""What the run is conditioned on, P(met) on the reported basis, and the plan's scorecard.

Three things a planner reading the answer after the plan period needs:

* **The view** (:func:`view_of`): which published figures a batch was conditioned on. The
  command line's default is every shipped observation (``data_until`` = the last year of
  the observed series); ``--vintage 2021`` is the ex-ante view (nothing after 2020). It is
  recorded in the batch's manifest under ``view`` so that the report and export can say it.
* **The reported basis** (:func:`reported_summary`): P(met) of each target on the
  indicator the province publishes (``sim.model.reported``), beside the model basis.
* **The scorecard** (:func:`scorecard`): per target, the reported 2025 outcome where it is
  published (met / missed from the data rows only, else "not yet known"), the model's
  P(met) from each vintage, and over the settled targets the Brier score and its skill
  against a naive forecaster (:func:`naive_p`: the reported series' trend extrapolated).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.stats import wilson_interval
from sim.config.exogenous import SERIES
from sim.config.files import SOURCE_ROOT
from sim.config.observed import DEFAULT_OBSERVED, parse_observed
from sim.model import plan, reported
from sim.model.outcomes import TARGETS, target_flag

OBSERVED_DIR = SOURCE_ROOT / "data" / "observed"
DOCS = "docs/data.md"
VERDICTS = ("met", "missed", "not yet known")


# ---------------------------------------------------------------------- the view
def latest_data_year(file: str | Path | None = None) -> int:
    """The last year of the observed exogenous series (what ``data_until`` may reach)."""
    rows = parse_observed(Path(file) if file else DEFAULT_OBSERVED, None)
    metric = next(iter(SERIES))
    years = rows.loc[rows["metric"] == metric, "year"]
    return int(min(int(years.max()), plan.TARGET_YEAR)) if len(years) else plan.BASE_YEAR


def count_figures(block: dict | None) -> int:
    """Published figures after 2020 a scenario's exogenous block conditions on."""
    if not block:
        return 0
    n = sum(1 for s in block.get("series", {}).values() for y in s if int(y) > plan.BASE_YEAR)
    n += sum(len(v) for v in block.get("market_growth", {}).values())
    n += sum(len(v) for v in block.get("state", {}).values())
    return n


def view_of(scenario: dict) -> dict:
    """The view a scenario gives: its cut-off year and the number of figures it uses."""
    du = scenario.get("data_until")
    if du is None:
        return {"kind": "vintage", "vintage": plan.YEARS[0], "data_until": None,
                "figures": 0}
    return {"kind": "conditioned", "vintage": int(du) + 1, "data_until": int(du),
            "figures": count_figures(scenario.get("exogenous"))}


def view_line(view: dict | None, lang: str = "en", cite: bool = True) -> str:
    """One line saying what a batch is conditioned on (English or Chinese).

    ``cite`` False leaves out the pointer to the data notes (for the self-contained report
    and workbook, which name no repository file).
    """
    zh = lang == "zh"
    if not view:
        return "视角：未记录" if zh else "view: not recorded"
    if view.get("data_until") is None:
        if zh:
            return (f"事前视角（{view.get('vintage', 2021)}年版本）：未使用{plan.BASE_YEAR}年以后"
                    f"公布的任何数据" + (f"；见 {DOCS}" if cite else ""))
        return (f"ex-ante view ({view.get('vintage', 2021)} vintage): conditioned on no "
                f"published figure after {plan.BASE_YEAR}" + (f"; see {DOCS}" if cite else ""))
    if zh:
        return (f"基于截至{view['data_until']}年已公布的{view['figures']}项数据"
                + (f"；见 {DOCS}" if cite else ""))
    return (f"conditioned on {view['figures']} published figures through "
            f"{view['data_until']}" + (f"; see {DOCS}" if cite else ""))


def manifest_view(manifest: dict) -> dict:
    """The recorded view of a batch, or the one its scenario implies."""
    return manifest.get("view") or view_of(manifest.get("scenario") or {})


def record_view(folder: str | Path, view: dict) -> dict:
    """Write ``view`` into the batch's manifest (kept on resume); returns the manifest."""
    from sim.run.store import read_manifest, write_manifest
    m = read_manifest(Path(folder)) or {}
    if m and m.get("view") != view:
        m["view"] = view
        write_manifest(Path(folder), m)
    return m


# ---------------------------------------------------------------------- reported basis
def reported_summary(reps: pd.DataFrame, summary: pd.DataFrame | None = None,
                     data_until: int | None = plan.TARGET_YEAR) -> pd.DataFrame:
    """Per target: P(met) on the reported basis beside the model basis.

    Bridged targets (``sim.model.reported.BRIDGES``) are put on the reported basis with a
    per-replicate factor from its own stream; the others read the same on both bases.
    ``summary`` (the batch's ``summary.parquet``) gives the model flag and ``p_met_2020``.
    ``data_until`` is the view's last year of published data (None: the ex-ante view): a
    bridge whose rows come later is not applied there (``reported.known``).
    """
    rows = []
    n = len(reps)
    seeds = reps["seed"].tolist() if n else []
    by = summary.set_index("target") if summary is not None and len(summary) else None
    for t in TARGETS:
        model = reps[f"out.{t.metric}"].to_numpy(float) if n else np.array([])
        rep = reported.reported_values(t.name, model, seeds, data_until) if n else model
        k_model = int(np.sum(model >= t.threshold))
        k = int(np.sum(rep >= t.threshold))
        lo, hi = wilson_interval(k, n) if n else (np.nan, np.nan)
        p2020 = float(by.loc[t.name, "p_met_2020"]) if by is not None else np.nan
        mflag = by.loc[t.name, "flag"] if by is not None else target_flag(t, p2020)
        mflag = mflag if isinstance(mflag, str) and mflag else None
        b = reported.BRIDGE_BY_TARGET.get(t.name)
        rows.append({
            "target": t.name, "label_en": t.label_en, "label_zh": t.label_zh,
            "threshold": float(t.threshold), "n": n,
            "p_met": k / n if n else np.nan, "p_lo": float(lo), "p_hi": float(hi),
            "median": float(np.median(rep)) if n else np.nan,
            "q05": float(np.quantile(rep, 0.05)) if n else np.nan,
            "q95": float(np.quantile(rep, 0.95)) if n else np.nan,
            "p_met_model": k_model / n if n else np.nan,
            "median_model": float(np.median(model)) if n else np.nan,
            "bridge": b.param if b else "",
            "bridge_range": "{:g}-{:g}".format(*reported.bridge_range(b)) if b else "",
            "flag": reported.reported_flag(t, mflag, data_until) or "",
            "flag_model": mflag or ""})
    return pd.DataFrame(rows)


def format_reported(table: pd.DataFrame, only_bridged: bool = True) -> str:
    """The reported-basis block printed under the probability table."""
    d = table[table["bridge"] != ""] if only_bridged else table
    lines = ["P(met) on the reported basis (the indicator the province publishes; docs/"
             "targets.md, 'Reported basis'), model basis beside it:",
             f"{'target':<20} {'reported':>8} {'95% CI':>13} {'median':>9} {'model':>6} "
             f"{'median':>9}  bridge [range]; flag"]
    for r in d.itertuples():
        lines.append(f"{r.target:<20} {r.p_met:>8.2f} [{r.p_lo:.2f}, {r.p_hi:.2f}] "
                     f"{r.median:>9.4g} {r.p_met_model:>6.2f} {r.median_model:>9.4g}  "
                     f"{r.bridge} [{r.bridge_range}]" + (f"; {r.flag}" if r.flag else ""))
    return "\n".join(lines)


# ---------------------------------------------------------------------- observed rows
def observed_rows(folder: str | Path | None = None) -> tuple[dict, pd.DataFrame]:
    """Every shipped observation: {(metric, year): value} and the rows with their sources.

    Reads every ``*.csv`` in ``folder`` (default ``data/observed/``); a metric-year in two
    files is an error naming both.
    """
    folder = Path(folder) if folder else OBSERVED_DIR
    frames = []
    for f in sorted(folder.glob("*.csv")):
        d = parse_observed(f, None)
        d["file"] = f.name
        frames.append(d)
    if not frames:
        raise FileNotFoundError(f"{folder}: no observed-data CSV files")
    rows = pd.concat(frames, ignore_index=True)
    dup = rows[rows.duplicated(["metric", "year"], keep=False)]
    if len(dup):
        r = dup.iloc[0]
        files = ", ".join(sorted(set(dup[(dup.metric == r.metric) & (dup.year == r.year)]
                                     ["file"])))
        raise ValueError(f"{folder}: {r.metric} {int(r.year)} is in more than one file "
                         f"({files}); keep one row")
    values = {(str(m), int(y)): float(v) for m, y, v in
              zip(rows["metric"], rows["year"], rows["value"], strict=True)}
    return values, rows


def outcomes(values: dict, rows: pd.DataFrame, year: int = plan.TARGET_YEAR) -> pd.DataFrame:
    """Per target: the reported outcome of ``year`` from the rows, with its source."""
    out = []
    for t in TARGETS:
        rd = reported.reading(t.name)
        v, value = reported.verdict(t.name, values, year)
        src = ""
        if value is not None:
            hit = rows[rows["metric"].isin(rd.metrics) & (rows["year"] == year)]
            src = " | ".join(f"{m}: {s} ({q})" for m, s, q in
                             zip(hit["metric"], hit["source"], hit["quality"], strict=True))
        last = rd.years(values)
        last = [y for y in last if y <= year]
        out.append({"target": t.name, "indicator": rd.indicator,
                    "threshold": reported.reported_threshold(t.name), "outcome": v,
                    "value": value, "source": src,
                    "latest_year": last[-1] if last else None,
                    "latest_value": rd.value(values, last[-1]) if last else None})
    return pd.DataFrame(out)


# ---------------------------------------------------------------------- scores
def naive_p(target: str, values: dict, vintage: int, year: int = plan.TARGET_YEAR) -> float:
    """P(met) of a naive forecaster standing at the start of ``vintage``.

    It extrapolates the reported series (published years before ``vintage``) as a random
    walk with drift: on logs when every value is positive, else on levels; drift = mean
    yearly change, spread = the changes' standard deviation (ddof 1) × sqrt(horizon). With
    fewer than three published years (two changes) it knows nothing: 0.5. A zero spread
    gives 0 or 1.
    """
    rd = reported.reading(target)
    ys = [y for y in rd.years(values) if y < vintage]
    if len(ys) < 3:
        return 0.5
    v = np.array([rd.value(values, y) for y in ys], dtype=float)
    thr = reported.reported_threshold(target)
    logs = bool(np.all(v > 0) and thr > 0)
    x = np.log(v) if logs else v
    t = math.log(thr) if logs else thr
    steps = np.diff(x) / np.diff(np.array(ys, dtype=float))
    mu, sd = float(steps.mean()), float(steps.std(ddof=1))
    h = year - ys[-1]
    mean = x[-1] + mu * h
    if sd == 0:
        return float(mean >= t)
    z = (mean - t) / (sd * math.sqrt(h))
    return float(0.5 * (1 + math.erf(z / math.sqrt(2))))


def brier(p, o) -> float:
    """Mean squared difference between forecast probabilities and 0/1 outcomes."""
    p, o = np.asarray(p, dtype=float), np.asarray(o, dtype=float)
    return float(np.mean((p - o) ** 2)) if len(p) else float("nan")


def skill(b_model: float, b_ref: float) -> float:
    """Brier skill score 1 - B/B_ref (NaN when the reference is perfect or undefined)."""
    return 1.0 - b_model / b_ref if b_ref and np.isfinite(b_ref) else float("nan")


def reliability(p, o, bins: int = 5) -> pd.DataFrame:
    """Forecasts grouped in equal-width bins: mean forecast, observed frequency, count."""
    p, o = np.asarray(p, dtype=float), np.asarray(o, dtype=float)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        m = idx == b
        if m.any():
            rows.append({"bin": b, "p_mean": float(p[m].mean()), "observed": float(o[m].mean()),
                         "n": int(m.sum())})
    return pd.DataFrame(rows, columns=["bin", "p_mean", "observed", "n"])


def scorecard(p_by_vintage: dict[int, pd.Series], values: dict, rows: pd.DataFrame,
              year: int = plan.TARGET_YEAR) -> dict:
    """The scorecard from the reported P(met) of each vintage and the published rows.

    Args:
        p_by_vintage: vintage year -> P(met) on the reported basis per target (index:
            target names), from batches conditioned on the data published before it.
        values: Published values by (metric, year), from :func:`observed_rows`.
        rows: The published rows with their sources, from :func:`observed_rows`.
        year: The target year.

    Returns ``{"table", "scores", "pairs"}``: the per-target table (outcome, source, P(met)
    per vintage, the naive forecaster's), the Brier score and skill per vintage over the
    settled targets, and the (vintage, target, p, naive, outcome) pairs behind them.
    """
    table = outcomes(values, rows, year)
    pairs = []
    for vint, p in sorted(p_by_vintage.items()):
        table[f"p_{vint}"] = table["target"].map(p)
        table[f"naive_{vint}"] = [naive_p(t, values, vint, year) for t in table["target"]]
        for r in table.itertuples():
            if r.outcome in ("met", "missed"):
                pairs.append({"vintage": vint, "target": r.target, "p": float(p[r.target]),
                              "naive": getattr(r, f"naive_{vint}"),
                              "outcome": 1.0 if r.outcome == "met" else 0.0})
    pairs = pd.DataFrame(pairs, columns=["vintage", "target", "p", "naive", "outcome"])
    scores = []
    for vint in sorted(p_by_vintage):
        d = pairs[pairs["vintage"] == vint]
        b, bn = brier(d["p"], d["outcome"]), brier(d["naive"], d["outcome"])
        scores.append({"vintage": vint, "settled": len(d), "brier": b, "brier_naive": bn,
                       "skill": skill(b, bn) if len(d) else float("nan")})
    return {"table": table, "scores": pd.DataFrame(scores), "pairs": pairs}


def vintages(table: pd.DataFrame) -> list[int]:
    """The vintages of a scorecard table (its ``p_YEAR`` columns)."""
    return [int(c[2:]) for c in table.columns if c.startswith("p_") and c[2:].isdigit()]


def pairs_of(table: pd.DataFrame) -> pd.DataFrame:
    """The (vintage, target, p, naive, outcome) pairs of a table's settled targets.

    As :func:`scorecard` returns them, for a table read back from ``scorecard.csv``.
    """
    rows = [{"vintage": v, "target": r["target"], "p": float(r[f"p_{v}"]),
             "naive": float(r[f"naive_{v}"]), "outcome": 1.0 if r["outcome"] == "met" else 0.0}
            for v in vintages(table) for _, r in table.iterrows()
            if r["outcome"] in ("met", "missed")]
    return pd.DataFrame(rows, columns=["vintage", "target", "p", "naive", "outcome"])


def format_scorecard(card: dict) -> str:
    """The scorecard as text."""
    t, s = card["table"], card["scores"]
    vints = vintages(t)
    head = f"{'target':<26} {'outcome':<14} " + "".join(f"{'P' + str(v):>7}" for v in vints)
    lines = ["Scorecard: reported 2025 outcome (data rows only) and P(met) on the reported "
             "basis by vintage (P2021 = ex-ante, P2025 = data through 2024)", head]
    for r in t.itertuples():
        ps = "".join(f"{getattr(r, f'p_{v}'):>7.2f}" for v in vints)
        latest = (f"  (latest {int(r.latest_year)}: {r.latest_value:.4g})"
                  if r.outcome == "not yet known" and pd.notna(r.latest_year) else "")
        lines.append(f"{r.target:<26} {r.outcome:<14} {ps}{latest}")
    settled = t[t["outcome"] != "not yet known"]
    lines.append(f"settled: {len(settled)} of {len(t)} targets")
    for r in settled.itertuples():
        lines.append(f"  {r.target}: {r.outcome}, {r.value:.4g} vs {r.threshold:g}; {r.source}")
    for r in s.itertuples():
        lines.append(f"vintage {r.vintage}: Brier {r.brier:.3f} over {r.settled} settled, "
                     f"naive {r.brier_naive:.3f}, skill {r.skill:.2f}" if r.settled else
                     f"vintage {r.vintage}: no target settled yet, no score")
    return "\n".join(lines)
