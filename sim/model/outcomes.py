"""Outcomes recorded each year and the plan's 2025 targets they are judged against."""

from __future__ import annotations

from dataclasses import dataclass

from sim.model import plan
from sim.model.national import NATIONAL_RURAL_INCOME_2020  # noqa: F401 - its old home


@dataclass(frozen=True)
class Target:
    """A 2025 target: ``metric`` in the 2025 outcomes must be ``>= threshold``."""

    name: str
    metric: str
    threshold: float
    unit: str
    section: str
    label_en: str
    label_zh: str
    group: str
    caveat: str = ""  # why the metric is a weak measure of the target (FLAG_WEAK), if it is


@dataclass(frozen=True)
class Metric:
    """An outcome the model records every year.

    The one declaration that targets, reporters, the EMA adapter, plots and the store's
    schema read.
    """

    name: str
    unit: str
    label_en: str
    label_zh: str
    description: str = ""
    since_base: bool = False  # a change or a total since 2020: zero in 2020 by definition
    lever: str = ""  # the 2020 value plus this lever's delivered total (× policy_delivery)
    input: str = ""  # repeats this sampled uncertainty, whatever the agents do


def _metrics() -> tuple[Metric, ...]:
    return tuple(_firm_metrics() + _province_metrics() + _poverty_metrics())


def _firm_metrics() -> list[Metric]:
    """Clusters, their firms, investment and the fiscal cost."""
    m: list[Metric] = []
    for c in plan.CLUSTERS:
        m.append(Metric(f"output_{c.key}", "亿元", f"{c.en}: output", f"{c.zh}产值",
                        "cluster output value in the year"))
    m.append(Metric("output_total", "亿元", "Ten clusters: total output", "十大集群总产值"))
    for c in plan.CLUSTERS:
        m.append(Metric(f"top_firm_revenue_{c.key}", "亿元", f"{c.en}: largest firm's output",
                        f"{c.zh}龙头企业营收",
                        "output value of the firm that was the cluster's largest in 2020 "
                        "(brewing: Shanxi Fenjiu, whose revenue the observed rows hold)"))
    for c in plan.CLUSTERS:
        m.append(Metric(f"farmers_{c.key}", "万人", f"{c.en}: farmers linked",
                        f"{c.zh}带动农民", "persons linked by contract or processing job"))
        m += _linkage_metrics(c.key, c.en, c.zh)
        for tier in c.tiers:
            m.append(Metric(f"firms_{c.key}_{tier.tier}", "firms",
                            f"{c.en}: firms ≥{tier.min_output_yi_yuan:g} 亿",
                            f"{c.zh}≥{tier.min_output_yi_yuan:g}亿企业数"))
    for name, _, v in plan.PROVINCE_FIRM_TARGETS:
        m.append(Metric(name, "firms", f"Province: firms ≥{v:g} 亿", f"全省≥{v:g}亿企业数"))
    m += [Metric("firms_alive", "firms", "Processing firms", "加工企业数"),
          Metric("leading_firms", "firms", "Leading firms (recognised)", "龙头企业数",
                 "firms holding provincial leading-firm status (sim.model.entry."
                 "recognise_leaders)"),
          Metric("investment_cum", "亿元", "Investment since 2021", "累计投资",
                 since_base=True)]
    for item, en, zh in FISCAL_LABELS:
        m.append(Metric(f"fiscal_{item}_yi", "亿元", f"Fiscal cost: {en}", f"财政支出：{zh}",
                        "cumulative since 2021", since_base=True))
    m.append(Metric("fiscal_cost_yi", "亿元", "Fiscal cost of the levers", "政策财政成本",
                    "cumulative since 2021", since_base=True))
    return m


