"""Global sensitivity analysis with SALib (Sobol' or Morris) over uncertainties and levers.

Factors and bounds come from the one declaration of each parameter (``sim.model.params``), after
the scenario's narrowing and pinning: every element of a per-cluster uncertainty is its own
factor (``national_demand_growth.brewing``); a lever is one factor applied to all its keys
and years. Every sample runs with the same replicate seed, so the remaining randomness
(which city has a drought in which year, ...) is held fixed and the indices measure the
factors' effect (common random numbers).

Cost: Sobol' needs ``N·(2D+2)`` runs (second-order terms on) and Morris ``r·(D+1)``, for
``D`` factors; see docs/analysis.md for what that costs on 2 cores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.factors import factor_values, factors
from sim.config.scenario import derive
from sim.model.outcomes import SENSITIVITY_METRICS
from sim.run.evaluators import Evaluator
from sim.run.store import atomic_parquet, write_manifest

METHODS = ("sobol", "morris")
OUTCOMES = SENSITIVITY_METRICS
# When indices are not worth reading (docs/analysis.md). An outcome is flagged when any rule
# holds; every rule is about what the printed table shows (its QUALITY_TOP highest-ranked
# factors) or about the sample size the bootstrap intervals themselves need.
# Sobol':
#   - N < SOBOL_MIN_N: SALib's bootstrap intervals rest on N base rows; below 64 they are
#     themselves unreliable, so no index (nor its interval) can be read;
#   - the mean 95% half-width of ST over the top factors exceeds QUALITY_MAX_HALF_WIDTH;
#   - S1 > ST beyond the intervals (S1 - ST > S1_conf + ST_conf) for a factor: impossible
#     for true indices (the first-order effect is part of the total), so the estimate is
#     noise;
#   - an index negative beyond its interval (S1 + S1_conf < 0 or ST + ST_conf < 0):
#     impossible for true indices.
# Morris:
#   - r < MORRIS_MIN_R trajectories: too few elementary effects per factor for mu* and its
#     bootstrap interval (Campolongo et al. 2007 use r = 10-20);
#   - the 95% interval of mu* is wider than mu* itself (the interval reaches below zero)
#     for more than half of the top factors: their ranking is indistinguishable from none.
QUALITY_TOP = 8
QUALITY_MAX_HALF_WIDTH = 0.2
SOBOL_MIN_N = 64
MORRIS_MIN_R = 10
QUALITY_RULE = (
    f"Sobol': indices are not worth reading when N < {SOBOL_MIN_N}, when the mean 95% "
    f"half-width of ST over an outcome's {QUALITY_TOP} highest-ranked factors exceeds "
    f"{QUALITY_MAX_HALF_WIDTH:g}, when S1 exceeds ST by more than their intervals, or when "
    f"an index is negative beyond its interval")
MORRIS_RULE = (
    f"Morris: mu* is not worth reading when r < {MORRIS_MIN_R} trajectories, or when the 95% "
    f"interval of mu* is wider than mu* for more than half of an outcome's "
    f"{QUALITY_TOP} highest-ranked factors")


def problem(facs: list[dict]) -> dict:
    """SALib problem dict."""
    return {"num_vars": len(facs), "names": [f["name"] for f in facs],
            "bounds": [[f["low"], f["high"]] for f in facs]}


def sample(method: str, facs: list[dict], n: int, seed: int) -> np.ndarray:
    """SALib sample matrix (``sample.sobol``, not the deprecated saltelli; or morris)."""
    prob = problem(facs)
    if method == "sobol":
        from SALib.sample import sobol
        return sobol.sample(prob, n, calc_second_order=True, seed=seed)
    if method == "morris":
        from SALib.sample import morris
        return morris.sample(prob, n, num_levels=4, seed=seed)
    raise ValueError(f"method must be one of {METHODS}")


def analyse(method: str, facs: list[dict], x: np.ndarray, y: pd.DataFrame,
            seed: int) -> pd.DataFrame:
    """Indices per outcome and factor, with bootstrap intervals."""
    prob = problem(facs)
    rows = []
    for out in y.columns:
        v = y[out].to_numpy(float)
        if method == "sobol":
            from SALib.analyze import sobol
            r = sobol.analyze(prob, v, calc_second_order=True, num_resamples=200, seed=seed)
            for i, f in enumerate(facs):
                rows.append({"outcome": out, "factor": f["name"], "kind": f["kind"],
                             "S1": r["S1"][i], "S1_conf": r["S1_conf"][i], "ST": r["ST"][i],
                             "ST_conf": r["ST_conf"][i]})
        else:
            from SALib.analyze import morris
            r = morris.analyze(prob, x, v, num_resamples=200, num_levels=4, seed=seed)
            for i, f in enumerate(facs):
                rows.append({"outcome": out, "factor": f["name"], "kind": f["kind"],
                             "mu_star": r["mu_star"][i], "mu_star_conf": r["mu_star_conf"][i],
                             "sigma": r["sigma"][i], "mu": r["mu"][i]})
    return pd.DataFrame(rows)


def _power_of_two_at_least(x: float) -> int:
    return 1 << int(np.ceil(np.log2(max(x, 2.0))))


def _sobol_reasons(idx: pd.DataFrame, n: int) -> tuple[dict, dict, float]:
    """Per outcome: the reasons it is flagged; the mean ST half-widths; the N they need."""
    reasons: dict[str, list[str]] = {}
    top = (idx.sort_values("ST", ascending=False, kind="stable")
           .groupby("outcome", sort=False).head(QUALITY_TOP))
    hw = top.groupby("outcome", sort=False)["ST_conf"].mean()
    hw = hw.reindex([o for o in idx["outcome"].unique() if o in hw.index])
    wide = hw[~(hw <= QUALITY_MAX_HALF_WIDTH)]  # NaN (no intervals) counts as wide
    for o, v in wide.items():
        reasons.setdefault(str(o), []).append(
            f"ST ± {v:.2f} on average over the top {QUALITY_TOP}" if np.isfinite(v)
            else "no ST intervals")
    gap = idx["S1"] - idx["ST"] - (idx["S1_conf"] + idx["ST_conf"])
    for o, g in idx[gap > 0].assign(gap=gap).groupby("outcome", sort=False):
        r = g.sort_values("gap", ascending=False, kind="stable").iloc[0]
        reasons.setdefault(str(o), []).append(
            f"S1 > ST beyond their intervals for {len(g)} factor(s), e.g. {r['factor']} "
            f"S1 {r['S1']:.3f} ± {r['S1_conf']:.3f}, ST {r['ST']:.3f} ± {r['ST_conf']:.3f}")
    for col in ("S1", "ST"):
        neg = idx[idx[col] + idx[f"{col}_conf"] < 0]
        for o, g in neg.groupby("outcome", sort=False):
            r = g.sort_values(col, kind="stable").iloc[0]
            reasons.setdefault(str(o), []).append(
                f"{col} negative beyond its interval for {len(g)} factor(s), e.g. "
                f"{r['factor']} {col} {r[col]:.3f} ± {r[f'{col}_conf']:.3f}")
    if n < SOBOL_MIN_N:
        for o in idx["outcome"].unique():
            reasons.setdefault(str(o), []).insert(0, f"N = {n} < {SOBOL_MIN_N}")
    # Half-widths shrink about as 1/sqrt(N): the N that brings the typical wide outcome
    # under the limit; other reasons ask for at least double (and at least SOBOL_MIN_N).
    typical = float(np.nanmedian(wide.to_numpy())) if wide.notna().any() else np.inf
    need = (n * (typical / QUALITY_MAX_HALF_WIDTH) ** 2 if np.isfinite(typical)
            else 4 * n) if len(wide) else 2 * n
    return reasons, {str(o): float(v) for o, v in hw.items()}, max(need, SOBOL_MIN_N)


def _morris_reasons(idx: pd.DataFrame, n: int) -> tuple[dict, float]:
    """Per outcome: the reasons it is flagged; the r they need."""
    reasons: dict[str, list[str]] = {}
    top = (idx.sort_values("mu_star", ascending=False, kind="stable")
           .groupby("outcome", sort=False).head(QUALITY_TOP))
    ratios = []
    for o, g in top.groupby("outcome", sort=False):
        wide = g["mu_star_conf"] > g["mu_star"]
        if wide.sum() > len(g) / 2:
            reasons.setdefault(str(o), []).append(
                f"the 95% interval of mu* is wider than mu* for {int(wide.sum())} of the "
                f"top {len(g)} factors")
            rel = (g["mu_star_conf"] / g["mu_star"].where(g["mu_star"] > 0)).to_numpy(float)
            ratios.append(np.nanmedian(rel) if np.isfinite(rel).any() else np.inf)
    if n < MORRIS_MIN_R:
        for o in idx["outcome"].unique():
            reasons.setdefault(str(o), []).insert(0, f"r = {n} < {MORRIS_MIN_R}")
    # Intervals shrink about as 1/sqrt(r): the r that brings the typical ratio under 1.
    typical = float(np.median(ratios)) if ratios else 0.0
    need = n * typical ** 2 if np.isfinite(typical) else 4 * n
    return reasons, max(need, 2 * n, MORRIS_MIN_R)


def quality(idx: pd.DataFrame, n: int, n_factors: int) -> dict:
    """Whether the indices are worth reading (:data:`QUALITY_RULE`, :data:`MORRIS_RULE`).

    Stored in the manifest. Returns ``{"rule", "top", "mean_st_half_width": {outcome:
    value} (Sobol' only), "not_worth_reading": [outcomes], "reasons": {outcome: [text]},
    "suggested_n", "warning"}``; ``warning`` is None when every outcome can be read.
    """
    sobol = "ST_conf" in idx
    top_k = min(QUALITY_TOP, n_factors)
    out: dict = {"rule": QUALITY_RULE if sobol else MORRIS_RULE, "top": top_k,
                 "mean_st_half_width": {}, "not_worth_reading": [], "reasons": {},
                 "suggested_n": None, "warning": None}
    if sobol:
        reasons, out["mean_st_half_width"], need = _sobol_reasons(idx, n)
        suggested = max(2 * n, _power_of_two_at_least(need))
    else:
        reasons, need = _morris_reasons(idx, n)
        suggested = int(np.ceil(need))
    if not reasons:
        return out
    order = [str(o) for o in idx["outcome"].unique() if str(o) in reasons]
    out["reasons"] = {o: reasons[o] for o in order}
    out["not_worth_reading"] = order
    out["suggested_n"] = int(suggested)
    what = f"Sobol' N = {n}" if sobol else f"Morris r = {n}"
    hw = out["mean_st_half_width"]
    worst = max(order, key=lambda o: (len(reasons[o]), np.nan_to_num(hw.get(o, 0.0),
                                                                     nan=np.inf)))
    out["warning"] = (
        f"not worth reading: {what} is too small for {n_factors} factors; for "
        f"{len(order)} of {idx['outcome'].nunique()} outcomes (worst: {worst}: "
        f"{'; '.join(reasons[worst])}); run again with --n {suggested} or more")
    return out


def run(base: dict, method: str, n: int, seed: int, folder: Path, evaluator: Evaluator,
        include_levers: bool = True) -> dict:
    """Sample, run every sample through the evaluator, analyse, store."""
    from sim.model.rng import replicate_seeds
    facs = factors(base, include_levers)
    x = sample(method, facs, n, seed)
    rep_seed = replicate_seeds(seed, 1)[0]
    tasks = [(i, rep_seed, derive(base, factor_values(facs, row))) for i, row in enumerate(x)]
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"method": method, "n": n, "runs": len(x), "root_seed": seed,
                "replicate_seed": str(rep_seed),
                "households_per_agent": evaluator.households_per_agent,
                "scenario": base, "factors": facs, "outcomes": list(OUTCOMES)}
    write_manifest(folder, manifest)
    ys = np.full((len(x), len(OUTCOMES)), np.nan)
    failed = 0
    for res in evaluator.map(tasks, base, desc=f"{method} ({len(facs)} factors)", unit="run"):
        if "error" in res:
            failed += 1
        else:
            ys[res["index"]] = [res["outcomes"][o] for o in OUTCOMES]
    if failed:
        raise RuntimeError(f"{failed} sensitivity runs failed; indices need every run")
    y = pd.DataFrame(ys, columns=list(OUTCOMES))
    atomic_parquet(pd.DataFrame(x, columns=[f["name"] for f in facs]), folder / "samples.parquet")
    atomic_parquet(y, folder / "outputs.parquet")
    idx = analyse(method, facs, x, y, seed)
    atomic_parquet(idx, folder / "indices.parquet")
    manifest["quality"] = quality(idx, n, len(facs))
    manifest["status"] = "complete"
    write_manifest(folder, manifest)
    return {"manifest": manifest, "indices": idx}


def ranked(idx: pd.DataFrame, outcome: str, k: int = 10) -> pd.DataFrame:
    """The k most influential factors for an outcome (by ST, or mu* for Morris)."""
    col = "ST" if "ST" in idx else "mu_star"
    g = idx[idx["outcome"] == outcome]
    return g.sort_values(col, ascending=False, kind="stable").head(k)
