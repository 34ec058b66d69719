"""The raw-material market: one farm-gate price per cluster, cleared every year.

Each cluster's processors buy the raw material their production plan needs; the households
that can supply the cluster, and the land cooperatives farm for their members, harvest it.
There is one market per cluster for the whole province, with a transport wedge at its
border (``outside_sourcing_premium``, ``t``). Every cluster's layout spans 5-11 of the 11
cities (plan Ch.6), so its processors buy across cities; moving produce inside Shanxi costs
little next to bringing it in from other provinces, and a market per city would need
transport costs per pair of cities that nobody has published (docs/ODD.md, submodels).

Quantities are "2020 亿元": produce worth 1 yuan in 2020, at 2020 yields per mu (the
harvest has no yield trend). Money is in current 亿元. The price of cluster ``k`` is
``P_ref × x_k``: ``P_ref`` is the reference farm-gate index of general farming
(``(1 + agri_output_growth)^t``, what farming outside the clusters earns per mu, so price ×
yield) and ``x_k`` the cluster's own factor, 1 in 2020.

* **Harvest** ``H``: land operated × productivity × 2020 revenue per mu × the city's drought
  factor × the cluster's disease factor, over supplier households and cooperatives'
  trusteeship land. Planted before the price is known, it is fixed within the year.
* **Processors' need** ``R = raw_material_share × planned output / P_ref``: planned output
  at current prices over the year's four quarters (capacity completed during the year
  counts for the quarters it runs), after the product price shock turns some demand away;
  ``/ P_ref`` puts it in the harvest's unit, assuming product prices move with farm-gate
  prices (as ``cost_gap`` does). A share
  ``λ = local_sourcing_share`` of it can be grown in Shanxi; the rest is bought outside
  every year. Processors' local demand is ``λR`` at any price below the top of the band
  (fixed raw material per unit of output).
* **The band.** Raw material crosses the province border at a transport cost ``t``
  (``outside_sourcing_premium``): around the outside price ``b`` (in units of the 2020 local
  price) the local price lies between export parity ``b/(1+t)`` and import parity
  ``b(1+t)``. Where processors could buy ``λR`` from at most ``processor_share_max_2020``
  of the 2020 harvest, 2020 was inside the band (``b = 1``); where they could not, they
  bought the rest outside and 2020 was at import parity already (``b = 1/(1+t)``: the
  local price was the outside price plus transport).
* **Other buyers** (traders shipping out, local consumers, feed) took ``O`` of the harvest
  in 2020 (``H - λR`` inside the band, ``(1 - processor_share_max_2020) H`` at its top); at
  price ``x`` they take ``O x^-ε`` (``other_buyers_elasticity``).
* **Clearing**: ``λR + O x^-ε = H`` for ``x`` in ``[b/(1+t), x_top]``, solved by bisection
  on ``log x`` for all clusters at once. At the floor the surplus leaves the province at
  export parity. At the top, what local farms cannot supply is bought outside at
  ``P_ref b (1+t)``; ``x_top = min(b(1+t), 1 + margin / (raw_material_share × λ))``: when
  outside raw material costs more than the cluster's operating margin allows (over 2020's
  price), processors stop there, buy nothing more, and produce less (``output_share < 1``).
* **Contracts are served first**: contract households deliver their harvest at
  ``x (1 + contract_premium)``, up to what processors buy locally (each contract covers
  the share ``cover`` of its holder's harvest); the rest of processors' local purchases
  comes from the spot pool (other households, cooperatives' land, the uncovered part of
  contracts) pro rata at ``x``.

Accounting identities (``tests/test_rawmaterial.py``): raw material bought = local purchases
+ outside purchases; money paid by firms = money received by households and cooperatives +
outside purchases.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

import numpy as np

from sim.model import equations as eq
from sim.model import plan

NC, NK = len(plan.CITIES), len(plan.CLUSTERS)
BISECTION_TOLERANCE = 1e-12  # width of the log-price bracket at which bisection stops


def _zeros() -> np.ndarray:
    return np.zeros(NK)


@dataclass
class Market:
    """The year's raw-material market, per cluster (arrays of length NK).

    Quantities in 2020 亿元, money in current 亿元; ``x`` relative to the reference index.
    """

    x: np.ndarray = field(default_factory=lambda: np.ones(NK))  # price factor
    reference: float = 1.0  # P_ref, the reference farm-gate index
    harvest: np.ndarray = field(default_factory=_zeros)  # H
    harvest_coop: np.ndarray = field(default_factory=_zeros)  # cooperatives' part of H
    need: np.ndarray = field(default_factory=_zeros)  # R at the production plan
    local_demand: np.ndarray = field(default_factory=_zeros)  # λR
    contracted: np.ndarray = field(default_factory=_zeros)  # harvest of contract holders
    contract: np.ndarray = field(default_factory=_zeros)  # delivered under contract
    spot: np.ndarray = field(default_factory=_zeros)  # bought on the spot market
    spot_pool: np.ndarray = field(default_factory=_zeros)  # harvest not under contract
    other: np.ndarray = field(default_factory=_zeros)  # taken by other buyers
    outside: np.ndarray = field(default_factory=_zeros)  # bought outside Shanxi
    shortfall: np.ndarray = field(default_factory=_zeros)  # local demand not met locally
    unserved: np.ndarray = field(default_factory=_zeros)  # shortfall not bought at all
    cover: np.ndarray = field(default_factory=lambda: np.ones(NK))  # share of contracts served
    spot_share: np.ndarray = field(default_factory=_zeros)  # share of the spot pool bought
    output_share: np.ndarray = field(default_factory=lambda: np.ones(NK))
    paid_contract: np.ndarray = field(default_factory=_zeros)  # money, current 亿元
    paid_spot: np.ndarray = field(default_factory=_zeros)
    paid_outside: np.ndarray = field(default_factory=_zeros)
    cost_index: np.ndarray = field(default_factory=lambda: np.ones(NK))
    # the 2020 structure every year is measured against (set by the spin-up's clearing,
    # carried from each year's market to the next)
    calibration: Calibration | None = None

    @property
    def local(self) -> np.ndarray:
        """Raw material bought from Shanxi's farms (contract + spot), 2020 亿元."""
        return self.contract + self.spot

    @property
    def bought(self) -> np.ndarray:
        """All raw material bought, 2020 亿元."""
        return self.need * self.output_share

    @property
    def paid(self) -> np.ndarray:
        """Money firms paid for raw material, current 亿元."""
        return self.paid_contract + self.paid_spot + self.paid_outside


