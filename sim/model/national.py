"""The national comparators: China's rural per-capita income, and the clusters' national markets.

Without data (no ``data_until``) the level is the 2020 figure grown at the replicate's
sampled ``national_rural_income_growth``, times the 2021 rebound from the COVID-19 year
(``covid_2020_shortfall``: 2020 sat that share below the trend path and the gap closes in
2021, ``sim.model.equations.covid_rebound``). With a scenario's exogenous series
(``sim.config.exogenous``) the observed levels apply up to the cut-off year and the sampled
growth continues from the last observed level after it (the observed years, 2021 at least,
already hold the rebound, so data wins unchanged); the realised growth is what the
growth-gap target compares Shanxi with.

The clusters' national markets grow at the replicate's sampled trend
(``national_demand_growth``); with a scenario's exogenous series a cluster's reported growth
replaces the trend in each year up to the cut-off that has a report
(:func:`observed_market_growth`), and that year's growth already holds any rebound from 2020.
"""

from __future__ import annotations

import numpy as np

from sim.model import plan
from sim.model.equations import covid_rebound

NATIONAL_RURAL_INCOME_2020 = 17131.0  # 元, NBS 2020 statistical communiqué
METRIC = "national_rural_income"


def observed_levels(exogenous: dict | None) -> dict[int, float]:
    """The observed national rural income by year (empty without a cut-off year)."""
    if not exogenous:
        return {}
    return {int(y): float(v) for y, v in exogenous["series"][METRIC].items()}


def observed_market_growth(exogenous: dict | None) -> dict[int, np.ndarray]:
    """Year -> each cluster's reported national market growth (log, 1/yr; NaN: none).

    Only years with at least one report appear; empty without a cut-off year (or for a
    block written before market data were taken).
    """
    rates = (exogenous or {}).get("market_growth") or {}
    keys = [c.key for c in plan.CLUSTERS]
    out: dict[int, np.ndarray] = {}
    for cluster, by_year in rates.items():
        for y, v in by_year.items():
            row = out.setdefault(int(y), np.full(len(keys), np.nan))
            row[keys.index(cluster)] = np.log1p(float(v))
    return out


def _rebound(shortfall: float, year: int) -> float:
    return float(covid_rebound(shortfall, year, plan.BASE_YEAR))


def rural_income(levels: dict[int, float], growth: float, year: int,
                 shortfall: float = 0.0) -> float:
    """National rural per-capita income in ``year`` (元).

    ``shortfall`` is the replicate's ``covid_2020_shortfall``: a projection from 2020 closes
    it in 2021; one from an observed year after 2020 has it in the data already.
    """
    if not levels:
        return (NATIONAL_RURAL_INCOME_2020 * (1 + growth) ** (year - plan.BASE_YEAR)
                * _rebound(shortfall, year))
    if year in levels:
        return levels[year]
    last = max(levels)
    return (levels[last] * (1 + growth) ** (year - last)
            * _rebound(shortfall, year) / _rebound(shortfall, last))


def rural_income_growth(levels: dict[int, float], growth: float, year: int,
                        shortfall: float = 0.0) -> float:
    """Annual national growth realised from 2020 to ``year``.

    It is the sampled rate without data and without a COVID-19 shortfall.
    """
    n = year - plan.BASE_YEAR
    if n <= 0 or (not levels and shortfall == 0.0):
        return growth
    base = levels[plan.BASE_YEAR] if levels else NATIONAL_RURAL_INCOME_2020
    return (rural_income(levels, growth, year, shortfall) / base) ** (1 / n) - 1
