"""Summary statistics: which observations a calibration fits, and weighted posterior summaries.

The statistics are the simulated values of every observed (metric, year) with
2020 < year <= ``until``: 2020 is the model's calibration year, where it matches the data
by construction, and rows of exogenous series up to ``data_until`` are the model's input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis import observed as obsmod
from sim.model import plan

START_YEAR = plan.YEARS[0] - 1   # 2020: the model's calibration year, not data to fit
LAST_YEAR = plan.TARGET_YEAR     # 2025: the last simulated year


def statistics(observed: pd.DataFrame, until: int, data_until: int | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split observations into the rows calibrated to and the rows left out (with why).

    ``data_until``: the scenario's cut-off year for exogenous series; rows of those series
    up to it are the model's input (``sim.config.exogenous``), matched by construction.

    Returns:
        ``(used, ignored)``. ``used`` has ``key`` (``metric@year``), ``scale`` (``|value|``,
        or 1 for a zero observation, until ``distance.noise_scales`` replaces it) and
        ``weight`` (from quality).
    """
    from sim.config.exogenous import SERIES
    obs = obsmod.until(observed, until)
    is_input = obs["metric"].isin(list(SERIES)) & (obs["year"] <= (data_until or 0))
    why = np.where(obs["year"] < START_YEAR, "before 2020: not simulated",
                   np.where(obs["year"] == START_YEAR,
                            "2020: the model's start year (matched by construction)",
                            np.where(obs["year"] > LAST_YEAR, "after 2025: not simulated",
                                     np.where(is_input, f"input data up to data_until "
                                              f"{data_until} (matched by construction)",
                                              ""))))
    used = obs[why == ""].copy().reset_index(drop=True)
    ignored = obs[why != ""].copy().reset_index(drop=True)
    ignored["reason"] = why[why != ""]
    used["key"] = used["metric"] + "@" + used["year"].astype(str)
    a = used["value"].abs()
    used["scale"] = a.where(a > 0, 1.0)
    return used, ignored


def weighted_quantile(x, w, q):
    """Quantiles of a weighted sample (midpoint rule on the cumulative weights).

    The rule of ``pyabc.weighted_statistics.weighted_quantile``, kept here because that one
    sorts ties in no fixed order and asserts normalised weights, so its quantiles can differ
    from these (stored in ``summary.parquet``) beyond rounding.
    """
    x, w = np.asarray(x, float), np.asarray(w, float)
    o = np.argsort(x, kind="stable")
    x, w = x[o], w[o]
    c = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, c, x)


def ess(w) -> float:
    """Effective sample size of importance weights (pyabc's ``effective_sample_size``)."""
    from pyabc.weighted_statistics import effective_sample_size
    return float(effective_sample_size(np.asarray(w, float)))
