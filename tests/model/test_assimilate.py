"""Data assimilation at the cut-off year (sim.model.assimilate; issue #10, backtests).

With ``data_until: Y`` the run records each observed year up to Y as simulated, then
re-anchors the state the year's observations measure and continues from it. These tests
pin: an observation equal to the model's own value (in average weather) changes nothing;
after anchoring, the incomes the households would earn equal the observations; a leader is
resized without touching the other firms; the year's draws do not persist; only rows in
2021..Y are taken; and without a state (or with ``assimilate=False``) nothing is anchored.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from sim.config.scenario import ScenarioError, load, validate, with_data_until
from sim.model import assimilate, plan
from sim.run.replicate import build_model, run_replicate
from tests._shared import HPA_MEDIUM as HPA

SEED = 7
YEAR = 2021


@pytest.fixture(scope="module")
def plain():
    """The plan with data up to 2021 and no observed state, and one run of it."""
    scn = with_data_until(load("plan"), YEAR, assimilate=False)
    return scn, run_replicate(scn, SEED, households_per_agent=HPA)["trajectory"]


def _with_state(scn: dict, state: dict, year: int = YEAR) -> dict:
    out = copy.deepcopy(scn)
    out["exogenous"]["state"] = {str(year): state}
    return validate(out, "test")


def _own_state(traj: dict) -> dict:
    return {k: traj[YEAR][k] for k in assimilate.METRICS if traj[YEAR].get(k, 0) > 0}


def _model_through(scn: dict, year: int, seed: int = SEED):
    m = build_model(scn, seed, households_per_agent=HPA)
    while m.year <= year:
        m.step()
    return m


def _average_weather(monkeypatch):
    """Every year's drought, disease and price draws at their mean (factors of one)."""
    from sim.model.model import ClusterModel
    draw = ClusterModel._draw_shocks

    def calm(m, year):
        draw(m, year)
        m.yield_city = np.ones_like(m.yield_city)
        m.drought = np.zeros_like(m.drought)
        m.price = np.ones_like(m.price)
        m.disease_keep = np.ones_like(m.disease_keep)
        m.cluster_yield = np.ones_like(m.cluster_yield)
        m.other.price = 1.0          # the firms outside the clusters' price draw

    monkeypatch.setattr(ClusterModel, "_draw_shocks", calm)


def test_the_models_own_values_change_nothing(plain, monkeypatch):
    # the anchoring divides out the replicate's weather, price and disease draws of the
    # year (they are its own, not the ones behind an observation), so the identity holds
    # where those draws are at their mean
    # (gross output's weather factor is one in the average year, not in a year without
    # drought, so it is left out here; test_the_years_draws_do_not_persist has it)
    _average_weather(monkeypatch)
    scn, _ = plain
    traj = run_replicate(scn, SEED, households_per_agent=HPA)["trajectory"]
    state = {k: v for k, v in _own_state(traj).items() if k != "agri_output"}
    assert {"rural_income_wage", "rural_income_operating", "processing_output",
            "top_firm_revenue_brewing"} <= set(state)
    again = run_replicate(_with_state(scn, state), SEED, households_per_agent=HPA)["trajectory"]
    for y in traj:
        for k, v in traj[y].items():
            assert again[y][k] == v, (y, k)


def test_the_years_draws_do_not_persist(plain):
    # anchored on the same observation, replicates that drew different weather in the
    # cut-off year continue from the same gross output level in average weather
    from sim.model.province import agri_output_trend
    scn, _ = plain
    weather = set()
    for seed in (1, 2, 3, 4, 5, 6):
        m = _model_through(_with_state(scn, {"agri_output": 2000.0}), YEAR, seed)
        assert agri_output_trend(m, YEAR) == pytest.approx(2000.0, rel=1e-12)
        # the year's weather factor: recorded over the average-weather level before anchoring
        before = 2000.0 / m.assimilated[YEAR]["agri_output"]
        weather.add(round(m.record.rows[YEAR]["agri_output"] / before, 9))
    assert len(weather) > 1                       # the seeds drew different weather


def test_the_cut_off_year_is_recorded_as_simulated_and_later_years_move(plain):
    scn, traj = plain
    state = {k: 1.1 * v for k, v in _own_state(traj).items()}
    moved = run_replicate(_with_state(scn, state), SEED, households_per_agent=HPA)["trajectory"]
    for y in (2020, YEAR):
        assert moved[y] == traj[y]
    for k in ("rural_income", "processing_output", "top_firm_revenue_brewing", "agri_output"):
        assert moved[YEAR + 1][k] > traj[YEAR + 1][k] * 1.03, k
    # grain's level is published for 2020 and a year's deviation is weather: not anchored
    assert moved[YEAR + 1]["grain"] == traj[YEAR + 1]["grain"]


