"""An emulator of the Monte Carlo: P(met) and outcome quantiles as functions of the levers.

The dashboard answers within a second of a lever moving, far faster than a Monte Carlo. It
reads this emulator, fitted on a stored *design*: runs of the real model at lever points
spread over the levers' declared ranges (a Latin hypercube), each run with its own seed and
so its own draw of every uncertainty. What the emulator learns is therefore the Monte
Carlo's answer, averaged over the uncertainties, as a smooth function of the levers.

* Inputs: each lever's value, one number per lever (the design sets every lever flat over
  keys and years; a scenario's schedule is read as its mean over keys and years), scaled
  to [0, 1] by the declared range, and their squares.
* P(met) per target: logistic regression (scikit-learn, L2 penalty ``C``) on the features.
  Its 95% interval is the Wald interval on the logit scale, from the inverse of the
  penalised log-likelihood's Hessian at the fit (the emulator's own uncertainty from a
  finite design); a target met in every run of the design, or in none, gets the design's
  Wilson interval at every lever point.
* Outcome quantiles (fan charts): per metric and year, a ridge regression of the outcome
  on the features plus the 5%, 50% and 95% quantiles of its residuals (the spread from the
  uncertainties is taken as the same at every lever point).
* Held-out error: K-fold cross-validation over the design rows: the Brier score of P(met)
  beside that of a constant (the design's share met), and the share of held-out 2025
  outcomes inside the predicted 5-95% band (90% if the fan is right).

Prediction is a few matrix products on stored coefficients (no scikit-learn call), so the
whole table of targets comes in a few milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.scenario import derive, lever_arrays, with_data_until
from sim.model.outcomes import TARGETS
from sim.model.params import LEVERS
from sim.model.plan import BASE_YEAR, TARGET_YEAR
from sim.run.evaluators import Evaluator

Z95 = 1.959963984540054
LEVER_NAMES: tuple[str, ...] = tuple(p.name for p in LEVERS)
YEARS_ALL: tuple[int, ...] = tuple(range(BASE_YEAR, TARGET_YEAR + 1))
QUANTILES = (0.05, 0.5, 0.95)
CONDITIONINGS = {
    # key: (data_until year or None, label en, label zh)
    "vintage2021": (None, "2021 vintage (no data after 2020)", "2021年版（仅用2020年及以前数据）"),
    "data2024": (2024, "All published data (to 2024)", "全部已公布数据（至2024年）"),
}
DEFAULT_SCALE = 10_000   # rural households per simulated household in the dashboard's runs
FORMAT_VERSION = 1


def lever_bounds() -> np.ndarray:
    """(levers, 2) declared (low, high) of each lever (the widest over keys)."""
    return np.array([p.bounds() for p in LEVERS], float)


def lever_point(scenario: dict) -> dict[str, float]:
    """A scenario's levers as one number each: the mean over keys and years 2021-2025."""
    arrays = lever_arrays(scenario)
    return {name: float(np.mean(arrays[name])) for name in LEVER_NAMES}


def at_point(scenario: dict, point: dict[str, float], source: str = "dashboard") -> dict:
    """The scenario with the levers of ``point`` set flat (levers equal to its own mean kept).

    A lever whose value is the scenario's own mean keeps its schedule over keys and years;
    a moved lever is set to the value for every key and year (as ``--set`` does).
    """
    own = lever_point(scenario)
    moved = {f"levers.{k}": float(v) for k, v in point.items()
             if k in own and not math.isclose(float(v), own[k], rel_tol=1e-9, abs_tol=1e-12)}
    return derive(scenario, moved, source=source) if moved else scenario


def conditioned(scenario: dict, conditioning: str) -> dict:
    """The scenario under a conditioning (``CONDITIONINGS``): observed data up to a year."""
    if conditioning not in CONDITIONINGS:
        raise ValueError(f"conditioning must be one of {', '.join(CONDITIONINGS)}, "
                         f"got {conditioning!r}")
    year = CONDITIONINGS[conditioning][0]
    return with_data_until(scenario, year, source="dashboard conditioning")


