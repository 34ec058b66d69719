"""Trading platforms (plan Ch.5 §3): the Mesa agent, its flows, cold storage and money.

A platform trades what the clusters it serves send through it from its catchment: a share
of the processed output of the served clusters' firms, and a share of the raw-material
surplus (farm supply that processors in Shanxi do not buy) that passes through wholesale
trade. Its trade capacity limits what it can take in; cold storage covers the perishable
part of that intake, and coverage sets spoilage; fees on value traded and on cold storage
used are its income, part of which it reinvests in capacity when utilisation is high.
New cold storage is the operators' investment: they build the part of the subsidised
programme, and of the unmet need without subsidy, whose return beats their hurdle.
See ``docs/ODD.md`` (submodel "Platforms and cold chain").
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.model import equations as eq
from sim.model import plan
from sim.model.harvest import household_harvest

NC, NK, NP = len(plan.CITIES), len(plan.CLUSTERS), len(plan.PLATFORMS)
PERISHABLE = np.array([c.perishable for c in plan.CLUSTERS])

# Platforms whose section of the plan gives them a province-wide catchment beyond their
# own cities (Ch.5 §3): the meat platform "统领全省肉类进出口 ... 集聚全省", the TCM platform
# "集散全省、辐射周边", the dried-fruit platform "辐射带动山西省名优特色干果经济林产业 ...
# 集散华北". The fruit-export platform's section is about the Yuncheng-Linfen fruit region
# and the grain platform's target is Xinzhou's own minor grains, so those two draw on their
# own cities only.
PROVINCE_WIDE = ("meat_export", "tcm_trade", "dried_fruit_trade")


def catchment(reach_outside: float) -> np.ndarray:
    """Share of each (city, cluster) flow that goes to each platform: (platform, city, cluster).

    A platform's own cities send it all their flows of the clusters it serves; a city that
    hosts no platform serving a cluster sends ``reach_outside`` of that cluster's flows to
    the province-wide platforms serving it (split equally if several). Each (city, cluster)
    column sums to at most 1, so no flow is counted by two platforms.
    """
    w = np.zeros((NP, NC, NK))
    for ki, key in enumerate(plan.CLUSTER_KEYS):
        serving = [pi for pi, p in enumerate(plan.PLATFORMS) if key in p.clusters]
        wide = [pi for pi in serving if plan.PLATFORMS[pi].key in PROVINCE_WIDE]
        for ci, city in enumerate(plan.CITY_KEYS):
            home = [pi for pi in serving if city in plan.PLATFORMS[pi].cities]
            if home:
                w[home, ci, ki] = 1.0 / len(home)
            elif wide:
                w[wide, ci, ki] = reach_outside / len(wide)
    return w


class Platform(mesa.Agent):
    """A trading platform (Ch.5 §3): trade capacity, cold storage, fees and reinvestment.

    Args:
        model: The model.
        index: Platform index in ``sim.model.plan.PLATFORMS``.
        unit_value_yuan_per_t: Value per tonne traded at 2020 prices.
        perishable_share: Share of its flows that needs cold storage.
        flow_2020_wan_t: Flow sent to it in 2020 (its 2020 intake).
        capacity_wan_t: Trade (intake) capacity in 2020.
        cold_wan_t: Cold storage in 2020.
    """

    def __init__(self, model: mesa.Model, index: int, unit_value_yuan_per_t: float,
                 perishable_share: float, flow_2020_wan_t: float, capacity_wan_t: float,
                 cold_wan_t: float):
        super().__init__(model)
        self.index = index
        self.unit_value_yuan_per_t = unit_value_yuan_per_t
        self.perishable_share = perishable_share
        self.capacity_wan_t = capacity_wan_t
        self.cold_wan_t = cold_wan_t
        self.flow_wan_t = flow_2020_wan_t  # sent to it this year
        self.intake_wan_t = min(flow_2020_wan_t, capacity_wan_t)  # what it took in
        self.volume_2020_wan_t = self.intake_wan_t
        self.volume_wan_t = self.intake_wan_t  # traded (after spoilage)
        self.value_yi_yuan = self.volume_wan_t * unit_value_yuan_per_t / 1e4
        self.spoilage = 0.0
        self.keep = 1.0
        self.cold_used_wan_t = 0.0
        # money, 亿元: this year's fees, and running totals of fees, reinvestment, kept
        self.fees_yi_yuan = 0.0
        self.storage_fees_yi_yuan = 0.0
        self.reinvested_yi_yuan = 0.0
        self.fees_cum_yi = 0.0
        self.reinvested_cum_yi = 0.0
        self.kept_cum_yi = 0.0

    def storage_demand_wan_t(self, intake_wan_t: float, need_t_per_t: float) -> float:
        """Cold storage its perishable intake needs for full coverage."""
        return self.perishable_share * intake_wan_t * need_t_per_t

    def coverage(self, intake_wan_t: float, need_t_per_t: float) -> float:
        """Share of its perishable intake that cold storage covers (1 when none is perishable)."""
        demand = self.storage_demand_wan_t(intake_wan_t, need_t_per_t)
        return float(min(1.0, self.cold_wan_t / demand)) if demand > 0 else 1.0

    def cold_storage_revenue(self, need_t_per_t: float, c: dict) -> float:
        """Yearly revenue of one more tonne of storage (yuan/t at 2020 prices; 0 if idle).

        Storage earns only where perishable intake lacks it (idle storage earns nothing,
        as in ``trade``). Its users pay the storage fee only up to what it saves them: the
        value of the spoilage avoided on the perishable intake one more 万吨 would cover
        (``eq.spoilage`` at this year's and the raised coverage, on last year's intake).
        """
        need = need_t_per_t
        demand = self.storage_demand_wan_t(self.intake_wan_t, need)
        if demand <= self.cold_wan_t:
            return 0.0
        args = (c["spoilage_2020"], c["cold_coverage_2020"], c["spoilage_elasticity"])
        now = float(eq.spoilage(self.coverage(self.intake_wan_t, need), *args))
        after = float(eq.spoilage(min(1.0, (self.cold_wan_t + 1.0) / demand), *args))
        # 万吨 of perishable intake × yuan/t, per 万吨 of storage: yuan per t of storage
        saved = ((now - after) / (1.0 - c["spoilage_2020"]) * self.perishable_share
                 * self.intake_wan_t * self.unit_value_yuan_per_t)
        return float(min(c["cold_storage_fee_yuan_per_t"], saved))

    def build_cold_storage(self, programme_wan_t: float, subsidy_rate: float,
                           need_t_per_t: float, c: dict, hurdle_rate: float
                           ) -> tuple[float, float]:
        """The operators' decision: storage built this year, (subsidised, unsubsidised) 万吨.

        The operators (and the processors and cooperatives whose produce they store) weigh
        the return on their own money of one more tonne, ``eq.investment_return`` with the
        storage fee's operating margin, the construction cost per yuan of yearly revenue
        and the capital subsidy, against the firms' hurdle (``eq.required_return``, no
        interest subsidy: the plan's is modelled for processors' loans only), and build the
        share ``eq.invest_share`` of what they can: of the subsidised programme up to the
        storage their perishable intake lacks, and of the rest of that need, without
        subsidy, ``cold_storage_build_pace`` a year. Nothing is built where no perishable
        intake lacks storage.

        Args:
            programme_wan_t: Storage the subsidised programme offers this platform this year.
            subsidy_rate: Share of the construction cost the programme pays (as delivered).
            need_t_per_t: Storage per tonne of perishable intake for full coverage.
            c: The model's constants.
            hurdle_rate: Return the operators need on new capacity.
        """
        gap = self.storage_demand_wan_t(self.intake_wan_t, need_t_per_t) - self.cold_wan_t
        revenue = self.cold_storage_revenue(need_t_per_t, c)
        if gap <= 0 or revenue <= 0:
            return 0.0, 0.0
        capex_per_revenue = c["cold_chain_cost_yi_per_wan_t"] * 1e4 / revenue  # yuan/t ÷ yuan/t/yr
        required = eq.required_return(hurdle_rate, 0.0)

        def pays(rate: float) -> float:
            ret = eq.investment_return(c["cold_storage_margin"], capex_per_revenue, rate)
            return float(eq.invest_share(ret, required, c["investment_response"]))

        offered = min(max(programme_wan_t, 0.0), gap)
        subsidised = offered * pays(subsidy_rate)
        unsubsidised = c["cold_storage_build_pace"] * (gap - offered) * pays(0.0)
        return subsidised, unsubsidised

    def add_cold_storage(self, wan_t: float, need_t_per_t: float) -> None:
        """Commission new storage facilities (仓储保鲜冷链设施, Ch.5 §3) the operators built.

        The storage covers perishable intake, and each tonne of it handles
        ``1 / need_t_per_t`` tonnes of perishable produce a year, which adds to trade
        capacity in proportion to the perishable share of the platform's intake (the plan's
        build-out). At a platform without perishable flows the storage stays idle: it adds
        no capacity and earns no fees.
        """
        self.cold_wan_t += wan_t
        self.capacity_wan_t += wan_t / need_t_per_t * self.perishable_share

    def trade(self, flow_wan_t: float, price_index: float, need_t_per_t: float,
              c: dict) -> None:
        """One year of trade: intake, spoilage, volume, value, fees and reinvestment.

        Args:
            flow_wan_t: What the served clusters send it this year (at 2020 spoilage).
            price_index: Price index of what it trades (2020 = 1).
            need_t_per_t: Cold storage per tonne of perishable intake for full coverage.
            c: The model's constants (spoilage, fees, capex, hurdle).
        """
        need = need_t_per_t
        self.flow_wan_t = flow_wan_t
        self.intake_wan_t = min(flow_wan_t, self.capacity_wan_t)
        demand = self.storage_demand_wan_t(self.intake_wan_t, need)
        cov = self.coverage(self.intake_wan_t, need)
        # Spoilage only on the perishable part, and only here: the flows are measured at
        # 2020 spoilage, so the factor is relative to it.
        self.spoilage = float(eq.spoilage(cov, c["spoilage_2020"], c["cold_coverage_2020"],
                                          c["spoilage_elasticity"])) if demand > 0 else 0.0
        keep = (1.0 - self.spoilage) / (1.0 - c["spoilage_2020"]) if demand > 0 else 1.0
        self.keep = 1.0 - self.perishable_share + self.perishable_share * keep
        self.volume_wan_t = self.intake_wan_t * self.keep
        self.value_yi_yuan = self.volume_wan_t * self.unit_value_yuan_per_t * price_index / 1e4
        # Storage earns fees only where perishable intake uses it; idle storage earns nothing.
        self.cold_used_wan_t = min(self.cold_wan_t, demand)
        self.storage_fees_yi_yuan = (self.cold_used_wan_t * 1e4
                                     * c["cold_storage_fee_yuan_per_t"] * price_index / 1e8)
        self.fees_yi_yuan = c["platform_fee_rate"] * self.value_yi_yuan \
            + self.storage_fees_yi_yuan
        # Investment rule: when what it is sent reaches the utilisation hurdle, it reinvests
        # a share of the year's fees in trade capacity; otherwise it keeps them.
        utilisation = flow_wan_t / self.capacity_wan_t if self.capacity_wan_t > 0 else 1.0
        share = c["platform_reinvest_share"] if utilisation >= c["platform_invest_utilisation"] \
            else 0.0
        self.reinvested_yi_yuan = share * self.fees_yi_yuan
        self.capacity_wan_t += self.reinvested_yi_yuan * 1e8 / c["platform_capex_yuan_per_t"] / 1e4
        self.fees_cum_yi += self.fees_yi_yuan
        self.reinvested_cum_yi += self.reinvested_yi_yuan
        self.kept_cum_yi += self.fees_yi_yuan - self.reinvested_yi_yuan


# ---------------------------------------------------------------------- flows
def firm_output_ck(m, out_k: np.ndarray) -> np.ndarray:
    """Cluster output ``out_k`` (亿元) split across cities by where its firms produce."""
    ft = m.firms
    alive = ft.alive
    by_ck = np.zeros((NC, NK))
    np.add.at(by_ck, (ft.city[alive], ft.cluster[alive]), ft.output[alive])
    share = by_ck / np.maximum(by_ck.sum(axis=0, keepdims=True), 1e-12)
    return share * out_k[None, :]


def real_output(m) -> np.ndarray:
    """Output per cluster this year, at price shock 1 and 2020 spoilage (亿元).

    Firms' output carries the cluster price index and, for perishable clusters, the
    cold-chain spoilage factor (``firms.produce``); both are divided out here so that the
    platform applies price and spoilage once, to what it trades.
    """
    sp = eq.spoilage(m.coverage, m.const["spoilage_2020"], m.const["cold_coverage_2020"],
                     m.const["spoilage_elasticity"])
    keep = np.where(PERISHABLE, (1 - sp) / (1 - m.const["spoilage_2020"]), 1.0)
    return m.firms.output_q / (m.price * keep)


def raw_surplus_ck(m) -> np.ndarray:
    """Farm supply per (city, cluster) that processors in Shanxi do not buy (亿元, 2020 prices).

    The year's raw-material market (``sim.model.rawmaterial``) says what share of each
    cluster's harvest went to buyers other than its processors; every city of the cluster
    sells that share of its harvest off the farm as raw produce.
    """
    f = m.farmers
    has = f.cluster >= 0
    k = np.maximum(f.cluster, 0)
    value = household_harvest(m) * f.weight * has / 1e8
    # per (city, cluster): the same additions in the same (row) order as np.add.at makes
    supply = np.bincount(f.city * NK + k, value, minlength=NC * NK).reshape(NC, NK)
    raw = m.raw
    other = np.divide(raw.other, raw.harvest, out=np.zeros(NK), where=raw.harvest > 0)
    return supply * other[None, :]


def flows_wan_t(m, out_k: np.ndarray, reach: np.ndarray | None = None) -> np.ndarray:
    """What each platform is sent this year (万吨, at 2020 spoilage).

    Args:
        m: The model.
        out_k: Output per cluster at 2020 spoilage and price shock 1 (亿元).
        reach: The platforms' catchments (``catchment``; default the network's).
    """
    const = m.const
    reach = m.platforms.catchment if reach is None else reach
    share = np.asarray(const["platform_flow_share"])
    sent_ck = (firm_output_ck(m, out_k)
               + const["platform_wholesale_share"] * raw_surplus_ck(m)) * share[None, :]
    value_p = np.einsum("pck,ck->p", reach, sent_ck)  # 亿元, 2020 prices
    unit = np.asarray(const["platform_unit_value_yuan_per_t"])
    return value_p * 1e4 / unit


class PlatformNetwork(list):
    """The five :class:`Platform` agents (a list, in plan order) and their shared state.

    Attributes:
        catchment: (platform, city, cluster) share of each flow a platform reaches.
        cold_need_t_per_t: Storage a tonne of perishable intake needs for full coverage.
        cold_2020_wan_t: The platforms' cold storage in 2020 (万吨).
        cold_new_wan_t: Cold storage built since 2021 (万吨).
    """

    def __init__(self, agents, catchment: np.ndarray, cold_need_t_per_t: float):
        super().__init__(agents)
        self.catchment = catchment
        self.cold_need_t_per_t = cold_need_t_per_t
        self.cold_2020_wan_t = sum(p.cold_wan_t for p in self)
        self.cold_new_wan_t = 0.0


def init_platforms(m) -> PlatformNetwork:
    """The five platforms in 2020, from the flows of the 2020 state (after calibration).

    The plan gives no 2020 platform volume or capacity (Ch.1 §1 says only that the five
    platforms "初见成效"), so the 2020 intake is what the served clusters send in the 2020
    state; capacity has ``platform_capacity_headroom`` over it. The 2020 cold storage
    (``cold_chain_2020_wan_t``) is split by perishable intake and covers
    ``cold_coverage_2020`` of it (the coverage firms start from), which sets the storage a
    tonne of perishable intake needs for full coverage (``cold_need_t_per_t``): the
    storage serves the catchments' perishable produce, of which the intake is a part.
    """
    const = m.const
    reach = catchment(const["platform_reach_outside"])
    flows = flows_wan_t(m, m.firms.base_output, reach)
    ps = np.asarray(const["platform_perishable_share"], float)
    perishable = ps * flows
    total = m.uncertain["cold_chain_2020_wan_t"]
    need = total / max(const["cold_coverage_2020"] * perishable.sum(), 1e-12)
    agents = []
    for i, _ in enumerate(plan.PLATFORMS):
        cold = total * perishable[i] / perishable.sum() if perishable.sum() > 0 else 0.0
        agents.append(Platform(m, i, float(const["platform_unit_value_yuan_per_t"][i]),
                               float(ps[i]), flows[i],
                               flows[i] * const["platform_capacity_headroom"], cold))
    return PlatformNetwork(agents, reach, need)


def build_cold_storage(m, programme: np.ndarray, rate: float) -> float:
    """Q1: each platform's operator builds the storage that pays; returns the subsidised 万吨.

    ``programme``: the subsidised storage on offer per platform (万吨); ``rate``: the share
    of the construction cost the subsidy pays, as delivered (Platform.build_cold_storage).
    """
    net, subsidised = m.platforms, 0.0
    for p, offered in zip(net, programme, strict=True):
        sub, unsub = p.build_cold_storage(float(offered), rate, net.cold_need_t_per_t,
                                          m.const, m.uncertain["hurdle_rate"])
        p.add_cold_storage(sub + unsub, net.cold_need_t_per_t)
        net.cold_new_wan_t += sub + unsub
        subsidised += sub
    return subsidised


def cluster_coverage(m) -> np.ndarray:
    """Cold-chain coverage each cluster sees: its platforms' coverage, by perishable flow.

    A cluster no platform carries perishable flows for keeps the 2020 coverage.
    """
    need = m.platforms.cold_need_t_per_t
    cov = np.full(NK, m.const["cold_coverage_2020"])
    weight = m.platforms.catchment.sum(axis=1)  # (platform, cluster)
    for ki in range(NK):
        w = np.array([weight[p.index, ki] * p.perishable_share * p.intake_wan_t
                      for p in m.platforms])
        if w.sum() > 0:
            cov[ki] = float(np.dot(w, [p.coverage(p.intake_wan_t, need) for p in m.platforms])
                            / w.sum())
    return cov


def trade_all(m) -> None:
    """Q4: each platform trades what the served clusters send it this year."""
    flows = flows_wan_t(m, real_output(m))
    for p in m.platforms:
        served = [plan.CLUSTER_KEYS.index(k) for k in plan.PLATFORMS[p.index].clusters]
        p.trade(float(flows[p.index]), float(np.mean(m.price[served])),
                m.platforms.cold_need_t_per_t, m.const)


def linked_farmers(m) -> tuple[np.ndarray, np.ndarray]:
    """Persons selling through each platform and their linkage income (yuan), per platform.

    A supplier household of a served cluster that farms land sells through the platform
    with the share of its cluster's flows in its city that the platform takes (catchment ×
    flow share × the share of what it is sent that its capacity takes in); its labourers
    count as linked farmers in that proportion, and its linkage income (contract premium and
    subsidy, dividends, and the processing-job premium by the served clusters' share of its
    city's jobs: the cluster measure's parts) in the same proportion. Households that rent
    all their land out sell nothing.
    """
    f, inc = m.farmers, m.income
    has = (f.cluster >= 0) & (f.land_operated > 0)
    # sums per (city, cluster) slot first, then per platform: the platform terms depend on
    # the household only through its slot
    slot = m.household_slot
    n_slots = NC * (NK + 1)
    w = f.weight * has
    lab = np.bincount(slot, w * f.labourers, minlength=n_slots).reshape(NC, NK + 1)[:, 1:]
    link = np.bincount(slot, w * (inc["link_contract"] + inc["link_dividend"]),
                       minlength=n_slots).reshape(NC, NK + 1)[:, 1:]
    job = np.bincount(slot, w * inc["link_job"], minlength=n_slots).reshape(NC, NK + 1)[:, 1:]
    share = np.asarray(m.const["platform_flow_share"], float)[None, :]
    persons = np.zeros(NP)
    income = np.zeros(NP)
    for p in m.platforms:
        taken = p.intake_wan_t / p.flow_wan_t if p.flow_wan_t > 0 else 0.0
        a = m.platforms.catchment[p.index] * share * taken  # (city, cluster)
        # a processing job counts by the served clusters' share of the city's jobs
        served = [plan.CLUSTER_KEYS.index(key) for key in plan.PLATFORMS[p.index].clusters]
        job_share = m.links.job_share_ck[:, served].sum(axis=1)[:, None]
        persons[p.index] = float(np.sum(a * lab))
        income[p.index] = float(np.sum(a * (link + job * job_share)))
    return persons, income