def _province_metrics() -> list[Metric]:
    """Platforms, cold storage, the province's levels, incomes, land and links."""
    m: list[Metric] = []
    for p in plan.PLATFORMS:
        m.append(Metric(f"volume_{p.key}", "万吨", f"{p.en}: volume", f"{p.zh}交易量"))
        if p.target_value_yi_yuan:
            m.append(Metric(f"value_{p.key}", "亿元", f"{p.en}: value", f"{p.zh}交易额"))
        m.append(Metric(f"farmers_{p.key}", "万人", f"{p.en}: farmers linked",
                        f"{p.zh}带动农民"))
        m += _linkage_metrics(p.key, p.en, p.zh)
    m += [
        Metric("volume_platforms", "万吨", "Five platforms: volume", "五大平台交易量"),
        Metric("cold_chain_total", "万吨", "Cold storage on the platforms", "平台冷链库容"),
        Metric("cold_chain_new", "万吨", "New cold storage since 2021", "新增冷链库容",
               "storage the platform operators built where it pays: the subsidised "
               "programme's share and unsubsidised storage (Platform.build_cold_storage)",
               since_base=True),
        Metric("processing_output", "亿元", "Agri-processing output", "农产品加工业产值"),
        Metric("agri_output", "亿元", "Gross agricultural output", "农林牧渔业总产值"),
        Metric("processing_ratio", "ratio", "Processing : agricultural output",
               "加工业产值与农业总产值比"),
        Metric("primary_va", "亿元", "Primary-industry value added", "第一产业增加值"),
        Metric("grain", "万吨", "Grain production", "粮食产量"),
        Metric("trained_wan", "万人", "Farmers trained since 2021", "累计培训高素质农民",
               since_base=True, lever="training_places_wan"),
        Metric("certified_share", "share", "Trainees certified", "持证比例",
               "share of those trained since 2021", since_base=True,
               input="training_certified_share"),
        Metric("farmland_hs", "万亩", "High-standard farmland", "高标准农田",
               lever="farmland_construction_wan_mu"),
        Metric("precooling_rate", "share", "Fruit & vegetable pre-cooling rate", "果蔬预冷率"),
        Metric("rural_income", "元", "Rural per-capita disposable income",
               "农村居民人均可支配收入"),
        Metric("rural_income_wage", "元", "Rural income: wages", "工资性收入"),
        Metric("rural_income_operating", "元", "Rural income: operating", "经营净收入"),
        Metric("rural_income_property", "元", "Rural income: property", "财产净收入"),
        Metric("rural_income_transfer", "元", "Rural income: transfers", "转移净收入"),
        Metric("national_rural_income", "元", "National rural per-capita income",
               "全国农村居民人均可支配收入"),
        Metric("rural_income_ratio", "ratio", "Rural income / national",
               "农村居民收入与全国之比"),
        Metric("rural_income_growth_gap", "1/yr", "Rural income growth minus national",
               "农村居民收入增速差", "yearly growth since 2020, Shanxi minus national",
               since_base=True),
        Metric("land_transferred_share", "share", "Contracted land rented out",
               "土地流转比例"),
        Metric("land_conservation_error", "share", "Land accounting error (check)",
               "土地守恒误差", "operated + cooperative land - owned land, relative; ~0"),
        Metric("rent_yuan_per_mu", "元/亩", "Land rent", "土地流转租金"),
        Metric("coops", "count", "Cooperatives (simulated)", "合作社数（模拟）"),
        Metric("coop_member_share", "share", "Households in cooperatives", "入社农户比例"),
        Metric("contract_share", "share", "Households under firm contract", "订单农户比例"),
    ]
    return m


