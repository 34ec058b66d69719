"""Cooperatives form, grow and fail from their members' expected gains (issue #9, item 10).

Each test moves one input and checks the direction of what follows.
"""

import numpy as np

from sim.config.scenario import derive, load
from sim.model import cooperatives, plan
from sim.model import equations as eq
from sim.run.replicate import build_model, run_replicate
from tests._shared import HPA_FINE as HPA

SEEDS = range(6)


def test_grants_make_cooperatives_form_at_least_as_often():
    base = load("plan")
    low = derive(base, {"levers.coop_grant_yi_yuan": 0.0})
    high = derive(base, {"levers.coop_grant_yi_yuan": 10.0})
    diffs = []
    for s in SEEDS:
        a = run_replicate(low, s, households_per_agent=HPA)["trajectory"]
        b = run_replicate(high, s, households_per_agent=HPA)["trajectory"]
        # slot-years with a cooperative, 2021-2025, paired by seed
        diffs.append(sum(b[y]["coops"] - a[y]["coops"] for y in plan.YEARS))
    assert min(diffs) >= 0 and max(diffs) > 0, diffs


def test_expected_gain_of_a_new_cooperative_rises_with_grants(plan_scn):
    m = build_model(plan_scn, 2, households_per_agent=HPA)
    sales = cooperatives.member_sales(m)
    members = float(np.sum(m.farmers.weight * (m.farmers.coop >= 0)))
    slots = np.argwhere(m.presence > 0)
    rose = False
    for city, k in slots:
        g0, n0, _ = cooperatives.appraise(m, city, k, 0.0, sales, members)
        g1, n1, _ = cooperatives.appraise(m, city, k, 5.0, sales, members)
        assert g1 >= g0 and n1 >= n0
        rose |= g1 > g0
    assert rose


def test_drought_lowers_the_cooperatives_land_return(plan_scn):
    m = build_model(plan_scn, 4, households_per_agent=HPA)
    c = m.coops[0]
    other = next(x for x in m.coops if x.city != c.city)
    before = cooperatives.land_net(m, c.city, c.cluster)
    other_before = cooperatives.land_net(m, other.city, other.cluster)
    u = m.uncertain
    hit = np.zeros(len(plan.CITIES), bool)
    hit[c.city] = True
    m.yield_city = eq.mean_one(hit, u["drought_yield_loss"], u["drought_probability"])
    during = cooperatives.land_net(m, c.city, c.cluster)
    assert during < before
    # mean-preserving: a city spared the drought is slightly above the average year
    assert cooperatives.land_net(m, other.city, other.cluster) > other_before
    # and the cluster's farm-gate price (its raw-material market) enters as well
    m.raw.x = np.ones(len(plan.CLUSTERS)) * 1.1
    assert cooperatives.land_net(m, c.city, c.cluster) > during
