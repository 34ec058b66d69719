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

Accounting identities (``tests/model/test_rawmaterial.py``): raw material bought = local purchases
+ outside purchases; money paid by firms = money received by households and cooperatives +
outside purchases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.model import plan
from sim.model.harvest import coop_harvest, household_harvest

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

    def cost_gap(self) -> np.ndarray:
        """Raw-material cost per unit bought above its 2020 level (× reference index)."""
        return self.cost_index - self.calibration.cost_index_2020

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
    return m.raw.cost_gap()


# ---------------------------------------------------------------------- contracts
