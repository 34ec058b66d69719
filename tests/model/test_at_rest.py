"""At rest at the start (issue #9, item 5).

With shocks off and the levers frozen at their pre-plan (status-quo) levels, 2021 must
continue 2020: no jump that no shock or policy causes. Series with a published 2015-2020
trend (plan Ch.1 §1) are held to it ± 2 points; series without one to their own 2022-2025
trend ± 2 points. Known discontinuities would be listed as strict xfails (none is left), so
the suite says when a change fixes one. Series that move by discrete household events are
tested on the mean over seeds, where a 2021 step shows as a shift.
"""

import numpy as np
import pytest

from sim.config.scenario import derive, load
from sim.model import plan
from sim.run.replicate import run_replicate

# Shocks off. The COVID-19 shortfall is a shock too, 2020's: with it 2021 is a rebound year
# by design (tests/model/test_covid.py checks that), so the calm runs set it to 0 and 2021 must
# then continue 2020's trend.
CALM = {"uncertainties.drought_probability": 0.0, "uncertainties.disease_probability": 0.0,
        "uncertainties.price_shock_sd": 0.0, "uncertainties.firm_growth_sd": 0.0,
        "uncertainties.covid_2020_shortfall": 0.0,
        # the yearly shocks to a market's growth (the market of the processing firms outside
        # the clusters; sim.model.otherfirms)
        "uncertainties.market_growth_sd": 0.0}


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
                                    "rural_income_transfer"])
def test_2021_continues_the_series_own_trend(calm_runs, metric):
    for t in calm_runs:
        assert _own_trend_gap(t, metric) <= 0.02, metric


@pytest.fixture(scope="module")
def calm_six():
    scn = derive(load("no_new_policy"), CALM)
    return [run_replicate(scn, s, households_per_agent=1000)["trajectory"] for s in range(1, 7)]


def test_2021_keeps_the_2020_contract_holders(calm_six):
    # Formerly a strict xfail: the yearly contract draw replaced the calibrated 2020 set and
    # the contract share and linked farmers fell 20-30% in 2021 (-13 to -23% over seeds 1-6
    # on the branch that fixed it). Households now keep one contract-taste draw, and the
    # 2020 set is the one the corrected offer gives: the fall is gone (seeds 1-6: -7 to +3%,
    # mean -1.5%; what remains is churn, as the land market redraws each year who rents all
    # their land out, and later years swing by as much: -19 to +40% in one seed).
    contract = [_growth(t, "contract_share", 2021) for t in calm_six]
    linked = [sum(t[2021][f"farmers_{c.key}"] for c in plan.CLUSTERS)
              / sum(t[2020][f"farmers_{c.key}"] for c in plan.CLUSTERS) - 1 for t in calm_six]
    for series in (contract, linked):
        assert np.mean(series) >= -0.05, series
        assert min(series) >= -0.10, series


@pytest.mark.parametrize("metric", [
    # Formerly a strict xfail: 2021 rent grew 16-17% against +2 to +10% a year later on
    # (seeds 1-2), as the 2020 spin-up ran in 2021 (model year of quarter 0) and so already
    # paid 2021's input costs, leaving 2021 with a farm-price rise and no cost rise.
    "rent_yuan_per_mu",
])
def test_2021_rent_continues_its_trend(calm_runs, metric):
    for t in calm_runs:
        assert _own_trend_gap(t, metric) <= 0.02, metric


