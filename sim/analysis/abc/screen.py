"""The prior screen: which factors move the observed statistics (Spearman's rho).

The same prior sample gives the distance its scales (``distance.noise_scales``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.abc.model import pin


def screen(base: dict, facs: list[dict], used: pd.DataFrame, n: int, seed: int, hpa: int,
           backend: str = "serial", workers: int = 1, scheduler: str | None = None
           ) -> pd.DataFrame:
    """Which factors move the observed statistics: Spearman's rho over a prior sample.

    ``n`` prior draws of all factors, one replicate each (seeds from the root seed), every
    statistic simulated; per factor the largest |rho| with any statistic and which one.
    """
    from sim.run.evaluators import Evaluator
    with Evaluator(backend, workers, scheduler, hpa, progress=False) as ev:
        x, y = prior_sample(base, facs, used, n, seed, ev)
    return rank_screen(facs, used, x, y)


def prior_sample(base: dict, facs: list[dict], used: pd.DataFrame, n: int, seed: int,
                 evaluator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` prior draws of the factors (runs x factors) and the statistics they simulate."""
    from sim.model.rng import replicate_seeds
    rng = np.random.default_rng([int(seed), 7])
    lo = np.array([f["low"] for f in facs])
    hi = np.array([f["high"] for f in facs])
    x = lo + rng.random((n, len(facs))) * (hi - lo)
    seeds = replicate_seeds(seed, n)
    tasks = [(i, seeds[i], pin(base, facs, x[i])) for i in range(n)]
    y = np.full((n, len(used)), np.nan)
    for res in evaluator.run_all(tasks, base):
        tr = res["trajectory"]
        y[res["index"]] = [tr[int(yr)][m] for m, yr in zip(used["metric"], used["year"],
                                                             strict=True)]
    return x, y


def rank_screen(facs: list[dict], used: pd.DataFrame, x: np.ndarray, y: np.ndarray
                ) -> pd.DataFrame:
    """Per factor, the largest |Spearman rho| with any statistic over a prior sample.

    ``leads``: the observed metrics (over all their years) this factor moves more than any
    other factor does, with that metric's largest |rho| (``metric:rho``, comma-separated;
    empty when it leads none), so :func:`pick` can give every observed series a factor.
    """
    from scipy.stats import rankdata
    n = len(x)
    rx = np.apply_along_axis(rankdata, 0, x)
    ry = np.apply_along_axis(rankdata, 0, y)
    rx = (rx - rx.mean(0)) / rx.std(0)
    sd = ry.std(0)
    ry = (ry - ry.mean(0)) / np.where(sd > 0, sd, 1.0)
    rho = rx.T @ ry / n                                    # factors x statistics
    best = np.argmax(np.abs(rho), axis=1)
    out = pd.DataFrame({
        "factor": [f["name"] for f in facs],
        "max_abs_rho": np.abs(rho)[np.arange(len(facs)), best],
        "statistic": used["key"].to_numpy()[best],
        "rho": rho[np.arange(len(facs)), best],
    })
    lead: dict[int, list[str]] = {}
    metrics = used["metric"].to_numpy()
    for metric in dict.fromkeys(metrics):               # in file order
        a = np.abs(rho[:, metrics == metric]).max(axis=1)
        i = int(np.argmax(a))
        lead.setdefault(i, []).append(f"{metric}:{a[i]:.3f}")
    out["leads"] = [", ".join(lead.get(i, [])) for i in range(len(facs))]
    return out.sort_values(["max_abs_rho", "factor"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


def pick(table: pd.DataFrame, k: int, min_rho: float) -> list[str]:
    """Up to ``k`` factors: each observed metric's strongest driver first, then the rest.

    A factor counts only with |rho| >= ``min_rho``. First the factors that lead an observed
    metric with at least that |rho| (``leads`` of :func:`rank_screen`), so no observed
    series is left without a calibrated factor that moves it while ``k`` allows; then the
    others; each group by |rho|, largest first. A table without ``leads`` (written before
    it existed) is ranked by |rho| alone.
    """
    ok = table[table["max_abs_rho"] >= min_rho]
    if "leads" not in ok:
        return ok["factor"].head(k).tolist()
    leads = ok["leads"].map(lambda s: any(float(p.rsplit(":", 1)[1]) >= min_rho
                                          for p in s.split(", ") if p))
    return (ok[leads]["factor"].tolist() + ok[~leads]["factor"].tolist())[:k]


