"""Platforms trade the flows of the clusters they serve (issue #9, item 10).

Each test moves one input and checks the direction of what follows and, where money or
flows are involved, that they are conserved.
"""

import mesa
import numpy as np
import pytest

from sim.config.scenario import derive, load
from sim.model import plan, platforms
from sim.model.params import resolve_constants
from sim.run.replicate import build_model, run_replicate
from tests._shared import HPA_FINE as HPA

NEED = 0.5  # t of storage per t/yr of perishable intake (derived in the model)
CONST = {k: (float(v) if np.ndim(v) == 0 else v) for k, v in resolve_constants({}).items()}


def _platform(perishable_share, flow=100.0, capacity=120.0, cold=5.0):
    return platforms.Platform(mesa.Model(rng=0), 0, 3000.0, perishable_share, flow, capacity,
                              cold)


def test_cold_storage_raises_a_perishable_platforms_value_only():
    values = {}
    for ps in (0.8, 0.0):
        for cold in (5.0, 20.0):
            p = _platform(ps, cold=cold)
            p.trade(100.0, 1.0, NEED, CONST)
            values[ps, cold] = (p.value_yi_yuan, p.storage_fees_yi_yuan, p.spoilage)
    assert values[0.8, 20.0][0] > values[0.8, 5.0][0]  # less spoilage, more sold
    assert values[0.8, 20.0][2] < values[0.8, 5.0][2]
    assert values[0.0, 20.0] == values[0.0, 5.0]  # nothing perishable: storage idle
    assert values[0.0, 20.0][1] == 0.0  # and idle storage earns nothing


def test_cold_storage_in_the_model_moves_perishable_platforms_not_the_others():
    # Each platform's own programme, paired by seed: none of the plan's subsidised storage
    # at the platform against the plan's schedule for it. Grain and herbs keep without
    # cold storage, so their operators build none, with the programme or without it.
    # The perishable platforms' value is compared over the plan years (2021-2025 summed):
    # in one year the paired runs can differ by more than the programme's effect (seed 2,
    # fruit: 2025 value -0.2% with the programme, after +0.4 to +1.0% in 2021-2024, as a
    # discrete choice elsewhere diverged), while over the period it shows.
    plan_scn = load("plan")
    lever = "levers.cold_chain_new_capacity_wan_t"
    for s in range(3):
        ref_years = run_replicate(plan_scn, s, households_per_agent=HPA)["trajectory"]
        ref = ref_years[2025]
        for key in plan.PLATFORM_KEYS:
            none = derive(plan_scn, {f"{lever}.{key}": 0.0})
            t_years = run_replicate(none, s, households_per_agent=HPA)["trajectory"]
            t = t_years[2025]
            perishable = CONST["platform_perishable_share"][plan.PLATFORM_KEYS.index(key)] > 0
            if perishable:  # the programme is built where perishable intake lacks storage
                assert ref["cold_chain_total"] > t["cold_chain_total"], (s, key)
            else:  # and nowhere else: the offer goes unused
                assert ref["cold_chain_total"] == t["cold_chain_total"], (s, key)
            if key in ("fruit_export", "meat_export"):
                def value(years, key=key):
                    return sum(years[y][f"value_{key}"] for y in plan.YEARS)
                assert value(ref_years) > value(t_years), (s, key)
            elif not perishable:
                assert ref[f"volume_{key}"] == t[f"volume_{key}"], (s, key)
                assert ref.get(f"value_{key}") == t.get(f"value_{key}"), (s, key)


# ------------------------------------------------- cold storage as an investment (#9, 7)
HURDLE = 0.12


def _built(perishable_share=0.8, programme=10.0, rate=0.3, hurdle=HURDLE, const=CONST,
           cold=5.0):
    # 100 万吨 intake, 80% perishable: needs 40 万吨 of storage, has `cold`
    return _platform(perishable_share, cold=cold).build_cold_storage(programme, rate, NEED,
                                                                     const, hurdle)


def test_more_subsidy_or_a_bigger_programme_never_lowers_storage_built():
    rates = np.linspace(0.0, 0.6, 13)
    by_rate = [sum(_built(rate=r)) for r in rates]
    assert np.all(np.diff(by_rate) >= 0) and by_rate[-1] > by_rate[0]
    programmes = np.linspace(0.0, 60.0, 13)  # past the 35 万吨 the platform lacks
    for rate in (0.0, 0.3, 0.6):
        by_programme = [sum(_built(programme=q, rate=rate)) for q in programmes]
        assert np.all(np.diff(by_programme) >= -1e-12), rate
    # a subsidised tonne is built at least as readily as an unsubsidised one
    sub, unsub = _built(programme=10.0)
    assert sub / 10.0 >= unsub / (CONST["cold_storage_build_pace"] * (35.0 - 10.0))
    # and never more than the programme offers or the perishable intake lacks
    assert _built(programme=10.0, hurdle=0.0)[0] <= 10.0
    assert sum(_built(programme=100.0, hurdle=0.0)) <= 35.0 + 1e-9
    # a dearer store, a higher hurdle or a thinner margin builds less
    dear = dict(CONST, cold_chain_cost_yi_per_wan_t=0.3)
    thin = dict(CONST, cold_storage_margin=0.3)
    assert sum(_built(const=dear)) < sum(_built()) and sum(_built(const=thin)) < sum(_built())
    assert sum(_built(hurdle=0.16)) < sum(_built(hurdle=0.08))


