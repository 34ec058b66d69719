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
        pool = eq.dividends(self.surplus_yuan, payout_share, member_sales_yuan * member_weights)
        per_household = np.divide(pool, member_weights, out=np.zeros_like(pool),
                                  where=member_weights > 0)
        self.dividend_per_member_yuan = float(pool.sum() / self.members) if self.members else 0.0
        self.loss_years = self.loss_years + 1 if self.surplus_yuan < 0 else 0
        return per_household


def land_net(m) -> float:
    """Net return per mu a cooperative earns farming rented land (before rent)."""
    const = m.const
    return (const["coop_land_productivity"] * m.revenue0
            - m.cost0 * (1 - const["coop_service_cost_cut"])
            - m.wage / const["max_mu_per_labourer"])


def settle_all(m, year: int, grant_yi: float) -> None:
    """Cooperatives close the year; dividends reach members; failures and formation."""
    f = m.farmers
    m.dividend = np.zeros(f.n)
    coop_ids = f.coop
    sales = f.productivity * m.revenue0 * f.land_operated * m.price[
        np.maximum(f.cluster, 0)]
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
        m.dividend[rows] = c.settle(sales[rows], w, land_net(m),
                                       m.rent[c.city], fixed, grant,
                                       m.const["coop_margin"], m.const["coop_payout_share"])
        if c.loss_years >= 2 or (year > plan.BASE_YEAR and w.sum() == 0):
            dissolve(m, c)
    # Formation: in layout cities without a cooperative, new ones form; grants help.
    if year > plan.BASE_YEAR:
        rng = stream(m.seed, f"coop:formation:{year}")
        have = {(c.city, c.cluster) for c in m.coops}
        rate = m.const["coop_formation_rate"] * (
            1.0 + grant_yi / m.const["coop_formation_grant_scale_yi"])
        for city in range(NC):
            for ki in range(NK):
                draw = rng.random()
                if m.presence[city, ki] > 0 and (city, ki) not in have and draw < rate:
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
