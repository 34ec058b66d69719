"""Calibration to observed data: kept importable; the code is the package ``sim.analysis.abc``."""

from __future__ import annotations

from sim.analysis import abc as _abc
from sim.analysis.abc import *  # noqa: F403 - the package's public names
from sim.analysis.abc.store import key as _key  # noqa: F401 - used by tests/test_assimilate


def __getattr__(name: str):
    return getattr(_abc, name)  # the names the package loads on first use (pyabc)
