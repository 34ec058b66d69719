"""The cluster model: wiring, initialisation (the 2020 calibration) and the schedule.

One replicate runs 2021Q1-2025Q4 in quarterly steps. The schedule is written out in
:meth:`ClusterModel.step`; annual decisions (land, links, investment, entry and exit) fall
in the first or last quarter of each year. See ``docs/ODD.md`` for the full description.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.model import equations as eq
from sim.model import land, plan
from sim.model.agents import Cooperative, Firm, FirmTable, Platform
from sim.model.farmers import Env, FarmerPopulation, ReferenceFarmers
from sim.model.outcomes import FISCAL_LABELS, YearRecorder
from sim.model.rng import stream

NC, NK, NP = len(plan.CITIES), len(plan.CLUSTERS), len(plan.PLATFORMS)
LAND_SERVICE_COVERAGE_2020 = 0.3  # share of villages served in 2020 (assumption, docs/ODD.md)
FISCAL_ITEMS = tuple(item for item, _, _ in FISCAL_LABELS)
U_MAX = 0.95  # highest sustainable capacity utilisation (assumption, docs/ODD.md)
OUTSIDE_SOURCING_PENALTY = 0.10  # extra cost of raw material bought outside Shanxi


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
    """

    def __init__(self, levers: dict[str, np.ndarray], constants: dict[str, np.ndarray],
                 uncertainties: dict, seed: int, households_per_agent: int,
                 reference_farmers: bool = False):
        super().__init__(rng=int(seed) % (2**63))
        self.seed = int(seed)
        self.u = uncertainties
        self.lev = levers
        self.k = {k: (float(v) if np.ndim(v) == 0 else v) for k, v in constants.items()}
        self.hpa = int(households_per_agent)
        self.reference = reference_farmers
        self.quarter_index = 0
        self._coop_ids = 0
        self.cc_w = city_cluster_weights()
        self.lag = int(self.u["construction_lag_quarters"])
        self.firms = FirmTable(lag_max=int(max(self.lag, 8)))
        self.record = YearRecorder()
        self.cum_investment_yi = 0.0
        self.fiscal = dict.fromkeys(FISCAL_ITEMS, 0.0)  # 亿元, cumulative 2021-2025
        self.cold_new_wan_t = 0.0
        self.trained_wan = 0.0
        self.farmland_wan_mu = plan.PROVINCE.farmland_hs_2020_wan_mu
        self._init_households()
        self._init_firms()
        self._init_platforms()
        self._calibrate_2020()
        self.record.year(self, plan.BASE_YEAR)

    # ------------------------------------------------------------------ helpers
    def next_coop_id(self) -> int:
        """A fresh cooperative id."""
        self._coop_ids += 1
        return self._coop_ids - 1

    @property
    def year(self) -> int:
        """Calendar year of the current step."""
        return plan.YEARS[0] + self.quarter_index // 4

    def lever(self, name: str, year_idx: int) -> np.ndarray:
        """A lever's delivered value in a year (scaled by the delivery uncertainty)."""
        arr = self.lev[name]
        return arr[..., year_idx] * self.u["policy_delivery"]

    # ------------------------------------------------------------------ init
    def _init_households(self) -> None:
        rng = stream(self.seed, "init:households")
        k = self.k
        rural = np.array([c.population_wan_2020 * (1 - c.urbanisation_2020) * 1e4
                          for c in plan.CITIES])
        hh_city = rural / k["persons_per_household"]
        self.total_households = hh_city.sum()
        n_city = np.maximum(np.round(hh_city / self.hpa).astype(int), 1)
        city = np.repeat(np.arange(NC, dtype=np.int16), n_city)
        weight = (hh_city / n_city)[city]
        n = len(city)
        land = k["land_mu_per_household"] * rng.lognormal(-0.18, 0.6, n)
        land *= k["land_mu_per_household"] * weight.sum() / np.sum(land * weight)
        sd = k["productivity_sd"]
        prod = rng.lognormal(-0.5 * sd * sd, sd, n)
        # Potential supplier households per cluster and city: a share of all households,
        # split across clusters by the plan's farmer targets and across cities by the
        # core (2) / sub-core (1) layout weighted by rural households.
        farmers = np.array([c.farmers_target_wan for c in plan.CLUSTERS])
        suppliers_k = k["supplier_share"] * self.total_households * farmers / farmers.sum()
        share_ck = self.cc_w * hh_city[:, None]
        share_ck = share_ck / share_ck.sum(axis=0, keepdims=True)
        p_ck = suppliers_k[None, :] * share_ck / hh_city[:, None]
        p_ck = p_ck / np.maximum(p_ck.sum(axis=1, keepdims=True), 1.0)
        cum = np.cumsum(p_ck, axis=1)[city]
        draw = rng.random(n)
        cl = (draw[:, None] >= cum).sum(axis=1)
        cl = np.where(cl >= NK, -1, cl).astype(np.int16)
        cols = dict(city=city, cluster=cl, weight=weight,
                    persons=np.full(n, k["persons_per_household"]),
                    labourers=np.full(n, k["labourers_per_household"]), land_own=land,
                    productivity=prod, skill=np.zeros(n), coop=np.full(n, -1, np.int32),
                    contract=np.zeros(n, bool), job=np.zeros(n), land_out=np.zeros(n),
                    land_in=np.zeros(n))
        self.farmers = (ReferenceFarmers(self, **cols) if self.reference
                        else FarmerPopulation(**cols))
        self.n_households = n
        self.dividend = np.zeros(n)
        # Farm economics at 2020 prices: net return per mu at mean productivity matches the
        # land-based part of operating income.
        inc = plan.PROVINCE.rural_income_2020_yuan * k["persons_per_household"]
        net0 = k["land_share_of_operating"] * k["income_share_operating"] * inc \
            / k["land_mu_per_household"]
        self.revenue0 = net0 / (1.0 - k["farm_cost_share"])
        self.cost0 = k["farm_cost_share"] * self.revenue0
        farm_labour = np.minimum(land / k["max_mu_per_labourer"], cols["labourers"])
        off = np.sum(weight * (cols["labourers"] - farm_labour))
        self.wage0 = k["income_share_wage"] * inc * weight.sum() / off

    def _init_firms(self) -> None:
        rng = stream(self.seed, "init:firms")
        k = self.k
        base = np.array([c.implied_output_2020_yi_yuan for c in plan.CLUSTERS])
        w = np.sqrt(base)
        n_lead = np.maximum(np.round(plan.PROVINCE.leading_firms_2020 * w / w.sum()), 1)
        n_lead[np.argmax(n_lead)] += plan.PROVINCE.leading_firms_2020 - n_lead.sum()
        self.n_leading_2020 = int(n_lead.sum())
        for ci, c in enumerate(plan.CLUSTERS):
            sme_target = next(t.count for t in c.tiers if t.tier == "sme")
            n_sme = int(round(k["sme_2020_fraction"] * sme_target))
            n = int(n_lead[ci]) + n_sme
            leader = k["leader_share_2020"][ci] * base[ci]
            rest = rng.lognormal(0.0, 1.0, n - 1)
            rest = np.sort(rest)[::-1] * (base[ci] - leader) / rest.sum()
            sizes = np.concatenate([[leader], rest])
            leading = np.arange(n) < n_lead[ci]
            cw = self.cc_w[:, ci] / self.cc_w[:, ci].sum()
            city = rng.choice(NC, size=n, p=cw)
            rows = self.firms.add(np.full(n, ci), city, sizes / k["utilisation_2020"], sizes,
                                  leading)
            for r in rows:
                Firm(self, int(r))
        self.base_output = base

    def _init_platforms(self) -> None:
        cold_share = self.lev["cold_chain_new_capacity_wan_t"].sum(axis=1)
        cold_share = cold_share / cold_share.sum() if cold_share.sum() > 0 else np.full(NP, 1 / NP)
        self.platforms: list[Platform] = []
        for i, p in enumerate(plan.PLATFORMS):
            v0 = self.u["platform_2020_fraction"] * p.target_volume_wan_t
            unit = ((p.target_value_yi_yuan * 1e4 / p.target_volume_wan_t)
                    if p.target_value_yi_yuan else 3000.0)
            self.platforms.append(Platform(
                self, i, v0, v0 * self.k["platform_capacity_headroom"],
                self.u["cold_chain_2020_wan_t"] * cold_share[i], unit,
                self.k["cold_coverage_2020"]))
        self.cold_2020_wan_t = sum(p.cold_wan_t for p in self.platforms)

    def _calibrate_2020(self) -> None:
        """Clear the 2020 land market, set 2020 links, and close the income accounts."""
        self.transfer_pp = self.other_op_pp = self.other_prop_pp = 0.0
        self.farm_price = 1.0
        self.transfer_growth = 1.0
        self.price = np.ones(NK)
        self.yield_city = np.ones(NC)
        self.cluster_yield = np.ones(NK)
        self.rent = np.zeros(NC)
        self.coops: list[Cooperative] = []
        for c in range(NC):
            for ki in range(NK):
                if self.cc_w[c, ki] >= 2:
                    self.coops.append(Cooperative(self, c, ki))
        self.wage = self.wage0
        self.tau = float(eq.transaction_cost(self.k["land_transaction_cost_yuan_per_mu"],
                                             LAND_SERVICE_COVERAGE_2020,
                                             self.u["land_service_cost_cut"]))
        self.subsidy = 0.0
        self._land_market(plan.BASE_YEAR)
        self._links(plan.BASE_YEAR, calibrate=True)
        self._local_supply(calibrate=True)
        self._settle_coops(plan.BASE_YEAR, grant_yi=0.0)
        inc = self._incomes()
        persons = np.sum(self.farmers.weight * self.farmers.persons)
        target = plan.PROVINCE.rural_income_2020_yuan
        k = self.k
        share_transfer = 1 - k["income_share_wage"] - k["income_share_operating"] \
            - k["income_share_property"]
        mean = {s: np.sum(self.farmers.weight * inc[s]) / persons for s in
                ("wage", "operating", "property", "transfer")}
        self.wage0 *= k["income_share_wage"] * target / mean["wage"]
        self.wage = self.wage0
        self.other_op_pp = k["income_share_operating"] * target - mean["operating"]
        self.other_prop_pp = k["income_share_property"] * target - mean["property"]
        self.transfer_pp = share_transfer * target - mean["transfer"]
        self.income = self._incomes()

    # ------------------------------------------------------------------ environment
    def _firm_wage(self) -> float:
        return self.wage * (1.0 + self.k["firm_wage_premium"])

    def env(self) -> Env:
        """What each household sees this year."""
        f = self.farmers
        cl = f.cluster
        has = cl >= 0
        price_h = np.where(has, self.price[np.maximum(cl, 0)], 1.0)
        yield_h = self.yield_city[f.city] * np.where(has, self.cluster_yield[np.maximum(cl, 0)],
                                                     1.0)
        coop_open = np.zeros((NC, NK), bool)
        div = np.zeros((NC, NK))
        for c in self.coops:
            coop_open[c.city, c.cluster] = True
            div[c.city, c.cluster] = max(div[c.city, c.cluster], c.dividend_per_member_yuan)
        ci = np.maximum(cl, 0)
        firm_city = np.zeros((NC, NK), bool)
        alive = self.firms.alive
        firm_city[self.firms.city[alive], self.firms.cluster[alive]] = True
        job_city = firm_city.any(axis=1)
        cost_idx = (1 + self.u["input_cost_inflation"]) ** max(self.year - plan.BASE_YEAR, 0)
        return Env(
            price_index=price_h * self.farm_price, yield_factor=yield_h, wage_yuan=self.wage,
            firm_wage_yuan=self._firm_wage(), revenue_yuan_per_mu=self.revenue0,
            cost_yuan_per_mu=self.cost0 * cost_idx,
            contract_premium=self.u["contract_premium"], subsidy_yuan_per_mu=self.subsidy,
            coop_cost_cut=self.k["coop_service_cost_cut"], transaction_cost=self.tau,
            rent_yuan_per_mu=self.rent[f.city], coop_open=has & coop_open[f.city, ci],
            contract_open=has & firm_city[f.city, ci], job_open=job_city[f.city],
            expected_dividend_yuan=np.where(has, div[f.city, ci], 0.0),
            skill_premium=self.k["skill_premium"],
            max_mu_per_labourer=self.k["max_mu_per_labourer"],
            sensitivity=self.u["adoption_sensitivity"],
            transfer_yuan_per_person=self.transfer_pp * self.transfer_growth,
            other_operating_yuan_per_person=self.other_op_pp * self.farm_price,
            other_property_yuan_per_person=self.other_prop_pp * self.wage / self.wage0)

    # ------------------------------------------------------------------ submodels
    def _land_market(self, year: int) -> None:
        """Households and cooperatives trade land-use rights, city by city."""
        f = self.farmers
        env = self.env()
        r, q_o, wtp, q_b = f.land_sides(env)
        rng = stream(self.seed, f"land:{year}")
        u_o, u_b = rng.random(f.n), rng.random(f.n)
        # Cooperatives bid for land to farm for their members (trusteeship, 托管).
        coop_city = np.array([c.city for c in self.coops], int)
        coop_q = np.array([c.members * 3.0 for c in self.coops])
        coop_wtp = np.full(len(self.coops), self._coop_land_net() - self.tau)
        rc = stream(self.seed, f"land:coops:{year}")
        uc_o, uc_b = np.ones(len(self.coops)), rc.random(len(self.coops))
        rent, out, inn = land.clear(
            np.concatenate([f.city, coop_city]), NC,
            np.concatenate([f.weight, np.ones(len(self.coops))]),
            np.concatenate([r, np.full(len(self.coops), land.RENT_MAX_YUAN * 10)]),
            np.concatenate([q_o, np.zeros(len(self.coops))]),
            np.concatenate([wtp, coop_wtp]), np.concatenate([q_b, coop_q]),
            self.u["adoption_sensitivity"], np.concatenate([u_o, uc_o]),
            np.concatenate([u_b, uc_b]))
        n = f.n
        f.apply_land(out[:n], inn[:n])
        for c, mu in zip(self.coops, inn[n:], strict=True):
            c.land_mu = float(mu)
        self.rent = rent

    def _coop_land_net(self) -> float:
        """Net return per mu a cooperative earns farming rented land (before rent)."""
        return (1.2 * self.revenue0 - self.cost0 * (1 - self.k["coop_service_cost_cut"])
                - self.wage / self.k["max_mu_per_labourer"])

    def _links(self, year: int, calibrate: bool = False) -> None:
        """Coop membership, firm contracts and processing jobs for the year."""
        f = self.farmers
        env = self.env()
        rng = stream(self.seed, f"links:{year}")
        u_coop, u_con, u_job = rng.random(f.n), rng.random(f.n), rng.random(f.n)
        prio = rng.random(f.n)
        join, apply_c, apply_j = f.link_choices(env, u_coop, u_con, u_job)
        # Cooperative membership: the coop of the household's city and cluster.
        table = np.full((NC, NK), -1)
        for c in self.coops:
            table[c.city, c.cluster] = c.coop_id
        cl = f.cluster
        ids = np.where(join & (cl >= 0), table[f.city, np.maximum(cl, 0)], -1)
        # Jobs: each city's processing firms hire local rural labour; skilled first.
        alive = self.firms.alive
        emp_ck = np.zeros((NC, NK))
        np.add.at(emp_ck, (self.firms.city[alive], self.firms.cluster[alive]),
                  self.firms.output[alive] * 1e4 / self.k["output_per_worker_wan_yuan"])
        slots = self.k["local_hire_share"] * emp_ck.sum(axis=1)
        self.job_share_ck = emp_ck / np.maximum(emp_ck.sum(axis=1, keepdims=True), 1e-9)
        job = _ration(f.city, NC, f.weight, apply_j.astype(float), slots,
                      -(f.skill + prio))
        # Contracts: firms contract a volume of local raw material; coop members first.
        supply = (f.productivity * self.revenue0 * f.land_operated)
        out_k = self._cluster_output()
        if calibrate:
            # Set the contracted volume so that linked farmers in 2020 are the assumed share
            # of each cluster's 2025 target (docs/ODD.md, initialisation).
            goal = self.u["linked_2020_fraction"] * np.array(
                [c.farmers_target_wan for c in plan.CLUSTERS]) * 1e4
            job_persons = np.array([np.sum(f.weight * job * self.job_share_ck[f.city, ki])
                                    for ki in range(NK)])
            need_persons = np.maximum(goal - job_persons, 0.0)
            contract = _ration(np.maximum(cl, 0), NK, f.weight * f.labourers,
                               apply_c.astype(float), need_persons,
                               -((ids >= 0) + prio)) > 0
            vol = np.bincount(np.maximum(cl, 0), f.weight * supply * contract, minlength=NK)
            self.contract_ratio = vol / np.maximum(out_k, 1e-9) / 1e8
        volume = self.contract_ratio * out_k * 1e8
        if not calibrate:
            keep = f.contract.astype(float)
            contract = _ration(np.maximum(cl, 0), NK, f.weight * supply,
                               apply_c.astype(float), volume,
                               -((ids >= 0) + keep + prio)) > 0
        contract &= cl >= 0
        f.set_links(ids, contract, job)

    def _cluster_output(self) -> np.ndarray:
        alive = self.firms.alive
        return np.bincount(self.firms.cluster[alive], self.firms.output[alive], minlength=NK)

    def _settle_coops(self, year: int, grant_yi: float) -> None:
        """Cooperatives close the year; dividends reach members; failures and formation."""
        f = self.farmers
        self.dividend = np.zeros(f.n)
        coop_ids = f.coop
        sales = f.productivity * self.revenue0 * f.land_operated * self.price[
            np.maximum(f.cluster, 0)]
        # Group member rows by cooperative once (argsort), not one mask per cooperative.
        members = np.flatnonzero(coop_ids >= 0)
        order = members[np.argsort(coop_ids[members], kind="stable")]
        ids_sorted = coop_ids[order]
        total_members = float(np.sum(f.weight[order]))
        fixed = self.k["coop_fixed_cost_wan_yuan"] * 1e4
        for c in list(self.coops):
            lo, hi = np.searchsorted(ids_sorted, [c.coop_id, c.coop_id + 1])
            rows = order[lo:hi]
            w = f.weight[rows]
            grant = grant_yi * 1e8 * (w.sum() / total_members if total_members else 0.0)
            self.dividend[rows] = c.settle(sales[rows], w, self._coop_land_net(),
                                           self.rent[c.city], fixed, grant,
                                           self.k["coop_margin"], self.k["coop_payout_share"])
            if c.loss_years >= 2 or (year > plan.BASE_YEAR and w.sum() == 0):
                self._dissolve(c)
        # Formation: in layout cities without a cooperative, new ones form; grants help.
        if year > plan.BASE_YEAR:
            rng = stream(self.seed, f"coop:formation:{year}")
            have = {(c.city, c.cluster) for c in self.coops}
            rate = 0.1 * (1.0 + grant_yi / 3.0)
            for city in range(NC):
                for ki in range(NK):
                    draw = rng.random()
                    if self.cc_w[city, ki] > 0 and (city, ki) not in have and draw < rate:
                        self.coops.append(Cooperative(self, city, ki))

    def _dissolve(self, c: Cooperative) -> None:
        f = self.farmers
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
        self.coops.remove(c)
        c.remove()

    def _incomes(self) -> dict[str, np.ndarray]:
        inc = self.farmers.incomes(self.env())
        inc["property"] = inc["property"] + self.dividend
        inc["link_dividend"] = self.dividend * self.farmers.contract
        return inc

    # ------------------------------------------------------------------ firms
    def _start_year_firms(self, yi: int) -> None:
        """Sales potential grows; firms decide on capacity investment."""
        ft = self.firms
        alive = ft.alive
        rng = stream(self.seed, f"firms:growth:{self.year}")
        eps = rng.normal(0.0, self.u["firm_growth_sd"], len(ft.cluster))
        cs = self.lever("capital_subsidy_rate", yi)
        isub = self.lever("interest_subsidy_pp", yi)
        brand = self.lever("brand_fund_yi_yuan", yi)
        cov_gain = self.coverage - self.k["cold_coverage_2020"]
        perish = np.array([c.perishable for c in plan.CLUSTERS], float)
        out_k = np.maximum(self._cluster_output(), 1e-6)
        cost_cut = cs * self.u["capital_output_ratio"] * self.k["interest_rate"]
        gain = eq.share_gain(self.u["shanxi_share_gain"], self.u["brand_effect"], brand, out_k,
                             self.u["cold_chain_effect"], perish * cov_gain,
                             self.u["subsidy_passthrough"], cost_cut)
        g = self.u["national_demand_growth"] + gain
        sd = self.u["firm_growth_sd"]
        ft.sales = np.where(alive, ft.sales * np.exp(g[ft.cluster] + eps - 0.5 * sd * sd), 0.0)
        # Investment: close part of the gap to the capacity needed for expected sales.
        horizon = self.lag / 4.0 + 1.0
        want = ft.sales * np.exp(g[ft.cluster] * horizon) / self.k["target_utilisation"]
        gap = np.maximum(want - ft.capacity - ft.pipeline.sum(axis=1), 0.0) * alive
        margin = self.effective_margin()
        ret = eq.investment_return(margin[ft.cluster], self.u["capital_output_ratio"],
                                   cs[ft.cluster])
        req = eq.required_return(self.u["hurdle_rate"], isub[ft.cluster])
        share = eq.invest_share(ret, req, self.k["investment_response"])
        add = gap * share
        capex = add * self.u["capital_output_ratio"]
        limit = self.k["credit_multiple"] * self.k["equity_ratio"] * ft.capacity
        scale = np.minimum(1.0, np.divide(limit, capex, out=np.ones_like(capex),
                                          where=capex > 0))
        add, capex = add * scale, capex * scale
        ft.pipeline[:, self.lag] += add
        ft.invested += capex
        self.cum_investment_yi += float(capex.sum())
        self._subsidy_cost(capex, ft.cluster, cs, isub)

    def _subsidy_cost(self, capex: np.ndarray, cluster: np.ndarray, cs: np.ndarray,
                      isub: np.ndarray) -> None:
        """Fiscal cost of capital and interest subsidies on new investment (亿元)."""
        self.fiscal["capital_subsidy"] += float(np.sum(capex * cs[cluster]))
        self.fiscal["interest_subsidy"] += float(np.sum(
            capex * self.k["loan_share_of_capex"] * isub[cluster] / 100.0
            * self.k["interest_subsidy_years"]))

    def effective_margin(self) -> np.ndarray:
        """Operating margin per cluster after the cost of sourcing outside Shanxi."""
        return self.k["operating_margin"] - self.k["raw_material_share"] \
            * self.outside_share * OUTSIDE_SOURCING_PENALTY

    def _local_supply(self, calibrate: bool = False) -> None:
        """How much of the local raw material firms want can Shanxi's farms supply."""
        f = self.farmers
        has = f.cluster >= 0
        value = (f.productivity * self.revenue0 * f.land_operated * self.yield_city[f.city]
                 * np.where(has, self.cluster_yield[np.maximum(f.cluster, 0)], 1.0))
        supply = np.bincount(np.maximum(f.cluster, 0), f.weight * value * has,
                             minlength=NK) / 1e8
        want = self.k["local_sourcing_share"] * self.k["raw_material_share"] \
            * self._cluster_output()
        ratio = supply / np.maximum(want, 1e-9)
        if calibrate:
            self.supply_ratio_2020 = ratio  # 2020: no drought, no disease
        # Shortfall relative to 2020 sourcing conditions is bought outside at a premium.
        base = self.supply_ratio_2020
        self.outside_share = np.clip(1.0 - ratio / np.maximum(base, 1e-9), 0.0, 1.0) \
            * self.k["local_sourcing_share"]

    def _produce(self) -> None:
        """Quarterly production of every firm; capacity under construction arrives."""
        ft = self.firms
        ft.capacity += ft.pipeline[:, 0]
        ft.pipeline[:, :-1] = ft.pipeline[:, 1:]
        ft.pipeline[:, -1] = 0.0
        sp = eq.spoilage(self.coverage, self.k["spoilage_2020"], self.k["cold_coverage_2020"],
                         self.k["spoilage_elasticity"])
        perish = np.array([c.perishable for c in plan.CLUSTERS])
        keep = np.where(perish, (1 - sp) / (1 - self.k["spoilage_2020"]), 1.0)
        factor = self.price * self.disease_keep * keep
        q = np.minimum(ft.sales, ft.capacity * U_MAX) * factor[ft.cluster]
        ft.output = np.where(ft.alive, q, 0.0)
        util = np.divide(q, ft.capacity, out=np.zeros_like(q), where=ft.capacity > 0)
        ft.low_util = np.where(util < 0.4, ft.low_util + 1, 0)
        self.output_q += np.bincount(ft.cluster, ft.output / 4.0, minlength=NK)

    def _entry_exit(self) -> None:
        """New firms enter where returns beat the hurdle; idle small firms exit."""
        ft = self.firms
        rng = stream(self.seed, f"firms:entry:{self.year}")
        yi = self.year - plan.YEARS[0]
        cs = self.lever("capital_subsidy_rate", yi)
        isub = self.lever("interest_subsidy_pp", yi)
        ret = eq.investment_return(self.effective_margin(), self.u["capital_output_ratio"], cs)
        req = eq.required_return(self.u["hurdle_rate"], isub)
        attract = eq.invest_share(ret, req, self.k["investment_response"]) * 2.0
        n_alive = np.bincount(ft.cluster[ft.alive], minlength=NK)
        lam = self.u["entry_rate"] * n_alive * attract
        n_new = rng.poisson(lam)
        for ki in range(NK):
            m = int(n_new[ki])
            if m == 0:
                continue
            size = rng.lognormal(np.log(0.5), 1.0, m)
            city = rng.choice(NC, size=m, p=self.cc_w[:, ki] / self.cc_w[:, ki].sum())
            rows = self.firms.add(np.full(m, ki), city, np.zeros(m), size, np.zeros(m, bool))
            capex = size / self.k["target_utilisation"] * self.u["capital_output_ratio"]
            ft.pipeline[rows, self.lag] += size / self.k["target_utilisation"]
            ft.invested[rows] += capex
            self.cum_investment_yi += float(capex.sum())
            self._subsidy_cost(capex, np.full(m, ki), cs, isub)
            for r in rows:
                Firm(self, int(r))
        exits = rng.random(len(ft.cluster))
        small = ft.capacity < 0.5
        gone = ft.alive & (((ft.low_util >= 4) & small & (exits < 0.5))
                           | ((ft.sales < 0.02) & (ft.capacity > 0)))
        for agent in list(self.agents_by_type[Firm]):
            if gone[agent.row]:
                agent.exit()

    # ------------------------------------------------------------------ cold chain
    def cluster_coverage(self) -> np.ndarray:
        """Cold-chain coverage seen by each cluster: mean over the platforms serving it."""
        cov = np.full(NK, self.k["cold_coverage_2020"])
        for ki, c in enumerate(plan.CLUSTERS):
            ps = [p for p in self.platforms if c.key in plan.PLATFORMS[p.index].clusters]
            if ps:
                cov[ki] = np.mean([p.coverage(p.volume_wan_t / p.volume_2020_wan_t)
                                   for p in ps])
        return cov

    # ------------------------------------------------------------------ schedule
    def start_year(self) -> None:
        """First quarter: shocks, policy, land market, links, firm growth and investment."""
        year, yi = self.year, self.year - plan.YEARS[0]
        u = self.u
        rng = stream(self.seed, f"shocks:{year}")
        drought = rng.random(NC) < u["drought_probability"]
        self.yield_city = np.where(drought, 1.0 - u["drought_yield_loss"], 1.0)
        self.drought = drought
        self.price = np.exp(rng.normal(0.0, u["price_shock_sd"], NK))
        outbreak = (rng.random(NK) < u["disease_probability"]) & np.array(
            [c.livestock for c in plan.CLUSTERS])
        self.disease_keep = np.where(outbreak, 1.0 - u["disease_output_loss"], 1.0)
        self.cluster_yield = self.disease_keep.copy()
        # Farm-gate prices follow nominal agricultural output growth.
        self.farm_price = (1 + u["agri_output_growth"]) ** (year - plan.BASE_YEAR)
        # Policy delivered this year.
        self.wage = self.wage0 * (1 + u["off_farm_wage_growth"]) ** (year - plan.BASE_YEAR)
        self.transfer_growth = (1 + u["transfer_income_growth"]) ** (year - plan.BASE_YEAR)
        self.subsidy = float(self.lever("producer_subsidy_yuan_per_mu", yi))
        # Coverage not delivered stays at the 2020 level, not at zero.
        d = u["policy_delivery"]
        cov = min(1.0, d * self.lev["land_service_coverage"][yi]
                  + (1 - d) * LAND_SERVICE_COVERAGE_2020)
        self.tau = float(eq.transaction_cost(self.k["land_transaction_cost_yuan_per_mu"], cov,
                                             u["land_service_cost_cut"]))
        new_cold = self.lever("cold_chain_new_capacity_wan_t", yi)
        for p, add in zip(self.platforms, new_cold, strict=True):
            p.add_cold_storage(float(add))
        self.cold_new_wan_t += float(new_cold.sum())
        # Coverage changes only when storage is commissioned (Q1) or platform volumes move
        # (Q4, after the year's last production), so it is computed once a year.
        self.coverage = self.cluster_coverage()
        places = float(self.lever("training_places_wan", yi)) * 1e4
        self._train(places)
        self.trained_wan += places / 1e4
        self.farmland_wan_mu += float(self.lever("farmland_construction_wan_mu", yi))
        self._land_market(year)
        self._local_supply()
        self._start_year_firms(yi)
        self._links(year)
        self.output_q = np.zeros(NK)
        f = self.farmers
        k = self.k
        self.fiscal["producer_subsidy"] += self.subsidy * float(
            np.sum(f.weight * f.land_operated * f.contract)) / 1e8
        self.fiscal["coop_grant"] += float(self.lever("coop_grant_yi_yuan", yi))
        self.fiscal["land_service"] += cov * k["land_service_cost_yi_per_year"]
        self.fiscal["cold_chain"] += float(new_cold.sum()) * k["cold_chain_cost_yi_per_wan_t"]
        self.fiscal["brand_fund"] += float(self.lever("brand_fund_yi_yuan", yi).sum())
        self.fiscal["training"] += places * k["training_cost_yuan_per_place"] / 1e8
        self.fiscal["farmland"] += float(self.lever("farmland_construction_wan_mu", yi)) \
            * 1e4 * k["farmland_cost_yuan_per_mu"] / 1e8

    def _train(self, places: float) -> None:
        """Training places raise the skilled share of labourers, least-skilled first."""
        f = self.farmers
        untrained = np.sum(f.weight * f.labourers * (1 - f.skill))
        if untrained <= 0:
            return
        frac = min(1.0, places / untrained)
        f.set_skill(f.skill + (1 - f.skill) * frac)

    def end_year(self) -> None:
        """Last quarter: platforms trade, cooperatives settle, incomes, entry/exit, record."""
        year, yi = self.year, self.year - plan.YEARS[0]
        out_idx = self.output_q / self.base_output
        for p in self.platforms:
            served = [plan.CLUSTER_KEYS.index(k) for k in plan.PLATFORMS[p.index].clusters]
            w = self.base_output[served]
            p.trade(float(np.sum(out_idx[served] * w) / w.sum()),
                    float(np.mean(self.price[served])), self.k["spoilage_2020"],
                    self.k["spoilage_elasticity"], self.k["platform_fee_rate"],
                    self.k["platform_capex_yuan_per_t"])
        self._settle_coops(year, float(self.lever("coop_grant_yi_yuan", yi)))
        self.income = self._incomes()
        self.record.year(self, year)
        self._entry_exit()

    def step(self) -> None:
        """Advance one quarter, following the schedule below.

        Q1: shocks drawn (drought by city, prices, disease), levers delivered (cold storage
        commissioned, training, land-service coverage), land market cleared, local
        raw-material supply assessed, firms' sales grow and they invest, households choose
        coop / contract / job and firms ration contracts and jobs.
        Every quarter: capacity under construction arrives; firms produce.
        Q4: platforms trade; cooperatives settle and pay dividends (then fail or form);
        household incomes by source; the year's outcomes are recorded; firms enter and exit.
        """
        q = self.quarter_index % 4
        if q == 0:
            self.start_year()
        self._produce()
        if q == 3:
            self.end_year()
        self.quarter_index += 1

    def release(self) -> None:
        """Drop the model's agents and Mesa's class-level reference to the model.

        Mesa before 3.4 keeps every model in ``Agent._ids`` (mesa issue #3179, fixed by
        #3180), so a process running many replicates would keep them all alive.
        """
        self.remove_all_agents()
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)

    def run(self) -> None:
        """Run 2021Q1-2025Q4."""
        for _ in range(len(plan.YEARS) * plan.QUARTERS_PER_YEAR):
            self.step()


def _ration(group: np.ndarray, n_groups: int, size: np.ndarray, applies: np.ndarray,
            capacity: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """Fill each group's capacity with applicants in priority order (lowest first).

    Returns each row's filled share in [0, 1]; the marginal row is filled in part so that
    ``sum(size × share)`` per group equals ``min(capacity, sum of applicants' size)``.
    """
    out = np.zeros(len(group))
    idx = np.flatnonzero((applies > 0) & (size > 0))
    if idx.size == 0:
        return out
    pr = priority[idx]
    # one sort on a combined key: group first, then priority (scaled into [0, 1))
    span = pr.max() - pr.min()
    key = group[idx] + (pr - pr.min()) / (span * (1 + 1e-9) if span > 0 else 1.0) * 0.999
    order = idx[np.argsort(key, kind="stable")]
    g = group[order]
    s = size[order] * applies[order]
    cum = np.cumsum(s)
    start = cum - s
    first = np.searchsorted(g, np.arange(n_groups))
    offset = np.where(first < len(cum), start[np.minimum(first, len(cum) - 1)], 0.0)
    before = start - offset[g]
    cap = np.asarray(capacity, float)[g]
    out[order] = np.clip((cap - before) / s, 0.0, 1.0)
    return out
