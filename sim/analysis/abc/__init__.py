"""Bayesian calibration of the declared uncertainties to observed data: ABC-SMC with pyabc.

Laid out as pyABC is: :mod:`~sim.analysis.abc.statistics` (which observations are fitted;
weighted posterior summaries), :mod:`~sim.analysis.abc.model` (factors, pinning, one
simulation per particle), :mod:`~sim.analysis.abc.distance` (the noise-scaled, quality-
weighted distance), :mod:`~sim.analysis.abc.sampler` (the reproducible ordered sampler on
``run.Evaluator``, or pyabc's), :mod:`~sim.analysis.abc.screen` (the prior screen that
picks the factors), :mod:`~sim.analysis.abc.store` (manifest, key, tables from pyabc's
history), :mod:`~sim.analysis.abc.predictive` and :mod:`~sim.analysis.abc.smc`
(:func:`calibrate`, the whole run). Figures: ``sim.present.calibration_plots``.

By default only the factors that matter most for the observed statistics are calibrated,
chosen by the prior screen; the others keep their prior ranges and are integrated over like
the model's other randomness. pyabc is imported only when a calibration runs (the
distance and sampler modules subclass its classes), so their names are loaded on first use.
"""

from __future__ import annotations

import importlib

from sim.analysis.abc.model import Simulator, choose_factors, pin
from sim.analysis.abc.options import (
    BACKENDS,
    DB,
    DEFAULTS,
    SAMPLERS,
    CalibrationError,
    load_pyabc,
)
from sim.analysis.abc.predictive import predictive_check, simulate_metrics
from sim.analysis.abc.screen import pick, prior_sample, rank_screen, screen
from sim.analysis.abc.smc import calibrate
from sim.analysis.abc.statistics import (
    LAST_YEAR,
    START_YEAR,
    ess,
    statistics,
    weighted_quantile,
)
from sim.analysis.abc.store import export

_LAZY = {  # name -> module that imports pyabc at its top
    "SCALE_FLOOR": "distance", "noise_scales": "distance", "make_distance": "distance",
    "QualityWeightedRelativeDistance": "distance", "OrderedSampler": "sampler",
    "make_sampler": "sampler", "run_proposals": "sampler", "seed_global": "sampler",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"sim.analysis.abc.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BACKENDS", "DB", "DEFAULTS", "LAST_YEAR", "SAMPLERS", "START_YEAR", "CalibrationError",
    "Simulator", "calibrate", "choose_factors", "ess", "export", "load_pyabc", "pick", "pin",
    "predictive_check", "prior_sample", "rank_screen", "screen", "simulate_metrics",
    "statistics", "weighted_quantile",
]  # and the names of _LAZY, left out so that ``import *`` does not import pyabc
