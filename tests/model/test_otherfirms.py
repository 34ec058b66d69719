"""Processing outside the ten clusters is made of firms (issue #21, item 2).

The firms conserve their market and their output (the sum of firm sales is the market, the
sum of firm output is the metric's part, output = volume sold at the year's price), entry
and exit act on them, no part of processing revenue is reduced-form, and a seed fixes them.
"""

import numpy as np
import pytest

from sim.config.scenario import derive, load
from sim.model import firms, otherfirms, plan
from sim.run.replicate import build_model
from tests._shared import HPA

SEED = 3


def _run(scn, seed=SEED):
    """Run 2021-2025; every firm's output summed quarter by quarter, by year.

    Read right after each quarter's production (the fourth quarter's exits zero a leaver's
    row after the year is recorded).
    """
    m = build_model(scn, seed, households_per_agent=HPA)
    clusters, other = {}, {}

    def after(produce, table, into):
        def wrapped(model):
            produce(model)
            into[model.year] = into.get(model.year, 0.0) + float(table(model).output.sum()) / 4
        return wrapped

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(firms, "produce", after(firms.produce, lambda x: x.firms, clusters))
        mp.setattr(otherfirms, "produce", after(otherfirms.produce, lambda x: x.other.table,
                                                other))
        m.run()
    return m, clusters, other


@pytest.fixture(scope="module")
def run():
    return _run(load("plan"))


def test_2020_keeps_the_plans_total():
    m = build_model(load("plan"), SEED, households_per_agent=HPA)
    ft = m.other.table
    assert ft.sales.sum() == pytest.approx(otherfirms.OTHER_PROCESSING_2020_YI, rel=1e-12)
    assert m.record.rows[plan.BASE_YEAR]["processing_output"] == pytest.approx(
        plan.PROVINCE.processing_output_2020_yi, rel=1e-12)
    assert len(ft.sales) == otherfirms.ROWS
    assert m.other.n_firms() == pytest.approx(m.other.firms_2020, rel=1e-12)


def test_firm_sales_sum_to_their_market_and_output_is_volume_at_the_price():
    m = build_model(load("plan"), SEED, households_per_agent=HPA)
    for _ in range(9):  # to 2023Q1: after two years of entry and exit, the market just grown
        m.step()
    ft = m.other.table
    selling = ft.alive & (ft.capacity > 0)
    assert (ft.sales * selling).sum() == pytest.approx(m.other.demand, rel=1e-9)
    # output = what is sold (capped by capacity) × the year's price factor
    volume = np.minimum(ft.sales, ft.capacity * m.const["max_utilisation"])
    np.testing.assert_allclose(ft.output, np.where(ft.alive, volume, 0.0)
                               * otherfirms.year_draw(m), rtol=1e-12)


def test_processing_revenue_is_the_sum_of_firm_output_and_nothing_is_reduced_form(run):
    m, clusters, other = run
    for y in plan.YEARS:
        r = m.record.rows[y]
        assert r["output_total"] == pytest.approx(clusters[y], rel=1e-9)
        made_of_firms = clusters[y] + other[y]
        share = 1.0 - made_of_firms / r["processing_output"]   # the reduced-form share
        assert abs(share) <= otherfirms.REDUCED_FORM_SHARE + 1e-9, (y, share)
    assert otherfirms.REDUCED_FORM_SHARE <= 0.20    # the bound (its goal is 0)


def test_entry_and_exit_act_on_them():
    # a faster-growing market brings more entrants (seeds summed: the rule, not one draw)
    base = load("plan")
    fast = derive(base, {"uncertainties.other_processing_growth": 0.09,
                         "uncertainties.market_growth_sd": 0.02})
    slow = derive(base, {"uncertainties.other_processing_growth": 0.04,
                         "uncertainties.market_growth_sd": 0.02})
    added = {}
    for name, scn in (("fast", fast), ("slow", slow)):
        added[name] = sum(len(_run(scn, s)[0].other.table.sales) - otherfirms.ROWS
                          for s in (1, 2))
    assert added["fast"] > added["slow"] > 0
    # a row whose firms sell below the minimum leaves, with its agent
    m = build_model(base, SEED, households_per_agent=HPA)
    for _ in range(3):
        m.step()
    ft = m.other.table
    row = int(np.argmin(np.where(ft.alive, ft.sales, np.inf)))
    agent = ft.agents[row]
    ft.sales[row] = 0.5 * m.const["exit_min_sales_yi"] * m.other.per_row
    m.step()  # Q4: entry and exit
    assert not ft.alive[row] and ft.agents[row] is None
    assert agent not in m.agents


def test_same_seed_same_firms(run):
    m, _, _ = run
    again, _, _ = _run(load("plan"))
    for col in ("sales", "capacity", "output", "alive"):
        np.testing.assert_array_equal(getattr(again.other.table, col),
                                      getattr(m.other.table, col))
    assert [r["processing_output"] for r in again.record.rows.values()] == \
        [r["processing_output"] for r in m.record.rows.values()]


def test_their_market_can_fall_and_a_deviation_persists():
    eps = np.array([1.0, 0.0, 0.0, 0.0, 0.0])
    g = otherfirms.market_path(0.05, 0.5, 0.04, eps)
    np.testing.assert_allclose(g - 0.05, 0.04 * 0.5 ** np.arange(5), rtol=1e-12)
    draws = np.array([otherfirms.market_path(np.log1p(0.04), 0.45, 0.06,
                                             np.random.default_rng(s).normal(size=5))
                      for s in range(200)])
    assert (draws < 0).any()


def test_an_observed_processing_total_resizes_them_and_their_market():
    # with data to 2021 and an observed total 100 亿 above the run's own, the firms outside
    # the clusters (and their market) are scaled by the factor the anchoring reports; the
    # clusters' firms are untouched
    import copy

    from sim.config.scenario import validate, with_data_until
    scn = with_data_until(load("plan"), 2021, assimilate=False)

    def through_2021(s):
        m = build_model(s, SEED, households_per_agent=HPA)
        while m.year <= 2021:
            m.step()
        return m

    plain = through_2021(scn)
    anchored_scn = copy.deepcopy(scn)
    anchored_scn["exogenous"]["state"] = {
        "2021": {"processing_output": plain.record.rows[2021]["processing_output"] + 100.0}}
    anchored = through_2021(validate(anchored_scn, "test"))
    r = anchored.assimilated[2021]["processing_output"]
    assert r > 1.0
    a, b = anchored.other.table, plain.other.table
    np.testing.assert_allclose(a.sales, r * b.sales, rtol=1e-12)
    np.testing.assert_allclose(a.capacity, r * b.capacity, rtol=1e-12)
    assert anchored.other.demand == pytest.approx(r * plain.other.demand, rel=1e-12)
    # their output, its price draw divided out, is the observed total less the clusters'
    # output with the clusters' price and disease draws divided out
    row = plain.record.rows[2021]
    shock = firms.year_draws(plain)
    clusters = sum(row[f"output_{c.key}"] / shock[k] for k, c in enumerate(plan.CLUSTERS))
    own = (row["processing_output"] - sum(row[f"output_{c.key}"] for c in plan.CLUSTERS)) \
        / otherfirms.year_draw(plain)
    assert r * own == pytest.approx(row["processing_output"] + 100.0 - clusters, rel=1e-12)
    np.testing.assert_array_equal(anchored.firms.sales, plain.firms.sales)
