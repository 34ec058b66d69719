"""The COVID-19 year (issue #9, item 5): 2020 modelled as the year it was.

``covid_2020_shortfall`` is the share by which 2020's levels sat below their trend in the
channels COVID-19 hit (processing demand, operating income not from cultivated land, the
projected national rural income); the gap closes in 2021. Moving that one input must raise
2021's growth in each channel and leave 2020, calibrated to the published 2020 figures,
exactly as it is.
"""

import pytest

from sim.config.scenario import derive, load, with_data_until
from sim.model import plan
from sim.model.params import BY_NAME
from sim.run.replicate import run_replicate
from tests._shared import HPA_FINEST as HPA

P = BY_NAME["covid_2020_shortfall"]


def _run(scn, shortfall, seed=4):
    return run_replicate(derive(scn, {"uncertainties.covid_2020_shortfall": shortfall}), seed,
                         households_per_agent=HPA)["trajectory"]


@pytest.fixture(scope="module")
def low_high():
    scn = load("plan")
    return _run(scn, P.low), _run(scn, P.high)


def _g(t, k):
    return t[2021][k] / t[2020][k] - 1


def test_the_range_is_a_shortfall():
    assert 0.0 < P.low <= P.default <= P.high < 0.1


# From low (0.01) to high (0.04) the rebound 1/(1 - s) rises by 3.2%. The channel carries it
# whole (national income, markets) or in part: operating income not from land is ~40% of
# operating income, so ~1.3 points there; in the total, ~10% of income, so ~0.3 points.
# Each bound is about half of that expectation (other 2021 draws are shared: same seed).
@pytest.mark.parametrize("metric, gap", [("national_rural_income", 0.015),
                                         ("rural_income_operating", 0.005),
                                         ("output_total", 0.005), ("processing_output", 0.005),
                                         ("rural_income", 0.0015)])
def test_a_larger_shortfall_raises_2021_growth(low_high, metric, gap):
    lo, hi = low_high
    assert _g(hi, metric) > _g(lo, metric) + gap, (metric, _g(lo, metric), _g(hi, metric))


def test_national_rural_income_rebounds_by_the_shortfall(low_high):
    lo, hi = low_high
    ratio = (1 - P.low) / (1 - P.high)
    for y in range(2021, 2026):
        assert hi[y]["national_rural_income"] / lo[y]["national_rural_income"] == \
            pytest.approx(ratio, rel=1e-9)


@pytest.mark.parametrize("metric", ["national_rural_income", "rural_income", "rural_income_wage",
                                    "rural_income_operating", "rural_income_transfer",
                                    "output_total", "processing_output"])
def test_2020_is_unchanged(low_high, metric):
    lo, hi = low_high
    assert lo[2020][metric] == hi[2020][metric], metric
    if metric == "rural_income":
        assert lo[2020][metric] == pytest.approx(plan.PROVINCE.rural_income_2020_yuan, rel=1e-6)
    if metric == "processing_output":
        assert lo[2020][metric] == pytest.approx(plan.PROVINCE.processing_output_2020_yi,
                                                 rel=1e-6)


def test_observed_national_income_wins():
    # with data up to 2021 the rebound is in the data: the shortfall does not move it
    scn = with_data_until(load("plan"), 2021)
    lo, hi = _run(scn, P.low), _run(scn, P.high)
    for y in range(2020, 2026):
        assert lo[y]["national_rural_income"] == hi[y]["national_rural_income"], y
