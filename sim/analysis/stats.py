"""Statistics of batches: binomial intervals, the P(met) summary, paired comparisons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.outcomes import METRIC_BY_NAME, TARGETS, target_flag
from sim.model.plan import BASE_YEAR

Z = 1.959963984540054


def wilson_interval(successes, n, z=1.959963984540054):
    """Wilson score interval for a binomial proportion (95% by default)."""
    successes = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = successes / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = np.where(successes <= 0, 0.0, np.clip(centre - half, 0, 1))
    hi = np.where(successes >= n, 1.0, np.clip(centre + half, 0, 1))
    return (float(lo), float(hi)) if lo.ndim == 0 else (lo, hi)


def summarise(reps: pd.DataFrame, trajectories: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per target: P(met) with its 95% Wilson interval, the outcome's quantiles and a flag.

    Args:
        reps: The replicate table (``met.*`` and ``out.*`` columns).
        trajectories: Long trajectory rows (``replicate, year, metric, value``); only the
            2020 rows are read. They give ``p_met_2020``, the share of replicates whose
            2020 state already meets the target, from which the "already met in 2020" flags
            follow. Without them those flags cannot be told and ``p_met_2020`` is NaN.

    The ``flag`` column says when P(met) is decided by construction rather than by the
    agents (``sim.model.outcomes.target_flag``; docs/targets.md): unreachable within the
    declared ranges, delivered by a lever, decided by one input, a weak measure, or already
    met in 2020.
    """
    rows = []
    n = len(reps)
    start = _start_year(reps, trajectories)
    for t in TARGETS:
        if n:
            met = reps[f"met.{t.name}"].astype(bool).to_numpy()
            vals = reps[f"out.{t.metric}"].to_numpy(float)
            k = int(met.sum())
            lo, hi = wilson_interval(k, n)
            q5, q50, q95 = np.quantile(vals, [0.05, 0.5, 0.95])
        else:
            k, lo, hi, q5, q50, q95 = 0, np.nan, np.nan, np.nan, np.nan, np.nan
        p2020 = np.nan
        if start is not None and not METRIC_BY_NAME[t.metric].since_base:
            p2020 = float(np.mean(start[t.metric].to_numpy(float) >= t.threshold))
        rows.append({"target": t.name, "group": t.group, "metric": t.metric,
                     "label_en": t.label_en, "label_zh": t.label_zh, "unit": t.unit,
                     "section": t.section, "threshold": float(t.threshold), "n": n,
                     "met": k, "p_met": k / n if n else np.nan, "p_lo": float(lo),
                     "p_hi": float(hi), "median": float(q50), "q05": float(q5),
                     "q95": float(q95), "p_met_2020": p2020, "flag": target_flag(t, p2020)})
    return pd.DataFrame(rows)


def _start_year(reps: pd.DataFrame, traj: pd.DataFrame | None) -> pd.DataFrame | None:
    """The 2020 value of each target metric, one row per replicate of ``reps``.

    None when no trajectories are given or they lack a replicate's 2020 row.
    """
    if traj is None or traj.empty or not len(reps):
        return None
    metrics = {t.metric for t in TARGETS}
    t = traj[(traj["year"] == BASE_YEAR) & traj["metric"].isin(metrics)
             & traj["replicate"].isin(reps["replicate"])]
    wide = t.pivot(index="replicate", columns="metric", values="value")
    if len(wide) < reps["replicate"].nunique() or not metrics <= set(wide.columns):
        return None
    return wide


def compare(ra: dict, rb: dict) -> tuple[pd.DataFrame, bool]:
    """Per target: P(met) in A and B, B - A and a 95% interval.

    When both batches used the same root seed, replicate ``i`` of each saw the same
    uncertainty draws (common random numbers), so the difference is estimated from the
    paired per-replicate differences (normal interval on their mean). Otherwise the
    batches are independent and Newcombe's hybrid score interval is used.
    """
    a, b = ra["replicates"], rb["replicates"]
    paired = ra["manifest"]["root_seed"] == rb["manifest"]["root_seed"]
    if paired:
        common = sorted(set(a["replicate"]) & set(b["replicate"]))
        a = a.set_index("replicate").loc[common]
        b = b.set_index("replicate").loc[common]
    rows = []
    for _, t in ra["summary"].iterrows():
        col = f"met.{t['target']}"
        xa, xb = a[col].to_numpy(float), b[col].to_numpy(float)
        pa, pb = xa.mean(), xb.mean()
        if paired:
            d = xb - xa
            n = len(d)
            se = d.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
            lo, hi = d.mean() - Z * se, d.mean() + Z * se
        else:
            la, ha = wilson_interval(xa.sum(), len(xa))
            lb, hb = wilson_interval(xb.sum(), len(xb))
            lo = pb - pa - np.sqrt((pb - lb) ** 2 + (ha - pa) ** 2)
            hi = pb - pa + np.sqrt((hb - pb) ** 2 + (pa - la) ** 2)
        rows.append({"target": t["target"], "group": t["group"], "p_a": pa, "p_b": pb,
                     "diff": pb - pa, "lo": float(lo), "hi": float(hi), "n": len(xa)})
    return pd.DataFrame(rows), paired
