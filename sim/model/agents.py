"""Cooperatives, processing firms and trading platforms (Mesa agents).

Cooperatives and platforms are ordinary Mesa agents with their own ``step``-like methods.
Firms are Mesa agents too (one per firm: identity, entry, exit), but their quarterly state
lives in a :class:`FirmTable` of numpy columns so that production and investment of all firms
run as one vectorised update; a :class:`Firm` agent reads and writes its row.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.model import equations as eq


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


class FirmTable:
    """Columns of firm state; row ``i`` belongs to the :class:`Firm` agent with ``row == i``."""

    COLS = ("cluster", "city", "capacity", "sales", "output", "leading", "alive", "low_util",
            "invested")

    def __init__(self, lag_max: int):
        self.lag_max = lag_max
        self.cluster = np.zeros(0, int)
        self.city = np.zeros(0, int)
        self.capacity = np.zeros(0)  # annual output capacity, 亿元
        self.sales = np.zeros(0)  # annual sales potential, 亿元
        self.output = np.zeros(0)  # annualised output of the last quarter, 亿元
        self.leading = np.zeros(0, bool)
        self.alive = np.zeros(0, bool)
        self.low_util = np.zeros(0, int)  # consecutive quarters below 40% utilisation
        self.invested = np.zeros(0)  # cumulative gross investment, 亿元
        self.pipeline = np.zeros((0, lag_max + 1))  # capacity arriving in q quarters

    def add(self, cluster, city, capacity, sales, leading) -> np.ndarray:
        """Append firms; returns their row indices."""
        n0 = len(self.cluster)
        k = len(np.atleast_1d(cluster))
        self.cluster = np.concatenate([self.cluster, np.atleast_1d(cluster).astype(int)])
        self.city = np.concatenate([self.city, np.atleast_1d(city).astype(int)])
        self.capacity = np.concatenate([self.capacity, np.atleast_1d(capacity).astype(float)])
        self.sales = np.concatenate([self.sales, np.atleast_1d(sales).astype(float)])
        self.output = np.concatenate([self.output, np.minimum(np.atleast_1d(sales),
                                                              np.atleast_1d(capacity))])
        self.leading = np.concatenate([self.leading, np.atleast_1d(leading).astype(bool)])
        self.alive = np.concatenate([self.alive, np.ones(k, bool)])
        self.low_util = np.concatenate([self.low_util, np.zeros(k, int)])
        self.invested = np.concatenate([self.invested, np.zeros(k)])
        self.pipeline = np.vstack([self.pipeline, np.zeros((k, self.lag_max + 1))])
        return np.arange(n0, n0 + k)


class Firm(mesa.Agent):
    """A processing firm (leading firm 龙头企业 or SME processor); its state is a table row.

    Args:
        model: The model.
        row: Its row in ``model.firms``.
    """

    def __init__(self, model: mesa.Model, row: int):
        super().__init__(model)
        self.row = row

    @property
    def cluster(self) -> int:
        """Cluster index."""
        return int(self.model.firms.cluster[self.row])

    @property
    def output_yi_yuan(self) -> float:
        """Annualised output value, 亿元."""
        return float(self.model.firms.output[self.row])

    def exit(self) -> None:
        """Leave the market: the row is marked dead and the agent removed."""
        self.model.firms.alive[self.row] = False
        self.model.firms.capacity[self.row] = 0.0
        self.model.firms.sales[self.row] = 0.0
        self.model.firms.output[self.row] = 0.0
        self.model.firms.pipeline[self.row] = 0.0
        self.remove()


class Platform(mesa.Agent):
    """A trading platform (Ch.5 §3): trade capacity, cold-chain storage, fees.

    Args:
        model: The model.
        index: Platform index in ``sim.model.plan.PLATFORMS``.
        volume_2020_wan_t: Trade volume in 2020.
        capacity_wan_t: Trade capacity in 2020.
        cold_wan_t: Cold-chain storage in 2020.
        unit_value_yuan_per_t: Value per tonne traded at 2020 prices.
        cold_coverage_2020: Share of perishable throughput with cold storage in 2020.
    """

    def __init__(self, model: mesa.Model, index: int, volume_2020_wan_t: float,
                 capacity_wan_t: float, cold_wan_t: float, unit_value_yuan_per_t: float,
                 cold_coverage_2020: float):
        super().__init__(model)
        self.index = index
        self.volume_2020_wan_t = volume_2020_wan_t
        self.capacity_wan_t = capacity_wan_t
        self.cold_wan_t = cold_wan_t
        self.cold_2020_wan_t = cold_wan_t
        self.unit_value_yuan_per_t = unit_value_yuan_per_t
        self.cold_coverage_2020 = cold_coverage_2020
        self.volume_wan_t = volume_2020_wan_t
        self.value_yi_yuan = volume_2020_wan_t * unit_value_yuan_per_t / 1e4
        self.fees_yi_yuan = 0.0
        self.spoilage = 0.0

    def coverage(self, throughput_index: float) -> float:
        """Share of perishable throughput with cold storage (capped at 1)."""
        return float(min(1.0, self.cold_coverage_2020 * (self.cold_wan_t / self.cold_2020_wan_t)
                         / max(throughput_index, 1e-9)))

    def add_cold_storage(self, wan_t: float) -> None:
        """Commission new cold-chain storage."""
        self.cold_wan_t += wan_t

    def trade(self, demand_index: float, price_index: float, spoilage_2020: float,
              spoilage_elasticity: float, fee_rate: float, capex_yuan_per_t: float) -> None:
        """One year of trade: volume, value, spoilage, fees and capacity reinvestment.

        Args:
            demand_index: Output of the clusters it serves relative to 2020.
            price_index: Price index of what it trades.
            spoilage_2020: Spoilage at 2020 coverage.
            spoilage_elasticity: How fast spoilage falls with coverage.
            fee_rate: Fee on value traded.
            capex_yuan_per_t: Investment per tonne of annual capacity.
        """
        wanted = self.volume_2020_wan_t * demand_index
        self.volume_wan_t = min(wanted, self.capacity_wan_t)
        cov = self.coverage(self.volume_wan_t / self.volume_2020_wan_t)
        self.spoilage = float(eq.spoilage(cov, spoilage_2020, self.cold_coverage_2020,
                                          spoilage_elasticity))
        keep = (1.0 - self.spoilage) / (1.0 - spoilage_2020)
        self.value_yi_yuan = (self.volume_wan_t * self.unit_value_yuan_per_t * price_index
                              * keep / 1e4)
        self.fees_yi_yuan = fee_rate * self.value_yi_yuan
        # Half the fees are reinvested in trade capacity; capacity also follows demand
        # pressure, as the plan's platform build-out intends.
        self.capacity_wan_t += 0.5 * self.fees_yi_yuan * 1e8 / capex_yuan_per_t / 1e4
