"""Exogenous series as data: observed values up to a cut-off year, sampled growth after it.

A scenario's ``data_until: YEAR`` (``clustersim run --data-until YEAR``) makes the model take
each series below from its observed yearly levels for 2020-YEAR, and continue it after YEAR
from the last observed level at the replicate's sampled growth rate (the uncertainty named
next to it). Without ``data_until`` nothing changes: the sampled growth applies from the
2020 level, as before.

The series are rows of the observed-data file (``data/observed/shanxi.csv``, sourced row by
row in docs/data.md), the same file calibration and backtests read, so a backtest's cut at
its origin cuts them too (docs/architecture.md says why they are not a file of their own).
National market growth per cluster is taken the same way from the sibling file
``data/observed/national_markets.csv``: for the clusters whose ``national_demand_growth`` range
was set from a reported yearly series (``MARKETS``), each year up to the cut-off with a
reported y/y growth uses that growth in place of that year's draw of the market's AR(1) path
around the sampled trend, and the path continues from the deviation the report implies (a
year without a report is drawn: the series have gaps, and a gap is not an error here;
``sim.model.national.market_path``). Farm and food
price indices have no yearly rows in ``data/`` and stay sampled (docs/inputs.md, "Exogenous
series").

The resolved block goes into the validated scenario under ``exogenous`` (so a batch's
manifest records exactly what the run used)::

    {"data_until": 2023, "file": "data/observed/shanxi.csv",
     "series": {"national_rural_income": {"2020": 17131.0, ..., "2023": 21691.0}},
     "continued_by": {"national_rural_income": "national_rural_income_growth"},
     "markets_file": "data/observed/national_markets.csv",
     "market_growth": {"brewing": {"2021": 0.186, "2023": 0.097}, ...},
     "state": {"2022": {"processing_output": 3260.0, ...},
               "2023": {"rural_income_wage": 7875.0, ...},
               "2024": {"top_firm_revenue_brewing": 360.11}}}

``state`` holds, by year, the observations in 2021 to the cut-off year of the metrics that
measure the model's state (household incomes by source, the largest firms' revenues,
processing revenue, gross agricultural output): after recording each such year as it
simulated it, the run re-anchors those parts of its state on them and continues from there
(``sim.model.assimilate``; sequential data assimilation, as a forecast made at the cut-off
would start from what was known then; the income survey is published a year after the
firms' accounts, so with ``data_until: 2024`` the incomes are last anchored at 2023).
``with_data_until(..., assimilate=False)`` (``clustersim backtest --no-assimilate``) leaves
it out.

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
from sim.model import assimilate, plan

KEY = "exogenous"
SERIES = {"national_rural_income": "national_rural_income_growth"}  # metric: continued by
FIRST_YEAR = plan.BASE_YEAR                      # 2020: the level the model starts from
YEARS = (plan.YEARS[0], plan.TARGET_YEAR)        # 2021-2025: a cut-off inside the run
MARKETS_FILE = SOURCE_ROOT / "data" / "observed" / "national_markets.csv"
# cluster: the reported y/y growth (comparable basis) of its national market, the series its
# national_demand_growth range was set from (sim.model.params; docs/data.md, "National
# product markets"); the other clusters have no yearly series and keep the sampled trend
MARKETS = {"brewing": "national_market_brewing_baijiu_revenue_growth",
           "dairy": "national_market_dairy_revenue_growth",
           "tcm": "national_market_tcm_decoction_pieces_revenue_growth",
           "cosmetics": "national_market_cosmetics_retail_growth"}
MARKET_KEY = "market_growth"
# the observations up to the cut-off year the run re-anchors its state on, by year
STATE_KEY = "state"
STATE_METRICS = assimilate.METRICS


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
            rows: pd.DataFrame | None = None, assimilate: bool = True) -> dict:
    """The exogenous block for a cut-off year, from ``rows`` or else the file's rows.

    Args:
        data_until: The cut-off year (2021-2025).
        source: What set it (a scenario file, ``--data-until``), for error messages.
        keypath: Where in ``source`` (empty for a command-line flag).
        file: The observed-data file (default ``data/observed/shanxi.csv``); with ``rows``
            it is only recorded.
        rows: Observations already read (metric, year, value); rows after ``data_until``
            are dropped before anything else.
        assimilate: Take the rows in 2021 to ``data_until`` that measure the model's
            state (``STATE_METRICS``) into the block's ``state``: the run re-anchors on
            them at the end of their year (``sim.model.assimilate``). False: no ``state``.

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
    out = {"data_until": year, "file": name, "series": series,
           "continued_by": dict(SERIES), "markets_file": shown(MARKETS_FILE),
           MARKET_KEY: market_growth(year, source, keypath)}
    if assimilate:
        out[STATE_KEY] = observed_state(rows, year)
    return out


