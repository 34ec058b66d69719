"""The yearly recorder: each outcome's computation, declared with the metrics it reports.

The metrics themselves (names, units, labels) are declared in :mod:`sim.model.outcomes`.
Here each :class:`Reporter` pairs a function with the metrics it writes into the year's row
(as a Mesa ``DataCollector`` reporter or an EMA ``ScalarOutcome(function=...)`` does);
:class:`YearRecorder` runs them in order at the end of every year (``ClusterModel.end_year``)
and once for the 2020 state. Together they report every declared metric exactly once
(checked when this module is imported).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.model import national, plan
from sim.model.outcomes import FISCAL_LABELS, LINKAGE_KEYS, METRIC_BY_NAME
from sim.model.platforms import linked_farmers
from sim.model.province import agri_output_trend

INCOME_SOURCES = ("wage", "operating", "property", "transfer")


@dataclass
class Year:
    """What the reporters of one year share: the year and the 2020 row."""

    year: int
    base: dict[str, float]  # the 2020 row (the row itself while 2020 is recorded)


@dataclass(frozen=True)
class Reporter:
    """A function that writes ``metrics`` (in this order) into the year's row."""

    metrics: tuple[str, ...]
    function: Callable[[dict, object, Year], None]


class YearRecorder:
    """Collects each year's outcomes from the model (a Mesa-style data collector)."""

    def __init__(self):
        self.rows: dict[int, dict[str, float]] = {}

    def year(self, m, year: int) -> None:
        """Record the model's outcomes for ``year``."""
        r: dict[str, float] = {}
        ctx = Year(year, self.rows.get(plan.BASE_YEAR, r))
        for rep in REPORTERS:
            rep.function(r, m, ctx)
        self.rows[year] = {k: float(v) for k, v in r.items()}


def _output(r: dict, m, ctx: Year) -> None:
    """Cluster output in the year (2020: the calibrated base) and the largest firms'."""
    base = ctx.year == plan.BASE_YEAR
    out = m.firms.base_output.copy() if base else m.firms.output_q.copy()
    for i, c in enumerate(plan.CLUSTERS):
        r[f"output_{c.key}"] = float(out[i])
    r["output_total"] = float(out.sum())
    top = (m.firms.output[m.firms.top_firm] if base else m.firms.top_output_q)
    for i, c in enumerate(plan.CLUSTERS):
        r[f"top_firm_revenue_{c.key}"] = float(top[i])


def _linked(m) -> dict:
    """Persons linked to each (city, cluster) and their linkage income."""
    f, inc, w = m.farmers, m.income, m.farmers.weight
    nk, nc = len(plan.CLUSTERS), len(plan.CITIES)
    city = f.city
    share = m.links.job_share_ck  # (city, cluster): a city's processing jobs by cluster
    link_income = inc["link_contract"] + inc["link_dividend"]
    # Households linked by contract, by (city, cluster); job labour by city, and the
    # job labour of contract households by (city, cluster) so nobody counts twice.
    con = f.contract & (f.cluster >= 0)
    ck = city * nk + np.maximum(f.cluster, 0)
    con_persons = np.bincount(ck, w * f.labourers * con, minlength=nc * nk).reshape(nc, nk)
    con_income = np.bincount(ck, w * link_income * con, minlength=nc * nk).reshape(nc, nk)
    con_jobs = np.bincount(ck, w * f.job * con, minlength=nc * nk).reshape(nc, nk)
    jobs_c = m.city_sums(w * f.job)  # np.bincount(city, ...), bit for bit
    job_income_c = m.city_sums(w * inc["link_job"])
    return {"share": share, "con_persons": con_persons, "con_income": con_income,
            "con_jobs": con_jobs, "jobs_c": jobs_c, "job_income_c": job_income_c}


def _cluster_links(r: dict, m, ctx: Year) -> None:
    """Farmers linked to each cluster and their linkage income per person."""
    x = _linked(m)
    # persons linked to cluster k in city c: contract labour + k's share of the city's
    # job labour held by households not contracted to k
    persons_ck = x["con_persons"] + x["share"] * (x["jobs_c"][:, None] - x["con_jobs"])
    income_ck = x["con_income"] + x["share"] * x["job_income_c"][:, None]
    for i, c in enumerate(plan.CLUSTERS):
        p_k = persons_ck[:, i].sum()
        r[f"farmers_{c.key}"] = p_k / 1e4
        r[f"linkage_income_{c.key}"] = income_ck[:, i].sum() / max(p_k, 1.0)


def _income_gains(r: dict, m, ctx: Year) -> None:
    """Income gain per linked farmer: linkage income per linked farmer minus its 2020 level.

    The plan's "带动农民N万人左右，人均增收M元" (Ch.5 §3, Ch.6) is the increase in a linked
    farmer's yearly income by 2025, not the level of what linkage pays (docs/targets.md). The
    2020 row is the base (``base`` is this row itself when recording 2020, so the gain is 0).
    Nominal 元/person/yr, like the plan's figures.
    """
    base = ctx.base
    for key in LINKAGE_KEYS:
        r[f"income_gain_{key}"] = r[f"linkage_income_{key}"] - base[f"linkage_income_{key}"]