def _poverty_metrics() -> list[Metric]:
    """Formerly poor counties' households (sim.model.poverty, plan Ch.4)."""
    m = [Metric("poor_area_income", "元", "Formerly poor counties: rural per-capita income",
                "脱贫地区农村居民人均可支配收入",
                "households of the 58 formerly poor counties, nominal 元/person/yr")]
    for s, en, zh in (("wage", "wages", "工资性收入"), ("operating", "operating", "经营净收入"),
                      ("property", "property", "财产净收入"),
                      ("transfer", "transfers", "转移净收入")):
        m.append(Metric(f"poor_area_income_{s}", "元", f"Formerly poor counties' income: {en}",
                        f"脱贫地区{zh}"))
    return m + [
        Metric("poor_area_income_growth_gap", "1/yr",
               "Formerly poor counties' income growth minus national rural",
               "脱贫地区农民收入增速差", "yearly growth since 2020 of the formerly poor "
               "counties' rural income minus the national rural rate", since_base=True),
        Metric("poverty_return_share", "share", "Formerly poor households below the poverty line",
               "返贫户比例", "share of formerly poor households (weights) whose per-capita income "
               "is below the national line (4,000 元 at 2020 prices, indexed)"),
        Metric("poverty_consolidated_share", "share",
               "Formerly poor households above the poverty line", "脱贫成果巩固比例",
               "1 - poverty_return_share"),
        Metric("formerly_poor_household_share", "share",
               "Rural households in formerly poor counties", "脱贫县农户比例"),
        Metric("poor_offfarm_employment", "share",
               "Formerly poor households with off-farm work", "脱贫户务工比例",
               "share of formerly poor households whose surplus labour works off-farm"),
        Metric("poor_labour_transferred_wan", "万人",
               "Formerly poor areas' labour moved into jobs in the year", "脱贫地区劳动力转移就业",
               "labour of formerly poor households newly in off-farm work or processing jobs",
               since_base=True),
        Metric("poor_labour_transferred_min_wan", "万人",
               "Formerly poor areas' labour moved into jobs: lowest year since 2021",
               "脱贫地区劳动力转移就业（年度最低）", since_base=True),
        Metric("pv_income_yi", "亿元", "PV poverty-alleviation income", "光伏扶贫电站收益",
               "station income in the year (sampled 2021-2025)"),
    ]


def _linkage_metrics(key: str, en: str, zh: str) -> list[Metric]:
    """Linkage income per linked farmer of a cluster or platform, and its gain since 2020."""
    return [
        Metric(f"linkage_income_{key}", "元/人", f"{en}: linkage income per linked farmer",
               f"{zh}联农带农收入", "contract premium and per-mu subsidy, dividends and "
               "processing-job wage premium per linked person, nominal 元/person/yr"),
        Metric(f"income_gain_{key}", "元/人", f"{en}: income gain per linked farmer",
               f"{zh}人均增收", "linkage income per linked farmer minus its 2020 level "
               "(nominal 元/person/yr; the plan's 人均增收, docs/targets.md)", since_base=True),
    ]


FISCAL_LABELS = (
    ("capital_subsidy", "capital subsidies", "设备投资补贴"),
    ("interest_subsidy", "interest subsidies", "贷款贴息"),
    ("producer_subsidy", "per-mu producer subsidies", "生产补贴"),
    ("coop_grant", "cooperative grants", "合作社补助"),
    ("land_service", "land-transfer service", "土地流转服务"),
    ("cold_chain", "cold storage", "冷链建设"),
    ("brand_fund", "brand funds", "品牌建设"),
    ("training", "training", "农民培训"),
    ("farmland", "high-standard farmland", "高标准农田建设"),
    ("poverty_support", "poverty support above 2020", "脱贫支持（高于2020年部分）"),
)


def _raw_material_metrics() -> tuple[Metric, ...]:
    """The raw-material market's metrics (sim/model/rawmaterial.py)."""
    m = [Metric(f"farm_price_{c.key}", "index", f"{c.en}: farm-gate price",
                f"{c.zh}原料收购价格指数",
                "raw-material price paid to farmers, 2020 = 1 (nominal)")
         for c in plan.CLUSTERS]
    m += [Metric("raw_outside_share", "share", "Raw material bought outside Shanxi",
                 "省外采购原料比例", "ten clusters, share of raw material bought"),
          Metric("raw_shortfall_share", "share", "Raw material too dear to buy",
                 "原料短缺比例", "share of planned raw material not bought (output cut)")]
    return tuple(m)


