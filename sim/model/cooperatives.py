"""Farmer cooperatives: the Mesa agent and the yearly settlement, failure and formation."""

from __future__ import annotations

import mesa
import numpy as np

from sim.model import equations as eq
from sim.model import plan
from sim.model.rng import stream

NC, NK, NP = len(plan.CITIES), len(plan.CLUSTERS), len(plan.PLATFORMS)
APPRAISE_BATCH_ROWS = 100_000  # households appraised at once by ``form``


class CoopRegistry(list):
    """The live cooperatives (a list, in the order they formed) and the ids issued so far."""

    def __init__(self):
        super().__init__()
        self.issued = 0  # ids run 0 .. issued - 1 (dissolved cooperatives' ids included)

    def new_id(self) -> int:
        """A fresh cooperative id."""
        self.issued += 1
        return self.issued - 1


class Cooperative(mesa.Agent):
    """A farmer cooperative of one cluster in one city.

    Args:
        model: The model.
        city: City index.
        cluster: Cluster index.
    """

    def __init__(self, model: mesa.Model, city: int, cluster: int):
        super().__init__(model)
        self.city, self.cluster = city, cluster
        self.coop_id = model.coops.new_id()
        self.members = 0.0  # member households (real)
        self.land_mu = 0.0  # land the cooperative operates (rented in)
        self.surplus_yuan = 0.0
        self.dividend_per_member_yuan = 0.0
        self.loss_years = 0
        self.alive = True

    def rent_in(self, mu: float) -> None:
        """The land the cooperative farms this year, as the land market cleared it (mu)."""
        self.land_mu = float(mu)


def land_net(m, city: int, cluster: int) -> float:
    """Net return per mu a cooperative earns farming rented land (before rent), this year.

    At the cluster's farm-gate price (trend × the factor of its raw-material market, the
    last one cleared: ``sim.model.rawmaterial``), the city's yield
    (drought) and the cluster's (disease), the year's input cost, with the cooperative's
    service cost cut, minus hired labour.
    """
    return float(land_net_table(m)[city, cluster])


def land_net_table(m) -> np.ndarray:
    """``land_net`` of every (city, cluster) at once, shape (cities, clusters)."""
    const = m.const
    years = max(m.year - plan.BASE_YEAR, 0)  # as in the households' ``ClusterModel.env``
    cost_idx = (1 + m.uncertain["input_cost_inflation"]) ** years
    revenue = (const["coop_land_productivity"] * m.accounts.revenue0 * m.farm_price
               * m.raw.x[None, :] * m.yield_city[:, None] * m.cluster_yield[None, :])
    return (revenue - m.accounts.cost0 * cost_idx * (1 - const["coop_service_cost_cut"])
            - m.accounts.wage / const["max_mu_per_labourer"])


def member_sales(m) -> np.ndarray:
    """Each household's farm sales this year (yuan per real household)."""
    f = m.farmers
    has = f.cluster >= 0
    k = np.maximum(f.cluster, 0)
    return (f.productivity * m.accounts.revenue0 * f.land_operated * m.farm_price
            * np.where(has, m.raw.x[k] * m.cluster_yield[k], 1.0) * m.yield_city[f.city])


