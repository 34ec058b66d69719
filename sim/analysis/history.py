"""Checks against observed data.

Where does each observation fall in the model's predictive distribution for its year?
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.errors import ScenarioError
from sim.config.files import suggest

COLUMNS = ("metric", "year", "value")


def read_observed(path: str | Path, metrics: set[str]) -> pd.DataFrame:
    """Read and validate a CSV of observations (metric, year, value, optional source)."""
    path = Path(path)
    src = str(path)
    if not path.is_file():
        raise ScenarioError(src, "", "no such file")
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(row for row in fh if not row.startswith("#")))
    except (UnicodeDecodeError, csv.Error) as e:
        raise ScenarioError(src, "", f"not a readable CSV: {e}") from None
    if not rows:
        raise ScenarioError(src, "", "no observations (header: metric,year,value[,source])")
    missing = [c for c in COLUMNS if c not in rows[0]]
    if missing:
        raise ScenarioError(src, "header", f"missing column(s) {', '.join(missing)}; "
                            "needs metric,year,value and optionally source")
    out = []
    for i, r in enumerate(rows, start=2):
        m = (r["metric"] or "").strip()
        if m not in metrics:
            raise ScenarioError(src, f"line {i}: metric", f"unknown metric {m!r}"
                                f"{suggest(m, metrics)}; metrics are the model's outcome "
                                "names (e.g. output_total, rural_income)")
        try:
            year = int(str(r["year"]).strip())
            value = float(str(r["value"]).strip())
        except ValueError:
            raise ScenarioError(src, f"line {i}", "year must be a whole number and value a "
                                "number") from None
        if not np.isfinite(value):
            raise ScenarioError(src, f"line {i}: value", "must be finite")
        out.append({"metric": m, "year": year, "value": value,
                    "source": (r.get("source") or "").strip()})
    return pd.DataFrame(out)


def check(traj: pd.DataFrame, obs: pd.DataFrame) -> pd.DataFrame:
    """Per observation: its percentile in the model's distribution and band membership."""
    rows = []
    years = set(traj["year"].unique())
    for r in obs.itertuples():
        base = {"metric": r.metric, "year": r.year, "observed": r.value, "source": r.source}
        if r.year not in years:
            rows.append({**base, "status": f"outside simulated years "
                         f"{min(years)}-{max(years)}"})
            continue
        v = traj.loc[(traj["metric"] == r.metric) & (traj["year"] == r.year), "value"]
        v = v.to_numpy(float)
        q05, q25, q50, q75, q95 = np.quantile(v, [0.05, 0.25, 0.5, 0.75, 0.95])
        tie = np.abs(v - r.value) <= 1e-9 * max(abs(r.value), 1.0)  # rounding is not a miss
        pct = 100.0 * (np.mean((v < r.value) & ~tie) + 0.5 * np.mean(tie))
        eps = 1e-9 * max(abs(r.value), 1.0)
        rows.append({**base, "status": "checked", "percentile": pct, "median": q50,
                     "q05": q05, "q95": q95, "in_50": bool(q25 - eps <= r.value <= q75 + eps),
                     "in_90": bool(q05 - eps <= r.value <= q95 + eps), "n": len(v)})
    return pd.DataFrame(rows)


def plot(traj: pd.DataFrame, obs: pd.DataFrame, title: str):
    """Fan chart per observed metric with the observations marked."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    metrics = list(dict.fromkeys(obs["metric"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.8 * len(metrics), 4), squeeze=False)
    for ax, m in zip(axes[0], metrics, strict=True):
        d = traj[traj["metric"] == m].pivot(index="replicate", columns="year", values="value")
        q = d.quantile([0.05, 0.25, 0.5, 0.75, 0.95])
        yrs = q.columns.to_numpy()
        ax.fill_between(yrs, q.loc[0.05], q.loc[0.95], alpha=0.2, color="tab:blue",
                        label="model 90%")
        ax.fill_between(yrs, q.loc[0.25], q.loc[0.75], alpha=0.4, color="tab:blue",
                        label="model 50%")
        ax.plot(yrs, q.loc[0.5], color="tab:blue", label="model median")
        o = obs[obs["metric"] == m]
        ax.plot(o["year"], o["value"], "o", color="tab:red", label="observed")
        ax.set_title(m, fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
