"""The distance: a quality-weighted root mean square of noise-scaled errors.

``sqrt(sum w_i ((x_i - y_i) / s_i)^2 / sum w_i)`` with weights S = 1, M = 0.5, W = 0.25
and ``s_i = sqrt(sd_i^2 + (0.02 |y_i|)^2)``: ``sd_i`` is the statistic's spread under the
prior (from the prior screen's runs), so every statistic counts in units of how much the
prior lets it vary (Prangle 2017, "Adapting the ABC distance function", Bayesian Analysis
12:289-309) and a statistic the prior pins tightly (national income a year out) is not
drowned by one it lets wander (processing output); the 2% floor is the revision size of
published statistics (an assumption) and keeps a statistic the model hardly varies from
dominating. Epsilon reads as a typical miss in prior standard deviations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyabc

SCALE_FLOOR = 0.02  # relative; the revision size of published statistics (assumption)


def noise_scales(used: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    """Each statistic's distance scale: ``sqrt(sd^2 + (SCALE_FLOOR |obs|)^2)``.

    ``y``: simulated statistics under the prior (runs x statistics, as :func:`prior_sample`
    gives); ``sd`` is their standard deviation over the runs that simulated them.
    """
    sd = np.nanstd(np.asarray(y, float), axis=0) if len(y) > 1 else np.zeros(len(used))
    floor = SCALE_FLOOR * used["value"].abs().to_numpy(float)
    s = np.sqrt(np.nan_to_num(sd) ** 2 + floor ** 2)
    return np.where(s > 0, s, 1.0)


class QualityWeightedRelativeDistance(pyabc.Distance):
    """sqrt(sum w_i ((x_i - y_i) / scale_i)^2 / sum w_i)."""

    def __init__(self, keys, weights, scales):
        super().__init__()
        self.keys = list(keys)
        self.w = np.asarray(weights, float)
        self.s = np.asarray(scales, float)

    def __call__(self, x, x_0, t=None, par=None):
        """The distance of simulated statistics ``x`` to the observed ``x_0``."""
        xs = np.array([float(np.asarray(x[k])) for k in self.keys])
        ys = np.array([float(np.asarray(x_0[k])) for k in self.keys])
        r = (xs - ys) / self.s
        d = float(np.sqrt(np.sum(self.w * r * r) / np.sum(self.w)))
        return d if np.isfinite(d) else np.inf

    def get_config(self):
        """What pyabc stores of the distance."""
        return {"name": "QualityWeightedRelativeDistance", "p": 2,
                "weights": dict(zip(self.keys, self.w.tolist(), strict=True))}


def make_distance(used: pd.DataFrame) -> QualityWeightedRelativeDistance:
    """The distance over ``used``'s rows (``key``, ``weight``, ``scale``)."""
    return QualityWeightedRelativeDistance(used["key"], used["weight"], used["scale"])
