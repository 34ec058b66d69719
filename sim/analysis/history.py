"""Checks against observed data: where did what happened fall in the model's bands.

The observed file is a tidy CSV (``data/observed/shanxi.csv`` by default, documented in
``docs/data.md``): ``metric, year, value`` and optionally ``unit, source, quality, note``.
Every row of a metric the model records is placed in the model's predictive distribution
for its year (percentile, 50% and 90% band membership). Rows of the start year (2020) are
reported apart: the model is initialised to them, so they are calibration, not validation.
Rows of metrics the model does not record, or of years it does not simulate, are listed
apart too, so a user sees what was not checked and why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.observed import DEFAULT_OBSERVED  # noqa: F401 - the one default
from sim.config.files import suggest
from sim.model.plan import BASE_YEAR


def read_observed(path: str | Path) -> pd.DataFrame:
    """The observations of a CSV, rows of metrics the model lacks kept (listed, not checked).

    The one reader is :func:`sim.analysis.observed.read_observed`; every problem names the
    file, line and column.
    """
    from sim.analysis.observed import read_observed as read
    return read(path, keep_unknown=True)


def nothing_to_check(traj: pd.DataFrame, obs: pd.DataFrame) -> str | None:
    """Why no row of ``obs`` can be placed in the batch's distributions, or None if one can.

    A file none of whose metrics the model records (or whose rows of recorded metrics all
    fall outside the simulated years) would check nothing; the reason names the unknown
    metrics and the allowed ones.
    """
    recorded = set(traj["metric"].unique())
    known = obs[obs["metric"].isin(recorded)]
    if known.empty:
        unknown = list(dict.fromkeys(obs["metric"]))
        named = ", ".join(f"{m!r}{suggest(m, recorded)}" for m in unknown)
        return (f"no row to check: the model records none of its metrics ({named}); "
                f"allowed are the model's {len(recorded)} trajectory metrics: "
                + ", ".join(sorted(recorded)))
    years = set(traj["year"].unique())
    if not known["year"].isin(years).any():
        return (f"no row to check: its rows of the model's metrics are all outside the "
                f"simulated years {min(years)}-{max(years)}")
    return None


def check(traj: pd.DataFrame, obs: pd.DataFrame, data_until: int | None = None
          ) -> pd.DataFrame:
    """Per observation: its percentile in the model's distribution and band membership.

    ``status`` is ``checked`` (a simulated year after the start year), ``calibration``
    (the start year, and rows of exogenous series the batch took as data: years up to its
    ``data_until``), ``not in the model`` or ``outside simulated years``.
    """
    from sim.config.exogenous import SERIES
    rows = []
    years = set(traj["year"].unique())
    recorded = set(traj["metric"].unique())
    groups = {k: g["value"].to_numpy(float) for k, g in traj.groupby(["metric", "year"])}
    for r in obs.itertuples():
        base = {"metric": r.metric, "year": r.year, "observed": r.value,
                "quality": getattr(r, "quality", "M"), "source": r.source}
        if r.metric not in recorded:
            rows.append({**base, "status": "not in the model" + suggest(r.metric, recorded)})
            continue
        if r.year not in years:
            rows.append({**base, "status": f"outside simulated years "
                         f"{min(years)}-{max(years)}"})
            continue
        v = groups[(r.metric, r.year)]
        q05, q25, q50, q75, q95 = np.quantile(v, [0.05, 0.25, 0.5, 0.75, 0.95])
        tie = np.abs(v - r.value) <= 1e-9 * max(abs(r.value), 1.0)  # rounding is not a miss
        pct = 100.0 * (np.mean((v < r.value) & ~tie) + 0.5 * np.mean(tie))
        eps = 1e-9 * max(abs(r.value), 1.0)
        given = r.metric in SERIES and r.year <= (data_until or BASE_YEAR)
        rows.append({**base, "status": "calibration" if r.year == BASE_YEAR or given
                     else "checked",
                     "percentile": pct, "median": q50, "q05": q05, "q95": q95,
                     "in_50": bool(q25 - eps <= r.value <= q75 + eps),
                     "in_90": bool(q05 - eps <= r.value <= q95 + eps), "n": len(v)})
    return pd.DataFrame(rows)


def coverage(table: pd.DataFrame) -> dict:
    """Share of validation rows (after the start year) inside the 50% and 90% bands."""
    v = table[table["status"] == "checked"]
    n = len(v)
    return {"n": n, "in_50": float(v["in_50"].mean()) if n else float("nan"),
            "in_90": float(v["in_90"].mean()) if n else float("nan"),
            "below_05": int((v["percentile"] < 5).sum()) if n else 0,
            "above_95": int((v["percentile"] > 95).sum()) if n else 0}
