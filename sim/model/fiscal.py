"""Fiscal accounts: the levers' cost to the budget, 亿元, cumulative since 2021, by item.

The accounts own the running totals; the submodels that spend charge them
(:meth:`FiscalAccounts.charge`): firms the capital and interest subsidies on their
investment (``sim.model.firms.subsidy_cost``), the poverty submodel the support above its
2020 level, and the yearly levers below (:meth:`FiscalAccounts.charge_levers`). The
recorder reads the totals (``fiscal_<item>_yi``, ``fiscal_cost_yi``).
"""

from __future__ import annotations

import numpy as np


class FiscalAccounts:
    """Cumulative fiscal cost by item (亿元), the items of ``outcomes.FISCAL_LABELS``."""

    def __init__(self, items: tuple[str, ...]):
        self.totals: dict[str, float] = dict.fromkeys(items, 0.0)

    def charge(self, item: str, yi: float) -> None:
        """Add ``yi`` 亿元 to ``item``."""
        self.totals[item] += yi

    def total(self) -> float:
        """The cost of all items so far (亿元)."""
        return float(sum(self.totals.values()))

    def __getitem__(self, item: str) -> float:
        return self.totals[item]

    def charge_levers(self, lever, year_index: int, const: dict, farmers, subsidy: float,
                      coverage: float, cold_subsidy: float, places: float) -> None:
        """The year's cost of the levers delivered in Q1 (亿元), by item.

        ``lever(name, year_index)`` is the delivered value of a lever
        (``ClusterModel.lever``); ``coverage`` the land-service coverage delivered,
        ``cold_subsidy`` the subsidy paid on the programme storage built (not the storage on
        offer), ``places`` the training places filled.
        """
        f = farmers
        self.charge("producer_subsidy", subsidy * float(
            np.sum(f.weight * f.land_operated * f.contract)) / 1e8)
        self.charge("coop_grant", float(lever("coop_grant_yi_yuan", year_index)))
        self.charge("land_service", coverage * const["land_service_cost_yi_per_year"])
        self.charge("cold_chain", cold_subsidy)
        self.charge("brand_fund", float(lever("brand_fund_yi_yuan", year_index).sum()))
        self.charge("training", places * const["training_cost_yuan_per_place"] / 1e8)
        self.charge("farmland", float(lever("farmland_construction_wan_mu", year_index))
                    * 1e4 * const["farmland_cost_yuan_per_mu"] / 1e8)
