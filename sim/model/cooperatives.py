"""Farmer cooperatives: the Mesa agent and the yearly settlement, failure and formation."""

from __future__ import annotations

import mesa
import numpy as np

from sim.model import equations as eq
from sim.model import plan
from sim.model.rng import stream

NC, NK, NP = len(plan.CITIES), len(plan.CLUSTERS), len(plan.PLATFORMS)


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
        self.coop_id = model.next_coop_id()
        self.members = 0.0  # member households (real)
        self.land_mu = 0.0  # land the cooperative operates (rented in)
        self.surplus_yuan = 0.0
        self.dividend_per_member_yuan = 0.0
        self.loss_years = 0
        self.alive = True

    def settle(self, member_sales_yuan: np.ndarray, member_weights: np.ndarray,
               land_net_yuan_per_mu: float, rent_yuan_per_mu: float, fixed_cost_yuan: float,
               grant_yuan: float, margin: float, payout_share: float) -> np.ndarray:
        """Close the year: surplus, dividends per member household (yuan), loss count.

        Args:
            member_sales_yuan: Sales of each member row per real household.
            member_weights: Real households each member row stands for.
            land_net_yuan_per_mu: Net return per mu of the land it operates (before rent).
            rent_yuan_per_mu: Rent it pays.
            fixed_cost_yuan: Annual fixed cost.
            grant_yuan: Grant received this year.
            margin: Gross margin on members' sales.
            payout_share: Share of a positive surplus paid out as dividends.

        Returns:
            Dividend per real household of each member row.
        """
        sales = float(np.sum(member_sales_yuan * member_weights))
        self.members = float(np.sum(member_weights))
        self.surplus_yuan = float(eq.coop_surplus(
            sales, margin, self.land_mu, land_net_yuan_per_mu,
            self.land_mu * rent_yuan_per_mu, fixed_cost_yuan, grant_yuan))
        # By transactions (Farmer Cooperatives Law art. 44); members who sold nothing (all
        # their land farmed by others) share by household, so the whole payout is paid.
        basis = member_sales_yuan * member_weights
        pool = eq.dividends(self.surplus_yuan, payout_share,
                            basis if basis.sum() > 0 else member_weights)
        per_household = np.divide(pool, member_weights, out=np.zeros_like(pool),
                                  where=member_weights > 0)
        self.dividend_per_member_yuan = float(pool.sum() / self.members) if self.members else 0.0
        self.loss_years = self.loss_years + 1 if self.surplus_yuan < 0 else 0
        return per_household


def land_net(m, city: int, cluster: int) -> float:
    """Net return per mu a cooperative earns farming rented land (before rent), this year.

    At the cluster's farm-gate price (trend × the factor of its raw-material market, the
    last one cleared: ``sim.model.rawmaterial``), the city's yield
    (drought) and the cluster's (disease), the year's input cost, with the cooperative's
    service cost cut, minus hired labour.
    """
    const = m.const
    years = max(m.year - plan.BASE_YEAR, 0)  # as in the households' ``ClusterModel.env``
    cost_idx = (1 + m.uncertain["input_cost_inflation"]) ** years
    revenue = (const["coop_land_productivity"] * m.revenue0 * m.farm_price * m.raw.x[cluster]
               * m.yield_city[city] * m.cluster_yield[cluster])
    return float(revenue - m.cost0 * cost_idx * (1 - const["coop_service_cost_cut"])
                 - m.wage / const["max_mu_per_labourer"])


def member_sales(m) -> np.ndarray:
    """Each household's farm sales this year (yuan per real household)."""
    f = m.farmers
    has = f.cluster >= 0
    k = np.maximum(f.cluster, 0)
    return (f.productivity * m.revenue0 * f.land_operated * m.farm_price
            * np.where(has, m.raw.x[k] * m.cluster_yield[k], 1.0) * m.yield_city[f.city])


