"""Scenario discovery: PRIM boxes of the conditions under which a target is missed.

Uses the EMA Workbench's PRIM implementation (``ema_workbench.analysis.prim``) on the sampled
uncertainties of a stored Monte Carlo batch. The peeling trajectory is read as data (drawn
by ``sim.present.analysis_figures.plot_trajectory``), which works the same on EMA Workbench
2.5 (Python 3.11) and 3.x (3.12+).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

from sim.model.outcomes import TARGETS
from sim.model.params import BY_NAME

INFORMATIVE_MISS = (0.1, 0.9)  # targets worth a PRIM run: missed in 10-90% of replicates


def _pretty(col: str) -> str:
    name, _, key = col.partition(".")
    p = BY_NAME.get(name)
    desc = (p.description.rstrip(".").lower() if p and p.description else name.replace("_", " "))
    return f"{desc} ({key})" if key else desc


def find_boxes(x: pd.DataFrame, y: np.ndarray, threshold: float = 0.8, max_boxes: int = 2,
               peel_alpha: float = 0.05, mass_min: float = 0.05, max_dims: int = 4,
               min_coverage: float = 0.1) -> list[dict]:
    """PRIM boxes for ``y`` (True = the case of interest, e.g. target missed).

    On each peeling trajectory the chosen box is the most covering one whose density reaches
    ``threshold`` with at most ``max_dims`` restricted dimensions (a box a person can read);
    boxes covering less than ``min_coverage`` of the cases are not reported. Returns one
    dict per box: limits (restricted dimensions only), coverage, density, mass, the peeling
    trajectory and the chosen point on it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("EMA").setLevel(logging.ERROR)
        import inspect

        from ema_workbench.analysis import prim
        kw = {"peel_alpha": peel_alpha, "mass_min": mass_min}
        if "threshold" in inspect.signature(prim.Prim.__init__).parameters:
            kw["threshold"] = threshold  # EMA Workbench 2.x; 3.x dropped the argument
        p = prim.Prim(x.reset_index(drop=True), np.asarray(y, bool), **kw)
        boxes = []
        for _ in range(max_boxes):
            try:
                box = p.find_box()
            except Exception:  # noqa: BLE001 - EMA raises when nothing is left to find
                break
            if box is None:
                break
            traj = box.peeling_trajectory.copy()
            ok = traj.index[(traj["density"] >= threshold) & (traj["res_dim"] <= max_dims)
                            & (traj["res_dim"] > 0)]
            if not len(ok):
                break
            i = int(ok[np.argmax(traj.loc[ok, "coverage"].to_numpy())])
            if float(traj.loc[i, "coverage"]) < min_coverage:
                break
            box.select(i)
            lims = box.box_lims[i]
            full = p.box_init
            restricted = {}
            for col in x.columns:
                lo, hi = float(lims.loc[0, col]), float(lims.loc[1, col])
                flo, fhi = float(full.loc[0, col]), float(full.loc[1, col])
                if lo > flo or hi < fhi:
                    restricted[col] = (lo if lo > flo else None, hi if hi < fhi else None)
            row = traj.loc[i]
            if not restricted or float(row["coverage"]) == 0.0:
                break
            boxes.append({"limits": restricted, "coverage": float(row["coverage"]),
                          "density": float(row["density"]), "mass": float(row["mass"]),
                          "trajectory": traj[["coverage", "density", "mass", "res_dim"]],
                          "chosen": i})
    return boxes


def sentence(target_label: str, box: dict, n_missed: int) -> str:
    """A plain sentence for a box."""
    conds = []
    for col, (lo, hi) in box["limits"].items():
        if lo is not None and hi is not None:
            conds.append(f"{_pretty(col)} is between {lo:.4g} and {hi:.4g}")
        elif hi is not None:
            conds.append(f"{_pretty(col)} is below {hi:.4g}")
        else:
            conds.append(f"{_pretty(col)} is above {lo:.4g}")
    where = " and ".join(conds) if conds else "in any conditions sampled"
    return (f"The {target_label} target is missed in {box['density']:.0%} of replicates "
            f"where {where}; these hold {box['coverage']:.0%} of the {n_missed} misses "
            f"({box['mass']:.0%} of all replicates).")


def discover(reps: pd.DataFrame, target: str, threshold: float = 0.8,
             max_boxes: int = 2) -> dict:
    """PRIM on a batch's replicate table for one target (case of interest: missed)."""
    x = reps[[c for c in reps.columns if c.startswith("in.")]].copy()
    x.columns = [c[3:] for c in x.columns]
    x = x.loc[:, x.nunique() > 1]  # pinned uncertainties carry no information
    missed = ~reps[f"met.{target}"].astype(bool).to_numpy()
    out = {"n": len(reps), "missed": int(missed.sum()), "boxes": []}
    if 0 < missed.sum() < len(reps):
        out["boxes"] = find_boxes(x, missed, threshold, max_boxes)
    return out


def informative_targets(reps: pd.DataFrame, k: int = 5,
                        miss: tuple[float, float] = INFORMATIVE_MISS) -> list[tuple[str, float]]:
    """Up to ``k`` targets missed in a share of replicates within ``miss`` (inclusive).

    PRIM has nothing to separate for a target missed in none or all of the replicates;
    these are the ones it can describe, closest to half missed first (ties: plan order).
    """
    rows = []
    for t in TARGETS:
        col = f"met.{t.name}"
        if col not in reps or not len(reps):
            continue
        share = int((~reps[col].astype(bool)).sum()) / len(reps)
        if miss[0] <= share <= miss[1]:
            rows.append((t.name, share))
    rows.sort(key=lambda r: round(abs(r[1] - 0.5), 9))
    return rows[:k]