METRICS: tuple[Metric, ...] = _metrics() + _raw_material_metrics()
METRIC_BY_NAME = {m.name: m for m in METRICS}
# Outcome sets read by the analyses (names only; declarations above).
SENSITIVITY_METRICS = tuple(f"output_{c.key}" for c in plan.CLUSTERS) + (
    "output_total", "rural_income_ratio")
HEADLINE_METRICS = SENSITIVITY_METRICS + ("rural_income", "fiscal_cost_yi", "investment_cum")
HEADLINE_GROUPS = ("cluster_output", "province", "platforms", "poverty")  # groups shown first


def _targets() -> tuple[Target, ...]:
    return tuple(_cluster_targets() + _province_targets())


def _cluster_targets() -> list[Target]:
    """The clusters' output, farmers, income gains and firm tiers; investment."""
    t: list[Target] = []
    for c in plan.CLUSTERS:
        t.append(Target(f"output_{c.key}", f"output_{c.key}", c.target_output_yi_yuan, "亿元",
                        c.section, f"{c.en}: output", f"{c.zh}产值", "cluster_output"))
    t.append(Target("output_total", "output_total", plan.TOTAL_OUTPUT_TARGET_YI, "亿元",
                    "Ch.2 §3", "Ten clusters: total output", "十大集群总产值", "cluster_output"))
    for c in plan.CLUSTERS:
        t.append(Target(f"farmers_{c.key}", f"farmers_{c.key}", c.farmers_target_wan, "万人",
                        c.section, f"{c.en}: farmers linked", f"{c.zh}带动农民",
                        "cluster_farmers"))
        t.append(Target(f"income_gain_{c.key}", f"income_gain_{c.key}",
                        c.income_gain_target_yuan, "元/人", c.section,
                        f"{c.en}: income gain per linked farmer", f"{c.zh}人均增收",
                        "cluster_income"))
        for tier in c.tiers:
            t.append(Target(f"tier_{c.key}_{tier.tier}", f"firms_{c.key}_{tier.tier}",
                            tier.count, "firms", c.section,
                            f"{c.en}: {tier.count} firm(s) ≥{tier.min_output_yi_yuan:g} 亿",
                            f"{c.zh}{tier.count}家≥{tier.min_output_yi_yuan:g}亿",
                            "firm_tiers"))
    for name, n, v in plan.PROVINCE_FIRM_TARGETS:
        # ≥500, ≥300 and ≥50 亿 are in Ch.2 §3 and Ch.6's introduction; ≥30 亿 only in the latter
        t.append(Target(name, name, n, "firms", "Ch.6 intro" if v < 50 else "Ch.2 §3",
                        f"Province: {n} firm(s) ≥{v:g} 亿", f"全省{n}家≥{v:g}亿", "firm_tiers"))
    t.append(Target("investment", "investment_cum", plan.PROVINCE.investment_target_yi, "亿元",
                    "Ch.6 intro", "Investment 2021-2025", "招商引资", "province"))
    return t