def settle_all(m, year: int, grant_yi: float, form_new: bool = True) -> None:
    """Cooperatives close the year; dividends reach members; failures and formation.

    For each cooperative: surplus = margin × members' sales + (land net − rent) × the land
    it farms − fixed cost + its share of the grants (by members); a positive surplus pays
    ``coop_payout_share`` of it out by transactions (Farmer Cooperatives Law art. 44) —
    members who sold nothing (all their land farmed by others) share by household, so the
    whole payout is paid. A cooperative with two loss years in a row, or none of its
    members left, dissolves. All cooperatives are settled at once (grouped by ``bincount``
    over members), then the failed ones dissolve.
    """
    f, const = m.farmers, m.const
    dividend = np.zeros(f.n)
    sales = member_sales(m)
    coops = list(m.coops)
    members_rows = np.flatnonzero(f.coop >= 0)
    total_members = float(np.sum(f.weight[members_rows]))
    if coops:
        nco = len(coops)
        position = np.full(m.coops.issued, -1)  # coop id -> its index in ``coops``
        position[[c.coop_id for c in coops]] = np.arange(nco)
        j = position[f.coop[members_rows]]
        w = f.weight[members_rows]
        basis = sales[members_rows] * w
        members = np.bincount(j, w, minlength=nco)
        sold = np.bincount(j, basis, minlength=nco)
        city = np.array([c.city for c in coops])
        land_mu = np.array([c.land_mu for c in coops])
        net = land_net_table(m)[city, [c.cluster for c in coops]]
        grant = grant_yi * 1e8 * (members / total_members if total_members else 0.0)
        surplus = eq.coop_surplus(sold, const["coop_margin"], land_mu, net,
                                  land_mu * m.land.rent[city],
                                  const["coop_fixed_cost_wan_yuan"] * 1e4, grant)
        pool = eq.dividends(surplus, const["coop_payout_share"],
                            np.where(sold[j] > 0, basis, w), j)
        dividend[members_rows] = np.where(w > 0, pool / np.where(w > 0, w, 1.0), 0.0)
        paid = np.bincount(j, pool, minlength=nco)
        for i, c in enumerate(coops):
            c.members = float(members[i])
            c.surplus_yuan = float(surplus[i])
            c.dividend_per_member_yuan = float(paid[i] / members[i]) if members[i] else 0.0
            c.loss_years = c.loss_years + 1 if surplus[i] < 0 else 0
            if c.loss_years >= 2 or (year > plan.BASE_YEAR and members[i] == 0):
                dissolve(m, c)
    m.accounts.pay_dividends(dividend)
    if form_new:
        form(m, year, grant_yi, sales, total_members)


def appraise(m, city: int, cluster: int, grant_yi: float, sales: np.ndarray,
             total_members: float) -> tuple[float, float, float]:
    """Expected yearly gain per member of a new cooperative in (city, cluster), members, dividend.

    Prospective members are the cluster's supplier households in the city, each joining
    with the logit probability of ``farmers.link_choices`` on its gain (service cost cut on
    the land it farms plus the expected dividend). The cooperative's expected surplus is its
    margin on their sales, trusteeship on the land it would bid for at this year's farm-gate
    price and yields less the city's rent, minus its fixed cost, plus its share of the
    grants; the gain per member is the cost cut plus the dividend that surplus pays.
    """
    return appraise_slots(m, [(city, cluster)], grant_yi, sales, total_members)[0]


def appraise_slots(m, slots: list[tuple[int, int]], grant_yi: float, sales: np.ndarray,
                   total_members: float) -> list[tuple[float, float, float]]:
    """``appraise`` of several (city, cluster) slots at once, in their order.

    The households of all slots are handled as one array (each slot's a contiguous part),
    so each step is one numpy call for all slots; the sums stay per slot, over the same
    values in the same order as slot by slot.
    """
    f, const = m.farmers, m.const
    rows = [m.rows_of(city, cluster) for city, cluster in slots]
    n = np.array([r.size for r in rows], dtype=np.intp)
    at = np.concatenate([[0], np.cumsum(n)]).tolist()
    rows_all = np.concatenate(rows) if rows else np.zeros(0, np.intp)
    w = f.weight[rows_all]
    years = max(m.year - plan.BASE_YEAR, 0)
    cost = m.accounts.cost0 * (1 + m.uncertain["input_cost_inflation"]) ** years
    cut = const["coop_service_cost_cut"] * cost * f.land_operated[rows_all]
    sold = sales[rows_all]
    net = land_net_table(m)
    per_mu = [net[city, cluster] - m.land.rent[city] for city, cluster in slots]
    out = [(0.0, 0.0, 0.0)] * len(slots)
    add = np.add.reduce  # np.sum's reduction, without its Python wrapper
    live = [i for i in range(len(slots)) if n[i] > 0]
    dividend = [0.0] * len(slots)
    members = [0.0] * len(slots)
    for _ in range(2):  # members depend on the dividend, the dividend on members
        p_join = eq.choice_probability(cut + np.repeat(dividend, n),
                                       m.uncertain["adoption_sensitivity"])
        wp = w * p_join
        wps = wp * sold
        still = []
        for i in live:
            members[i] = float(add(wp[at[i]:at[i + 1]]))
            if members[i] <= 0:
                continue  # (0, 0, 0)
            grant = grant_yi * 1e8 * members[i] / (total_members + members[i])
            surplus = (const["coop_margin"] * float(add(wps[at[i]:at[i + 1]]))
                       + members[i] * const["coop_land_bid_mu_per_member"] * per_mu[i]
                       - const["coop_fixed_cost_wan_yuan"] * 1e4 + grant)
            dividend[i] = const["coop_payout_share"] * max(surplus, 0.0) / members[i]
            still.append(i)
        live = still
    wpc = wp * cut
    for i in live:
        gain = float(add(wpc[at[i]:at[i + 1]])) / members[i] + dividend[i]
        out[i] = (gain, members[i], dividend[i])
    return out


