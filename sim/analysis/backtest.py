"""Backtests: would the model have forecast what happened after an origin year.

For each origin year: calibrate with the observations up to the origin only, forecast the
later years by running the model from that posterior, and score every held-out observation
(origin < year <= 2025) with the CRPS (``scoringrules``), its PIT and membership of the
central 50% and 90% intervals, against two naive forecasts scored the same way:

* ``trend``: the log-linear trend of the metric's observed years up to the origin (ordinary
  least squares of log value on year). Predictive distribution: log-normal, centred on the
  trend, with the OLS prediction standard error ``s * sqrt(1 + 1/n + (year - mean year)^2
  / Sxx)`` in logs, ``s`` the residual standard deviation (n - 2 degrees of freedom); so it
  needs at least three observed years. (A Student t in logs would widen it for few years,
  but exp of a t variable has no mean, so its CRPS would be infinite.)
* ``last_growth``: the last observed growth rate (between the last two observed years,
  annualised) carried forward from the last observed value, with the same spread as the
  trend forecast for that year.

Every forecast is scored in the metric's own units: the model's replicates with
scoringrules' ensemble CRPS (the "fair" estimator, computed by probability-weighted
moments), the naive log-normals with the exact ``crps_lognormal``; both estimate the CRPS
of the forecast distribution. ``crps_rel`` = CRPS / |observed| lets metrics be averaged.

Every held-out row also carries its ``group`` (:func:`group_of`), which says how much of its
forecast the agents make:

* ``anchored``: a metric the run re-anchors on its observed value of the origin year
  (:func:`anchored_at`: those of ``sim.model.assimilate.METRICS`` with a row in the origin
  year — household incomes by source, each cluster's largest firm's revenue, processing
  revenue, gross agricultural output) and total rural income when all four incomes by source
  are. Its forecast starts from the data; what follows the origin is the model's. A metric
  without a row in the origin year is not re-anchored there and is free (gross agricultural
  output from origin 2021: its only row is 2022's). From origin 2020 the run's own start is
  the published 2020 state of every such metric but gross agricultural output, whose 2020
  level is sampled (``START_ANCHORED``).
* ``exogenous``: a series the model reads as data (``sim.config.exogenous``: national rural
  income, the national product markets); after the origin it continues at its sampled growth,
  so the agents play no part in it.
* ``free``: every other metric: the agents produce it.

Without assimilation (``--no-assimilate``) nothing is re-anchored at the origin, so the
anchored metrics are scored as free (from an origin after 2020). The test the model is held
to (at least 80% of the free held-out rows inside the model's 90% interval, and a lower mean
relative CRPS than both naive forecasts on the same rows) is judged on the free group
(:func:`summarise_groups`).

Separation of what is known at the origin: :func:`backtest` cuts the observations at the
origin (``observed.until``) before anything else and hands only that cut to
:func:`forecast`; the held-out rows are looked at only by :func:`score`, after the
forecasts exist. The model's exogenous series (national rural income) come from the same
cut: from an origin in 2021-2025 the scenario runs with ``data_until`` = the origin, its
series taken from the rows up to the origin (:func:`origin_scenario`); a ``data_until`` of
the base scenario is replaced, never kept, and a posterior it carries is dropped. Origin
2020 uses no row after 2020 at all: the scenario runs without ``data_until`` (the sampled
growth from 2020, the view of ``--vintage 2021``), there is nothing after 2020 to calibrate
to (the forecast draws from the declared ranges), and the naive forecasts see the rows up to
2020.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import observed as obsmod
from sim.analysis.calibrate import (
    LAST_YEAR,
    START_YEAR,
    CalibrationError,
    calibrate,
    simulate_metrics,
    statistics,
)
from sim.config import exogenous
from sim.config.errors import ScenarioError
from sim.config.scenario import with_data_until
from sim.model import assimilate as assim
from sim.run.posterior import KEY as POSTERIOR_KEY
from sim.run.store import atomic_parquet, atomic_write_bytes

FORECASTERS = ("model", "trend", "last_growth")
DEFAULT_ORIGINS = (2020, 2021, 2022)
GROUPS = ("anchored", "exogenous", "free")
# metrics the run sums from anchored ones (sim.model.outcomes): anchored when all their parts
# are
ANCHORED_SUMS = {"rural_income": tuple(f"rural_income_{s}" for s in assim.INCOME_PARTS)}
# Anchored at origin 2020: the model's own start is the published 2020 state of every
# re-anchored metric (ClusterModel._calibrate_2020: incomes by source, the largest firms,
# processing revenue), except gross agricultural output, whose 2020 level is not published
# (sampled over a range, sim.model.assimilate): at origin 2020 it is free.
START_ANCHORED = tuple(m for m in assim.METRICS if m != "agri_output")
EXOGENOUS = tuple(exogenous.SERIES) + tuple(exogenous.MARKETS.values())
# the bar for the free group: share inside the model's 90% interval
COVER_BAR = 0.8


def anchored_at(scenario: dict, origin: int, assimilate: bool = True) -> frozenset[str]:
    """The metrics whose state at ``origin`` the run sets on their published ``origin`` value.

    After 2020: the metrics of the scenario's observed state for the origin year
    (``exogenous.state[origin]``, ``sim.model.assimilate``), none without ``assimilate``; a
    metric re-anchored in an earlier year only (gross agricultural output, observed in 2022,
    from origin 2023) is not: its origin value is the model's. At 2020 (``START_YEAR``):
    ``START_ANCHORED``, the model's own start, with or without ``assimilate``. A sum of
    anchored metrics (``ANCHORED_SUMS``) is anchored when all its parts are.
    """
    if origin <= START_YEAR:
        out = set(START_ANCHORED)
    elif not assimilate:
        out = set()
    else:
        state = (scenario.get(exogenous.KEY) or {}).get(exogenous.STATE_KEY) or {}
        out = set(state.get(str(origin)) or {})
    out |= {s for s, parts in ANCHORED_SUMS.items() if set(parts) <= out}
    return frozenset(out)


def group_of(metric: str, assimilate: bool = True,
             anchored: frozenset[str] | set[str] | None = None) -> str:
    """``anchored``, ``exogenous`` or ``free``: how ``metric``'s forecast is made.

    ``exogenous`` is any series read as data (``sim.config.exogenous``) or any
    ``national_market_*`` row; ``anchored`` a metric in ``anchored`` (:func:`anchored_at`:
    what the run re-anchored at the origin). Without ``anchored`` (a table written before it
    was recorded) a metric ``sim.model.assimilate`` can re-anchor, or a sum of them, counts
    as anchored when ``assimilate``.
    """
    if metric in EXOGENOUS or metric.startswith("national_market_"):
        return "exogenous"
    if anchored is None:
        anchored = set(assim.METRICS) | set(ANCHORED_SUMS) if assimilate else set()
    return "anchored" if metric in anchored else "free"


# ------------------------------------------------------------------ naive forecasts
def naive(train: pd.DataFrame, metric: str, years: list[int]) -> dict:
    """Naive log-normal forecasts of ``metric`` for ``years`` from the rows in ``train``.

    Returns:
        ``{"trend": {year: (mu, sigma)}, "last_growth": {...}, "note": str}`` (mean and
        standard deviation of the log value); empty (and the note says why) when the data
        cannot support them.
    """
    d = train[train["metric"] == metric].sort_values("year")
    out: dict = {"trend": {}, "last_growth": {}, "note": ""}
    if d.empty:
        out["note"] = "no observations up to the origin: no naive forecast"
        return out
    if (d["value"] <= 0).any():
        out["note"] = "non-positive observations: no log-linear naive forecast"
        return out
    n = len(d)
    if n < 3:
        out["note"] = (f"{n} observed year(s) up to the origin: a naive forecast needs 3 "
                       "(two for the trend, one more for its residual spread)")
        return out
    x = d["year"].to_numpy(float)
    y = np.log(d["value"].to_numpy(float))
    xbar = x.mean()
    sxx = float(np.sum((x - xbar) ** 2))
    b = float(np.sum((x - xbar) * (y - y.mean())) / sxx)
    a = float(y.mean() - b * xbar)
    s = float(np.sqrt(np.sum((y - a - b * x) ** 2) / (n - 2)))
    g = (y[-1] - y[-2]) / (x[-1] - x[-2])
    for yr in years:
        scale = s * float(np.sqrt(1 + 1 / n + (yr - xbar) ** 2 / sxx))
        out["trend"][yr] = (a + b * yr, scale)
        out["last_growth"][yr] = (float(y[-1] + g * (yr - x[-1])), scale)
    out["trend_fit"] = {"growth": float(np.expm1(b)), "residual_sd_log": s, "years": n}
    out["last_growth_rate"] = float(np.expm1(g))
    return out


# ------------------------------------------------------------------ scores
def pit(ens: np.ndarray, y: float) -> float:
    """Probability integral transform of ``y`` in an ensemble (mid-rank for ties)."""
    ens = np.asarray(ens, float)
    tie = np.abs(ens - y) <= 1e-9 * max(abs(y), 1.0)
    return float(np.mean((ens < y) & ~tie) + 0.5 * np.mean(tie))


def score_one(ens: np.ndarray, y: float) -> dict:
    """CRPS, PIT, interval membership and quantiles of an ensemble forecast."""
    import scoringrules as sr
    ens = np.asarray(ens, float)
    q05, q25, q50, q75, q95 = np.quantile(ens, [0.05, 0.25, 0.5, 0.75, 0.95])
    # "pwm" is the fair (unbiased) CRPS by probability-weighted moments: O(m log m)
    crps = float(sr.crps_ensemble(float(y), ens, estimator="pwm"))
    return {"crps": crps, "crps_rel": crps / abs(y) if y else np.nan, "pit": pit(ens, y),
            "in_50": bool(q25 <= y <= q75), "in_90": bool(q05 <= y <= q95),
            "median": float(q50), "q05": float(q05), "q95": float(q95)}


Z50, Z90 = 0.6744897501960817, 1.6448536269514722   # standard normal 75% and 95% points


def score_lognormal(mu: float, sigma: float, y: float) -> dict:
    """The same scores for a log-normal forecast (log value ~ N(mu, sigma)), exactly."""
    import scoringrules as sr
    from scipy.stats import norm
    if sigma > 0:
        crps = float(sr.crps_lognormal(float(y), mu, sigma))
        z = (np.log(y) - mu) / sigma if y > 0 else -np.inf
        p = float(norm.cdf(z))
    else:  # a perfect fit: a point forecast
        crps = abs(y - np.exp(mu))
        z = 0.0 if y == np.exp(mu) else np.sign(y - np.exp(mu)) * np.inf
        p = 0.5 if z == 0 else float(z > 0)
    return {"crps": crps, "crps_rel": crps / abs(y) if y else np.nan, "pit": p,
            "in_50": bool(abs(z) <= Z50), "in_90": bool(abs(z) <= Z90),
            "median": float(np.exp(mu)), "q05": float(np.exp(mu - Z90 * sigma)),
            "q95": float(np.exp(mu + Z90 * sigma))}


# ------------------------------------------------------------------ forecast and score
def origin_scenario(base: dict, train: pd.DataFrame, origin: int, source: str = "",
                    assimilate: bool = True) -> dict:
    """``base`` with its exogenous series observed up to ``origin`` only, and no posterior.

    ``data_until`` = ``origin`` with the series from ``train`` (the rows up to the origin)
    when the origin is a simulated year and ``train`` holds every series; otherwise none
    (the sampled growth from 2020). Either way nothing after the origin is used. With
    ``assimilate`` the runs re-anchor on the observed state of each year up to the origin
    (its rows in ``train``, ``sim.model.assimilate``): the forecast starts from the origin's,
    and a calibration from a later origin runs from the earlier years' (the origin year's own
    anchoring moves no calibrated year).

    Raises:
        CalibrationError: a series in ``train`` with a gap year (naming metric and year).
    """
    # a posterior in ``base`` was fitted to some data (perhaps every year): each origin
    # calibrates its own from the rows up to it, or (none after 2020) draws from the ranges
    scn = {k: v for k, v in base.items()
           if k not in ("data_until", exogenous.KEY, POSTERIOR_KEY)}
    train = obsmod.until(train, origin)
    if origin < exogenous.YEARS[0] or any(
            not (train["metric"] == m).any() for m in exogenous.SERIES):
        return scn
    try:
        return with_data_until(scn, origin, source=f"backtest origin {origin}",
                               file=source or "observed data", rows=train,
                               assimilate=assimilate)
    except ScenarioError as e:
        raise CalibrationError(str(e)) from None


def forecast(base: dict, train: pd.DataFrame, origin: int, folder: Path, *, replicates: int,
             seed: int, households_per_agent: int, backend: str, workers: int,
             scheduler: str | None, calibration: dict, progress: bool = False,
             resume: bool = False) -> dict:
    """Forecasts of every year after ``origin`` from the observations up to it only.

    Returns ``{"model": long table (replicate, metric, year, value) of all model metrics,
    "naive": {metric: naive(...)}, "calibrated": bool, "note": str, "anchored": the metrics
    re-anchored at the origin (:func:`anchored_at`)}``.
    """
    from sim.analysis.observed import model_metrics
    from sim.run.posterior import attach
    train = obsmod.until(train, origin)              # defensive: the caller cut it already
    years = list(range(origin + 1, LAST_YEAR + 1))
    used, _ = statistics(train, origin, base.get("data_until"))
    cal_dir = folder / f"origin-{origin}"
    note = ""
    if used.empty:
        scn = base
        calibrated = False
        note = (f"no observations after {START_YEAR} up to {origin}: the model forecasts from "
                "its prior ranges")
    else:
        calibrate(base, train, origin, cal_dir, households_per_agent=households_per_agent,
                  backend=backend, workers=workers, scheduler=scheduler, seed=seed,
                  predictive=0, progress=progress, resume=resume,
                  source=f"observations up to {origin}", **calibration)
        scn = attach(base, cal_dir)
        calibrated = True
    metrics = sorted(model_metrics())
    traj = simulate_metrics(scn, metrics, replicates, seed, households_per_agent, backend,
                            workers, scheduler)
    traj = traj[traj["year"].isin(years)].reset_index(drop=True)
    return {"model": traj, "naive": {m: naive(train, m, years) for m in
                                     sorted(set(train["metric"]))},
            "calibrated": calibrated, "note": note, "years": years,
            "anchored": sorted(anchored_at(base, origin))}


def score(fc: dict, held_out: pd.DataFrame, origin: int,
          assimilate: bool = True) -> pd.DataFrame:
    """Score every held-out row against the model and the naive forecasts.

    ``group`` comes from the metrics the forecast re-anchored at the origin
    (``fc["anchored"]``); a forecast without that list is grouped by ``assimilate``, whether
    it was re-anchored at all (:func:`group_of`).
    """
    rows = []
    model = {k: g["value"].to_numpy(float) for k, g in fc["model"].groupby(["metric", "year"])}
    anchored = set(fc["anchored"]) if fc.get("anchored") is not None else None
    for r in held_out.itertuples():
        base = {"origin": origin, "metric": r.metric,
                "group": group_of(r.metric, assimilate, anchored), "year": int(r.year),
                "horizon": int(r.year) - origin, "observed": float(r.value),
                "quality": r.quality, "line": int(r.line)}
        if r.year > LAST_YEAR:
            for f in FORECASTERS:
                rows.append({**base, "forecaster": f, "note": f"after {LAST_YEAR}: not "
                             "simulated, not scored"})
            continue
        rows.append({**base, "forecaster": "model", **score_one(model[(r.metric, r.year)],
                                                                r.value),
                     "note": fc["note"]})
        nv = fc["naive"].get(r.metric)
        for f in ("trend", "last_growth"):
            if nv is None:
                rows.append({**base, "forecaster": f, "note": "no observations up to the "
                             "origin: no naive forecast"})
            elif not nv[f]:
                rows.append({**base, "forecaster": f, "note": nv["note"]})
            else:
                rows.append({**base, "forecaster": f,
                             **score_lognormal(*nv[f][int(r.year)], r.value), "note": ""})
    cols = ["origin", "metric", "group", "year", "horizon", "observed", "quality", "line",
            "forecaster", "crps", "crps_rel", "pit", "in_50", "in_90", "median", "q05", "q95",
            "note"]
    return pd.DataFrame(rows).reindex(columns=cols)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per origin, metric and forecaster: rows scored, mean CRPS, coverage; plus 'all'.

    Each metric's row carries its ``group``; the rows of :func:`summarise_groups` follow, with
    ``metric`` = ``"(<group>)"``.
    """
    table = _with_groups(table)
    t = table[table["crps"].notna()]
    parts = []
    for keys, g in t.groupby(["origin", "metric", "forecaster"], sort=True):
        parts.append({"origin": keys[0], "metric": keys[1], "group": g["group"].iloc[0],
                      "forecaster": keys[2], "n": len(g), "mean_crps": g["crps"].mean(),
                      "mean_crps_rel": g["crps_rel"].mean(), "cover_50": g["in_50"].mean(),
                      "cover_90": g["in_90"].mean(), "mean_pit": g["pit"].mean()})
    for keys, g in t.groupby(["origin", "forecaster"], sort=True):
        parts.append({"origin": keys[0], "metric": "(all)", "group": "(all)",
                      "forecaster": keys[1], "n": len(g), "mean_crps": np.nan,
                      "mean_crps_rel": g["crps_rel"].mean(),
                      "cover_50": g["in_50"].mean(), "cover_90": g["in_90"].mean(),
                      "mean_pit": g["pit"].mean()})
    out = pd.DataFrame(parts)
    # Naive forecasts that could not be made: say so in the summary too.
    missing = table[table["crps"].isna() & (table["forecaster"] != "model")]
    for keys, g in missing.groupby(["origin", "metric", "forecaster"], sort=True):
        out = pd.concat([out, pd.DataFrame([{"origin": keys[0], "metric": keys[1],
                                             "group": g["group"].iloc[0],
                                             "forecaster": keys[2], "n": 0,
                                             "note": g["note"].iloc[0]}])], ignore_index=True)
    if "note" not in out:
        out["note"] = ""
    out["note"] = out["note"].fillna("")
    out = out.sort_values(["origin", "metric", "forecaster"], kind="stable")
    groups = summarise_groups(table)
    groups = groups.assign(metric="(" + groups["group"] + ")", mean_crps=np.nan, note="")
    return pd.concat([out, groups], ignore_index=True)


