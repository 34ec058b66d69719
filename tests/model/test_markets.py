"""Markets that can turn (issue #21, item 1): each cluster's national market grows by year as an
AR(1) process around its trend, one shock per cluster and year; reports replace the draw in
their years and the process continues from them; the largest firm's excess growth reverts.
"""

import math

import numpy as np
import pytest

from sim.config.scenario import derive, load, with_data_until
from sim.model import national, plan
from sim.model.params import PARAMS
from sim.run.replicate import build_model
from tests._shared import HPA

K = {c.key: i for i, c in enumerate(plan.CLUSTERS)}
NK, NY = len(plan.CLUSTERS), len(plan.YEARS)
P = {p.name: p for p in PARAMS}


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _share_negative(mu: float, rho: float, sigma: float) -> float:
    """The share of falling years 2021-2025 the AR(1) from d_2020 = 0 implies (exact)."""
    out, var = 0.0, 0.0
    for _ in range(NY):
        var = rho * rho * var + sigma * sigma
        out += _phi(-mu / math.sqrt(var))
    return out / NY


def test_the_declared_ranges_allow_a_falling_year():
    # at the low end of every cluster's trend, with the most persistent and largest shocks
    # declared, more than one year in seven falls; at the defaults a fall is possible in
    # every cluster (1 in 200 to 1 in 8 years)
    sd = P["market_growth_sd"]
    rho = P["market_growth_persistence"]
    low = P["national_demand_growth"].low
    assert min(_share_negative(low[k], rho.high, sd.high) for k in low) > 0.15
    dflt = P["national_demand_growth"].default
    assert min(_share_negative(dflt[k], rho.default, sd.default) for k in dflt) > 0.004


def test_a_market_falls_in_a_year_of_a_fixed_replicate():
    # meat at the low end of its trend range: replicate seed 7 has years in which the
    # national market shrinks, and the cluster's market (its firms' demand) shrinks with it
    scn = derive(load("no_new_policy"), {"uncertainties.national_demand_growth.meat": 0.02,
                                         "uncertainties.market_growth_sd": 0.05,
                                         "uncertainties.market_growth_persistence": 0.45})
    m = build_model(scn, 7, households_per_agent=HPA)
    k = K["meat"]
    assert (m.market_path[k] < 0).any()
    demand = [m.firms.demand[k]]
    growth = []
    for _ in range(NY):
        m.step()                                  # Q1: the market grows (or falls)
        demand.append(m.firms.demand[k])
        growth.append(m.firms.market_growth[k])
        for _ in range(3):
            m.step()
    fell = [t for t in range(NY) if growth[t] < 0]
    assert fell, growth
    for t in fell:
        assert demand[t + 1] < demand[t], (t, demand)


def test_the_share_of_falling_years_is_what_the_declared_process_implies():
    # 400 replicate seeds × 10 clusters = 4,000 independent paths of 5 years at mu = 0.03,
    # rho = 0.5, sigma = 0.05: the exact share is 0.295. Paths are independent (own
    # streams), years within a path are not, so the share's SD is at most
    # sqrt(p (1 - p) / 4000) = 0.0072 (years perfectly correlated); the tolerance is 4 of
    # those, 0.029: a sigma 20% off fails (0.04 gives 0.250, 0.06 gives 0.326); a wrong
    # persistence moves the share less (rho 0 gives 0.274), so the lag-1 autocorrelation
    # of the deviations is checked on its own below
    mu, rho, sigma, n = 0.03, 0.5, 0.05, 400
    paths = np.concatenate([national.market_path(np.full(NK, mu), rho, sigma,
                                                 national.market_shocks(s))
                            for s in range(n)])
    want = _share_negative(mu, rho, sigma)
    tol = 4 * math.sqrt(want * (1 - want) / (n * NK))
    got = float((paths < 0).mean())
    assert abs(got - want) < tol, (got, want, tol)
    # the lag-1 autocorrelation of the deviations is rho's (20,000 cluster-years: SD about
    # 0.01; 0.4-0.6 excludes rho 0.3 and 0.7)
    d = paths - mu
    r = np.sum(d[:, 1:] * d[:, :-1]) / np.sum(d[:, :-1] ** 2)
    assert 0.4 < r < 0.6, r