@dataclass
class Calibration:
    """The 2020 structure each later year is measured against."""

    local_share: np.ndarray  # λ: share of the need that can be grown in Shanxi
    other_2020: np.ndarray  # O: what other buyers took in 2020 (2020 亿元)
    centre: np.ndarray  # b: outside price over the 2020 local price (1, or 1/(1+t))
    cost_index_2020: np.ndarray  # raw-material cost per unit bought, 2020 (× P_ref)


def init() -> Market:
    """An empty market at 2020 prices (before the spin-up fills it)."""
    return Market()


# ---------------------------------------------------------------------- the pieces
def household_harvest(m) -> np.ndarray:
    """Each household's harvest (2020 yuan per real household; 0 outside the clusters)."""
    f = m.farmers
    # yield by (city, cluster) slot, 0 outside the clusters (one lookup, not two)
    slot_yield = np.zeros((len(m.yield_city), len(m.cluster_yield) + 1))
    slot_yield[:, 1:] = np.outer(m.yield_city, m.cluster_yield)
    return (f.productivity * m.accounts.revenue0 * f.land_operated
            * np.take(slot_yield.ravel(), m.household_slot))


def coop_harvest(m) -> np.ndarray:
    """Each cooperative's harvest from the land it farms (2020 yuan)."""
    prod = m.const["coop_land_productivity"] * m.accounts.revenue0
    if not m.coops:
        return np.zeros(0)
    city, cluster = np.array([(c.city, c.cluster) for c in m.coops]).T
    return (np.array([c.land_mu for c in m.coops], float) * prod * m.yield_city[city]
            * m.cluster_yield[cluster])


def planned_output(m) -> np.ndarray:
    """Each firm's planned output for the year, 亿元/yr at current prices.

    The mean over the year's four quarters of what it can sell with the capacity it will
    have in that quarter, as ``firms.produce`` makes it: ``min(sales, capacity_q ×
    max_utilisation)``, ``capacity_q`` being today's capacity plus what the pipeline
    delivers up to quarter ``q``'s production. Capacity completed later in the year is
    therefore bought for in Q1 (only the part of the year it runs), so raw material per
    unit of output holds in years of fast capacity growth.
    """
    ft = m.firms
    cap = ft.capacity[:, None] + np.cumsum(ft.pipeline[:, :plan.QUARTERS_PER_YEAR], axis=1)
    out = np.minimum(ft.sales[:, None], cap * m.const["max_utilisation"]).mean(axis=1)
    return np.where(ft.alive, out, 0.0)


