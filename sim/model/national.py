"""The national comparator: China's rural per-capita income, observed or projected.

Without data (no ``data_until``) the level is the 2020 figure grown at the replicate's
sampled ``national_rural_income_growth``. With a scenario's exogenous series
(``sim.config.exogenous``) the observed levels apply up to the cut-off year and the sampled
growth continues from the last observed level after it; the realised growth is what the
growth-gap target compares Shanxi with.
"""

from __future__ import annotations

from sim.model import plan

NATIONAL_RURAL_INCOME_2020 = 17131.0  # 元, NBS 2020 statistical communiqué
METRIC = "national_rural_income"


def observed_levels(exogenous: dict | None) -> dict[int, float]:
    """The observed national rural income by year (empty without a cut-off year)."""
    if not exogenous:
        return {}
    return {int(y): float(v) for y, v in exogenous["series"][METRIC].items()}


def rural_income(levels: dict[int, float], growth: float, year: int) -> float:
    """National rural per-capita income in ``year`` (元)."""
    if not levels:
        return NATIONAL_RURAL_INCOME_2020 * (1 + growth) ** (year - plan.BASE_YEAR)
    if year in levels:
        return levels[year]
    last = max(levels)
    return levels[last] * (1 + growth) ** (year - last)


def rural_income_growth(levels: dict[int, float], growth: float, year: int) -> float:
    """Annual national growth realised from 2020 to ``year`` (the sampled rate without data)."""
    n = year - plan.BASE_YEAR
    if not levels or n <= 0:
        return growth
    return (rural_income(levels, growth, year) / levels[plan.BASE_YEAR]) ** (1 / n) - 1
