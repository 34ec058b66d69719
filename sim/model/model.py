"""The cluster model: wiring, initialisation (the 2020 calibration) and the schedule.

One replicate runs 2021Q1-2025Q4 in quarterly steps. The schedule is written out in
:meth:`ClusterModel.step`; annual decisions (land, links, investment, entry and exit) fall
in the first or last quarter of each year. See ``docs/ODD.md`` for the full description.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.model import (
    assimilate,
    cooperatives,
    entry,
    firms,
    households,
    national,
    otherfirms,
    plan,
    platforms,
    poverty,
    rawmaterial,
)
from sim.model import equations as eq
from sim.model.cooperatives import Cooperative, CoopRegistry
from sim.model.farmers import Env, FarmerPopulation, ReferenceFarmers
from sim.model.firms import FirmTable
from sim.model.fiscal import FiscalAccounts
from sim.model.households import HouseholdIndex, IncomeAccounts
from sim.model.landmarket import LandMarket
from sim.model.links import Links
from sim.model.outcomes import FISCAL_LABELS
from sim.model.province import LevelScales
from sim.model.recorder import YearRecorder
from sim.model.rng import stream
from sim.model.training import Training

NC, NK, NP = len(plan.CITIES), len(plan.CLUSTERS), len(plan.PLATFORMS)
FISCAL_ITEMS = tuple(item for item, _, _ in FISCAL_LABELS)


def city_cluster_weights() -> np.ndarray:
    """(city, cluster) presence: 2 for core cities, 1 for sub-core, 0 elsewhere (Ch.6)."""
    w = np.zeros((NC, NK))
    for k, c in enumerate(plan.CLUSTERS):
        for name in c.subcore_cities:
            w[plan.CITY_KEYS.index(name), k] = 1.0
        for name in c.core_cities:
            w[plan.CITY_KEYS.index(name), k] = 2.0
    return w


class ClusterModel(mesa.Model):
    """Shanxi's ten processing clusters and five platforms, 2020-2025.

    Args:
        levers: Resolved lever schedules (``sim.model.params.resolve_levers``).
        constants: Resolved constants (``sim.model.params.resolve_constants``).
        uncertainties: Sampled uncertainty values for this replicate (``sim.run.replicate.sample``).
        seed: Replicate seed; every random draw comes from streams derived from it.
        households_per_agent: Scale: rural households per simulated household.
        reference_farmers: Use the per-object farmer agents (slow; for tests and benchmarks).
        exogenous: The scenario's observed exogenous series (``sim.config.exogenous``), or
            None: the sampled growth rates alone, as without ``data_until``.
    """

    def __init__(self, levers: dict[str, np.ndarray], constants: dict[str, np.ndarray],
                 uncertainties: dict, seed: int, households_per_agent: int,
                 reference_farmers: bool = False, exogenous: dict | None = None):
        super().__init__(rng=int(seed) % (2**63))
        self.seed = int(seed)
        self.uncertain = uncertainties
        self.national_levels = national.observed_levels(exogenous)
        self.national_markets = national.observed_market_growth(exogenous)
        # each cluster's national market growth by year: AR(1) around the trend, reports
        # in their years (sim.model.national.market_path)
        self.market_path = national.replicate_market_path(uncertainties, seed,
                                                          self.national_markets)
        # data assimilation up to the cut-off year (sim.model.assimilate): {year: observed}
        self.anchor_state = assimilate.observed_state(exogenous)
        self.levels = LevelScales()  # reduced-form levels re-anchored on data
        self.assimilated: dict[int, dict[str, float]] = {}  # year: factor or shift applied
        self.levers = levers
        self.const = {k: (float(v) if np.ndim(v) == 0 else v) for k, v in constants.items()}
        self.households_per_agent = int(households_per_agent)
        self.reference = reference_farmers
        # The 2020 spin-up is played in the base year (``year`` reads 2020: its input costs,
        # not 2021's); the run's first quarter is 2021Q1.
        self.quarter_index = -plan.QUARTERS_PER_YEAR
        self.presence = city_cluster_weights()
        self.lag = int(self.uncertain["construction_lag_quarters"])
        self.firms = FirmTable(lag_max=int(max(self.lag, 8)))
        self.record = YearRecorder()
        self.fiscal = FiscalAccounts(FISCAL_ITEMS)  # 亿元, cumulative 2021-2025
        self.training = Training(self.seed, self.const, self.uncertain["adoption_sensitivity"])
        self.land = LandMarket(self.seed, self.const, self.uncertain)
        self._init_households()
        firms.init_firms(self)
        self.other = otherfirms.OtherProcessing(self)  # processing outside the clusters
        self._calibrate_2020()
        self.platforms = platforms.init_platforms(self)  # from the 2020 flows: after calibration
        entry.recognise_leaders(self, first=True)
        self.poverty = poverty.Poverty(self)  # formerly poor counties (Ch.4), own streams
        self.record.year(self, plan.BASE_YEAR)
        self.quarter_index = 0

    # ------------------------------------------------------------------ helpers
    @property
    def year(self) -> int:
        """Calendar year of the current step."""
        return plan.YEARS[0] + self.quarter_index // 4

    # Delivery (``policy_delivery``, d): the one place a lever's scheduled value becomes
    # what arrives. Three forms, by what an undelivered part means for the lever:
    def lever(self, name: str, year_idx: int) -> np.ndarray:
        """A lever's delivered value in a year: the scheduled value × d (none arrives else)."""
        arr = self.levers[name]
        return arr[..., year_idx] * self.uncertain["policy_delivery"]

    def lever_or_2020(self, name: str, year_idx: int, level_2020: float) -> np.ndarray:
        """A lever whose undelivered part stays at its 2020 level: d × value + (1 − d) × 2020."""
        d = self.uncertain["policy_delivery"]
        return d * self.levers[name][..., year_idx] + (1 - d) * level_2020

    def delivered_share(self, share: float) -> float:
        """A subsidy's share of a cost as it arrives: the share × d.

        (The quantity on offer, the lever, is not scaled.)
        """
        return share * self.uncertain["policy_delivery"]

    # ------------------------------------------------------------------ init
    def _init_households(self) -> None:
        """Draw the 2020 households; their index, income accounts and links' state."""
        cols = households.populate(self.seed, self.const, self.presence,
                                   self.households_per_agent)
        self.farmers = (ReferenceFarmers(self, **cols) if self.reference
                        else FarmerPopulation(**cols))
        self.index = HouseholdIndex()
        self.accounts = IncomeAccounts(self.const, cols)
        self.links = Links(self.seed, len(cols["city"]), self.const, self.uncertain)

    def _calibrate_2020(self) -> None:
        """Clear the 2020 land market, set 2020 links, and close the income accounts."""
        self.farm_price = 1.0
        self.raw = rawmaterial.init()
        self.price = np.ones(NK)
        self.yield_city = np.ones(NC)
        self.cluster_yield = np.ones(NK)
        self.disease_keep = np.ones(NK)
        self.coops = CoopRegistry()
        for c in range(NC):
            for ki in range(NK):
                if self.presence[c, ki] >= 2:
                    self.coops.append(Cooperative(self, c, ki))
        self.subsidy = 0.0
        # Spin-up: the 2020 year is played until land, links, cooperatives and incomes are
        # consistent with each other (cooperatives bid for land only once they have
        # members; the wage is rescaled to the 2020 income structure after each pass), so
        # that 2021 starts from a state at rest, not from a first guess.
        for i in range(int(self.const["spinup_passes"])):
            self.clear_land_market(plan.BASE_YEAR)
            purchases = rawmaterial.local_purchases(self, calibrate=True)
            self.form_links(plan.BASE_YEAR, purchases, calibrate=True)
            self.raw = rawmaterial.clear(self, calibrate=True, purchases=purchases)
            # the cooperatives that 2020's gains would have formed form after the first
            # pass, so the later passes give them members, then land (as years do later)
            cooperatives.settle_all(self, plan.BASE_YEAR,
                                    grant_yi=self.const["coop_grant_2020_yi"], form_new=i == 0)
            self._close_income_accounts()
        self.income = self.incomes()

    def _close_income_accounts(self) -> None:
        """Scale the wage and set the unmodelled income parts to the 2020 structure."""
        self.accounts.close(self.incomes(), self.farmers.weight, self.farmers.persons)

    def city_deal(self) -> np.ndarray | None:
        """The households' rows dealt out city by city (``HouseholdIndex.city_deal``)."""
        return self.index.city_deal(self.farmers)

    def city_sums(self, values: np.ndarray) -> np.ndarray:
        """Per-city sums over the households (``HouseholdIndex.city_sums``)."""
        return self.index.city_sums(self.farmers, values)

    @property
    def household_slot(self) -> np.ndarray:
        """Each household's (city, cluster) slot: ``city × (NK + 1) + cluster + 1``."""
        return self.index.slots(self.farmers)[0]

    def rows_of(self, city: int, cluster: int) -> np.ndarray:
        """The households of a city and cluster (row indices, ascending)."""
        return self.index.rows_of(self.farmers, city, cluster)

    # ------------------------------------------------------------------ environment
    def env(self, average_weather: bool = False) -> Env:
        """What each household sees this year (in average weather: yields at one).

        Everything a household sees depends on its city and cluster only, so each view is
        built as a small (city, cluster) table (column 0: households outside the clusters)
        and read once per household through its slot (``HouseholdIndex.view``).
        """
        f, acc = self.farmers, self.accounts

        def per_household(name, by_cluster, outside, by_city=None):
            return self.index.view(f, name, by_cluster, outside, by_city)

        coop_open = np.zeros((NC, NK), bool)
        div = np.zeros((NC, NK))
        if self.coops:  # dividends are >= 0: the largest of a slot's (one coop a slot)
            at = tuple(np.array([(c.city, c.cluster) for c in self.coops]).T)
            coop_open[at] = True
            np.maximum.at(div, at, [c.dividend_per_member_yuan for c in self.coops])
        firm_city = np.zeros((NC, NK), bool)
        alive = self.firms.alive
        firm_city[self.firms.city[alive], self.firms.cluster[alive]] = True
        job_city = firm_city.any(axis=1)
        years = max(self.year - plan.BASE_YEAR, 0)
        cost_idx = (1 + self.uncertain["input_cost_inflation"]) ** years
        yield_city, cluster_yield = ((np.ones(NC), np.ones(NK)) if average_weather
                                     else (self.yield_city, self.cluster_yield))
        # Cluster suppliers sell at their raw-material market's farm-gate price (the last
        # one cleared); other farming at the reference index.
        return Env(
            price_index=per_household("price_index", self.raw.x * self.farm_price,
                                      self.farm_price),
            yield_factor=per_household("yield_factor", cluster_yield, 1.0, by_city=yield_city),
            wage_yuan=acc.wage,
            firm_wage_yuan=acc.firm_wage(), revenue_yuan_per_mu=acc.revenue0,
            cost_yuan_per_mu=acc.cost0 * cost_idx,
            contract_premium=per_household(
                "contract_premium", self.uncertain["contract_premium"] * self.raw.cover, 0.0),
            subsidy_yuan_per_mu=self.subsidy,
            coop_cost_cut=self.const["coop_service_cost_cut"],
            transaction_cost=self.land.transaction_cost,
            rent_yuan_per_mu=per_household("rent", self.land.rent[:, None], self.land.rent),
            coop_open=per_household("coop_open", coop_open, False),
            contract_open=per_household("contract_open", firm_city, False),
            job_open=per_household("job_open", job_city[:, None], job_city),
            expected_dividend_yuan=per_household("dividend", div, 0.0),
            skill_premium=self.const["skill_premium"],
            max_mu_per_labourer=self.const["max_mu_per_labourer"],
            sensitivity=self.uncertain["adoption_sensitivity"],
            transfer_yuan_per_person=acc.transfer(),
            other_operating_yuan_per_person=self.other_operating(acc.other_op_pp),
            other_property_yuan_per_person=acc.other_property())

    def other_operating(self, per_person_2020: float) -> float:
        """An unmodelled operating income per person at 2020 terms, valued in this year.

        The operating income not from cultivated land (livestock, forestry, rural business)
        moves with farm-gate prices and recovers from the COVID-19 year in 2021
        (docs/ODD.md §3.1 item 9).
        """
        return per_person_2020 * self.farm_price * float(eq.covid_rebound(
            self.uncertain["covid_2020_shortfall"], self.year, plan.BASE_YEAR))

    # ------------------------------------------------------------------ submodels
    def clear_land_market(self, year: int) -> None:
        """Households and cooperatives trade land-use rights, city by city (``LandMarket``)."""
        self.land.clear(year, self.farmers, self.env(), self.coops,
                        cooperatives.land_net_table(self), self.city_deal())

    def form_links(self, year: int, purchases: dict, calibrate: bool = False) -> None:
        """Coop membership, firm contracts and processing jobs for the year (``Links``)."""
        self.links.assign(year, self.farmers, self.env, self.coops, self.firms,
                          self.accounts.revenue0,
                          purchases, self.city_sums, calibrate=calibrate)

    def incomes(self, average_weather: bool = False) -> dict[str, np.ndarray]:
        """Each household's income by source this year, dividends included."""
        inc = self.farmers.incomes(self.env(average_weather))
        dividend = self.accounts.dividend
        inc["property"] = inc["property"] + dividend
        inc["link_dividend"] = dividend * self.farmers.contract
        return inc

    # ------------------------------------------------------------------ firms
    # ------------------------------------------------------------------ cold chain
    # ------------------------------------------------------------------ schedule
    def start_year(self) -> None:
        """First quarter: shocks, policy, land, firm growth and investment, links, raw material."""
        year, year_index = self.year, self.year - plan.YEARS[0]
        # last year's incomes (six household columns, 220 MB at 1:1) are read only while
        # that year is recorded; freed here, before the land market and links need memory
        self.income = None
        self._draw_shocks(year)
        delivered = self._deliver_policy(year, year_index)
        self.clear_land_market(year)
        firms.grow_and_invest(self, year_index)
        otherfirms.grow_and_invest(self)
        purchases = rawmaterial.local_purchases(self)  # contracts do not change them
        self.form_links(year, purchases)
        self.raw = rawmaterial.clear(self, purchases=purchases)
        self.firms.start_year()
        self.other.start_year()
        self.fiscal.charge_levers(self.lever, year_index, self.const, self.farmers,
                                  self.subsidy, **delivered)

    def _draw_shocks(self, year: int) -> None:
        """Drought by city, price shocks and disease by cluster; farm-gate price trend."""
        unc = self.uncertain
        rng = stream(self.seed, f"shocks:{year}")
        # Shocks are mean-preserving: 2020 is calibrated as an average year, so a drought
        # year is below it and a year without one slightly above (E[factor] = 1), and price
        # shocks are lognormal with mean 1. (Before, shocks could only lower outcomes.)
        drought = rng.random(NC) < unc["drought_probability"]
        self.yield_city = eq.mean_one(drought, unc["drought_yield_loss"],
                                      unc["drought_probability"])
        self.drought = drought
        sd = unc["price_shock_sd"]
        self.price = np.exp(rng.normal(-0.5 * sd * sd, sd, NK))
        self.other.draw_price(self.seed, year, sd)  # its own stream: no draw above moves
        livestock = np.array([c.livestock for c in plan.CLUSTERS])
        outbreak = (rng.random(NK) < unc["disease_probability"]) & livestock
        self.disease_keep = np.where(livestock, eq.mean_one(
            outbreak, unc["disease_output_loss"], unc["disease_probability"]), 1.0)
        self.cluster_yield = self.disease_keep.copy()
        # Farm-gate prices follow nominal agricultural output growth.
        self.farm_price = (1 + unc["agri_output_growth"]) ** (year - plan.BASE_YEAR)

    def _deliver_policy(self, year: int, year_index: int) -> dict:
        """Wages, transfers and the levers delivered this year; returns what costs money."""
        unc = self.uncertain
        self.accounts.grow(year - plan.BASE_YEAR, unc["off_farm_wage_growth"],
                           unc["transfer_income_growth"])
        self.subsidy = float(self.lever("producer_subsidy_yuan_per_mu", year_index))
        # Coverage not delivered stays at the 2020 level, not at zero.
        cov = min(1.0, self.lever_or_2020("land_service_coverage", year_index,
                                          self.const["land_service_coverage_2020"]))
        self.land.set_service_coverage(cov)
        # Cold storage is the platform operators' investment (Platform.build_cold_storage):
        # the lever is the subsidised programme on offer; delivery scales the subsidy that
        # arrives (its share of the construction cost), not the tonnes.
        programme = self.levers["cold_chain_new_capacity_wan_t"][..., year_index]
        rate = self.delivered_share(self.const["cold_chain_subsidy_share"])
        subsidised = platforms.build_cold_storage(self, programme, rate)
        cold_subsidy = subsidised * self.const["cold_chain_cost_yi_per_wan_t"] * rate
        # Coverage changes only when storage is commissioned (Q1) or platform volumes move
        # (Q4, after the year's last production), so it is computed once a year.
        self.coverage = platforms.cluster_coverage(self)
        places = self.training.train(self.farmers, self.accounts.wage, year,
                                     float(self.lever("training_places_wan", year_index)) * 1e4)
        self.land.build_farmland(float(self.lever("farmland_construction_wan_mu", year_index)))
        return {"coverage": cov, "cold_subsidy": cold_subsidy, "places": places}

    def end_year(self) -> None:
        """Last quarter: platforms trade, cooperatives settle, incomes, entry/exit, record."""
        year, year_index = self.year, self.year - plan.YEARS[0]
        platforms.trade_all(self)
        cooperatives.settle_all(self, year, float(self.lever("coop_grant_yi_yuan", year_index)))
        self.accounts.update_property_index(self.farmers, self.land.rent)
        self.income = self.incomes()
        self.poverty.update(self, year)
        entry.recognise_leaders(self)
        self.record.year(self, year)
        entry.entry_exit(self)
        otherfirms.entry_exit(self)
        if year in self.anchor_state:
            self.assimilated[year] = assimilate.anchor(self, year, self.anchor_state[year])

    def step(self) -> None:
        """Advance one quarter, following the schedule below.

        Q1: shocks drawn (drought by city, prices, disease), levers delivered (platform
        operators build the cold storage that pays, training, land-service coverage), land
        market cleared, firms' sales grow and they invest (on last year's raw-material
        costs), households choose coop / contract / job and firms ration contracts and jobs,
        the raw-material market clears for the year's harvest and production plans
        (``sim.model.rawmaterial``).
        Every quarter: capacity under construction arrives; firms produce.
        Q4: platforms trade; cooperatives settle and pay dividends (then fail or form);
        household incomes by source; the year's outcomes are recorded; firms enter and exit.
        """
        q = self.quarter_index % 4
        if q == 0:
            self.start_year()
        firms.produce(self)
        otherfirms.produce(self)
        if q == 3:
            self.end_year()
        self.quarter_index += 1

    def release(self) -> None:
        """Drop Mesa's class-level reference to the model, so that it can be freed.

        Mesa before 3.4 keeps every model in ``Agent._ids`` (mesa issue #3179, fixed by
        #3180), so a process running many replicates would keep them all alive. Past that
        the model, its agents and their references to it are one cycle for Python's
        collector (Mesa's wrapped ``step`` already ties the model to itself), freed whether
        or not each agent is removed first; removing them one by one (some 1,700 firm
        agents) cost 1-2% of a replicate and freed nothing sooner.
        """
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)

    def run(self) -> None:
        """Run 2021Q1-2025Q4."""
        for _ in range(len(plan.YEARS) * plan.QUARTERS_PER_YEAR):
            self.step()