def _province_targets() -> list[Target]:
    """The platforms, the province's targets and poverty."""
    t: list[Target] = []
    for p in plan.PLATFORMS:
        t.append(Target(f"volume_{p.key}", f"volume_{p.key}", p.target_volume_wan_t, "万吨",
                        p.section, f"{p.en}: volume", f"{p.zh}交易量", "platforms"))
        if p.target_value_yi_yuan:
            t.append(Target(f"value_{p.key}", f"value_{p.key}", p.target_value_yi_yuan, "亿元",
                            p.section, f"{p.en}: value", f"{p.zh}交易额", "platforms"))
        t.append(Target(f"farmers_{p.key}", f"farmers_{p.key}", p.farmers_target_wan, "万人",
                        p.section, f"{p.en}: farmers linked", f"{p.zh}带动农民", "platforms"))
        t.append(Target(f"income_gain_{p.key}", f"income_gain_{p.key}",
                        p.income_gain_target_yuan, "元/人", p.section,
                        f"{p.en}: income gain", f"{p.zh}人均增收", "platforms"))
    t += [
        Target("volume_platforms", "volume_platforms", plan.PLATFORM_TOTAL_VOLUME_TARGET_WAN_T,
               "万吨", "Ch.5 §3", "Five platforms: volume", "五大平台交易量", "platforms"),
        Target("cold_chain_new", "cold_chain_new", plan.COLD_CHAIN_NEW_CAPACITY_TARGET_WAN_T,
               "万吨", "Ch.5 §3", "New cold-chain storage", "新增冷链库容", "platforms"),
        Target("processing_output", "processing_output", plan.PROVINCE.processing_output_target_yi,
               "亿元", "Ch.2 §3", "Agri-processing output", "农产品加工业产值", "province"),
        Target("processing_ratio", "processing_ratio",
               plan.PROVINCE.processing_to_agri_ratio_target, "ratio", "Ch.2 §3",
               "Processing : agricultural output", "加工业产值与农业总产值比", "province"),
        Target("primary_va", "primary_va", plan.PROVINCE.primary_va_target_yi, "亿元",
               "Ch.2 §3", "Primary-industry value added", "第一产业增加值", "province"),
        Target("grain", "grain", plan.PROVINCE.grain_target_wan_t, "万吨", "Ch.3 §1",
               "Grain production", "粮食产量", "province"),
        Target("rural_income_level", "rural_income_ratio", 1.0, "ratio", "Ch.2 §3",
               "Rural income ≥ national average", "农村居民收入达到全国平均", "province"),
        Target("rural_income_growth", "rural_income_growth_gap", 0.0, "1/yr", "Ch.2 §3",
               "Rural income growth above national", "农村居民收入增速高于全国", "province"),
        Target("training", "trained_wan", plan.PROVINCE.training_target_wan, "万人", "Ch.3 §5",
               "Farmers trained", "培训高素质农民", "province"),
        Target("training_certified", "certified_share",
               plan.PROVINCE.training_certified_share_target, "share", "Ch.3 §5",
               "Trainees certified", "持证比例", "province"),
        Target("farmland", "farmland_hs", plan.PROVINCE.farmland_hs_target_wan_mu, "万亩",
               "Ch.7 §2.2", "High-standard farmland", "高标准农田", "province"),
        Target("precooling", "precooling_rate", plan.PROVINCE.precooling_target, "share",
               "Ch.7 §2.4", "Fruit & vegetable pre-cooling rate", "果蔬预冷率", "province"),
        Target("poor_area_income_growth", "poor_area_income_growth_gap", 0.0, "1/yr", "Ch.2 §3",
               "Formerly poor areas' rural income growth above national rural",
               "脱贫地区农村居民收入增速高于全国农民", "poverty"),
        Target("poor_labour_transfer", "poor_labour_transferred_min_wan", 30.0, "万人",
               "Ch.4 §4", "Formerly poor areas' labour moved into jobs every year",
               "每年转移就业脱贫地区劳动力", "poverty",
               caveat="gross yearly moves into work, re-hiring included; close to the assumed "
                      "hire rate (poor_offfarm_hire_rate, no published rate) x surplus labour"),
        Target("no_return_to_poverty", "poverty_consolidated_share", 0.99, "share", "Ch.4 §3",
               "No large-scale return to poverty", "不发生规模性返贫", "poverty",
               caveat="the share below the line comes from an unsourced within-group income "
                      "spread (3-8% below it in 2020, officially 0); nominal growth lifts it "
                      "above the indexed line by 2025"),
    ]
    return t


TARGETS: tuple[Target, ...] = _targets()
LINKAGE_KEYS = plan.CLUSTER_KEYS + plan.PLATFORM_KEYS  # linkage income and its gain
TARGET_BY_NAME = {t.name: t for t in TARGETS}

