"""Households: the rural population drawn in 2020, its (city, cluster) index, income accounts.

The household rules themselves (land sides, link choices, incomes) are the population's
(``sim.model.farmers.FarmerPopulation``). This module owns the rest of the households'
state:

* :func:`populate` draws the 2020 population (land, productivity, off-farm labour status,
  cluster membership).
* :class:`HouseholdIndex` groups the rows by (city, cluster) slot, once (households never
  move), and builds the views of what households see (``ClusterModel.env``) from small
  (city, cluster) tables.
* :class:`IncomeAccounts` holds farm economics at 2020 prices, the wage and transfer levels,
  the cooperatives' dividends to each household, and the income parts the model does not
  carry (set so that 2020 matches the survey's structure: :meth:`IncomeAccounts.close`).
"""

from __future__ import annotations

import numpy as np

from sim.model import equations as eq
from sim.model import land, plan
from sim.model.rng import stream

NC, NK = len(plan.CITIES), len(plan.CLUSTERS)
# Up to this many households the index keeps helper arrays between calls (the views, the
# households dealt out by city); above, it recomputes (1:1: the 2 GiB memory goal).
KEEP_MAX_HOUSEHOLDS = 1_000_000


def populate(seed: int, const: dict, presence: np.ndarray, households_per_agent: int
             ) -> dict[str, np.ndarray]:
    """The 2020 population's columns (``FarmerPopulation``'s state), from ``init:households``.

    ``presence``: (city, cluster) weights, 2 core, 1 sub-core, 0 elsewhere (Ch.6).
    """
    rng = stream(seed, "init:households")
    rural = np.array([c.population_wan_2020 * (1 - c.urbanisation_2020) * 1e4
                      for c in plan.CITIES])
    hh_city = rural / const["persons_per_household"]
    total_households = hh_city.sum()
    n_city = np.maximum(np.round(hh_city / households_per_agent).astype(int), 1)
    city = np.repeat(np.arange(NC, dtype=np.int16), n_city)
    weight = (hh_city / n_city)[city]
    n = len(city)
    land_mu = const["land_mu_per_household"] * rng.lognormal(-0.18, 0.6, n)
    land_mu *= const["land_mu_per_household"] * weight.sum() / np.sum(land_mu * weight)
    sd = const["productivity_sd"]
    prod = rng.lognormal(-0.5 * sd * sd, sd, n)
    # Potential supplier households per cluster and city: a share of all households,
    # split across clusters by the plan's farmer targets and across cities by the
    # core (2) / sub-core (1) layout weighted by rural households.
    farmers = np.array([c.farmers_target_wan for c in plan.CLUSTERS])
    suppliers_k = const["supplier_share"] * total_households * farmers / farmers.sum()
    share_ck = presence * hh_city[:, None]
    share_ck = share_ck / share_ck.sum(axis=0, keepdims=True)
    p_ck = suppliers_k[None, :] * share_ck / hh_city[:, None]
    p_ck = p_ck / np.maximum(p_ck.sum(axis=1, keepdims=True), 1.0)
    cum = np.cumsum(p_ck, axis=1)[city]
    draw = rng.random(n)
    cl = (draw[:, None] >= cum).sum(axis=1)
    cl = np.where(cl >= NK, -1, cl).astype(np.int16)
    # Off-farm labour status, held for the run: its own stream, so the draws above are
    # those of a population without it (common random numbers)
    offfarm = stream(seed, "init:offfarm").random(n) < const["offfarm_household_share"]
    return dict(city=city, cluster=cl, weight=weight, offfarm=offfarm,
                persons=np.full(n, const["persons_per_household"]),
                labourers=np.full(n, const["labourers_per_household"]), land_own=land_mu,
                productivity=prod, skill=np.zeros(n), coop=np.full(n, -1, np.int32),
                contract=np.zeros(n, bool), job=np.zeros(n), land_out=np.zeros(n),
                land_in=np.zeros(n))