def _with_groups(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its ``group`` column (from the metric, as assimilated, if absent)."""
    if "group" in table:
        return table
    return table.assign(group=[group_of(m) for m in table["metric"]])


def summarise_groups(table: pd.DataFrame) -> pd.DataFrame:
    """Per origin, group (``GROUPS``) and forecaster: coverage and mean relative CRPS.

    ``n``, ``cover_50``, ``cover_90``, ``mean_crps_rel``, ``mean_pit`` are over the rows the
    forecaster scored; ``n_paired`` and ``mean_crps_rel_paired`` over the rows every
    forecaster scored (a naive forecast needs three observed years, so it may miss rows the
    model scores): the CRPS comparison between forecasters uses the paired means.
    """
    table = _with_groups(table)
    t = table[table["crps"].notna()]
    key = ["origin", "metric", "year", "line"]
    scored = t.groupby(key)["forecaster"].nunique()
    paired = scored[scored == len(FORECASTERS)].index
    t = t.assign(paired=pd.MultiIndex.from_frame(t[key]).isin(paired))
    parts = []
    for (origin, group, f), g in t.groupby(["origin", "group", "forecaster"], sort=True):
        p = g[g["paired"]]
        parts.append({"origin": origin, "group": group, "forecaster": f, "n": len(g),
                      "cover_50": g["in_50"].mean(), "cover_90": g["in_90"].mean(),
                      "mean_crps_rel": g["crps_rel"].mean(), "mean_pit": g["pit"].mean(),
                      "n_paired": len(p),
                      "mean_crps_rel_paired": p["crps_rel"].mean() if len(p) else np.nan})
    cols = ["origin", "group", "forecaster", "n", "cover_50", "cover_90", "mean_crps_rel",
            "mean_pit", "n_paired", "mean_crps_rel_paired"]
    return pd.DataFrame(parts, columns=cols)


def free_bar(groups: pd.DataFrame) -> dict[int, dict]:
    """Per origin: whether the model passes the bar on the free group.

    The bar: at least ``COVER_BAR`` of the free held-out rows inside the model's 90% interval
    and the model's mean relative CRPS on the free rows every forecaster scored below both
    naive forecasts'. ``groups`` is :func:`summarise_groups`'s table (or the group rows of
    :func:`summarise`). An origin without free rows scored by the model is left out.
    """
    out = {}
    free = groups[groups["group"] == "free"]
    for origin, g in free.groupby("origin", sort=True):
        by = {r.forecaster: r for r in g.itertuples()}
        if "model" not in by or not by["model"].n:
            continue
        m = by["model"]
        crps = {f: (float(by[f].mean_crps_rel_paired) if f in by else np.nan)
                for f in FORECASTERS}
        beats = all(np.isfinite(crps[f]) and crps["model"] < crps[f]
                    for f in FORECASTERS[1:])
        out[int(origin)] = {"n": int(m.n), "cover_90": float(m.cover_90),
                            "n_paired": int(m.n_paired), "crps_rel_paired": crps,
                            "covered": bool(m.cover_90 >= COVER_BAR), "beats_naive": beats,
                            "met": bool(m.cover_90 >= COVER_BAR) and beats}
    return out


def backtest(base: dict, observed: pd.DataFrame, origins: list[int], folder: str | Path, *,
             replicates: int = 200, seed: int = 20210820, households_per_agent: int = 1000,
             backend: str = "serial", workers: int = 1, scheduler: str | None = None,
             calibration: dict | None = None, progress: bool = False,
             resume: bool = False, source: str = "", assimilate: bool = True,
             plot=None) -> dict:
    """Calibrate at each origin, forecast, score; write backtest.parquet and the summary.

    ``assimilate`` False forecasts from the model's own origin year (``origin_scenario``).
    ``plot(observed, forecasts, folder)``, when given, draws the figures into ``folder``
    and returns their paths (the command line passes
    :func:`sim.present.analysis_figures.plot_backtest`); the manifest lists them.
    """
    folder = Path(folder)
    calibration = dict(calibration or {})
    if replicates < 2:
        raise CalibrationError(f"--replicates: must be at least 2, got {replicates}")
    origins = sorted(set(int(o) for o in origins))
    for o in origins:
        if not START_YEAR <= o < LAST_YEAR:
            raise CalibrationError(f"--origin: {o} is outside {START_YEAR}-{LAST_YEAR - 1} "
                                   "(there must be simulated years after it)")
    if folder.exists() and any(folder.iterdir()) and not resume:
        raise CalibrationError(f"{folder}: not empty; choose another --out (or --resume to "
                               "reuse its calibrations)")
    folder.mkdir(parents=True, exist_ok=True)
    tables, forecasts, used_series = [], {}, {}
    for origin in origins:
        train = obsmod.until(observed, origin)       # before anything else: no later row
        if progress:
            print(f"origin {origin}: {len(train)} observations up to {origin}", flush=True)
        scn = origin_scenario(base, train, origin, source, assimilate)
        used_series[str(origin)] = scn.get(exogenous.KEY)
        fc = forecast(scn, train, origin, folder, replicates=replicates, seed=seed,
                      households_per_agent=households_per_agent, backend=backend,
                      workers=workers, scheduler=scheduler, calibration=calibration,
                      progress=progress, resume=resume)
        forecasts[origin] = fc
        held_out = observed[observed["year"] > origin]
        tables.append(score(fc, held_out, origin, assimilate))
    table = pd.concat(tables, ignore_index=True)
    summary = summarise(table)
    atomic_parquet(table, folder / "backtest.parquet")
    atomic_parquet(summary, folder / "summary.parquet")
    files = plot(observed, forecasts, folder / "plots") if plot is not None else []
    manifest = {"kind": "backtest", "source": source, "origins": origins,
                "replicates": replicates, "seed": seed,
                "households_per_agent": households_per_agent, "calibration": calibration,
                "assimilate": assimilate,
                "exogenous": used_series,
                "anchored": {str(o): fc["anchored"] for o, fc in forecasts.items()},
                "scored_rows": int(table[table["forecaster"] == "model"]["crps"].notna().sum()),
                "free_bar": {str(k): v for k, v in free_bar(
                    summary[summary["metric"].isin([f"({g})" for g in GROUPS])]).items()},
                "plots": [str(f.relative_to(folder)) for f in files]}
    atomic_write_bytes(folder / "manifest.json", json.dumps(manifest, indent=1,
                                                            ensure_ascii=False).encode())
    return {"table": table, "summary": summary, "forecasts": forecasts, "manifest": manifest}


def format_summary(summary: pd.DataFrame) -> str:
    """The per-metric comparison as text: mean CRPS and 90% coverage per forecaster.

    Then, per origin, the same by group (anchored, exogenous, free; :func:`summarise_groups`)
    and whether the model passes the bar on the free group (:func:`free_bar`).
    """
    lines = []
    is_group = summary["metric"].isin([f"({g})" for g in GROUPS])
    metrics, groups = summary[~is_group], summary[is_group]
    for origin, g in metrics.groupby("origin", sort=True):
        lines.append(f"origin {origin}: mean CRPS (relative to the observed value) and share "
                     "inside the 90% interval")
        lines.append(f"  {'metric':<26} {'n':>3}  {'model':>15}  {'trend':>15}  "
                     f"{'last growth':>15}  best")
        for metric, h in g.groupby("metric", sort=True):
            cells, best = [], {}
            n = 0
            notes = []
            for f in FORECASTERS:
                r = h[h["forecaster"] == f]
                if r.empty or not r["n"].iloc[0]:
                    cells.append(f"{'-':>15}")
                    if not r.empty and r["note"].iloc[0]:
                        notes.append(r["note"].iloc[0])
                    continue
                r = r.iloc[0]
                n = max(n, int(r["n"]))
                best[f] = r["mean_crps_rel"]
                cells.append(f"{r['mean_crps_rel']:>7.3f} ({r['cover_90']:.0%})".rjust(15))
            win = min(best, key=best.get) if best else "-"
            note = f"  [{notes[0]}]" if notes else ""
            lines.append(f"  {metric:<26} {n:>3}  {'  '.join(cells)}  {win}{note}")
    if groups.empty:
        return "\n".join(lines)
    bar = free_bar(groups)
    for origin, g in groups.groupby("origin", sort=True):
        lines.append(f"origin {origin} by group: rows scored, share inside the 90% interval, "
                     "mean relative CRPS on the rows all three forecasters scored (n)")
        lines.append(f"  {'group':<10} {'n':>3}  {'model':>15}  {'trend':>15}  "
                     f"{'last growth':>15}")
        for group in GROUPS:
            h = g[g["group"] == group]
            if h.empty:
                continue
            cells, n, npair = [], 0, 0
            for f in FORECASTERS:
                r = h[h["forecaster"] == f]
                if r.empty:
                    cells.append(f"{'-':>15}")
                    continue
                r = r.iloc[0]
                n = max(n, int(r["n"]))
                npair = int(r["n_paired"])
                crps = "-" if not r["n_paired"] else f"{r['mean_crps_rel_paired']:.3f}"
                cells.append(f"{crps:>7} ({r['cover_90']:.0%})".rjust(15))
            lines.append(f"  {group:<10} {n:>3}  {'  '.join(cells)}  (n = {npair})")
        b = bar.get(int(origin))
        if b:
            verdict = "met" if b["met"] else "not met"
            lines.append(f"  free group: {b['cover_90']:.0%} inside the model's 90% interval "
                         f"(bar {COVER_BAR:.0%}: {'yes' if b['covered'] else 'no'}); mean "
                         f"relative CRPS below both naive forecasts: "
                         f"{'yes' if b['beats_naive'] else 'no'}; bar {verdict}")
    return "\n".join(lines)
