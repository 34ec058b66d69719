"""Backtest rows split by how the agents take part in them; provenance names its data years."""

import re

import numpy as np
import pandas as pd
import pytest

from sim.analysis import backtest as bt


def test_group_of_follows_the_assimilated_and_exogenous_lists():
    from sim.config import exogenous
    from sim.model import assimilate
    for m in assimilate.METRICS:
        assert bt.group_of(m) == "anchored"
        assert bt.group_of(m, assimilate=False) == "free"   # nothing re-anchored
    assert bt.group_of("rural_income") == "anchored"         # the sum of the anchored parts
    assert "top_firm_revenue_brewing" in assimilate.METRICS
    for m in list(exogenous.SERIES) + list(exogenous.MARKETS.values()):
        assert bt.group_of(m) == bt.group_of(m, assimilate=False) == "exogenous"
    assert bt.group_of("national_market_dairy_output") == "exogenous"
    for m in ("grain", "primary_va", "poor_area_income", "leading_firms", "farmland_hs"):
        assert bt.group_of(m) == "free"


def _rows(metric, year, scores):
    """Rows of a score table: scores = {forecaster: (crps_rel, in_90) or None (unscored)}."""
    out = []
    for f, sc in scores.items():
        crps, in90 = sc if sc else (np.nan, None)
        out.append({"origin": 2021, "metric": metric, "year": year, "horizon": year - 2021,
                    "observed": 100.0, "quality": "S", "line": year, "forecaster": f,
                    "crps": crps * 100.0, "crps_rel": crps, "pit": 0.5,
                    "in_50": bool(in90), "in_90": in90, "note": "" if sc else "no naive"})
    return out


@pytest.fixture
def table():
    rows = []
    # anchored: the model wins
    rows += _rows("rural_income_wage", 2022, {"model": (0.01, True), "trend": (0.05, True),
                                              "last_growth": (0.04, True)})
    # exogenous
    rows += _rows("national_rural_income", 2022, {"model": (0.02, True),
                                                  "trend": (0.01, True),
                                                  "last_growth": (0.03, False)})
    # free: three rows all forecasters scored, one only the model could
    rows += _rows("grain", 2022, {"model": (0.10, True), "trend": (0.20, False),
                                  "last_growth": (0.30, False)})
    rows += _rows("grain", 2023, {"model": (0.20, False), "trend": (0.10, True),
                                  "last_growth": (0.50, True)})
    rows += _rows("primary_va", 2022, {"model": (0.06, True), "trend": (0.12, True),
                                       "last_growth": (0.03, True)})
    rows += _rows("poor_area_income", 2022, {"model": (0.40, True), "trend": None,
                                             "last_growth": None})
    t = pd.DataFrame(rows)
    t.insert(2, "group", [bt.group_of(m) for m in t["metric"]])
    return t


def test_group_summary_coverage_and_crps_exactly(table):
    g = bt.summarise_groups(table).set_index(["group", "forecaster"])
    assert set(g.index.get_level_values("group")) == {"anchored", "exogenous", "free"}
    fm = g.loc[("free", "model")]
    assert fm["n"] == 4 and fm["n_paired"] == 3
    assert fm["cover_90"] == pytest.approx(3 / 4)
    assert fm["mean_crps_rel"] == pytest.approx((0.10 + 0.20 + 0.06 + 0.40) / 4)
    assert fm["mean_crps_rel_paired"] == pytest.approx((0.10 + 0.20 + 0.06) / 3)
    ft = g.loc[("free", "trend")]
    assert ft["n"] == 3 and ft["cover_90"] == pytest.approx(2 / 3)
    assert ft["mean_crps_rel_paired"] == pytest.approx((0.20 + 0.10 + 0.12) / 3)
    fl = g.loc[("free", "last_growth")]
    assert fl["mean_crps_rel_paired"] == pytest.approx((0.30 + 0.50 + 0.03) / 3)
    assert g.loc[("exogenous", "last_growth")]["cover_90"] == 0.0
    assert g.loc[("anchored", "model")]["mean_crps_rel_paired"] == pytest.approx(0.01)
    # the bar: 75% < 80% covered, though the CRPS beats both naive forecasts
    bar = bt.free_bar(bt.summarise_groups(table))[2021]
    assert bar["covered"] is False and bar["beats_naive"] is True and bar["met"] is False
    assert bar["cover_90"] == pytest.approx(0.75)
    # one more free row inside: 80% covered, and the bar is met
    more = pd.DataFrame(_rows("primary_va", 2023, {"model": (0.05, True),
                                                   "trend": (0.06, True),
                                                   "last_growth": (0.07, True)}))
    more.insert(2, "group", "free")
    bar = bt.free_bar(bt.summarise_groups(pd.concat([table, more], ignore_index=True)))[2021]
    assert bar["cover_90"] == pytest.approx(0.8) and bar["met"] is True