class HouseholdIndex:
    """The households' rows by (city, cluster) slot, and per-household views of slot tables.

    Households never move, so each index is computed once per population object (again
    only if the population is replaced, as the benchmarks do); every method takes the
    population ``f``.
    """

    def __init__(self):
        self._slots_of = self._city_deal_of = self._views_of = None

    def slots(self, f) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each household's (city, cluster) slot, its rows grouped by slot, group bounds.

        Cluster -1 (no cluster) is column 0 of a city's slots.
        """
        if self._slots_of is not f:
            slot = (np.asarray(f.city).astype(np.intp) * (NK + 1)
                    + (np.asarray(f.cluster).astype(np.intp) + 1))
            order = np.argsort(slot, kind="stable")
            bounds = np.searchsorted(slot[order], np.arange(NC * (NK + 1) + 1))
            self._slot_cache, self._slots_of = (slot, order, bounds), f
        return self._slot_cache

    def city_deal(self, f) -> np.ndarray | None:
        """``land.interleave`` of the households' cities, kept (households never move).

        None above ``KEEP_MAX_HOUSEHOLDS`` households: there sums run over the rows as
        they are (the same results), sparing the memory.
        """
        if self._city_deal_of is not f:
            if f.n <= KEEP_MAX_HOUSEHOLDS:
                deal = land.interleave(f.city, NC)
                self._city_deal_cache = deal, np.asarray(f.city)[deal].astype(np.intp)
            else:
                self._city_deal_cache = None, None
            self._city_deal_of = f
        return self._city_deal_cache[0]

    def city_sums(self, f, values: np.ndarray) -> np.ndarray:
        """``np.bincount(f.city, values, minlength=NC)``: per-city sums over the households.

        Bit for bit the same (each city adds the same terms in the same order), over the
        rows dealt out city by city (``city_deal``), so that the additions of rows sorted
        by city do not wait on each other (76 -> 41 us at 1:250).
        """
        deal = self.city_deal(f)
        if deal is None:
            return np.bincount(f.city, values, minlength=NC)
        return np.bincount(self._city_deal_cache[1], np.asarray(values)[deal], minlength=NC)

    def rows_of(self, f, city: int, cluster: int) -> np.ndarray:
        """The households of a city and cluster (row indices, ascending)."""
        _, order, bounds = self.slots(f)
        s = city * (NK + 1) + cluster + 1
        return order[bounds[s]:bounds[s + 1]]

    def view(self, f, name: str, by_cluster, outside, by_city=None) -> np.ndarray:
        """Each household's value of a (city, cluster) table, read-only.

        The table: ``outside`` for households outside the clusters (column 0),
        ``by_cluster`` (scalar, (NK,) or (NC, NK)) inside, times ``by_city`` if given. A
        view whose table is unchanged since the last call (bit for bit) is reused, not
        read again: most are, between the several calls of a year. Read-only, so no caller
        can change a kept one. Not kept above KEEP_MAX_HOUSEHOLDS (the eight views would
        hold ~200 MB at 1:1 between calls, against the 2 GiB of the 1:1 goal).
        """
        slot = self.slots(f)[0]
        if self._views_of is not slot:
            self._views, self._views_of = {}, slot
        views = self._views if slot.size <= KEEP_MAX_HOUSEHOLDS else {}
        t = np.empty((NC, NK + 1), np.result_type(by_cluster, outside))
        t[:, 0] = outside
        t[:, 1:] = by_cluster
        if by_city is not None:
            t = by_city[:, None] * t
        key = (t.dtype.str, t.tobytes())
        hit = views.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]
        v = np.take(t.ravel(), slot)
        v.flags.writeable = False
        views[name] = (key, v)
        return v


class IncomeAccounts:
    """Farm economics at 2020 prices, wages, transfers, dividends and the income closures.

    Args:
        const: Resolved constants.
        cols: The population's columns (``populate``): the 2020 wage is set so that the
            households' off-farm labour earns the survey's wage share.
    """

    def __init__(self, const: dict, cols: dict[str, np.ndarray]):
        self.const = const
        # Farm economics at 2020 prices: net return per mu at mean productivity matches the
        # land-based part of operating income.
        inc = plan.PROVINCE.rural_income_2020_yuan * const["persons_per_household"]
        net0 = const["land_share_of_operating"] * const["income_share_operating"] * inc \
            / const["land_mu_per_household"]
        self.revenue0 = net0 / (1.0 - const["farm_cost_share"])
        self.cost0 = const["farm_cost_share"] * self.revenue0
        weight = cols["weight"]
        off = np.sum(weight * eq.off_farm_labour(cols["land_own"], const["max_mu_per_labourer"],
                                                 cols["labourers"], 0.0))
        self.wage0 = const["income_share_wage"] * inc * weight.sum() / off
        self.wage = self.wage0  # off-farm wage per labourer this year
        self.transfer_growth = 1.0  # transfers per person over 2020's
        self.dividend = np.zeros(len(weight))  # cooperative dividends this year, per household
        # the unmodelled parts, per person: transfers and other operating income (2020
        # terms), other property income (the closure), set by ``close``
        self.transfer_pp = self.other_op_pp = self.other_prop_pp = 0.0
        self.prop_index = 1.0  # the 2020 state: modelled property flows at their 2020 level
        self.prop_modelled0 = 0.0  # rents received and dividends per person, 2020

    def firm_wage(self) -> float:
        """The processing firms' wage per labourer."""
        return self.wage * (1.0 + self.const["firm_wage_premium"])

    def grow(self, years: int, wage_growth: float, transfer_growth: float) -> None:
        """Wages and transfers ``years`` after 2020 at the sampled growth rates."""
        self.wage = self.wage0 * (1 + wage_growth) ** years
        self.transfer_growth = (1 + transfer_growth) ** years

    def rescale_wage(self, r: float) -> None:
        """Multiply the wage level (and its 2020 base) by ``r``."""
        self.wage0 *= r
        self.wage *= r

    def pay_dividends(self, dividend: np.ndarray) -> None:
        """The cooperatives' dividends of the year, per household (yuan)."""
        self.dividend = dividend

    def close(self, inc: dict[str, np.ndarray], weight: np.ndarray, persons: np.ndarray
              ) -> None:
        """Scale the wage and set the unmodelled income parts to the 2020 structure.

        ``inc``: the households' incomes by source at the current state (``incomes``).
        """
        persons = np.sum(weight * persons)
        target = plan.PROVINCE.rural_income_2020_yuan
        const = self.const
        share_transfer = 1 - const["income_share_wage"] - const["income_share_operating"] \
            - const["income_share_property"]
        mean = {s: np.sum(weight * inc[s]) / persons for s in
                ("wage", "operating", "property", "transfer")}
        self.wage0 *= const["income_share_wage"] * target / mean["wage"]
        self.wage = self.wage0
        self.other_op_pp += const["income_share_operating"] * target - mean["operating"]
        # property income the model itself pays (rent received, dividends), per person
        self.prop_modelled0 = mean["property"] - self.other_property()
        self.other_prop_pp += const["income_share_property"] * target - mean["property"]
        self.transfer_pp += share_transfer * target - mean["transfer"]

    def add_operating(self, per_person_2020: float) -> None:
        """Add to the unmodelled operating income per person (2020 terms)."""
        self.other_op_pp += per_person_2020

    def add_transfer(self, per_person_2020: float) -> None:
        """Add to the transfer income per person (2020 terms)."""
        self.transfer_pp += per_person_2020

    def transfer(self) -> float:
        """Transfer income per person this year."""
        return self.transfer_pp * self.transfer_growth

    def set_other_property(self, closure: float) -> None:
        """Set the property closure so that ``other_property()`` returns ``closure`` now."""
        if closure >= 0:
            self.other_prop_pp = closure * self.wage0 / self.wage
        else:
            self.other_prop_pp = closure / self.prop_index

    def other_property(self) -> float:
        """Property income per person beyond rent received and dividends (the closure).

        Positive, it is property income the model does not carry (interest, house rents)
        and moves with wages. Negative, the model's rents and dividends exceed what the
        survey records as property income (transfers among relatives at no or nominal rent,
        rent in kind): a measurement gap on the modelled flows, so it moves with them
        (``prop_index``, set at each year's close) — scaled by wages instead, a wage rise
        would lower property income.
        """
        if self.other_prop_pp >= 0:
            return self.other_prop_pp * self.wage / self.wage0
        return self.other_prop_pp * self.prop_index

    def update_property_index(self, f, rent: np.ndarray) -> None:
        """Set ``prop_index``: the year's rents received and dividends per person over 2020's."""
        persons = np.sum(f.weight * f.persons)
        paid = np.sum(f.weight * (f.land_out * rent[f.city] + self.dividend)) / persons
        self.prop_index = paid / self.prop_modelled0 if self.prop_modelled0 > 0 else 1.0
