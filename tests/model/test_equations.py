import numpy as np
import pytest

from sim.analysis.stats import wilson_interval
from sim.model import equations as eq


def test_logistic_known_values():
    assert eq.logistic(0.0) == pytest.approx(0.5)
    assert eq.logistic(np.log(3.0)) == pytest.approx(0.75)
    assert eq.logistic(-1000.0) == pytest.approx(0.0)


def test_choice_probability_in_place_is_the_same_bit_for_bit():
    rng = np.random.default_rng(3)
    gain = np.concatenate([rng.normal(0, 3000, 10_000), [0.0, -1e9, 1e9, 1e-300]])
    for s in (0.37, 1.0, 2.5):
        want = eq.choice_probability(gain, s)
        g = gain.copy()
        got = eq.choice_probability(g, s, in_place=True)
        assert got is g
        assert np.array_equal(got, want)


def test_choice_probability_scales_per_1000_yuan():
    # gain 1000 yuan at sensitivity 2 per 1000 -> logistic(2) = 0.8808
    assert eq.choice_probability(1000.0, 2.0) == pytest.approx(0.880797, rel=1e-5)


def test_farm_net_return_hand_computed():
    # revenue = 1.2 * 1500 * 1.1 * 0.8 * (1 + 0.1) = 1742.4; cost = 800 * (1 - 0.1) = 720
    # subsidy 30 under contract -> 1742.4 - 720 + 30 = 1052.4
    v = eq.farm_net_return_per_mu(1.2, 1500, 800, 1.1, 0.8, True, 0.1, True, 0.1, 30)
    assert v == pytest.approx(1052.4)
    # no coop, no contract: 1.2*1500*1.1*0.8 - 800 = 784
    assert eq.farm_net_return_per_mu(1.2, 1500, 800, 1.1, 0.8, False, 0.1, False, 0.1, 30) \
        == pytest.approx(784.0)


def test_rents_and_transaction_cost():
    assert eq.offfarm_return_per_mu(12000, 40) == pytest.approx(300)
    assert eq.reservation_rent(700, 300, 80) == pytest.approx(480)
    assert eq.willingness_to_pay(700, 300, 80) == pytest.approx(320)
    assert eq.transaction_cost(80, 0.5, 0.5) == pytest.approx(60)


def test_spoilage_falls_with_coverage():
    cov = np.array([0.1, 0.3, 0.6, 0.9])
    s = eq.spoilage(cov, 0.15, 0.3, 1.5)
    assert s[1] == pytest.approx(0.15)
    assert np.all(np.diff(s) < 0)
    assert s[2] == pytest.approx(0.15 * np.exp(-1.5 * 0.3))


def test_share_gain_hand_computed():
    # 0.01 + 0.02*log(1 + 2/(0.01*100)) + 0.05*0.2 + 0.5*0.01
    g = eq.share_gain(0.01, 0.02, 2.0, 100.0, 0.05, 0.2, 0.5, 0.01)
    assert g == pytest.approx(0.01 + 0.02 * np.log(3.0) + 0.01 + 0.005)


def test_investment_rule():
    assert eq.investment_return(0.08, 0.8, 0.2) == pytest.approx(0.125)
    assert eq.required_return(0.12, 1.5) == pytest.approx(0.105)
    assert eq.invest_share(0.105, 0.105, 0.02) == pytest.approx(0.5)
    assert eq.invest_share(0.2, 0.1, 0.02) > 0.99


def test_coop_surplus_and_dividends_sum_to_payout():
    s = eq.coop_surplus(1e6, 0.04, 100, 500, 30000, 20000, 5000)
    assert s == pytest.approx(40000 + 50000 - 30000 - 20000 + 5000)
    d = eq.dividends(s, 0.6, [1.0, 3.0, 0.0], [0, 0, 0])
    assert d.sum() == pytest.approx(0.6 * s)
    assert d[1] == pytest.approx(3 * d[0])
    assert eq.dividends(-5.0, 0.6, [1.0, 2.0], [0, 0]).sum() == 0.0
    # two cooperatives settled at once: each pays out its own surplus only
    two = eq.dividends([100.0, -50.0], 0.5, [1.0, 1.0, 2.0], [0, 1, 0])
    assert two.tolist() == pytest.approx([50.0 / 3, 0.0, 100.0 / 3])


def test_wilson_interval_known_value():
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4)
    assert hi == pytest.approx(0.7634, abs=1e-4)
    lo0, hi0 = wilson_interval(0, 20)
    assert lo0 == 0.0 and 0.1 < hi0 < 0.2


def test_ration_fills_each_group_in_priority_order():
    group = np.array([0, 0, 0, 1, 1])
    size = np.array([2.0, 3.0, 5.0, 1.0, 1.0])
    applies = np.array([1.0, 1.0, 1.0, 1.0, 0.0])
    priority = np.array([2.0, 0.0, 1.0, 0.0, 0.0])  # lowest first
    share = eq.ration(group, 2, size, applies, np.array([6.0, 5.0]), priority)
    # group 0: row 1 (3) full, row 2 (5) gets the remaining 3 -> 0.6, row 0 nothing
    assert share.tolist() == pytest.approx([0.0, 1.0, 0.6, 1.0, 0.0])
    # what is filled never exceeds a group's capacity
    filled = np.bincount(group, size * applies * share, minlength=2)
    assert filled.tolist() == pytest.approx([6.0, 1.0])


def test_mean_one_shock_has_mean_one():
    rng = np.random.default_rng(0)
    p, loss = 0.2, 0.3
    hit = rng.random(200_000) < p
    f = eq.mean_one(hit, loss, p)
    # standard error of the mean ~ 0.3*0.4/sqrt(2e5)/0.94 ~ 3e-4: 5e-3 is > 10 SE
    assert f.mean() == pytest.approx(1.0, abs=5e-3)
    assert f[hit].max() < 1.0 < f[~hit].min()


def test_off_farm_labour_is_what_farm_and_job_leave():
    # 10 mu at 5 mu per labourer takes 2 of 3 labourers; a 0.5 job leaves 0.5
    assert eq.off_farm_labour(10.0, 5.0, 3.0, 0.5) == pytest.approx(0.5)
    # the farm takes at most every labourer, and the rest is never negative
    assert eq.off_farm_labour(100.0, 5.0, 3.0, 0.0) == 0.0
    assert eq.off_farm_labour(0.0, 5.0, 2.0, 3.0) == 0.0
