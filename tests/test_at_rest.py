"""At rest at the start (issue #9, item 5).

With shocks off and the levers frozen at their pre-plan (status-quo) levels, 2021 must
continue 2020: no jump that no shock or policy causes. Series with a published 2015-2020
trend (plan Ch.1 §1) are held to it ± 2 points; series without one to their own 2022-2025
trend ± 2 points. Known discontinuities are listed as strict xfails: they fail today, and
the suite will say so when a change fixes them.
"""

import numpy as np
import pytest

from sim.config.scenario import derive, load
from sim.model import plan
from sim.run.replicate import run_replicate

CALM = {"uncertainties.drought_probability": 0.0, "uncertainties.disease_probability": 0.0,
        "uncertainties.price_shock_sd": 0.0, "uncertainties.firm_growth_sd": 0.0}


@pytest.fixture(scope="module")
def calm_runs():
    # the central case: every uncertainty at its declared default, shocks off, levers at
    # their pre-plan (status-quo) levels; two seeds for the remaining household draws
    from sim.model.params import UNCERTAINTIES
    central = {f"uncertainties.{p.name}": p.default for p in UNCERTAINTIES}
    scn = derive(load("no_new_policy"), {**central, **CALM})
    return [run_replicate(scn, s, households_per_agent=1000)["trajectory"] for s in (1, 2)]


def _growth(t, k, y):
    return t[y][k] / t[y - 1][k] - 1


@pytest.mark.parametrize("metric, trend", [
    ("rural_income", plan.PROVINCE.rural_income_growth_2015_2020),
    ("processing_output", plan.PROVINCE.processing_growth_2015_2020),
    ("output_total", plan.PROVINCE.processing_growth_2015_2020),
])
def test_2021_continues_the_published_trend(calm_runs, metric, trend):
    for t in calm_runs:
        assert abs(_growth(t, metric, 2021) - trend) <= 0.02, (metric, _growth(t, metric, 2021))


def _own_trend_gap(t, metric):
    later = np.mean([_growth(t, metric, y) for y in range(2022, 2026)])
    return abs(_growth(t, metric, 2021) - later)


@pytest.mark.parametrize("metric", ["rural_income_wage", "rural_income_operating",
                                    "rural_income_transfer", "land_transferred_share"])
def test_2021_continues_the_series_own_trend(calm_runs, metric):
    for t in calm_runs:
        assert _own_trend_gap(t, metric) <= 0.02, metric


@pytest.mark.xfail(strict=True, reason="known: 2021 rent +13% and property income +14% "
                   "against ~8% later; linked farmers fall 20-30% when the yearly contract "
                   "draw replaces the calibrated 2020 set (see the #9 notes)")
@pytest.mark.parametrize("metric", ["rent_yuan_per_mu", "rural_income_property",
                                    "farmers_brewing", "contract_share"])
def test_known_2021_discontinuities(calm_runs, metric):
    for t in calm_runs:
        assert _own_trend_gap(t, metric) <= 0.02, metric