def family_key(scenario: dict, conditioning: str, scale: int) -> str:
    """What an emulator depends on besides the levers: uncertainties, constants, data, scale.

    Scenarios that differ only in their levers share an emulator (the levers are its inputs).
    """
    rest = {k: v for k, v in scenario.items() if k not in ("name", "description", "levers")}
    blob = json.dumps([rest, conditioning, int(scale), FORMAT_VERSION], sort_keys=True,
                      default=str)
    return f"{conditioning}-h{int(scale)}-{hashlib.sha256(blob.encode()).hexdigest()[:10]}"


def _metrics() -> list[str]:
    return sorted({t.metric for t in TARGETS})


# ---------------------------------------------------------------------- the design
def design_points(n: int, seed: int = 1) -> np.ndarray:
    """(n, levers) lever values: a Latin hypercube over the declared ranges."""
    from scipy.stats import qmc
    u = qmc.LatinHypercube(d=len(LEVER_NAMES), seed=seed).random(n)
    b = lever_bounds()
    return b[:, 0] + u * (b[:, 1] - b[:, 0])


def run_design(scenario: dict, conditioning: str, runs: int, scale: int = DEFAULT_SCALE,
               workers: int = 1, seed: int = 1, progress: Callable[[int, int], None] | None
               = None, bar: bool = True) -> pd.DataFrame:
    """Run the model at ``runs`` lever points (one seed each) and tabulate the results.

    Returns one row per run: the levers, ``seed``, ``met:TARGET`` (0/1) and
    ``METRIC@YEAR`` for every target metric and year 2020-2025.
    """
    base = conditioned(scenario, conditioning)
    pts = design_points(runs, seed)
    seeds = [seed * 1_000_003 + i for i in range(runs)]
    tasks = [(i, seeds[i], at_point(base, dict(zip(LEVER_NAMES, pts[i], strict=True)),
                                     source="emulator design"))
             for i in range(runs)]
    metrics = _metrics()
    rows: list[dict] = [{} for _ in range(runs)]
    done = 0
    backend = "processes" if workers > 1 else "serial"
    with Evaluator(backend, workers=workers, households_per_agent=scale, progress=bar) as ev:
        for r in ev.map(tasks, desc=f"emulator design ({conditioning})"):
            i = r["index"]
            if "error" in r:
                raise RuntimeError(f"design run {i} (seed {r['seed']}) failed: {r['error']}")
            row = dict(zip(LEVER_NAMES, map(float, pts[i]), strict=True))
            row["seed"] = int(r["seed"])
            for t in TARGETS:
                row[f"met:{t.name}"] = float(bool(r["met"][t.name]))
            for y in YEARS_ALL:
                vals = r["trajectory"][y]
                for m in metrics:
                    row[f"{m}@{y}"] = float(vals[m])
            rows[i] = row
            done += 1
            if progress is not None:
                progress(done, runs)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- the fit
