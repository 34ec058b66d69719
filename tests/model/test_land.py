import numpy as np
import pytest

from sim.model import land


def _market(n=400, seed=0):
    rng = np.random.default_rng(seed)
    city = rng.integers(0, 3, n)
    weight = rng.uniform(1, 5, n)
    bidder = rng.random(n) < 0.4
    r_offer = rng.normal(300, 150, n)
    wtp = rng.normal(450, 150, n)
    q_offer = np.where(bidder, 0.0, rng.uniform(5, 20, n))
    q_bid = np.where(bidder, rng.uniform(5, 20, n), 0.0)
    return city, weight, r_offer, q_offer, wtp, q_bid, rng.random(n), rng.random(n)


def test_land_is_conserved_per_city():
    city, w, r, qo, wtp, qb, uo, ub = _market()
    rent, out, inn = land.clear(city, 3, w, r, qo, wtp, qb, 1.0, uo, ub)
    for c in range(3):
        m = city == c
        assert np.sum(w[m] * out[m]) == pytest.approx(np.sum(w[m] * inn[m]), rel=1e-12)
        assert np.sum(w[m] * out[m]) > 0
    assert np.all(out <= qo + 1e-12) and np.all(inn <= qb + 1e-12)
    assert np.all((rent > 0) & (rent < land.RENT_MAX_YUAN))


def test_lower_transaction_cost_means_more_land_traded():
    city, w, r, qo, wtp, qb, uo, ub = _market()
    traded = []
    for tau in (150.0, 30.0):
        # the transaction cost raises reservation rents and lowers bids
        _, out, _ = land.clear(city, 3, w, r + tau, qo, wtp - tau, qb, 1.0, uo, ub)
        traded.append(np.sum(w * out))
    assert traded[1] > traded[0]


def test_rent_rises_with_demand():
    city, w, r, qo, wtp, qb, uo, ub = _market()
    low, _, _ = land.clear(city, 3, w, r, qo, wtp, qb, 1.0, uo, ub)
    high, _, _ = land.clear(city, 3, w, r, qo, wtp + 200, qb, 1.0, uo, ub)
    assert np.all(high > low)


def test_rent_balances_expected_supply_and_demand():
    from sim.model import equations as eq
    city, w, r, qo, wtp, qb, uo, ub = _market(n=2000, seed=3)
    rent, _, _ = land.clear(city, 3, w, r, qo, wtp, qb, 1.0, uo, ub)
    for c in range(3):
        m = city == c
        s = np.sum((w * qo * eq.choice_probability((rent[c] - r) * qo, 1.0))[m])
        d = np.sum((w * qb * eq.choice_probability((wtp - rent[c]) * qb, 1.0))[m])
        assert abs(s - d) < 1e-8 * np.sum(w[m] * qo[m])


def test_corner_rents():
    city, w, r, qo, wtp, qb, uo, ub = _market()
    # nobody wants land at any rent below 5000: rent falls to 0
    rent, out, inn = land.clear(city, 3, w, r, qo, wtp - 10_000, qb, 1.0, uo, ub)
    assert np.all(rent == 0.0)
    assert np.sum(w * out) == pytest.approx(np.sum(w * inn))


def test_interleave_deals_rows_out_by_group_and_keeps_group_sums_bit_for_bit():
    rng = np.random.default_rng(5)
    group = np.concatenate([np.repeat(np.arange(4), [7, 1, 0, 12]), rng.integers(0, 4, 9)])
    deal = land.interleave(group, 4)
    assert np.array_equal(np.sort(deal), np.arange(len(group)))  # a permutation
    for g in range(4):  # each group's rows keep their order
        assert np.array_equal(deal[group[deal] == g], np.flatnonzero(group == g))
    present = np.unique(group)
    assert np.array_equal(group[deal][:present.size], present)  # each group's first row first
    x = rng.normal(size=len(group)) * 10.0 ** rng.integers(-8, 8, len(group))
    assert np.array_equal(np.bincount(group[deal], x[deal], minlength=4),
                          np.bincount(group, x, minlength=4))
    assert land.interleave(np.zeros(0, int), 3).size == 0