def test_storage_is_built_only_where_perishable_intake_lacks_it():
    # no perishable flow: nothing, subsidised or not, whatever the offer and the hurdle
    for programme in (0.0, 10.0, 50.0):
        for hurdle in (0.0, 0.08, 0.16):
            assert _built(0.0, programme=programme, rate=0.6, hurdle=hurdle) == (0.0, 0.0)
    # storage already covering the perishable intake: nothing more
    assert _built(programme=10.0, cold=40.0) == (0.0, 0.0)
    # perishable intake lacking storage and no programme: demand alone builds some when
    # the return (margin × fee / cost = 10%) beats the hurdle, almost none when it does not
    sub, unsub = _built(programme=0.0, hurdle=0.06)
    assert sub == 0.0 and unsub > 0.5 * CONST["cold_storage_build_pace"] * 35.0
    assert sum(_built(programme=0.0, hurdle=0.2)) < 0.01 * sum(_built(programme=0.0,
                                                                      hurdle=0.06))


def test_storage_built_is_what_the_platforms_get_and_the_subsidy_is_paid_on_it(
        plan_scn, monkeypatch):
    decided = []
    original = platforms.Platform.build_cold_storage

    def record(self, programme, rate, *args):
        out = original(self, programme, rate, *args)
        decided.append((self.index, programme, rate, *out))
        return out

    monkeypatch.setattr(platforms.Platform, "build_cold_storage", record)
    m = build_model(plan_scn, 2, households_per_agent=HPA)
    cold0 = [p.cold_wan_t for p in m.platforms]
    m.run()
    d = np.array(decided)  # (index, programme, rate, subsidised, unsubsidised) per year
    assert len(d) == len(plan.YEARS) * len(plan.PLATFORMS)
    built = d[:, 3] + d[:, 4]
    # conservation: the operators' storage is what the platforms got, and the metric
    for p, c0 in zip(m.platforms, cold0, strict=True):
        assert p.cold_wan_t - c0 == pytest.approx(built[d[:, 0] == p.index].sum(), rel=1e-12)
    rows = m.record.rows
    assert rows[plan.BASE_YEAR]["cold_chain_new"] == 0.0  # 2020 at rest
    assert rows[plan.TARGET_YEAR]["cold_chain_new"] == pytest.approx(built.sum(), rel=1e-12)
    # the subsidy arrives as delivered and the fiscal item counts it on what was built only
    delivery = m.uncertain["policy_delivery"]
    assert np.allclose(d[:, 2], CONST["cold_chain_subsidy_share"] * delivery)
    cost = CONST["cold_chain_cost_yi_per_wan_t"]
    assert m.fiscal["cold_chain"] == pytest.approx(float(np.sum(d[:, 3] * cost * d[:, 2])),
                                                   rel=1e-12)
    offered = float(np.sum(d[:, 1] * cost * d[:, 2]))
    assert 0.0 < m.fiscal["cold_chain"] < offered  # grain and herbs take none of theirs
    m.release()


def test_bigger_served_output_raises_volume_up_to_capacity():
    volumes = []
    flows = (40.0, 80.0, 119.0, 120.0, 160.0, 240.0)
    for flow in flows:
        p = _platform(0.0, capacity=120.0)
        p.trade(flow, 1.0, NEED, CONST)
        volumes.append(p.volume_wan_t)
    assert np.all(np.diff(volumes[:4]) > 0)
    assert volumes[3] == volumes[4] == volumes[5] == pytest.approx(120.0)


def test_platform_flows_grow_with_served_output_and_are_counted_once():
    m = build_model(load("plan"), 1, households_per_agent=HPA)
    base = platforms.flows_wan_t(m, m.firms.base_output)
    more = m.firms.base_output.copy()
    more[plan.CLUSTER_KEYS.index("fruit")] *= 1.5
    bigger = platforms.flows_wan_t(m, more)
    fruit = [i for i, p in enumerate(plan.PLATFORMS) if "fruit" in p.clusters]
    others = [i for i in range(len(plan.PLATFORMS)) if i not in fruit]
    assert np.all(bigger[fruit] > base[fruit])
    assert np.array_equal(bigger[others], base[others])
    # no (city, cluster) flow is split across platforms beyond the whole of it
    assert np.all(m.platforms.catchment.sum(axis=0) <= 1.0 + 1e-12)


def test_platform_money_is_conserved(plan_scn):
    m = build_model(plan_scn, 3, households_per_agent=HPA)
    cap0 = [p.capacity_wan_t for p in m.platforms]
    cold0 = [p.cold_wan_t for p in m.platforms]
    m.run()
    need, capex = m.platforms.cold_need_t_per_t, CONST["platform_capex_yuan_per_t"]
    reinvested_any = kept_any = False
    for p, c0, s0 in zip(m.platforms, cap0, cold0, strict=True):
        # every yuan of fees is either reinvested or kept
        assert p.fees_cum_yi == pytest.approx(p.reinvested_cum_yi + p.kept_cum_yi, rel=1e-12)
        # capacity grew by exactly what was reinvested and what the build-out commissioned
        built = (p.cold_wan_t - s0) / need * p.perishable_share
        bought = p.reinvested_cum_yi * 1e8 / capex / 1e4
        assert p.capacity_wan_t - c0 == pytest.approx(built + bought, rel=1e-9, abs=1e-9)
        reinvested_any |= p.reinvested_cum_yi > 0
        kept_any |= p.kept_cum_yi > 0
    assert reinvested_any and kept_any


def test_price_moves_platform_value_not_volume():
    a, b = _platform(0.8), _platform(0.8)
    a.trade(100.0, 1.0, NEED, CONST)
    b.trade(100.0, 1.2, NEED, CONST)
    assert a.volume_wan_t == b.volume_wan_t
    assert b.value_yi_yuan == pytest.approx(1.2 * a.value_yi_yuan)
