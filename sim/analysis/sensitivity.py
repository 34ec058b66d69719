"""Global sensitivity analysis with SALib (Sobol' or Morris) over uncertainties and levers.

Factors and bounds come from the one declaration of each parameter (``sim.model.params``), after
the scenario's narrowing and pinning: every element of a per-cluster uncertainty is its own
factor (``national_demand_growth.brewing``); a lever is one factor applied to all its keys
and years. Every sample runs with the same replicate seed, so the remaining randomness
(which city has a drought in which year, ...) is held fixed and the indices measure the
factors' effect (common random numbers).

Cost: Sobol' needs ``N·(2D+2)`` runs (second-order terms on) and Morris ``r·(D+1)``, for
``D`` factors; see docs/analysis.md for what that costs on this machine.
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
# When Sobol' indices are not worth reading (docs/analysis.md): for an outcome, the mean
# 95% half-width of ST over its QUALITY_TOP highest-ranked factors exceeds
# QUALITY_MAX_HALF_WIDTH, i.e. the ranking a reader looks at is mostly noise.
QUALITY_TOP = 8
QUALITY_MAX_HALF_WIDTH = 0.2
QUALITY_RULE = (f"an outcome's indices are not worth reading when the mean 95% half-width of "
                f"ST over its {QUALITY_TOP} highest-ranked factors exceeds "
                f"{QUALITY_MAX_HALF_WIDTH:g}")


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


def quality(idx: pd.DataFrame, n: int, n_factors: int) -> dict:
    """Whether Sobol' indices are worth reading (:data:`QUALITY_RULE`); stored in the manifest.

    Returns ``{"rule", "top", "mean_st_half_width": {outcome: value}, "not_worth_reading":
    [outcomes], "suggested_n", "warning"}``; for Morris only the rule (``"warning": None``).
    """
    top_k = min(QUALITY_TOP, n_factors)
    out: dict = {"rule": QUALITY_RULE, "top": top_k, "mean_st_half_width": {},
                 "not_worth_reading": [], "suggested_n": None, "warning": None}
    if "ST_conf" not in idx:
        out["rule"] = "Sobol' only; Morris screens and has no such check"
        return out
    top = (idx.sort_values("ST", ascending=False, kind="stable")
           .groupby("outcome", sort=False).head(QUALITY_TOP))
    hw = top.groupby("outcome", sort=False)["ST_conf"].mean()
    hw = hw.reindex([o for o in idx["outcome"].unique() if o in hw.index])
    out["mean_st_half_width"] = {o: float(v) for o, v in hw.items()}
    bad = hw[~(hw <= QUALITY_MAX_HALF_WIDTH)]  # NaN (no intervals) counts as bad
    if bad.empty:
        return out
    # Half-widths shrink about as 1/sqrt(N): the N that brings the typical flagged outcome
    # under the limit, as a power of two, at least twice this one.
    typical = float(np.nanmedian(bad.to_numpy())) if bad.notna().any() else np.inf
    need = n * (typical / QUALITY_MAX_HALF_WIDTH) ** 2 if np.isfinite(typical) else 4 * n
    suggested = max(2 * n, 1 << int(np.ceil(np.log2(max(need, 2)))))
    worst = bad.fillna(np.inf).idxmax()
    out["not_worth_reading"] = [str(o) for o in bad.index]
    out["suggested_n"] = int(suggested)
    out["warning"] = (
        f"not worth reading: Sobol' N = {n} is too small for {n_factors} factors; for "
        f"{len(bad)} of {len(hw)} outcomes the mean 95% half-width of ST over the top "
        f"{top_k} factors exceeds {QUALITY_MAX_HALF_WIDTH:g} (worst: {worst} "
        f"±{float(bad[worst]):.2f}); run again with --n {suggested} or more")
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