def planned_by_cluster(m) -> np.ndarray:
    """Each cluster's planned output for the year (``planned_output`` summed), 亿元/yr."""
    return np.bincount(m.firms.cluster, planned_output(m), minlength=NK)


def need(m, planned: np.ndarray | None = None) -> np.ndarray:
    """Raw material each cluster's production plan needs this year (2020 亿元).

    The plan is :func:`planned_output`, at current prices (firms' sales grow with the
    nominal national market), less what the year's product price shock ``P`` turns away
    (``P^-demand_price_elasticity``, as in ``firms.produce``) and with the disease loss
    of livestock clusters. Raw material is ``raw_material_share`` of that value at the
    reference index ``P_ref``; dividing by ``P_ref`` gives the quantity in the harvest's
    unit (produce worth 1 yuan in 2020 at 2020 yields per mu). ``P_ref`` is revenue per
    mu, price × yield, so this assumes the cluster's product prices move with farm-gate
    prices, the same assumption as ``cost_gap`` (at ``x = 1`` raw material stays
    ``raw_material_share`` of output value). Dividing by nothing would be wrong: the
    harvest has no yield trend, so its unit shrinks as ``P_ref`` grows (docs/ODD.md,
    raw-material market). ``planned``: ``planned_by_cluster(m)``, if already computed.
    """
    quantity = m.price ** -m.const["demand_price_elasticity"] * m.disease_keep
    out_k = (planned_by_cluster(m) if planned is None else planned) * quantity
    return m.const["raw_material_share"] * out_k / m.farm_price