def test_after_anchoring_the_households_would_earn_the_observed_incomes(plain, monkeypatch):
    scn, traj = plain
    own = traj[YEAR]
    obs = {"rural_income_wage": own["rural_income_wage"] * 1.04,
           "rural_income_operating": own["rural_income_operating"] + 250.0,
           "rural_income_property": own["rural_income_property"] - 40.0,
           "rural_income_transfer": own["rural_income_transfer"] + 120.0}
    seen = {}
    anchor = assimilate.anchor

    def anchor_and_look(m, year, observed):
        done = anchor(m, year, observed)
        # the same state, in YEAR, after re-closing, in average weather (the replicate's
        # drought and disease draws of the year are its own, not the survey's)
        kept = m.yield_city, m.cluster_yield
        m.yield_city, m.cluster_yield = np.ones_like(kept[0]), np.ones_like(kept[1])
        seen["income"] = m.incomes()
        m.yield_city, m.cluster_yield = kept
        return done

    monkeypatch.setattr(assimilate, "anchor", anchor_and_look)
    m = _model_through(_with_state(scn, obs), YEAR)
    assert set(obs) <= set(m.assimilated[YEAR])
    inc = seen["income"]
    f = m.farmers
    persons = np.sum(f.weight * f.persons)
    for part in assimilate.INCOME_PARTS:
        mean = np.sum(f.weight * inc[part]) / persons
        assert mean == pytest.approx(obs[f"rural_income_{part}"], rel=1e-9), part


def test_a_leader_is_resized_and_no_other_firm_changes(plain):
    scn, traj = plain
    k = plan.CLUSTER_KEYS.index("brewing")
    before = _model_through(scn, YEAR)
    metric = "top_firm_revenue_brewing"
    after = _model_through(_with_state(scn, {metric: traj[YEAR][metric] * 1.25}), YEAR)
    top = before.firms.top_firm[k]
    assert after.firms.top_firm[k] == top
    # the year's price and disease draws divided out: resized to 1.25 x in average terms
    r = 1.25 * before.price[k] ** (1 - before.const["demand_price_elasticity"]) \
        * before.disease_keep[k]
    for col in ("sales", "capacity"):
        a, b = getattr(after.firms, col), getattr(before.firms, col)
        assert a[top] == pytest.approx(r * b[top], rel=1e-12)
        others = np.arange(len(b)) != top
        np.testing.assert_array_equal(a[others], b[others])
    np.testing.assert_allclose(after.firms.pipeline[top], r * before.firms.pipeline[top])
    # what the leader gains is new demand for its cluster
    gain = after.firms.demand[k] - before.firms.demand[k]
    assert gain == pytest.approx((r - 1) * before.firms.sales[top], rel=1e-9)


def test_processing_residual_leaves_the_leaders_observed_revenue_in_the_clusters(plain):
    scn, traj = plain
    own = traj[YEAR]
    lead = own["top_firm_revenue_brewing"] * 1.2
    proc = own["processing_output"] + 100.0
    m = _model_through(_with_state(scn, {"top_firm_revenue_brewing": lead,
                                         "processing_output": proc}), YEAR)
    # the firms outside the clusters, and the clusters' output, with the year's price and
    # disease draws divided out (they are the replicate's own), the leader at its observed
    # revenue
    e = m.const["demand_price_elasticity"]
    residual = (own["processing_output"] - own["output_total"]) / m.other.price ** (1 - e)
    shock = {c.key: m.price[k] ** (1 - e) * m.disease_keep[k]
             for k, c in enumerate(plan.CLUSTERS)}
    clusters = sum(own[f"output_{c}"] / s for c, s in shock.items())
    want = proc - (clusters + lead - own["top_firm_revenue_brewing"] / shock["brewing"])
    assert m.assimilated[YEAR]["processing_output"] == pytest.approx(want / residual,
                                                                     rel=1e-12)


def test_every_state_row_up_to_the_cut_off_is_taken_by_year():
    rows = pd.DataFrame({"metric": ["agri_output", "agri_output", "agri_output",
                                    "rural_income", "national_rural_income", "grain",
                                    "rural_income_wage", "rural_income_wage",
                                    "top_firm_revenue_brewing"],
                         "year": [2020, 2021, 2023, 2021, 2021, 2021, 2021, 2022, 2020],
                         "value": [1900.0, 2100.0, 9999.0, 15308.0, 18931.0, 1421.2,
                                   6860.0, 7271.0, 139.9]})
    from sim.config.exogenous import observed_state
    # never after the cut-off, never 2020 (the model's start); rural_income is the sum of the
    # anchored parts, national income an input series, grain not anchored (assimilate)
    assert observed_state(rows, 2022) == {"2021": {"agri_output": 2100.0,
                                                   "rural_income_wage": 6860.0},
                                          "2022": {"rural_income_wage": 7271.0}}
    assert observed_state(rows, 2021) == {"2021": {"agri_output": 2100.0,
                                                   "rural_income_wage": 6860.0}}


