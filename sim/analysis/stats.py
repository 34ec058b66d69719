"""Statistics of batches: binomial intervals, the P(met) summary, paired comparisons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.outcomes import TARGETS

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


def summarise(reps: pd.DataFrame) -> pd.DataFrame:
    """Per target: P(met) with its 95% Wilson interval and the outcome's quantiles."""
    rows = []
    n = len(reps)
    for t in TARGETS:
        if n:
            met = reps[f"met.{t.name}"].astype(bool).to_numpy()
            vals = reps[f"out.{t.metric}"].to_numpy(float)
            k = int(met.sum())
            lo, hi = wilson_interval(k, n)
            q5, q50, q95 = np.quantile(vals, [0.05, 0.5, 0.95])
        else:
            k, lo, hi, q5, q50, q95 = 0, np.nan, np.nan, np.nan, np.nan, np.nan
        rows.append({"target": t.name, "group": t.group, "metric": t.metric,
                     "label_en": t.label_en, "label_zh": t.label_zh, "unit": t.unit,
                     "section": t.section, "threshold": float(t.threshold), "n": n,
                     "met": k, "p_met": k / n if n else np.nan, "p_lo": float(lo),
                     "p_hi": float(hi), "median": float(q50), "q05": float(q5),
                     "q95": float(q95)})
    return pd.DataFrame(rows)


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