def band(m, cal: Calibration) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(floor, top, import allowed): the price band of each cluster's market.

    The floor is export parity ``b/(1+t)``; the top is import parity ``b(1+t)`` unless the
    operating margin is used up first, at ``1 + margin / (raw_material_share × λ)`` (a
    local price that much above 2020's leaves no margin on the local share of raw
    material), in which case processors buy nothing outside beyond their usual share.
    """
    t = m.const["outside_sourcing_premium"]
    margin = np.asarray(m.const["operating_margin"], float)
    with np.errstate(divide="ignore"):
        x_margin = 1.0 + margin / np.maximum(
            m.const["raw_material_share"] * cal.local_share, 1e-300)
    top = cal.centre * (1.0 + t)
    imports = x_margin >= top
    return cal.centre / (1.0 + t), np.where(imports, top, x_margin), imports


def clearing_price(excess, low, high, tolerance: float = BISECTION_TOLERANCE) -> np.ndarray:
    """Price of each market where ``excess`` (decreasing in price) crosses zero.

    Bisection on the log price, all markets at once; a market whose excess demand has the
    same sign at both ends of its band sits at that end (glut: the floor; shortage: the top).

    Args:
        excess: Function of a price array returning excess demand per market.
        low: Lowest price per market (> 0).
        high: Highest price per market (>= low).
        tolerance: Stop when every log-price bracket is narrower than this.
    """
    low, high = np.broadcast_arrays(np.asarray(low, float), np.asarray(high, float))
    lo, hi = np.log(low), np.log(high)
    glut = excess(low) <= 0
    short = excess(high) >= 0
    while np.maximum.reduce(hi - lo, initial=0.0) > tolerance:  # np.max, minus its wrapper
        mid = 0.5 * (lo + hi)
        up = excess(np.exp(mid)) > 0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    return np.where(glut, low, np.where(short, high, np.exp(0.5 * (lo + hi))))


# ---------------------------------------------------------------------- the year
def _calibration(m, harvest: np.ndarray, r: np.ndarray) -> Calibration:
    """The 2020 structure from this year's harvest and need (the spin-up's rule)."""
    t = m.const["outside_sourcing_premium"]
    q_max = m.const["processor_share_max_2020"]
    lam = np.full(NK, float(m.const["local_sourcing_share"]))
    short = lam * r > q_max * harvest  # 2020 already at import parity
    other0 = np.where(short, (1 - q_max) * harvest, harvest - lam * r)
    centre = np.where(short, 1.0 / (1.0 + t), 1.0)
    return Calibration(lam, other0, centre, np.ones(NK))


def local_purchases(m, calibrate: bool = False) -> dict:
    """The year's price and what processors buy locally, per cluster (2020 亿元).

    None of it depends on who holds a contract (contracts only split the local purchases
    between contract and spot), so it is known when contracts are signed in Q1
    (``Links.assign``) and the same when the market clears after them (``clear``).
    With ``calibrate`` (the 2020 spin-up) the calibration is this year's (returned as
    ``"calibration"``, not stored) and the price factor is 1.
    """
    f = m.farmers
    cl = np.maximum(f.cluster, 0)
    h = household_harvest(m)  # per real household
    h_coop = coop_harvest(m)
    coop_k = np.array([c.cluster for c in m.coops], int)
    hc = np.bincount(coop_k, h_coop, minlength=NK) / 1e8 if len(coop_k) else np.zeros(NK)
    harvest = (np.bincount(cl, f.weight * h, minlength=NK) / 1e8) + hc
    planned = planned_by_cluster(m)  # also the contracts' offer (Links.assign)
    r = need(m, planned)
    cal = _calibration(m, harvest, r) if calibrate else m.raw.calibration
    other0 = cal.other_2020
    demand = cal.local_share * r
    eps = m.uncertain["other_buyers_elasticity"]
    floor, top, imports = band(m, cal)
    active = other0 > 0
    if calibrate:
        x = np.ones(NK)
    else:
        def excess(price):
            return demand + other0 * price ** -eps - harvest
        x = np.where(active, clearing_price(excess, floor, top), 1.0)
    # What processors get locally: all they want unless the price is at the top of the
    # band, where other buyers still take their demand at that price.
    at_top = active & (x >= top)
    local = np.where(at_top, np.clip(harvest - other0 * x ** -eps, 0.0, demand),
                     np.minimum(demand, harvest))
    return {"h": h, "hc": hc, "harvest": harvest, "need": r, "calibration": cal,
            "demand": demand, "imports": imports, "x": x, "local": local,
            "planned": planned}


def clear(m, calibrate: bool = False, purchases: dict | None = None) -> Market:
    """Clear every cluster's raw-material market for the year; the model keeps it as ``m.raw``.

    With ``calibrate`` (the 2020 spin-up) the price factor is 1 by definition and the
    structure (local share, other buyers, 2020 cost index) is set from this year's state.
    ``purchases``: this year's ``local_purchases(m, calibrate)`` if already computed (the
    links in between do not change them).
    """
    f = m.farmers
    const, unc = m.const, m.uncertain
    t = const["outside_sourcing_premium"]
    premium = unc["contract_premium"]
    cl = np.maximum(f.cluster, 0)
    lp = local_purchases(m, calibrate) if purchases is None else purchases
    cal = lp["calibration"] if calibrate else m.raw.calibration
    h, hc, harvest, r = lp["h"], lp["hc"], lp["harvest"], lp["need"]
    demand, imports, x, local = lp["demand"], lp["imports"], lp["x"], lp["local"]
    contract = f.contract & (f.cluster >= 0)
    contracted = np.bincount(cl, f.weight * h * contract, minlength=NK) / 1e8
    shortfall = np.maximum(demand - local, 0.0)
    unserved = np.where(imports, 0.0, shortfall)
    output_share = np.where(demand > 0, 1.0 - unserved / np.maximum(demand, 1e-300), 1.0)
    outside = (r - demand) * output_share + (shortfall - unserved)
    delivered = np.minimum(contracted, local)
    cover = np.where(contracted > 0, delivered / np.maximum(contracted, 1e-300), 1.0)
    spot = local - delivered
    pool = harvest - delivered
    spot_share = np.where(pool > 0, spot / np.maximum(pool, 1e-300), 0.0)
    p = m.farm_price
    mk = Market(
        x=x, reference=p, harvest=harvest, harvest_coop=hc, need=r, local_demand=demand,
        contracted=contracted, contract=delivered, spot=spot, spot_pool=pool,
        other=harvest - local, outside=outside, shortfall=shortfall, unserved=unserved,
        cover=cover, spot_share=spot_share, output_share=output_share,
        paid_contract=p * x * (1 + premium) * delivered, paid_spot=p * x * spot,
        paid_outside=p * cal.centre * (1 + t) * outside, calibration=cal)
    bought = mk.bought
    mk.cost_index = np.where(bought > 0, mk.paid / (p * np.maximum(bought, 1e-300)), 1.0)
    if calibrate:
        cal.cost_index_2020 = mk.cost_index.copy()
    return mk


def cost_gap(m) -> np.ndarray:
    """Raw-material cost per unit bought above its 2020 level (× reference index)."""
    return m.raw.cost_index - m.raw.calibration.cost_index_2020


# ---------------------------------------------------------------------- contracts
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