def test_the_shipped_file_anchors_each_year_it_has_rows_for():
    # the income survey comes a year after the firms' accounts: with data until 2024 the
    # incomes are last anchored at 2023, the firm at 2024 (tests/config/test_exogenous.py reads
    # the same file)
    state = with_data_until(load("plan"), 2024)["exogenous"]["state"]
    incomes = {f"rural_income_{s}" for s in assimilate.INCOME_PARTS}
    assert state["2024"] == {"top_firm_revenue_brewing": 360.11}
    assert set(state["2023"]) == incomes | {"top_firm_revenue_brewing"}
    assert set(state["2022"]) == incomes | {"top_firm_revenue_brewing", "processing_output",
                                            "agri_output"}
    assert set(state["2021"]) == incomes | {"top_firm_revenue_brewing", "processing_output"}
    traj = run_replicate(with_data_until(load("plan"), 2024), SEED,
                         households_per_agent=HPA)["trajectory"]
    plain = run_replicate(with_data_until(load("plan"), 2024, assimilate=False), SEED,
                          households_per_agent=HPA)["trajectory"]
    for y in (2020, 2021):
        assert traj[y] == plain[y]
    # 2022 runs from 2021's anchored state; each year from the year before's
    assert traj[2022]["rural_income_wage"] != plain[2022]["rural_income_wage"]
    assert traj[2024]["rural_income_wage"] != plain[2024]["rural_income_wage"]
    # the firm is anchored at the end of 2024: 2025 moves (Fenjiu published 360.11 for 2024)
    assert traj[2025]["top_firm_revenue_brewing"] > plain[2025]["top_firm_revenue_brewing"] \
        * 360.11 / plain[2024]["top_firm_revenue_brewing"] * 0.9


def test_without_assimilation_the_block_has_no_state_and_runs_as_before(plain):
    scn, traj = plain
    assert "state" not in scn["exogenous"]
    with_state = with_data_until(load("plan"), YEAR)
    assert with_state["exogenous"]["state"]["2021"]["top_firm_revenue_brewing"] == 199.71
    # an old block (written before state assimilation) carries no state: nothing anchored
    m = build_model(scn, SEED, households_per_agent=HPA)
    assert m.anchor_state == {}


@pytest.mark.parametrize("state, says", [
    ({"2021": {"rural_income": 15308.0}}, "is not a state metric"),
    ({"2021": {"agri_output": -1.0}}, "must be a positive number"),
    ({"2021": {"agri_output": True}}, "must be a positive number"),
    ({"2021": {"grain": 1421.2}}, "is not a state metric"),
    ({"2022": {"agri_output": 2100.0}}, "must be a year in 2021-2021"),
    ({"2021": {"agri_output": 2100.0}, "2020": {}}, "must be a year in 2021-2021"),
    ({"2021": 5.0}, "must map years"),
    ([1, 2], "must map years"),
])
def test_a_hand_written_state_is_checked(plain, state, says):
    scn, _ = plain
    bad = copy.deepcopy(scn)
    bad["exogenous"]["state"] = state
    with pytest.raises(ScenarioError, match=says):
        validate(bad, "test.yaml")


def test_the_state_is_not_part_of_a_calibration_that_ends_at_the_cut_off(plain):
    # it changes only the years after data_until: none of a calibration's up to it, so a
    # backtest's calibration resumes whether or not the forecast assimilates
    from sim.analysis.calibrate import _key
    scn, _ = plain
    used = pd.DataFrame({"metric": ["grain"], "year": [2021], "value": [1421.2],
                         "quality": ["M"]})
    s = {"population": 10, "seed": 1, "households_per_agent": HPA, "sampler": "ordered",
         "min_acceptance": 0.02}
    with_state = with_data_until(load("plan"), YEAR)
    assert _key(with_state, used, [], s, YEAR) == _key(scn, used, [], s, YEAR)
    # a calibration to later years sees the anchored years: there the state counts
    assert _key(with_state, used, [], s, YEAR + 1) != _key(scn, used, [], s, YEAR + 1)
    # data until 2024: what is anchored in 2021-2023 moves calibrated years, what is
    # anchored in 2024 moves nothing calibrated to 2024
    full = with_data_until(load("plan"), 2024)
    trimmed = copy.deepcopy(full)
    del trimmed["exogenous"]["state"]["2024"]
    none = with_data_until(load("plan"), 2024, assimilate=False)
    assert _key(full, used, [], s, 2024) == _key(trimmed, used, [], s, 2024)
    assert _key(full, used, [], s, 2024) != _key(none, used, [], s, 2024)