def _firms(r: dict, m, ctx: Year) -> None:
    """Firms by size tier, leading firms, investment and the fiscal cost so far."""
    ft = m.firms
    alive = ft.alive
    for i, c in enumerate(plan.CLUSTERS):
        o = ft.output[alive & (ft.cluster == i)]
        for tier in c.tiers:
            r[f"firms_{c.key}_{tier.tier}"] = float(np.sum(o >= tier.min_output_yi_yuan))
    for name, _, v in plan.PROVINCE_FIRM_TARGETS:
        r[name] = float(np.sum(ft.output[alive] >= v))
    r["firms_alive"] = float(alive.sum())
    r["leading_firms"] = float((alive & ft.leading).sum())
    r["investment_cum"] = m.firms.cum_investment_yi
    for item, v in m.fiscal.totals.items():
        r[f"fiscal_{item}_yi"] = v
    r["fiscal_cost_yi"] = m.fiscal.total()


def _platforms(r: dict, m, ctx: Year) -> None:
    """Platform volumes, values, farmers linked and cold storage."""
    # farmers linked: households of served clusters in the catchment, by the share of
    # their flows the platform takes (sim.model.platforms.linked_farmers, docs/ODD.md)
    persons, income = linked_farmers(m)
    vol_total = 0.0
    for p, spec in zip(m.platforms, plan.PLATFORMS, strict=True):
        r[f"volume_{spec.key}"] = p.volume_wan_t
        vol_total += p.volume_wan_t
        if spec.target_value_yi_yuan:
            r[f"value_{spec.key}"] = p.value_yi_yuan
        r[f"farmers_{spec.key}"] = persons[p.index] / 1e4
        r[f"linkage_income_{spec.key}"] = income[p.index] / max(persons[p.index], 1.0)
    r["volume_platforms"] = vol_total
    r["cold_chain_total"] = float(sum(p.cold_wan_t for p in m.platforms))
    r["cold_chain_new"] = m.platforms.cold_new_wan_t


def _province(r: dict, m, ctx: Year) -> None:
    """Province reduced-form submodels (docs/ODD.md §3.3, "Province submodels")."""
    year = ctx.year
    w, u = m.farmers.weight, m.uncertain
    n = year - plan.BASE_YEAR
    hh = m.city_sums(w)  # households per city
    # the share of households in drought, against its expectation (mean-preserving, as
    # the yields in the model): 2020 is the average year
    dshare = (u["drought_probability"] if year == plan.BASE_YEAR
              else float(np.sum(hh * m.drought) / hh.sum()))
    dfac = (1.0 - u["drought_yield_loss"] * dshare) \
        / (1.0 - u["drought_yield_loss"] * u["drought_probability"])
    # (levels × their scale: 1 until a cut-off year re-anchors them on its data)
    # the ten clusters' firms and the firms outside them (sim.model.otherfirms)
    other = m.other.output_2020 if year == plan.BASE_YEAR else m.other.output_q
    r["processing_output"] = r["output_total"] + other
    agri = agri_output_trend(m, year) * dfac
    r["agri_output"] = agri
    r["processing_ratio"] = r["processing_output"] / agri
    r["primary_va"] = m.const["primary_va_2020_yi"] * (1 + u["primary_va_growth"]) ** n * dfac
    r["grain"] = plan.PROVINCE.grain_2020_wan_t * (1 + u["grain_trend"]) ** n * dfac
    r["trained_wan"] = m.training.trained_wan
    r["certified_share"] = u["training_certified_share"] if m.training.trained_wan > 0 else 0.0
    r["farmland_hs"] = m.land.farmland_wan_mu
    fruit = m.platforms[plan.PLATFORM_KEYS.index("fruit_export")]
    r["precooling_rate"] = plan.PROVINCE.precooling_2020 * (
        r["cold_chain_total"] / m.platforms.cold_2020_wan_t) / (fruit.volume_wan_t
                                                      / fruit.volume_2020_wan_t)