def form(m, year: int, grant_yi: float, sales: np.ndarray, total_members: float) -> None:
    """Cooperatives form where the expected gain per member beats the cost of forming one.

    Each city × cluster slot of the cluster's layout without a cooperative has its own
    formation cost per member (lognormal around ``coop_formation_cost_yuan_per_member``,
    drawn once per replicate); a cooperative forms when the expected yearly gain per
    prospective member covers it (one-year payback, the horizon of every household choice
    in the model). Grants raise the gain, so they never make formation rarer. ``year`` is
    the year that closes (formation runs in the 2020 spin-up too).
    """
    const = m.const
    have = {(c.city, c.cluster) for c in m.coops}
    sd = const["coop_formation_cost_sd"]
    # One draw per (city, cluster) slot, so a slot's cost does not depend on which other
    # slots have a cooperative (common random numbers per city and cluster). The cost is
    # the slot's own (organisers, trust, distance), drawn once and kept: a slot forms when
    # its gain grows past it. Redrawn each year, formation was a lottery that filled every
    # slot in time whatever the gain, and the first draw after a spin-up without formation
    # formed a wave of cooperatives at the end of 2021.
    draws = stream(m.seed, "coop:formation").normal(-0.5 * sd * sd, sd, (NC, NK))
    slots = [(city, ki) for city in range(NC) for ki in range(NK)
             if m.presence[city, ki] > 0 and (city, ki) not in have]
    # appraised a batch of slots at a time, so that the arrays stay small at large scales
    appraised, batch, rows = [], [], 0
    for i, slot in enumerate(slots):
        batch.append(slot)
        rows += m.rows_of(*slot).size
        if rows >= APPRAISE_BATCH_ROWS or i == len(slots) - 1:
            appraised += appraise_slots(m, batch, grant_yi, sales, total_members)
            batch, rows = [], 0
    for (city, ki), (gain, members, dividend) in zip(slots, appraised, strict=True):
        cost = const["coop_formation_cost_yuan_per_member"] * float(np.exp(draws[city, ki]))
        if members > 0 and gain >= cost:
            c = Cooperative(m, city, ki)
            # until its first settlement a new cooperative is what its founders'
            # appraisal expects: households weigh joining at the dividend it promised,
            # and it bids for land for the members it expects
            c.dividend_per_member_yuan = dividend
            c.members = members
            m.coops.append(c)


def dissolve(m, c: Cooperative) -> None:
    """A failed cooperative: members leave, its rented land returns to the owners."""
    f = m.farmers
    ids = f.coop.copy()
    ids[ids == c.coop_id] = -1
    f.set_links(ids, f.contract, f.job)
    # The land it rented goes back to the owners who rented out in its city, pro rata.
    in_city = f.city == c.city
    out_city = np.sum(f.weight * f.land_out * in_city)
    if c.land_mu > 0 and out_city > 0:
        back = min(1.0, c.land_mu / out_city)
        f.apply_land(np.where(in_city, f.land_out * (1 - back), f.land_out), f.land_in)
    c.land_mu = 0.0
    c.alive = False
    m.coops.remove(c)
    c.remove()