# Targets of the plan the model does not represent, listed so nobody thinks they were
# forgotten (docs/ODD.md, "Known limitations"; docs/targets.md).
NOT_MODELLED = (
    "crop mechanisation 77% (Ch.7 §2.4)", "agricultural S&T contribution 64% (Ch.7 §2.5)",
    "refrigerated transport ~50% (Ch.7 §2.4)", "1500 entities build cold storage (Ch.7 §2.4)",
    "~50 national top-100 agri firms; ≥300 projects (Ch.6 intro)",
    "Ch.4: ≥180 万 households consolidated; 452 firms, 1009 workshops and 448 cooperatives "
    "kept supported; ~1.8 万 forest rangers (Ch.4 §4)",
    "land-transfer revenue share to agriculture ≥50% (Ch.8 §3)",
)

# ---------------------------------------------------------------------- flags
# A target whose P(met) is decided by construction rather than by the agents carries a flag,
# shown beside P(met) in the summary, the terminal table and the report. The reasoning for
# each flagged target is in docs/targets.md.
FLAG_UNREACHABLE = "unreachable in declared ranges"
FLAG_LEVER = "lever-delivered"
FLAG_INPUT = "decided by one input"
FLAG_MET_2020 = "already met in 2020"
FLAG_MET_2020_SOME = "met in 2020 in some replicates"
FLAG_WEAK = "weak measure"
FLAGS = (FLAG_UNREACHABLE, FLAG_LEVER, FLAG_INPUT, FLAG_WEAK, FLAG_MET_2020,
         FLAG_MET_2020_SOME)


@dataclass(frozen=True)
class Unreachable:
    """A target no replicate can meet within the declared ranges, proven analytically.

    ``bound`` is the largest value the target's metric can take when every parameter it
    depends on is at the favourable end of its declared range (uncertainties and
    constants, ``sim.model.params``); tests re-derive it from the declarations and from
    the model run at that corner.
    """

    target: str
    bound: float
    reason: str


UNREACHABLE: tuple[Unreachable, ...] = (
    Unreachable("primary_va", 1567.1,
                "primary_va = primary_va_2020_yi × (1 + primary_va_growth)^5 × a drought "
                "factor with mean 1 (reduced form, no agent enters it); at the top of the "
                "declared ranges (1,000 亿, 7%/yr, a year without drought when drought "
                "strikes 30% of city-years with a 35% loss: ×1/0.895) it is 1,567.1 亿 < "
                "1,900 亿. Doubling primary "
                "value added (“翻番”) needs ~15%/yr nominal from 946.7 亿."),
)
UNREACHABLE_BY_TARGET = {u.target: u for u in UNREACHABLE}


def design_flag(t: Target) -> str | None:
    """The flag a target carries by construction, whatever the replicates show.

    Read from the declarations: the unreachable table above, the metric's ``lever``
    (the metric is a delivered lever's total: met iff enough of the lever is delivered)
    or ``input`` (the metric repeats a sampled uncertainty), and the target's ``caveat``
    (the metric measures the target weakly: an assumption with no source sets it).
    """
    if t.name in UNREACHABLE_BY_TARGET:
        return FLAG_UNREACHABLE
    m = METRIC_BY_NAME[t.metric]
    if m.lever:
        return FLAG_LEVER
    if m.input:
        return FLAG_INPUT
    if t.caveat:
        return FLAG_WEAK
    return None


def target_flag(t: Target, share_met_2020: float) -> str | None:
    """The flag shown beside a target's P(met).

    Args:
        t: The target.
        share_met_2020: Share of replicates whose 2020 state already meets the target
            (NaN when unknown, or when the metric is a change or total since 2020 and so
            has no 2020 value to judge).
    """
    flag = design_flag(t)
    if flag is not None:
        return flag
    if share_met_2020 >= 1.0:
        return FLAG_MET_2020
    if share_met_2020 > 0.0:
        return FLAG_MET_2020_SOME
    return None


def evaluate(outcomes_2025: dict[str, float]) -> dict[str, bool]:
    """Met / not met for every modelled target."""
    return {t.name: bool(outcomes_2025[t.metric] >= t.threshold) for t in TARGETS}
