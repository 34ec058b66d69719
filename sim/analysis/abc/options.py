"""The calibration's settings, its error, and pyabc (imported only when a calibration runs)."""

from __future__ import annotations

SAMPLERS = ("ordered", "pyabc")
BACKENDS = ("serial", "processes", "dask")
DB = "abc.db"

DEFAULTS = {  # what `clustersim calibrate` uses; see docs/analysis.md for the cost
    "population": 200, "generations": 8, "max_simulations": 12000, "min_acceptance": 0.02,
    "max_params": 8, "screen": 256, "min_rho": 0.2, "households_per_agent": 1000,
    "predictive": 100, "chunk": 8, "seed": 20210820,
}


class CalibrationError(ValueError):
    """A calibration cannot start as asked (bad input or folder); nothing was written."""


def load_pyabc():
    """The pyabc module (slow to import: only when a calibration runs)."""
    try:
        import pyabc
    except ImportError as e:  # pragma: no cover - pyabc is a declared dependency
        raise CalibrationError("calibration needs pyabc (pip install pyabc): "
                               f"{e}") from None
    return pyabc