def features(x: np.ndarray) -> np.ndarray:
    """Features of lever values: each scaled to [0, 1] by its declared range, and its square."""
    b = lever_bounds()
    z = (np.atleast_2d(np.asarray(x, float)) - b[:, 0]) / (b[:, 1] - b[:, 0])
    return np.hstack([z, z * z])


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _fit_logistic(f: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (intercept last) of L2-penalised logistic fits and their covariance.

    ``y`` is (runs,) or (runs, targets). The objective is scikit-learn's
    ``LogisticRegression(C=c)``: the log-likelihood less ``|w|² / (2c)``, the intercept
    unpenalised; it is solved by Newton's method for every target at once (the tests
    check it against scikit-learn). The covariance is the inverse Hessian at the fit. A
    target with one class in ``y`` gets a constant at the logit of its Wilson interval's
    centre, with the interval's width on the logit scale.
    """
    from sim.analysis.stats import wilson_interval
    ys = np.asarray(y, float).reshape(len(f), -1)
    n, t = ys.shape
    k = f.shape[1] + 1
    x1 = np.hstack([f, np.ones((n, 1))])
    pen = np.full(k, 1.0 / c)
    pen[-1] = 0.0
    w = np.zeros((t, k))
    one = (ys.min(axis=0) == ys.max(axis=0))
    for _ in range(100):
        p = _sigmoid(x1 @ w.T)
        grad = (p - ys).T @ x1 + w * pen
        h = np.einsum("ni,nt,nj->tij", x1, p * (1 - p), x1) + np.diag(pen)
        h[one] = np.eye(k)
        grad[one] = 0.0
        step = np.linalg.solve(h, grad[..., None])[..., 0]
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    p = _sigmoid(x1 @ w.T)
    h = np.einsum("ni,nt,nj->tij", x1, p * (1 - p), x1) + np.diag(pen)
    h[one] = np.eye(k)
    cov = np.linalg.inv(h)
    for j in np.flatnonzero(one):
        lo, hi = (float(v) for v in wilson_interval(int(ys[:, j].sum()), n))
        w[j] = 0.0
        w[j, -1] = 0.5 * (_logit(lo) + _logit(hi))
        cov[j] = 0.0
        cov[j, -1, -1] = ((_logit(hi) - _logit(lo)) / (2 * Z95)) ** 2
    return w, cov


def _fit_ridge(f: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Ridge regression of every column of ``y`` on ``f`` (scikit-learn's ``Ridge(alpha)``).

    Returns (features, columns) coefficients and (columns,) intercepts; the intercept is
    unpenalised (the data are centred first, as scikit-learn does).
    """
    fm, ym = f.mean(axis=0), y.mean(axis=0)
    fc = f - fm
    w = np.linalg.solve(fc.T @ fc + alpha * np.eye(f.shape[1]), fc.T @ (y - ym))
    return w, ym - fm @ w


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class Emulator:
    """Stored coefficients of the fitted emulator and its held-out error."""

    targets: list[str]
    metrics: list[str]
    w_met: np.ndarray        # (targets, features + 1): coefficients, intercept last
    cov_met: np.ndarray      # (targets, features + 1, features + 1): their covariance
    w_out: np.ndarray        # (features, metrics × years)
    b_out: np.ndarray        # (metrics × years,)
    resid_q: np.ndarray      # (metrics × years, quantiles)
    heldout: dict            # cross-validated error (see fit)
    meta: dict               # design size, scale, conditioning, scenario family, timings

    # -------------------------------------------------------------- prediction
    def p_met(self, point: dict[str, float]) -> pd.DataFrame:
        """P(met) per target at a lever point: ``p``, and the 95% interval ``lo``, ``hi``."""
        z, sd = self.logit(point)
        return pd.DataFrame({"target": self.targets, "p": _sigmoid(z),
                             "lo": _sigmoid(z - Z95 * sd), "hi": _sigmoid(z + Z95 * sd)})

    def logit(self, point: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """The logit of P(met) per target at a lever point and its standard error."""
        f = np.append(features([point[k] for k in LEVER_NAMES])[0], 1.0)
        z = self.w_met @ f
        sd = np.sqrt(np.maximum(np.einsum("i,tij,j->t", f, self.cov_met, f), 0.0))
        return z, sd

    def fan(self, point: dict[str, float], metric: str) -> pd.DataFrame:
        """Quantiles (q05, q50, q95) of ``metric`` per year 2020-2025 at a lever point."""
        j = self.metrics.index(metric)
        cols = slice(j * len(YEARS_ALL), (j + 1) * len(YEARS_ALL))
        f = features([point[k] for k in LEVER_NAMES])[0]
        mean = f @ self.w_out[:, cols] + self.b_out[cols]
        q = mean[:, None] + self.resid_q[cols]
        return pd.DataFrame({"year": YEARS_ALL, "q05": q[:, 0], "q50": q[:, 1],
                             "q95": q[:, 2]})

    # -------------------------------------------------------------- storage
    def save(self, folder: Path) -> None:
        """Write ``emulator.npz`` and ``emulator.json`` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(folder / "emulator.npz", w_met=self.w_met, cov_met=self.cov_met,
                 w_out=self.w_out, b_out=self.b_out, resid_q=self.resid_q)
        (folder / "emulator.json").write_text(json.dumps(
            {"targets": self.targets, "metrics": self.metrics, "heldout": self.heldout,
             "meta": self.meta, "format": FORMAT_VERSION, "levers": list(LEVER_NAMES)},
            indent=1, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> Emulator:
        """Read an emulator written by :meth:`save`."""
        folder = Path(folder)
        info = json.loads((folder / "emulator.json").read_text())
        if info.get("format") != FORMAT_VERSION or info.get("levers") != list(LEVER_NAMES):
            raise ValueError(f"{folder / 'emulator.json'}: written by another version "
                             "(format or levers differ); rebuild with clustersim dashboard "
                             "--build")
        arr = np.load(folder / "emulator.npz")
        return cls(info["targets"], info["metrics"], arr["w_met"], arr["cov_met"],
                   arr["w_out"], arr["b_out"], arr["resid_q"], info["heldout"], info["meta"])


def fit(design: pd.DataFrame, c: float = 1.0, alpha: float = 1.0,
        folds: int = 5, seed: int = 1, meta: dict | None = None) -> Emulator:
    """Fit the emulator on a design (:func:`run_design`) and cross-validate it.

    Args:
        design: One row per run.
        c: Inverse L2 penalty of the logistic fits.
        alpha: Ridge penalty of the outcome regressions.
        folds: Cross-validation folds for the held-out error.
        seed: Seed of the fold split.
        meta: Extra facts recorded with the emulator.
    """
    t0 = time.perf_counter()
    targets = [t.name for t in TARGETS]
    metrics = _metrics()
    x = design[list(LEVER_NAMES)].to_numpy(float)
    f = features(x)
    ymet = design[[f"met:{t}" for t in targets]].to_numpy(float)
    yout = design[[f"{m}@{y}" for m in metrics for y in YEARS_ALL]].to_numpy(float)
    n = len(design)
    w_met, cov_met = _fit_logistic(f, ymet, c)
    w_out, b_out = _fit_ridge(f, yout, alpha)
    resid = yout - (f @ w_out + b_out)
    resid_q = np.quantile(resid, QUANTILES, axis=0).T

    heldout = cross_validate(f, ymet, yout, targets, metrics, c, alpha, folds, seed)
    meta = {**(meta or {}), "runs": int(n), "C": c, "alpha": alpha,
            "folds": int(folds), "fit_seconds": round(time.perf_counter() - t0, 2)}
    return Emulator(targets, metrics, w_met, cov_met, w_out, b_out, resid_q, heldout, meta)


def cross_validate(f, ymet, yout, targets, metrics, c, alpha, folds, seed) -> dict:
    """K-fold held-out error of P(met) (Brier) and of the 2025 fan (5-95% coverage, R²)."""
    n = len(f)
    order = np.random.default_rng(seed + 1).permutation(n)
    fold_of = np.empty(n, int)
    fold_of[order] = np.arange(n) % folds
    pred = np.zeros_like(ymet)
    base = np.zeros_like(ymet)
    years = len(YEARS_ALL)
    last = [j * years + years - 1 for j in range(len(metrics))]
    y25 = yout[:, last]
    inside = np.zeros_like(y25)
    mid = np.zeros_like(y25)
    for k in range(folds):
        tr, te = fold_of != k, fold_of == k
        w, _ = _fit_logistic(f[tr], ymet[tr], c)
        pred[te] = _sigmoid(f[te] @ w[:, :-1].T + w[:, -1])
        base[te] = ymet[tr].mean(axis=0)
        w, b = _fit_ridge(f[tr], y25[tr], alpha)
        fit_tr = f[tr] @ w + b
        q = np.quantile(y25[tr] - fit_tr, [0.05, 0.5, 0.95], axis=0)
        fit_te = f[te] @ w + b
        inside[te] = (y25[te] >= fit_te + q[0]) & (y25[te] <= fit_te + q[2])
        mid[te] = fit_te + q[1]
    brier = ((pred - ymet) ** 2).mean(axis=0)
    brier0 = ((base - ymet) ** 2).mean(axis=0)
    var = y25.var(axis=0)
    r2 = np.where(var > 0, 1 - ((mid - y25) ** 2).mean(axis=0) / np.where(var > 0, var, 1),
                  np.nan)
    per_target = {t: {"brier": float(brier[j]), "brier_constant": float(brier0[j]),
                      "share_met": float(ymet[:, j].mean())} for j, t in enumerate(targets)}
    per_metric = {m: {"coverage90": float(inside[:, j].mean()),
                      "r2": None if np.isnan(r2[j]) else float(r2[j])}
                  for j, m in enumerate(metrics)}
    varied = [j for j in range(len(targets)) if 0 < ymet[:, j].mean() < 1]
    return {"folds": int(folds), "runs": int(n),
            "brier_mean": float(brier.mean()),
            "brier_constant_mean": float(brier0.mean()),
            "brier_mean_varied": float(brier[varied].mean()) if varied else None,
            "brier_constant_mean_varied": float(brier0[varied].mean()) if varied else None,
            "targets_varied": len(varied),
            "coverage90_mean": float(inside.mean()),
            "r2_median": float(np.nanmedian(r2)) if np.isfinite(r2).any() else None,
            "per_target": per_target, "per_metric": per_metric}


# ---------------------------------------------------------------------- the cache
def cache_dir(root: Path, scenario: dict, conditioning: str, scale: int) -> Path:
    """Where the emulator of a scenario family and conditioning is kept under ``root``."""
    return Path(root) / family_key(scenario, conditioning, scale)


def build(root: Path, scenario: dict, conditioning: str, runs: int, scale: int = DEFAULT_SCALE,
          workers: int = 1, seed: int = 1, progress: Callable[[int, int], None] | None = None,
          bar: bool = True) -> Emulator:
    """Run a design, fit the emulator and store both under ``root``; returns the emulator."""
    t0 = time.perf_counter()
    folder = cache_dir(root, scenario, conditioning, scale)
    design = run_design(scenario, conditioning, runs, scale, workers, seed, progress, bar)
    run_s = time.perf_counter() - t0
    folder.mkdir(parents=True, exist_ok=True)
    design.to_parquet(folder / "design.parquet")
    em = fit(design, seed=seed, meta={
        "conditioning": conditioning, "scale": int(scale), "seed": int(seed),
        "family": folder.name, "scenario": scenario["name"],
        "design_seconds": round(run_s, 1), "workers": int(workers)})
    em.save(folder)
    return em


def cached(root: Path, scenario: dict, conditioning: str, scale: int) -> Emulator | None:
    """The stored emulator for this scenario family and conditioning, or None."""
    folder = cache_dir(root, scenario, conditioning, scale)
    if (folder / "emulator.json").is_file() and (folder / "emulator.npz").is_file():
        return Emulator.load(folder)
    return None


def difference(em: Emulator, point: dict[str, float], base: Emulator,
               base_point: dict[str, float]) -> pd.DataFrame:
    """P(met) at ``point`` less P(met) of ``base`` at ``base_point``, with a 95% interval.

    The interval is the delta method on the fits' covariances: one fit (the same emulator)
    counts the shared coefficients once; two emulators are taken as independent.
    """
    f1 = np.append(features([point[k] for k in LEVER_NAMES])[0], 1.0)
    f0 = np.append(features([base_point[k] for k in LEVER_NAMES])[0], 1.0)
    p1 = _sigmoid(em.w_met @ f1)
    p0 = _sigmoid(base.w_met @ f0)
    g1 = (p1 * (1 - p1))[:, None] * f1
    g0 = (p0 * (1 - p0))[:, None] * f0
    if em is base:
        g = g1 - g0
        var = np.einsum("ti,tij,tj->t", g, em.cov_met, g)
    else:
        var = (np.einsum("ti,tij,tj->t", g1, em.cov_met, g1)
               + np.einsum("ti,tij,tj->t", g0, base.cov_met, g0))
    sd = np.sqrt(np.maximum(var, 0.0))
    d = p1 - p0
    return pd.DataFrame({"target": em.targets, "diff": d, "lo": np.maximum(d - Z95 * sd, -1.0),
                         "hi": np.minimum(d + Z95 * sd, 1.0)})