def _incomes_and_land(r: dict, m, ctx: Year) -> None:
    """Rural income by source against the national level, land transfers, links."""
    year = ctx.year
    f, w, u, inc = m.farmers, m.farmers.weight, m.uncertain, m.income
    n = year - plan.BASE_YEAR
    hh = m.city_sums(w)  # households per city
    persons_all = np.sum(w * f.persons)
    total_inc = sum(inc[s] for s in ("wage", "operating", "property", "transfer"))
    r["rural_income"] = float(np.sum(w * total_inc) / persons_all)
    for s in ("wage", "operating", "property", "transfer"):
        r[f"rural_income_{s}"] = float(np.sum(w * inc[s]) / persons_all)
    # observed up to the scenario's data_until, the sampled growth after (sim.model.national)
    g_nat, covid = u["national_rural_income_growth"], u["covid_2020_shortfall"]
    nat = national.rural_income(m.national_levels, g_nat, year, covid)
    r["national_rural_income"] = nat
    r["rural_income_ratio"] = r["rural_income"] / nat
    g_sx = (r["rural_income"] / plan.PROVINCE.rural_income_2020_yuan) ** (1 / max(n, 1)) - 1
    r["rural_income_growth_gap"] = (
        g_sx - national.rural_income_growth(m.national_levels, g_nat, year, covid)) if n else 0.0
    own = np.sum(w * f.land_own)
    coop_land = sum(c.land_mu for c in m.coops)
    r["land_transferred_share"] = float((np.sum(w * f.land_out)) / own)
    r["land_conservation_error"] = float(
        (np.sum(w * f.land_operated) + coop_land - own) / own)
    r["rent_yuan_per_mu"] = float(np.sum(hh * m.land.rent) / hh.sum())
    r["coops"] = float(len(m.coops))
    r["coop_member_share"] = float(np.sum(w * (f.coop >= 0)) / np.sum(w))
    r["contract_share"] = float(np.sum(w * f.contract) / np.sum(w))


def _raw_material(r: dict, m, ctx: Year) -> None:
    """Farm-gate prices and sourcing of the year's raw-material market."""
    raw = m.raw
    for i, c in enumerate(plan.CLUSTERS):
        r[f"farm_price_{c.key}"] = float(raw.reference * raw.x[i])
    bought = float(raw.bought.sum())
    r["raw_outside_share"] = float(raw.outside.sum()) / bought if bought > 0 else 0.0
    need = float(raw.need.sum())
    r["raw_shortfall_share"] = float(np.sum(raw.need * (1 - raw.output_share))) / need \
        if need > 0 else 0.0


def _poverty(r: dict, m, ctx: Year) -> None:
    """The formerly poor counties' outcomes (``sim.model.poverty.Poverty.record``)."""
    m.poverty.record(r, m, ctx.year)


def _names(*groups) -> tuple[str, ...]:
    return tuple(n for g in groups for n in g)


K, P = plan.CLUSTER_KEYS, plan.PLATFORMS
REPORTERS: tuple[Reporter, ...] = (
    Reporter(_names([f"output_{k}" for k in K], ["output_total"],
                    [f"top_firm_revenue_{k}" for k in K]), _output),
    Reporter(_names(*([f"farmers_{k}", f"linkage_income_{k}"] for k in K)), _cluster_links),
    Reporter(_names([f"firms_{c.key}_{t.tier}" for c in plan.CLUSTERS for t in c.tiers],
                    [name for name, _, _ in plan.PROVINCE_FIRM_TARGETS],
                    ["firms_alive", "leading_firms", "investment_cum"],
                    [f"fiscal_{item}_yi" for item, _, _ in FISCAL_LABELS],
                    ["fiscal_cost_yi"]), _firms),
    Reporter(_names(*([f"volume_{p.key}"] + ([f"value_{p.key}"] if p.target_value_yi_yuan
                                              else [])
                      + [f"farmers_{p.key}", f"linkage_income_{p.key}"] for p in P),
                    ["volume_platforms", "cold_chain_total", "cold_chain_new"]), _platforms),
    Reporter(("processing_output", "agri_output", "processing_ratio", "primary_va", "grain",
              "trained_wan", "certified_share", "farmland_hs", "precooling_rate"), _province),
    Reporter(_names(["rural_income"], [f"rural_income_{s}" for s in INCOME_SOURCES],
                    ["national_rural_income", "rural_income_ratio", "rural_income_growth_gap",
                     "land_transferred_share", "land_conservation_error", "rent_yuan_per_mu",
                     "coops", "coop_member_share", "contract_share"]), _incomes_and_land),
    Reporter(tuple(f"income_gain_{key}" for key in LINKAGE_KEYS), _income_gains),
    Reporter(_names([f"farm_price_{k}" for k in K],
                    ["raw_outside_share", "raw_shortfall_share"]), _raw_material),
    Reporter(_names(["poor_area_income"], [f"poor_area_income_{s}" for s in INCOME_SOURCES],
                    ["poor_area_income_growth_gap", "poverty_return_share",
                     "poverty_consolidated_share", "formerly_poor_household_share",
                     "poor_offfarm_employment", "poor_labour_transferred_wan",
                     "poor_labour_transferred_min_wan", "pv_income_yi"]), _poverty),
)


def _check_reporters() -> None:
    """Every declared metric is reported by exactly one reporter, and nothing else is."""
    reported = [n for rep in REPORTERS for n in rep.metrics]
    twice = sorted({n for n in reported if reported.count(n) > 1})
    missing = sorted(set(METRIC_BY_NAME) - set(reported))
    undeclared = sorted(set(reported) - set(METRIC_BY_NAME))
    if twice or missing or undeclared:
        raise RuntimeError(f"sim.model.recorder: metrics reported twice {twice}, declared in "
                           f"sim.model.outcomes but not reported {missing}, reported but not "
                           f"declared {undeclared}")


_check_reporters()