def settle_all(m, year: int, grant_yi: float) -> None:
    """Cooperatives close the year; dividends reach members; failures and formation."""
    f = m.farmers
    m.dividend = np.zeros(f.n)
    coop_ids = f.coop
    sales = member_sales(m)
    # Group member rows by cooperative once (argsort), not one mask per cooperative.
    members = np.flatnonzero(coop_ids >= 0)
    order = members[np.argsort(coop_ids[members], kind="stable")]
    ids_sorted = coop_ids[order]
    total_members = float(np.sum(f.weight[order]))
    fixed = m.const["coop_fixed_cost_wan_yuan"] * 1e4
    for c in list(m.coops):
        lo, hi = np.searchsorted(ids_sorted, [c.coop_id, c.coop_id + 1])
        rows = order[lo:hi]
        w = f.weight[rows]
        grant = grant_yi * 1e8 * (w.sum() / total_members if total_members else 0.0)
        m.dividend[rows] = c.settle(sales[rows], w, land_net(m, c.city, c.cluster),
                                    m.rent[c.city], fixed, grant,
                                    m.const["coop_margin"], m.const["coop_payout_share"])
        if c.loss_years >= 2 or (year > plan.BASE_YEAR and w.sum() == 0):
            dissolve(m, c)
    if year > plan.BASE_YEAR:
        form(m, year, grant_yi, sales, total_members)


def expected_gain(m, city: int, cluster: int, grant_yi: float, sales: np.ndarray,
                  total_members: float) -> tuple[float, float]:
    """Expected yearly gain per member of a new cooperative in (city, cluster), and members.

    Prospective members are the cluster's supplier households in the city, each joining
    with the logit probability of ``farmers.link_choices`` on its gain (service cost cut on
    the land it farms plus the expected dividend). The cooperative's expected surplus is its
    margin on their sales, trusteeship on the land it would bid for at this year's farm-gate
    price and yields less the city's rent, minus its fixed cost, plus its share of the
    grants; the gain per member is the cost cut plus the dividend that surplus pays.
    """
    f, const = m.farmers, m.const
    rows = np.flatnonzero((f.city == city) & (f.cluster == cluster))
    if rows.size == 0:
        return 0.0, 0.0
    w = f.weight[rows]
    years = max(m.year - plan.BASE_YEAR, 0)
    cost = m.cost0 * (1 + m.uncertain["input_cost_inflation"]) ** years
    cut = const["coop_service_cost_cut"] * cost * f.land_operated[rows]
    per_mu = land_net(m, city, cluster) - m.rent[city]
    dividend = 0.0
    for _ in range(2):  # members depend on the dividend, the dividend on members
        p_join = eq.choice_probability(cut + dividend, m.uncertain["adoption_sensitivity"])
        members = float(np.sum(w * p_join))
        if members <= 0:
            return 0.0, 0.0
        grant = grant_yi * 1e8 * members / (total_members + members)
        surplus = (const["coop_margin"] * float(np.sum(w * p_join * sales[rows]))
                   + members * const["coop_land_bid_mu_per_member"] * per_mu
                   - const["coop_fixed_cost_wan_yuan"] * 1e4 + grant)
        dividend = const["coop_payout_share"] * max(surplus, 0.0) / members
    gain = float(np.sum(w * p_join * cut)) / members + dividend
    return gain, members


def form(m, year: int, grant_yi: float, sales: np.ndarray, total_members: float) -> None:
    """Cooperatives form where the expected gain per member beats the cost of forming one.

    Each city × cluster slot of the cluster's layout without a cooperative draws its
    formation cost per member (lognormal around ``coop_formation_cost_yuan_per_member``)
    from a stream of its own; a cooperative forms when the expected yearly gain per
    prospective member covers it (one-year payback, the horizon of every household choice
    in the model). Grants raise the gain, so they never make formation rarer.
    """
    const = m.const
    have = {(c.city, c.cluster) for c in m.coops}
    sd = const["coop_formation_cost_sd"]
    for city in range(NC):
        for ki in range(NK):
            if m.presence[city, ki] <= 0 or (city, ki) in have:
                continue
            rng = stream(m.seed, f"coop:formation:{year}:{plan.CITY_KEYS[city]}:"
                                 f"{plan.CLUSTER_KEYS[ki]}")
            cost = const["coop_formation_cost_yuan_per_member"] * float(
                np.exp(rng.normal(-0.5 * sd * sd, sd)))
            gain, members = expected_gain(m, city, ki, grant_yi, sales, total_members)
            if members > 0 and gain >= cost:
                m.coops.append(Cooperative(m, city, ki))


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
