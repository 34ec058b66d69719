import numpy as np
import pytest

from sim.config.scenario import apply_overrides, load_raw, validate
from sim.model import plan
from sim.run.replicate import build_model, run_replicate

# HPA: coarse scale keeps the suite fast; the rules are scale-free
from tests._shared import HPA_FINE as HPA


def _model(scn, seed, hpa=HPA):
    return build_model(scn, seed, households_per_agent=hpa)


def _variant(name, sets):
    raw, src = load_raw(name)
    return validate(apply_overrides(raw, sets), src)


def test_2020_calibration(plan_scn):
    for seed in (0, 1):
        m = _model(plan_scn, seed, hpa=1000)
        row = m.record.rows[2020]
        for c in plan.CLUSTERS:
            assert row[f"output_{c.key}"] == pytest.approx(c.implied_output_2020_yi_yuan,
                                                           rel=0.01)
        assert row["output_total"] == pytest.approx(850.7, rel=0.01)
        assert row["rural_income"] == pytest.approx(13878.0, rel=0.01)
        assert m.firms.n_leading_2020 == 470
        assert int(np.sum(m.firms.leading & m.firms.alive)) == 470


def test_property_closure_moves_with_modelled_rents_not_with_wages(plan_scn):
    # The model's rents received and dividends exceed the survey's 2020 property income, so
    # its closure term is negative (docs/ODD.md, initialisation). It used to be scaled by
    # the wage: a wage rise then lowered property income. Now it moves with the modelled
    # flows (a measurement gap on them) and not at all with wages.
    m = _model(plan_scn, 1)
    acc = m.accounts
    assert acc.other_prop_pp < 0
    m.accounts.update_property_index(m.farmers, m.land.rent)
    assert acc.prop_index == pytest.approx(1.0, rel=1e-9)  # 2020's state is the reference
    base = acc.other_property()
    assert base == pytest.approx(acc.other_prop_pp, rel=1e-12)
    acc.wage *= 1.2
    assert acc.other_property() == base
    m.land.rent = m.land.rent * 1.1
    m.accounts.update_property_index(m.farmers, m.land.rent)
    assert acc.prop_index > 1.0
    assert acc.other_property() == pytest.approx(acc.other_prop_pp * acc.prop_index, rel=1e-12)
    # so property income (modelled flows + closure) is a fixed share of the modelled flows
    f = m.farmers
    persons = np.sum(f.weight * f.persons)
    flows = np.sum(f.weight * (f.land_out * m.land.rent[f.city] + acc.dividend)) / persons
    assert (flows + acc.other_property()) / flows == pytest.approx(
        1 + acc.other_prop_pp / acc.prop_modelled0, rel=1e-9)


def test_same_seed_same_result(plan_scn):
    a = run_replicate(plan_scn, 5, households_per_agent=HPA)
    b = run_replicate(plan_scn, 5, households_per_agent=HPA)
    c = run_replicate(plan_scn, 6, households_per_agent=HPA)
    assert a == b
    assert a["outcomes"] != c["outcomes"]


def test_land_conserved_in_every_year(plan_scn):
    m = _model(plan_scn, 2)
    m.run()
    for year, row in m.record.rows.items():
        assert abs(row["land_conservation_error"]) < 1e-12, year
        assert 0.0 < row["land_transferred_share"] < 1.0


def test_coop_dividends_equal_distributable_surplus(plan_scn):
    m = _model(plan_scn, 4)
    m.run()
    f = m.farmers
    paid_any = False
    for c in m.coops:
        members = f.coop == c.coop_id
        paid = np.sum(f.weight[members] * m.accounts.dividend[members])
        expected = m.const["coop_payout_share"] * max(c.surplus_yuan, 0.0)
        assert paid == pytest.approx(expected, rel=1e-9, abs=1e-6)
        paid_any |= paid > 0
    assert paid_any


def test_spoilage_falls_as_cold_chain_rises(plan_scn):
    low = _variant("plan", ["levers.cold_chain_new_capacity_wan_t=0"])
    high = _variant("plan", ["levers.cold_chain_new_capacity_wan_t=30"])
    spoil = []
    for scn in (low, high):
        m = _model(scn, 8)
        m.run()
        spoil.append(np.mean([p.spoilage for p in m.platforms]))
    assert spoil[1] < spoil[0]


def test_more_capital_subsidy_not_less_investment_under_crn():
    seeds = range(6)
    inv = {}
    for rate in (0.0, 0.4):
        scn = _variant("plan", [f"levers.capital_subsidy_rate={rate}"])
        inv[rate] = [run_replicate(scn, s, households_per_agent=HPA)["outcomes"]
                     ["investment_cum"] for s in seeds]
    diff = np.array(inv[0.4]) - np.array(inv[0.0])
    assert diff.mean() > 0
    assert np.all(diff >= -1e-6 * np.array(inv[0.0]))  # paired: no seed invests less