def test_summary_and_printout_carry_the_groups(table):
    s = bt.summarise(table)
    grain = s[(s["metric"] == "grain") & (s["forecaster"] == "model")]
    assert grain["group"].iloc[0] == "free" and grain["n"].iloc[0] == 2
    free = s[(s["metric"] == "(free)") & (s["forecaster"] == "model")].iloc[0]
    assert free["cover_90"] == pytest.approx(0.75) and free["n_paired"] == 3
    text = bt.format_summary(s)
    assert "origin 2021 by group" in text
    line = next(x for x in text.splitlines() if x.strip().startswith("free "))
    assert "0.120 (75%)" in line and "(n = 3)" in line
    assert "bar not met" in text
    # a table without the group column (an older backtest.parquet) is grouped from its metrics
    assert bt.summarise_groups(table.drop(columns="group")).equals(bt.summarise_groups(table))


def test_score_sets_the_group_of_each_held_out_row():
    rng = np.random.default_rng(1)
    model = pd.DataFrame([{"replicate": i, "metric": m, "year": 2022,
                           "value": 100.0 + rng.normal()}
                          for m in ("grain", "agri_output") for i in range(20)])
    train = pd.DataFrame({"metric": "grain", "year": [2018, 2019, 2020, 2021],
                          "value": [96.0, 98.0, 99.0, 100.0]})
    fc = {"model": model, "note": "", "naive": {"grain": bt.naive(train, "grain", [2022])}}
    held = pd.DataFrame({"metric": ["grain", "agri_output"], "year": 2022,
                         "value": [101.0, 100.0], "quality": "S", "line": [3, 4]})
    for assimilate, agri in ((True, "anchored"), (False, "free")):
        t = bt.score(fc, held, 2021, assimilate)
        assert set(t[t["metric"] == "grain"]["group"]) == {"free"}
        assert set(t[t["metric"] == "agri_output"]["group"]) == {agri}
        assert list(t.columns[:3]) == ["origin", "metric", "group"]


def test_every_uncertainty_names_its_data_years_or_is_an_assumption():
    from sim.model.params import UNCERTAINTIES
    year = re.compile(r"\b(19|20)\d\d\b")
    bare = [p.name for p in UNCERTAINTIES
            if not (year.search(p.provenance) or "assumption" in p.provenance)]
    assert not bare, f"provenance without data years or 'assumption': {bare}"


def test_ranges_resting_on_plan_year_data_say_so():
    from sim.model.params import BY_NAME
    for name in ("covid_2020_shortfall",):
        prov = BY_NAME[name].provenance
        assert "not available to a 2021 forecaster" in prov, name
        assert "Ranges a 2021 forecaster could have declared" in prov, name


