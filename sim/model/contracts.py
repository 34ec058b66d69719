"""Contract equations shared by the links and the raw-material market.

* :func:`contract_cost`: the non-monetary cost of a contract per cluster that makes the
  expected 2020 signers the assumed count (the 2020 calibration of ``Links``).
* :func:`expected_cover`: the share of a contract's harvest processors will take this year,
  as households foresee it when they sign (a fixed point per cluster).

Pure functions of arrays: no model state.
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np

from sim.model import equations as eq
from sim.model import plan

NK = len(plan.CLUSTERS)


def contract_cost(gain_yuan: np.ndarray, cluster: np.ndarray, weight: np.ndarray,
                  eligible: np.ndarray, persons_wanted: np.ndarray, sensitivity: float,
                  tolerance: float = 1e-10, iterations: int = 100) -> np.ndarray:
    """Non-monetary cost of a contract per cluster (yuan/yr) that matches 2020 take-up.

    Households sign when a logit on ``gain - cost`` says so; the cost (quality standards,
    delivery duties, distrust: an alternative-specific constant) is set so that the
    expected persons signing in each cluster equal ``persons_wanted``. Newton steps kept
    inside a bisection bracket, all clusters at once (expected take-up falls in the cost).

    Args:
        gain_yuan: Each household's income gain from a contract.
        cluster: Its cluster (rows with ``eligible`` False are ignored).
        weight: Persons each row stands for (households × labourers).
        eligible: Rows that can sign.
        persons_wanted: Expected persons signing, per cluster.
        sensitivity: Logit slope per 1000 yuan.
        tolerance: Stop when every cluster is within this share of its wanted persons.
        iterations: Most steps.
    """
    idx = np.flatnonzero(eligible)
    g, k, w = gain_yuan[idx], cluster[idx], weight[idx]
    wanted = np.asarray(persons_wanted, float)
    span = 50_000.0 / max(sensitivity, 1e-9)  # the logit is 0 or 1 beyond ±50 units
    g_lo, g_hi = (g.min(), g.max()) if len(g) else (0.0, 0.0)
    lo, hi = np.full(NK, g_lo - span), np.full(NK, g_hi + span)
    cost = np.zeros(NK)
    for _ in range(iterations):
        p = eq.choice_probability(g - cost[k], sensitivity)
        miss = np.bincount(k, w * p, minlength=NK) - wanted
        if np.all(np.abs(miss) <= tolerance * np.maximum(wanted, 1.0)):
            break
        lo = np.where(miss > 0, cost, lo)  # too many sign: the cost lies above
        hi = np.where(miss > 0, hi, cost)
        slope = np.bincount(k, w * p * (1 - p), minlength=NK) * sensitivity / 1000.0
        step = cost + miss / np.maximum(slope, 1e-300)
        cost = np.where((step > lo) & (step < hi), step, 0.5 * (lo + hi))
    return cost


def expected_cover(gain_at_zero: np.ndarray, gain_at_full: np.ndarray, cost: np.ndarray,
                   taste_logit: np.ndarray, cluster: np.ndarray, eligible: np.ndarray,
                   harvest: np.ndarray, size: np.ndarray, capacity: np.ndarray,
                   local: np.ndarray, sensitivity: float, iterations: int = 40,
                   tolerance: float = 1e-9) -> np.ndarray:
    """The share of a contract's harvest processors take this year, as signers foresee it.

    Processors buy ``local`` from Shanxi's farms this year whoever holds a contract
    (``local_purchases``), and take it from contract holders first, so each contract covers
    ``c = min(1, local / contracted)``; the harvest contracted grows with ``c``, since a
    household applies when ``taste < P(gain(c) - cost)`` and its gain is linear in ``c``.
    ``c`` is the fixed point (one per cluster; ``min(1, local / contracted(c)) - c``
    falls in ``c``), by bisection. Firms' offer ``capacity`` is filled pro rata here.

    Args:
        gain_at_zero: Each household's contract gain at ``c = 0`` (the subsidy part).
        gain_at_full: Its gain at ``c = 1``.
        cost: Non-monetary cost of a contract per household.
        taste_logit: The logit ``log(u / (1 - u))`` of the household's persistent
            contract-taste draw ``u``.
        cluster: Its cluster (rows with ``eligible`` False are ignored).
        eligible: Rows that can apply.
        harvest: Harvest per row (weighted; the unit of ``local``).
        size: Volume per row in the unit of ``capacity`` (weighted).
        capacity: Volume firms offer per cluster.
        local: What processors buy locally per cluster.
        sensitivity: Logit slope per 1000 yuan.
        iterations: Most bisection steps.
        tolerance: Stop when every cluster's bracket is narrower than this.
    """
    idx = np.flatnonzero(eligible)
    k = cluster[idx]
    g0, dg, c0 = gain_at_zero[idx], gain_at_full[idx] - gain_at_zero[idx], cost[idx]
    # A household applies at cover c when taste < P(g0 + c dg - c0), i.e. when c dg exceeds
    # what its taste asks (the logit's inverse at its draw) less g0 - c0: so above a
    # threshold cover (dg >= 0: the premium and the revenue are not negative). Sorted by
    # threshold within each cluster, the volume applying at any c is one search.
    asks = taste_logit[idx] * (1000.0 / sensitivity) - (g0 - c0)
    flat = np.where(asks < 0, -np.inf, np.inf)  # gain not moved by cover: always or never
    with np.errstate(divide="ignore", invalid="ignore"):
        thr = np.where(dg > 0, asks / np.where(dg > 0, dg, 1.0), flat)
    s, h = size[idx], harvest[idx]
    # c lies in [0, 1]: rows below 0 apply at every c, rows at 1 or above at none; only the
    # rows between need sorting (few)
    below = thr < 0
    s0 = np.bincount(k, s * below, minlength=NK)
    h0 = np.bincount(k, h * below, minlength=NK)
    mid = np.flatnonzero(~below & (thr < 1.0))
    # one sorted key for all clusters: cluster index + threshold (in [0, 1))
    key = k[mid] + thr[mid]
    order = np.argsort(key, kind="stable")
    key = key[order]
    cum_s = np.concatenate([[0.0], np.cumsum(s[mid][order])])
    cum_h = np.concatenate([[0.0], np.cumsum(h[mid][order])])
    start = np.searchsorted(key, np.arange(NK), side="left")
    # Below, c enters only through n(c), the count of thresholds below it, and the test
    # got(n) - c > 0: so got is computed once for every n a cluster can reach (start to
    # end of its keys), with the very operations of a vectorised step, and the bisection
    # then runs on scalars (Python floats round as numpy's float64 do): the same steps.
    end = np.append(start[1:], len(key))
    span = end - start + 1
    kk = np.repeat(np.arange(NK), span)
    first = np.cumsum(span) - span  # where each cluster's table starts
    n = np.arange(len(kk)) - first[kk] + start[kk]
    vol = s0[kk] + cum_s[n] - cum_s[start[kk]]
    hv = h0[kk] + cum_h[n] - cum_h[start[kk]]
    fill = np.minimum(np.broadcast_to(capacity, (NK,))[kk], vol) / np.maximum(vol, 1e-300)
    contracted = hv * fill
    got = np.where(contracted > 0, np.minimum(1.0, np.broadcast_to(local, (NK,))[kk]
                                              / np.maximum(contracted, 1e-300)), 1.0).tolist()
    keys = key.tolist()
    out = np.ones(NK)
    for ki, (at, s_k) in enumerate(zip(first.tolist(), start.tolist(), strict=True)):
        at -= s_k  # got[at + n] is the cluster's got at n
        if got[at + bisect_left(keys, ki + 1.0)] - 1.0 >= 0:  # covered even at c = 1
            continue
        lo, hi = 0.0, 1.0
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            if got[at + bisect_left(keys, ki + mid)] - mid > 0:
                lo = mid
            else:
                hi = mid
            if hi - lo < tolerance:  # the same step for every cluster: hi - lo = 2^-steps
                break
        out[ki] = 0.5 * (lo + hi)
    return out