def observed_state(rows: pd.DataFrame, year: int) -> dict[str, dict[str, float]]:
    """The state metrics' rows in 2021 to ``year``: {year: {metric: value}}.

    Never a row after ``year``; 2020 is not taken (the model starts from the 2020 state by
    construction). (Several rows of one metric-year cannot occur: the file's parser refuses
    duplicates.)
    """
    d = rows[(rows["year"] > FIRST_YEAR) & (rows["year"] <= year)
             & rows["metric"].isin(STATE_METRICS) & (rows["value"] > 0)]
    out: dict[str, dict[str, float]] = {}
    for m, y, v in sorted(zip(d["metric"], d["year"].astype(int), d["value"].astype(float),
                              strict=True), key=lambda t: (t[1], t[0])):
        out.setdefault(str(y), {})[str(m)] = float(v)
    return out


def _check_state(block: dict, data_until: int, source: str) -> dict:
    """The ``state`` part of a carried block, checked (absent: nothing is anchored)."""
    given = block.get(STATE_KEY)
    if given is None:
        return {}
    years = {str(t) for t in range(FIRST_YEAR + 1, data_until + 1)}
    if not isinstance(given, dict) or not all(isinstance(v, dict) for v in given.values()):
        raise ScenarioError(source, f"{KEY}.{STATE_KEY}", f"must map years in "
                            f"{FIRST_YEAR + 1}-{data_until} to metrics among "
                            f"{', '.join(STATE_METRICS)} and their observed values")
    for y, by_metric in given.items():
        if y not in years:
            raise ScenarioError(source, f"{KEY}.{STATE_KEY}.{y}",
                                f"must be a year in {FIRST_YEAR + 1}-{data_until}")
        for k, v in by_metric.items():
            where = f"{KEY}.{STATE_KEY}.{y}.{k}"
            if k not in STATE_METRICS:
                raise ScenarioError(source, where, "is not a state metric; allowed: "
                                    f"{', '.join(STATE_METRICS)}")
            if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0 \
                    or not np.isfinite(v):
                raise ScenarioError(source, where, f"must be a positive number, got {v!r}")
    return {y: {k: float(v) for k, v in m.items()} for y, m in given.items()}


def market_growth(year: int, source: str, keypath: str = "data_until") -> dict:
    """Each ``MARKETS`` cluster's reported national growth by year, 2021 to ``year``.

    Rows after ``year`` are dropped first; a cluster with no report in those years maps to
    an empty dict (its trend rate applies throughout).

    Raises:
        ScenarioError: a growth of -100% or less (naming the metric and the year).
    """
    rows = parse_observed(MARKETS_FILE, None)
    rows = rows[(rows["year"] > FIRST_YEAR) & (rows["year"] <= year)]
    out = {}
    for cluster, metric in MARKETS.items():
        d = rows[rows["metric"] == metric]
        out[cluster] = {}
        for y, v in zip(d["year"].astype(int), d["value"].astype(float), strict=True):
            if not v > -1.0:
                raise ScenarioError(source, keypath, f"{shown(MARKETS_FILE)}: {metric} {y} "
                                    f"is {v:g}; a growth rate must be above -1")
            out[cluster][str(y)] = float(v)
    return out


def _check_market_growth(block: dict, data_until: int, source: str) -> dict:
    """The ``market_growth`` part of a carried block, checked.

    Blocks written before market data were taken have none: those runs took no market data,
    and resume as they ran.
    """
    given = block.get(MARKET_KEY)
    if given is None:
        return {}
    if not isinstance(given, dict) or not set(given) <= set(MARKETS):
        raise ScenarioError(source, f"{KEY}.{MARKET_KEY}", f"must map clusters among "
                            f"{sorted(MARKETS)} to yearly growth rates")
    out = {}
    for cluster, rates in given.items():
        if not isinstance(rates, dict):
            raise ScenarioError(source, f"{KEY}.{MARKET_KEY}.{cluster}",
                                "must map years to growth rates")
        for y, v in rates.items():
            if y not in {str(t) for t in range(FIRST_YEAR + 1, data_until + 1)}:
                raise ScenarioError(source, f"{KEY}.{MARKET_KEY}.{cluster}.{y}",
                                    f"must be a year in {FIRST_YEAR + 1}-{data_until}")
            if isinstance(v, bool) or not isinstance(v, int | float) or not v > -1.0 \
                    or not np.isfinite(v):
                raise ScenarioError(source, f"{KEY}.{MARKET_KEY}.{cluster}.{y}",
                                    f"must be a growth rate above -1, got {v!r}")
        out[cluster] = {y: float(v) for y, v in rates.items()}
    return out


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
                                                                DEFAULT_OBSERVED)),
                       assimilate=STATE_KEY in block)
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
    out = {"data_until": data_until, "file": str(block.get("file", "")),
           "series": {m: {y: float(v) for y, v in block["series"][m].items()}
                      for m in SERIES},
           "continued_by": dict(SERIES)}
    if MARKET_KEY in block:
        out["markets_file"] = str(block.get("markets_file", ""))
        out[MARKET_KEY] = _check_market_growth(block, data_until, source)
    if STATE_KEY in block:
        out[STATE_KEY] = _check_state(block, data_until, source)
    return out