@pytest.mark.parametrize("metric", [
    # Since only off-farm households (about one in six) rent land out, the transferred share
    # and the property income that rents feed move by discrete household events: per seed
    # at 1:1000 the 2021 gap to the later mean reached 2.1 points on two seeds. A 2021 step
    # is a shift of the mean over seeds, which is tested with the 2 points, as for
    # linked farmers below: over the 16 seeds at 1:250 the standard error of the 2021 mean
    # is 0.15 points, so a step of 2.5 points would fail. Measured: +0.31 points (transferred
    # share) and -0.43 (property income).
    "land_transferred_share",
    # Formerly a strict xfail: 2021 +6.3/+4.6% against later means of +7.7/+7.6%, the later
    # years holding a +20% step in 2023 from the cooperatives that formed at the end of
    # 2021 (none formed in the spin-up, and a yearly redrawn formation cost let more form
    # every year). Now the slot's formation cost is kept, the cooperatives 2020's gains
    # form do so in the spin-up, and the closure of property income moves with the
    # modelled rents and dividends, not with wages (test below and in test_model.py).
    "rural_income_property",
])
def test_2021_land_rentals_and_property_income_continue_their_trend(calm_ensemble, metric):
    g21 = [_growth(t, metric, 2021) for t in calm_ensemble]
    later = [_growth(t, metric, y) for t in calm_ensemble for y in range(2022, 2026)]
    assert abs(np.mean(g21) - np.mean(later)) <= 0.02, (np.mean(g21), np.mean(later))


@pytest.fixture(scope="module")
def calm_ensemble():
    # the calm central case at the scenarios' own scale (1:250), 16 household seeds
    from sim.model.params import UNCERTAINTIES
    central = {f"uncertainties.{p.name}": p.default for p in UNCERTAINTIES}
    scn = derive(load("no_new_policy"), {**central, **CALM})
    return [run_replicate(scn, s, households_per_agent=250)["trajectory"]
            for s in range(1, 17)]


def _linked(t, y, clusters):
    return sum(t[y][f"farmers_{k}"] for k in clusters)


@pytest.mark.parametrize("clusters", [("brewing",), plan.CLUSTER_KEYS],
                         ids=["brewing", "all clusters"])
def test_linked_farmers_grow_in_2021_as_later(calm_ensemble, clusters):
    # Linked farmers move by discrete household and cooperative events even in a calm run,
    # so one replicate's 2021 growth is noisy: at 1:250 its SD over seeds is 3.3 points for
    # brewing and 2.9 for all clusters (brewing at 1:1000: 6.1, about twice, as household
    # sampling noise is); per seed 2021 was up to 7 points (1:250) and 14 (1:1000) off the
    # seed's own later mean.
    # This was a strict xfail on two 1:1000 seeds (brewing +7.0/+12.5% in 2021 against
    # later means of +5.7/+4.3%). A 2021 step is a shift of the mean over seeds, which is
    # what is tested, with the 2 points: over 16 seeds the standard error is 0.8
    # (brewing) and 0.7 points (all), so a step of 4 points would fail. Measured: brewing
    # +6.8% in 2021 against +5.7% later (gap +1.1 points); all clusters +4.9 against +3.7%
    # (+1.2). The old per-seed form at 1:1000 is not kept: it tests the sampling noise.
    g21 = [_linked(t, 2021, clusters) / _linked(t, 2020, clusters) - 1 for t in calm_ensemble]
    later = [_linked(t, y, clusters) / _linked(t, y - 1, clusters) - 1
             for t in calm_ensemble for y in range(2022, 2026)]
    assert abs(np.mean(g21) - np.mean(later)) <= 0.02, (np.mean(g21), np.mean(later))


def test_no_wave_of_cooperatives_after_the_start(calm_runs):
    # Formation was a yearly lottery that started in 2021: the calm runs went from 47
    # cooperatives in 2020 to 80-81 by 2023 and the member share from 0.27-0.29 to
    # 0.37-0.39 (seeds 1-2). Now the 2020 set is the one 2020's gains form, each slot keeps
    # its formation cost, and the calm runs hold 73-76 cooperatives and member shares
    # within 0.015 of 2020. Bounds far below the wave (+27 to +34 cooperatives, +0.10).
    for t in calm_runs:
        coops = [t[y]["coops"] for y in range(2020, 2026)]
        share = [t[y]["coop_member_share"] for y in range(2020, 2026)]
        assert max(coops) - min(coops) <= 5, coops
        assert max(share) - min(share) <= 0.03, share