def test_anchored_at_the_origin_is_what_the_run_re_anchored_in_the_origin_year():
    """On the shipped data: from 2021 the incomes, processing revenue and Fenjiu (rows in
    2021), not gross agricultural output (its only row is 2022's); from 2020 the model's own
    start, all but gross agricultural output (its 2020 level is sampled)."""
    from sim.config.observed import DEFAULT_OBSERVED, parse_observed
    from sim.config.scenario import load
    from sim.model import assimilate
    obs = parse_observed(DEFAULT_OBSERVED)
    base = load("plan")
    incomes = {f"rural_income_{s}" for s in assimilate.INCOME_PARTS}
    want21 = incomes | {"rural_income", "processing_output", "top_firm_revenue_brewing"}
    got = {o: bt.anchored_at(bt.origin_scenario(base, obs, o), o) for o in (2020, 2021, 2022)}
    assert got[2021] == want21
    assert got[2022] == want21 | {"agri_output"}
    assert got[2020] == set(bt.START_ANCHORED) | {"rural_income"}
    assert "agri_output" not in got[2020] and "top_firm_revenue_dairy" in got[2020]
    # nothing is re-anchored without assimilation, except the model's own 2020 start
    assert bt.anchored_at(bt.origin_scenario(base, obs, 2021, assimilate=False), 2021) == set()
    assert bt.anchored_at(base, 2020, assimilate=False) == got[2020]
    # the split of the held-out rows the issue counts (origin 2021, rows through 2024: 14,
    # 3 and 4); the 2025 rows published since add national income (exogenous) and grain
    held = obs[(obs["year"] > 2021) & (obs["year"] <= 2024)]
    groups = [bt.group_of(m, anchored=got[2021]) for m in held["metric"]]
    assert {g: groups.count(g) for g in bt.GROUPS} == {"anchored": 14, "exogenous": 3,
                                                      "free": 4}
    free = held[[g == "free" for g in groups]]
    assert sorted(set(free["metric"])) == ["agri_output", "grain"]
    late = obs[obs["year"] == 2025]
    assert {m: bt.group_of(m, anchored=got[2021]) for m in late["metric"]} == {
        "national_rural_income": "exogenous", "grain": "free"}
    # origin 2020: the rows of 2021-2024; gross agricultural output and grain are free
    held = obs[obs["year"] > 2020]
    by = {m: bt.group_of(m, anchored=got[2020]) for m in held["metric"]}
    assert by["agri_output"] == by["grain"] == "free"
    assert by["rural_income_wage"] == by["top_firm_revenue_brewing"] == "anchored"
    assert by["national_rural_income"] == "exogenous"


def test_the_model_starts_from_the_published_2020_state_of_what_origin_2020_anchors():
    """START_ANCHORED at origin 2020 is a claim about the model: its 2020 values of those
    metrics are the published 2020 rows (within 2%: the incomes are closed on the survey's
    structure, Fenjiu's revenue on its output), and gross agricultural output's is not
    fixed (sampled)."""
    from sim.analysis.calibrate import simulate_metrics
    from sim.config.observed import DEFAULT_OBSERVED, parse_observed
    from sim.config.scenario import load
    from tests._shared import HPA
    obs = parse_observed(DEFAULT_OBSERVED)
    o20 = obs[obs["year"] == 2020].set_index("metric")["value"]
    metrics = sorted(set(bt.START_ANCHORED) | {"rural_income", "agri_output"})
    t = simulate_metrics(load("plan"), metrics, 3, 7, HPA, "serial", 1, None)
    t20 = t[t["year"] == 2020].groupby("metric")["value"]
    checked = 0
    for m in sorted(set(bt.START_ANCHORED) | {"rural_income"}):
        if m in o20:
            lo, hi = t20.min()[m], t20.max()[m]
            assert abs(lo / o20[m] - 1) < 0.02 and abs(hi / o20[m] - 1) < 0.02, m
            checked += 1
    assert checked >= 6
    assert t20.max()["agri_output"] > t20.min()["agri_output"]


def test_the_product_market_ranges_rest_on_data_through_2020():
    # re-declared from data through 2020 (issue #21 items 1 and 4): each names its data
    # years, none of them after 2020, and no longer carries the plan-year warning
    from sim.model.params import BY_NAME
    for name in ("national_demand_growth", "shanxi_share_gain", "top_firm_excess_growth",
                 "market_growth_persistence", "market_growth_sd", "top_firm_excess_reversion"):
        prov = BY_NAME[name].provenance
        assert "Data years:" in prov, name
        years = [int(y) for y in re.findall(r"\b(20\d\d)\b", prov.split("Data years:")[1]
                                            .split(". ")[0])]
        assert years and max(years) <= 2020, (name, years)
        assert "not available to a 2021 forecaster" not in prov, name
