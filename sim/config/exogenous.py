"""Exogenous series as data: observed values up to a cut-off year, sampled growth after it.

A scenario's ``data_until: YEAR`` (``clustersim run --data-until YEAR``) makes the model take
each series below from its observed yearly levels for 2020-YEAR, and continue it after YEAR
from the last observed level at the replicate's sampled growth rate (the uncertainty named
next to it). Without ``data_until`` nothing changes: the sampled growth applies from the
2020 level, as before.

The series are rows of the observed-data file (``data/observed/shanxi.csv``, sourced row by
row in docs/data.md), the same file calibration and backtests read, so a backtest's cut at
its origin cuts them too (docs/architecture.md says why they are not a file of their own).
Only series with sourced yearly rows are here; national market size per cluster and farm or
food price indices have none in ``data/`` and stay sampled (docs/inputs.md, "Exogenous
series").

The resolved block goes into the validated scenario under ``exogenous`` (so a batch's
manifest records exactly what the run used)::

    {"data_until": 2023, "file": "data/observed/shanxi.csv",
     "series": {"national_rural_income": {"2020": 17131.0, ..., "2023": 21691.0}},
     "continued_by": {"national_rural_income": "national_rural_income_growth"}}

Year keys are strings so the block survives the manifest's JSON unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.errors import ScenarioError
from sim.config.files import SOURCE_ROOT
from sim.config.observed import DEFAULT_OBSERVED, parse_observed
from sim.model import plan

KEY = "exogenous"
SERIES = {"national_rural_income": "national_rural_income_growth"}  # metric: continued by
FIRST_YEAR = plan.BASE_YEAR                      # 2020: the level the model starts from
YEARS = (plan.YEARS[0], plan.TARGET_YEAR)        # 2021-2025: a cut-off inside the run


def shown(file: str | os.PathLike) -> str:
    """A file as recorded: relative to the source tree when inside it, else as given."""
    p = Path(file)
    try:
        return p.resolve().relative_to(SOURCE_ROOT).as_posix()
    except ValueError:
        return str(p)


def _file_path(recorded: str) -> Path:
    p = Path(recorded)
    return p if p.is_absolute() or p.exists() else SOURCE_ROOT / p


def check_year(value, source: str, keypath: str) -> int:
    """A whole-number year, or a ScenarioError naming where it came from."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ScenarioError(source, keypath, f"must be a year (a whole number) in "
                            f"{YEARS[0]}-{YEARS[1]}, got {value!r}")
    return int(value)


def resolve(data_until, source: str, keypath: str = "data_until",
            file: str | os.PathLike | None = None,
            rows: pd.DataFrame | None = None) -> dict:
    """The exogenous block for a cut-off year, from ``rows`` or else the file's rows.

    Args:
        data_until: The cut-off year (2021-2025).
        source: What set it (a scenario file, ``--data-until``), for error messages.
        keypath: Where in ``source`` (empty for a command-line flag).
        file: The observed-data file (default ``data/observed/shanxi.csv``); with ``rows``
            it is only recorded.
        rows: Observations already read (metric, year, value); rows after ``data_until``
            are dropped before anything else.

    Raises:
        ScenarioError: a year outside 2021-2025 or after the series' last year (naming the
            range and the file), a series missing from the file, or a gap year in it
            (naming the metric and the year).
    """
    year = check_year(data_until, source, keypath)
    path = Path(file) if file is not None else DEFAULT_OBSERVED
    if rows is None:
        rows = parse_observed(path, None)
    name = shown(path)
    series = {}
    for metric in SERIES:
        d = rows[rows["metric"] == metric]
        if d.empty:
            raise ScenarioError(source, keypath, f"{name} has no {metric} rows; "
                                f"data_until needs {metric} for {FIRST_YEAR}-{year}")
        last = int(d["year"].max())
        top = min(last, YEARS[1])
        if not YEARS[0] <= year <= top:
            allowed = (f"the allowed {YEARS[0]}-{top}" if top >= YEARS[0] else
                       f"every allowed year (none: the file ends before {YEARS[0]})")
            raise ScenarioError(source, keypath, f"{year} is outside {allowed} (the "
                                f"simulated years {YEARS[0]}-{YEARS[1]}, up to the last "
                                f"{metric} year in {name}, {last})")
        d = d[d["year"] <= year]                 # no value after the cut-off is used
        by_year = dict(zip(d["year"].astype(int), d["value"].astype(float), strict=True))
        levels = {}
        for y in range(FIRST_YEAR, year + 1):
            if y not in by_year:
                raise ScenarioError(source, keypath, f"{name}: {metric} has no row for {y} "
                                    f"(a gap: data_until {year} needs every year "
                                    f"{FIRST_YEAR}-{year})")
            v = by_year[y]
            if not v > 0:
                raise ScenarioError(source, keypath, f"{name}: {metric} {y} is {v:g}; a "
                                    "level must be positive (growth is taken from it)")
            levels[str(y)] = float(v)
        series[metric] = levels
    return {"data_until": year, "file": name, "series": series,
            "continued_by": dict(SERIES)}


def check_block(block, data_until: int, source: str) -> dict:
    """A resolved block carried by a scenario (from ``derive`` or a backtest), checked.

    A block for another cut-off year is resolved again from the file it names.
    """
    if not isinstance(block, dict) or not isinstance(block.get("series"), dict):
        raise ScenarioError(source, KEY, "must be the block that data_until resolves to "
                            "(set data_until, not exogenous)")
    if not YEARS[0] <= data_until <= YEARS[1]:
        raise ScenarioError(source, "data_until", f"{data_until} is outside the allowed "
                            f"{YEARS[0]}-{YEARS[1]} (the simulated years)")
    if block.get("data_until") != data_until:
        return resolve(data_until, source, file=_file_path(str(block.get("file") or
                                                                DEFAULT_OBSERVED)))
    for metric in SERIES:
        levels = block["series"].get(metric)
        want = [str(y) for y in range(FIRST_YEAR, data_until + 1)]
        if not isinstance(levels, dict) or sorted(levels) != want:
            raise ScenarioError(source, f"{KEY}.series.{metric}", f"needs exactly the years "
                                f"{FIRST_YEAR}-{data_until}")
        for y, v in levels.items():
            if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0 \
                    or not np.isfinite(v):
                raise ScenarioError(source, f"{KEY}.series.{metric}.{y}",
                                    f"must be a positive number, got {v!r}")
    return {"data_until": data_until, "file": str(block.get("file", "")),
            "series": {m: {y: float(v) for y, v in block["series"][m].items()}
                       for m in SERIES},
            "continued_by": dict(SERIES)}