def test_no_shock_is_the_trend_and_shocks_are_one_per_cluster_year():
    mu = np.linspace(0.01, 0.1, NK)
    eps = national.market_shocks(7)
    assert eps.shape == (NK, NY)
    np.testing.assert_array_equal(national.market_path(mu, 0.5, 0.0, eps),
                                  np.repeat(mu[:, None], NY, axis=1))
    g = national.market_path(mu, 0.5, 0.03, eps)
    d = g - mu[:, None]
    np.testing.assert_allclose(d[:, 0], 0.03 * eps[:, 0], rtol=1e-12)
    np.testing.assert_allclose(d[:, 1:], 0.5 * d[:, :-1] + 0.03 * eps[:, 1:], rtol=1e-12,
                               atol=1e-15)


def test_same_seed_same_path_and_levers_do_not_redraw_it():
    a = build_model(load("plan"), 11, households_per_agent=HPA)
    b = build_model(load("plan"), 11, households_per_agent=HPA)
    np.testing.assert_array_equal(a.market_path, b.market_path)
    c = build_model(derive(load("plan"), {"levers.brand_fund_yi_yuan.tcm": 2.0}), 11,
                    households_per_agent=HPA)
    np.testing.assert_array_equal(a.market_path, c.market_path)  # common random numbers
    d = build_model(load("plan"), 12, households_per_agent=HPA)
    assert not np.array_equal(a.market_path, d.market_path)


def test_a_report_replaces_its_year_and_the_process_continues_from_it():
    mu = np.full(NK, 0.08)
    eps = national.market_shocks(5)
    obs = {2021: np.full(NK, np.nan), 2022: np.full(NK, np.nan)}
    obs[2021][0], obs[2022][1] = np.log1p(0.186), np.log1p(-0.02)
    rebound = np.array([0.03, 0.0, 0.0, 0.0, 0.0])
    rho, sigma = 0.6, 0.04
    g = national.market_path(mu, rho, sigma, eps, obs, rebound)
    free = national.market_path(mu, rho, sigma, eps)
    assert g[0, 0] == obs[2021][0] and g[1, 1] == obs[2022][1]
    # the deviation carried on is the report's, net of the rebound it holds
    d0 = obs[2021][0] - 0.03 - 0.08
    assert g[0, 1] == pytest.approx(0.08 + rho * d0 + sigma * eps[0, 1], abs=1e-15)
    assert g[1, 2] == pytest.approx(0.08 + rho * (obs[2022][1] - 0.08) + sigma * eps[1, 2],
                                    abs=1e-15)
    # a slowdown in the data carries forward: after a year below trend, the next is lower
    # than the free path's by rho^t times the gap
    gap = (obs[2022][1] - 0.08) - (free[1, 1] - 0.08)
    np.testing.assert_allclose(g[1, 2:] - free[1, 2:], gap * rho ** np.arange(1, 4),
                               rtol=1e-9)
    # clusters and years without a report are the free path
    np.testing.assert_array_equal(g[2:], free[2:])
    np.testing.assert_array_equal(g[1, 0], free[1, 0])


def test_the_model_takes_the_reports_and_runs_on_from_them():
    scn = with_data_until(load("plan"), 2023)
    m = build_model(scn, 4, households_per_agent=HPA)
    k, t = K["brewing"], plan.YEARS.index(2023)
    reported = scn["exogenous"]["market_growth"]["brewing"]
    assert m.market_path[k, 0] == pytest.approx(np.log1p(reported["2021"]), abs=1e-15)
    assert m.market_path[k, t] == pytest.approx(np.log1p(reported["2023"]), abs=1e-15)
    mu = m.uncertain["national_demand_growth"][k]
    rho = m.uncertain["market_growth_persistence"]
    sigma = m.uncertain["market_growth_sd"]
    eps = national.market_shocks(4)[k]
    want = mu + rho * (np.log1p(reported["2023"]) - mu) + sigma * eps[t + 1]
    assert m.market_path[k, t + 1] == pytest.approx(want, abs=1e-15)


def test_the_excess_reverts():
    years = np.arange(2021, 2026)
    e = np.array([national.top_firm_excess(0.12, 0.35, y) for y in years])
    assert np.all(np.diff(e) < 0) and np.all(e > 0)
    np.testing.assert_allclose(e, 0.12 * np.exp(-0.35 * (years - 2020)), rtol=1e-15)
    assert national.top_firm_excess(0.12, 0.0, 2025) == 0.12   # no reversion: held