def test_more_land_service_more_land_transferred_under_crn():
    seeds = range(6)
    share = {}
    for cov in (0.0, 1.0):
        scn = _variant("plan", [f"levers.land_service_coverage={cov}"])
        share[cov] = [run_replicate(scn, s, households_per_agent=HPA)["outcomes"]
                      ["land_transferred_share"] for s in seeds]
    assert np.mean(share[1.0]) > np.mean(share[0.0])


def test_no_new_policy_grows_near_historical_pace(noplan_scn, plan_scn):
    # 2015-2020 processing output grew 8.2%/yr (Ch.1 §1). Compared as the calibration of
    # shanxi_share_gain defines it (experiments/calibrate_share_gain.py): both paces net of
    # the COVID-19 year, whose shortfall s lowers the 2015-20 CAGR and raises the 2020-25
    # one, per replicate; the median gap within two points. 16 seeds: the median over 8
    # moved by ~0.6 points with the seed set (raw CAGR, seeds 0-7 against 8-39: 9.7 against
    # 8.8% before the largest firms' own growth was modelled, 10.3 against 9.6% after).
    def paces(scn, s):
        r = run_replicate(scn, s, households_per_agent=HPA)
        t, short = r["trajectory"], r["inputs"]["covid_2020_shortfall"]
        ratio = t[2025]["output_total"] / t[2020]["output_total"]
        ahead = (ratio * (1 - short)) ** 0.2 - 1
        before = (2186.0 / 1481.0 / (1 - short)) ** 0.2 - 1
        return ahead - before, ratio ** 0.2 - 1
    base = np.array([paces(noplan_scn, s) for s in range(16)])
    planned = np.array([paces(plan_scn, s) for s in range(16)])
    assert abs(np.median(base[:, 0])) < 0.02
    assert np.median(planned[:, 1]) > np.median(base[:, 1])


def test_every_target_evaluated(plan_scn):
    from sim.model.outcomes import TARGETS
    r = run_replicate(plan_scn, 0, households_per_agent=HPA)
    assert set(r["met"]) == {t.name for t in TARGETS}
    assert len(TARGETS) > 90
    for t in TARGETS:
        assert r["met"][t.name] == (r["outcomes"][t.metric] >= t.threshold)


def test_every_recorded_metric_is_declared_once():
    from sim.model.outcomes import METRIC_BY_NAME, METRICS, TARGETS
    r = run_replicate("plan", 3, households_per_agent=8000)
    assert len(METRIC_BY_NAME) == len(METRICS)  # names are unique
    for year, row in r["trajectory"].items():
        assert set(row) == set(METRIC_BY_NAME), year
    assert {t.metric for t in TARGETS} <= set(METRIC_BY_NAME)


def test_each_reporter_writes_exactly_the_metrics_it_declares(plan_scn):
    # the recorder's reporters (sim.model.recorder) are declared with the metrics they
    # compute: run them one by one on a finished run's state and compare what each writes
    from sim.model.recorder import REPORTERS, Year
    m = build_model(plan_scn, 3, households_per_agent=8000)
    m.run()
    r: dict = {}
    ctx = Year(2025, m.record.rows[2020])
    for rep in REPORTERS:
        before = list(r)
        rep.function(r, m, ctx)
        assert list(r)[len(before):] == list(rep.metrics), rep.function.__name__
    assert list(r) == list(m.record.rows[2025])  # the recorder's own order


def test_no_submodel_assigns_the_models_attributes_or_calls_its_private_methods():
    # issue #23: each submodel owns its state; only sim/model/model.py (the wiring) sets
    # the model's attributes, and nothing outside it calls the model's private methods
    import ast
    from pathlib import Path

    import sim.model

    def model_ref(node):  # m.x, model.x, self.model.x
        v = node.value
        return (isinstance(v, ast.Name) and v.id in ("m", "model")) or (
            isinstance(v, ast.Attribute) and v.attr == "model")

    found = []
    for path in sorted(Path(sim.model.__file__).parent.glob("*.py")):
        if path.name == "model.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = (node.targets if isinstance(node, ast.Assign)
                       else [node.target] if isinstance(node, ast.AugAssign) else [])
            for t in targets:
                while isinstance(t, ast.Subscript):  # m.x[i] = ... changes m.x too
                    t = t.value
                if isinstance(t, ast.Attribute) and model_ref(t):
                    found.append(f"{path.name}:{node.lineno} assigns .{t.attr}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr.startswith("_") and model_ref(node.func)):
                found.append(f"{path.name}:{node.lineno} calls .{node.func.attr}")
    assert not found, found
