"""Observed data for checks, calibration and backtests: the CSV reader with the model's metrics.

The format and the parser are in :mod:`sim.config.observed` (the configuration layer reads
the same file for the model's exogenous series); this module adds the model's trajectory
metric names as the default check, the cut at an origin year and the writer.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from sim.config.observed import (  # noqa: F401 - one definition, re-exported
    COLUMNS,
    DEFAULT_OBSERVED,
    DEFAULT_QUALITY,
    OPTIONAL,
    QUALITY,
    QUALITY_WEIGHT,
    REQUIRED,
    YEAR_RANGE,
    parse_observed,
)


@functools.lru_cache(maxsize=1)
def model_metrics() -> frozenset[str]:
    """The model's trajectory metric names (the keys of every year's trajectory row)."""
    from sim.run.replicate import run_replicate
    # The names do not depend on the seed or the scale; the coarsest scale is the quickest.
    return frozenset(run_replicate("plan", 0, households_per_agent=100_000)["trajectory"][2020])


def read_observed(path: str | Path, metrics: Iterable[str] | None = None,
                  keep_unknown: bool = False) -> pd.DataFrame:
    """Read and validate an observed-data CSV.

    Args:
        path: The CSV file.
        metrics: Allowed metric names (default: the model's trajectory metrics).
        keep_unknown: Keep rows of other metrics instead of refusing them (``check-history``
            lists them as not in the model; calibration and backtests refuse them).

    Returns and raises as :func:`sim.config.observed.parse_observed`: one row per
    observation, or a ScenarioError naming the file, line and column of the first problem.
    """
    allowed = None if keep_unknown else (frozenset(metrics) if metrics is not None
                                         else model_metrics())
    return parse_observed(path, allowed)


def until(df: pd.DataFrame, year: int) -> pd.DataFrame:
    """The observations of ``year`` and before (a copy; later rows are dropped)."""
    return df[df["year"] <= int(year)].reset_index(drop=True)


def write_observed(df: pd.DataFrame, path: str | Path, comment: str = "") -> None:
    """Write observations in the same format (used for simulated test data)."""
    path = Path(path)
    out = df.copy()
    for c in OPTIONAL:
        if c not in out:
            out[c] = DEFAULT_QUALITY if c == "quality" else ""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for line in comment.splitlines():
            fh.write(f"# {line}\n")
        out[list(COLUMNS)].to_csv(fh, index=False, lineterminator="\n")
