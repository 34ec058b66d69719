"""Differences in P(met) between two batches, paired where they share replicate seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.equations import wilson_interval

Z = 1.959963984540054


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
