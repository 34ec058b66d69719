"""The national comparators: China's rural per-capita income, and the clusters' national markets.

Without data (no ``data_until``) the level is the 2020 figure grown at the replicate's
sampled ``national_rural_income_growth``, times the 2021 rebound from the COVID-19 year
(``covid_2020_shortfall``: 2020 sat that share below the trend path and the gap closes in
2021, ``sim.model.equations.covid_rebound``). With a scenario's exogenous series
(``sim.config.exogenous``) the observed levels apply up to the cut-off year and the sampled
growth continues from the last observed level after it (the observed years, 2021 at least,
already hold the rebound, so data wins unchanged); the realised growth is what the
growth-gap target compares Shanxi with.

The clusters' national markets grow by year as an AR(1) process in log growth around the
replicate's sampled trend (:func:`market_path`): ``g_t = mu + rho (g_{t-1} - mu) + sigma
eps_t``, ``mu`` = ``national_demand_growth``, ``rho`` = ``market_growth_persistence``,
``sigma`` = ``market_growth_sd``, ``eps`` one standard normal per cluster and year from the
cluster's own stream (``markets:growth:<cluster>``: common random numbers; every firm of the
cluster sees the same year). A market can therefore slow down, and fall in a year. With a
scenario's exogenous series a cluster's reported growth replaces the draw in each year up to
the cut-off that has a report (:func:`observed_market_growth`), that year's growth already
holding any rebound from 2020, and the process continues from the deviation the report
implies (net of the rebound), so a slowdown seen in the data carries forward.
"""

from __future__ import annotations

import numpy as np

from sim.model import plan
from sim.model.equations import covid_rebound
from sim.model.rng import stream

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


MARKET_STREAM = "markets:growth"  # + ":<cluster>": one standard normal per year 2021-2025


def market_shocks(seed: int) -> np.ndarray:
    """The standard-normal shocks of every cluster's national market, (cluster, year).

    Each cluster draws its five years from its own stream, so a scenario change moves no
    cluster's shocks (common random numbers) and no existing stream is shifted.
    """
    return np.array([stream(seed, f"{MARKET_STREAM}:{key}").normal(0.0, 1.0, len(plan.YEARS))
                     for key in plan.CLUSTER_KEYS])


def market_path(mu, rho: float, sigma: float, eps: np.ndarray,
                observed: dict[int, np.ndarray] | None = None,
                rebound: np.ndarray | None = None) -> np.ndarray:
    """Each cluster's national market growth by year (log, 1/yr), (cluster, year 2021-2025).

    AR(1) around the trend: the deviation ``d_t = rho d_{t-1} + sigma eps_t`` from
    ``d_2020 = 0`` (2020 is calibrated as a trend year; its COVID-19 dip is
    ``covid_2020_shortfall``'s level step, not a deviation), ``g_t = mu + d_t``. In a year
    with a report (``observed[year]``, log growth, NaN: none) the report is the year's
    growth, and the deviation carried on is the report less the year's COVID-19 rebound
    (``rebound``: log level step per year, the report holding it) less ``mu``; the year's
    shock is drawn all the same, so a report changes no later draw.

    Args:
        mu: Trend growth per cluster (``national_demand_growth``).
        rho: Persistence of a deviation from one year to the next.
        sigma: SD of a year's shock (log growth).
        eps: Standard-normal shocks, (cluster, year) (:func:`market_shocks`).
        observed: Year -> reported log growth per cluster (:func:`observed_market_growth`).
        rebound: Log COVID-19 rebound step per year (0 but in 2021), or None: none.
    """
    mu = np.asarray(mu, float)
    eps = np.asarray(eps, float)
    observed = observed or {}
    out = np.empty(eps.shape)
    d = np.zeros(eps.shape[0])
    for t, year in enumerate(plan.YEARS):
        d = rho * d + sigma * eps[:, t]
        g = mu + d
        obs = observed.get(year)
        if obs is not None:
            have = ~np.isnan(obs)
            step = 0.0 if rebound is None else float(rebound[t])
            d = np.where(have, obs - step - mu, d)
            g = np.where(have, obs, g)
        out[:, t] = g
    return out


def rebound_steps(shortfall: float) -> np.ndarray:
    """The log COVID-19 rebound step of each year 2021-2025 (``covid_2020_shortfall``)."""
    years = np.array(plan.YEARS)
    return np.log(covid_rebound(shortfall, years, plan.BASE_YEAR)
                  / covid_rebound(shortfall, years - 1, plan.BASE_YEAR))


def replicate_market_path(uncertainties: dict, seed: int,
                          observed: dict[int, np.ndarray] | None = None) -> np.ndarray:
    """A replicate's national market growth by cluster and year (:func:`market_path`).

    From its sampled trend, persistence and shock size, its own shocks
    (:func:`market_shocks`) and the view's reported years (``observed``).
    """
    return market_path(uncertainties["national_demand_growth"],
                       float(uncertainties["market_growth_persistence"]),
                       float(uncertainties["market_growth_sd"]), market_shocks(int(seed)),
                       observed, rebound_steps(uncertainties["covid_2020_shortfall"]))


def top_firm_excess(excess0, kappa: float, year: int) -> np.ndarray:
    """The largest firm's excess growth in ``year``: ``excess0 × exp(−kappa (year − 2020))``.

    ``excess0`` is the excess measured up to 2020 (``top_firm_excess_growth``); it reverts
    to the market at rate ``kappa`` (``top_firm_excess_reversion``), as firms' growth
    differences do (Geroski et al. 2003; Chan, Karceski & Lakonishok 2003).
    """
    return np.asarray(excess0, float) * np.exp(-kappa * (year - plan.BASE_YEAR))


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
