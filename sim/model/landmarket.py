"""The land market: households and cooperatives trade land-use rights, city by city.

:class:`LandMarket` owns the market's state: each city's clearing rent, the transaction cost
per mu (which the land-transfer service lever lowers) and the stock of high-standard
farmland (built by its lever). Its rule :meth:`LandMarket.clear` clears the year's market
with ``sim.model.land.clear`` on the households' supply and bids (``FarmerPopulation
.land_sides``) and the cooperatives' bids (trusteeship, 托管), and hands each side the land it
rents out or in.
"""

from __future__ import annotations

import numpy as np

from sim.model import equations as eq
from sim.model import land, plan
from sim.model.rng import stream

NC, NK = len(plan.CITIES), len(plan.CLUSTERS)


class LandMarket:
    """Rents, the transaction costs and high-standard farmland.

    Args:
        seed: The replicate's seed (streams ``land:{year}``, ``land:coops:{year}``).
        const: Resolved constants (transaction costs, service coverage, coop bids).
        uncertain: The replicate's sampled uncertainties.
    """

    def __init__(self, seed: int, const: dict, uncertain: dict):
        self.seed, self.const, self.uncertain = seed, const, uncertain
        self.rent = np.zeros(NC)  # yuan per mu, by city
        self.transaction_cost = 0.0  # yuan per mu transferred
        self.contract_cost = 0.0  # yuan per household contract and year
        self.set_service_coverage(const["land_service_coverage_2020"])
        self.farmland_wan_mu = plan.PROVINCE.farmland_hs_2020_wan_mu  # high-standard, 万亩

    def set_service_coverage(self, coverage: float) -> None:
        """The transaction costs (per mu and per contract) at this service coverage."""
        self.transaction_cost = float(eq.transaction_cost(
            self.const["land_transaction_cost_yuan_per_mu"], coverage,
            self.uncertain["land_service_cost_cut"]))
        self.contract_cost = float(eq.transaction_cost(
            self.const["land_contract_fixed_cost_yuan"], coverage,
            self.uncertain["land_service_cost_cut"]))

    def build_farmland(self, wan_mu: float) -> None:
        """Add high-standard farmland built this year (万亩)."""
        self.farmland_wan_mu += wan_mu

    def clear(self, year: int, farmers, env, coops: list, coop_net: np.ndarray,
              deal: np.ndarray | None) -> None:
        """Clear the year's market: rents by city, land rented out and in by each side.

        Args:
            year: The year (draws from ``land:{year}`` and ``land:coops:{year}``).
            farmers: The household population (its land is updated).
            env: What households see this year (``ClusterModel.env``).
            coops: The cooperatives (each one's ``land_mu`` is set).
            coop_net: Net return per mu a cooperative earns farming rented land, by
                (city, cluster), before rent (``cooperatives.land_net_table``).
            deal: The households' rows dealt out city by city
                (``HouseholdIndex.city_deal``), or None.
        """
        f = farmers
        r, q_o, wtp, q_b = f.land_sides(env)
        rng = stream(self.seed, f"land:{year}")
        u_o, u_b = rng.random(f.n), rng.random(f.n)
        # Cooperatives bid for land to farm for their members (trusteeship, 托管).
        coop_city = np.array([c.city for c in coops], int)
        coop_cluster = np.array([c.cluster for c in coops], int)
        coop_q = np.array([c.members for c in coops], float) \
            * self.const["coop_land_bid_mu_per_member"]
        coop_wtp = coop_net[coop_city, coop_cluster] - self.transaction_cost
        # one draw per (city, cluster) slot, so a cooperative's draw does not depend on
        # which other cooperatives exist (common random numbers)
        slot = stream(self.seed, f"land:coops:{year}").random((NC, NK))
        uc_o = np.ones(len(coops))
        uc_b = slot[coop_city, coop_cluster]
        if deal is not None:  # the cooperatives after the households, as they come
            deal = np.concatenate([deal, np.arange(f.n, f.n + len(coops))])
        rent, out, inn = land.clear(
            np.concatenate([f.city, coop_city]), NC,
            np.concatenate([f.weight, np.ones(len(coops))]),
            np.concatenate([r, np.full(len(coops), land.RENT_MAX_YUAN * 10)]),
            np.concatenate([q_o, np.zeros(len(coops))]),
            np.concatenate([wtp, coop_wtp]), np.concatenate([q_b, coop_q]),
            self.uncertain["adoption_sensitivity"], np.concatenate([u_o, uc_o]),
            np.concatenate([u_b, uc_b]), deal=deal,
            # the fixed cost per contract falls on households, not on cooperatives, whose
            # trusteeship contracts are signed with the village as a whole (cooperatives
            # never offer, so the offers' cost is one number for all)
            fixed_offer=self.contract_cost,
            fixed_bid=np.concatenate([np.full(f.n, self.contract_cost), np.zeros(len(coops))]))
        n = f.n
        f.apply_land(out[:n], inn[:n])
        for c, mu in zip(coops, inn[n:], strict=True):
            c.rent_in(mu)
        self.rent = rent
