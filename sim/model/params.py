"""One declaration per model parameter.

Every number the model uses that is not a plan figure (``sim.model.plan``) is declared here once:
its default, its allowed range (levers and constants) or sampling range (uncertainties),
its unit and where it comes from. The scenario loader, the sampler, sweeps, sensitivity
analysis and the documentation table (``docs/parameters.md``) all read this one list.

Kinds follow the EMA Workbench vocabulary:

* ``lever`` - what policy sets; a scenario may give a value, a value per key (cluster or
  platform), a value per year 2021-2025, or both.
* ``uncertainty`` - what nobody controls; sampled uniformly within ``[low, high]`` once per
  replicate from a stream named after the parameter (common random numbers across
  scenarios). A scenario may narrow the range or pin it to a value.
* ``constant`` - a structural assumption held fixed in a replicate; its documented range
  says how unsure we are and is what sensitivity analysis may vary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.model.plan import CLUSTER_KEYS, PLATFORM_KEYS, YEARS

KINDS = ("lever", "uncertainty", "constant")
PER_KEYS = {"cluster": CLUSTER_KEYS, "platform": PLATFORM_KEYS}


@dataclass(frozen=True)
class Param:
    """A model parameter, declared once.

    Args:
        name: Identifier used in scenarios, results and docs (carries its unit).
        kind: ``lever``, ``uncertainty`` or ``constant``.
        default: Scalar, or a mapping key -> value when ``per`` is set.
        low: Lower bound (allowed for levers/constants, sampled for uncertainties);
            scalar or per-key mapping.
        high: Upper bound, like ``low``.
        unit: Unit of the value.
        provenance: Plan section, public source, or "assumption" with reasoning.
        per: ``"cluster"`` or ``"platform"`` when the value differs per key.
        by_year: Levers only: the value may differ per year 2021-2025.
        integer: Round sampled values to whole numbers.
        description: One line saying what it does in the model.
    """

    name: str
    kind: str
    default: Any
    low: Any
    high: Any
    unit: str
    provenance: str
    per: str | None = None
    by_year: bool = False
    integer: bool = False
    description: str = ""
    keys: tuple[str, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind must be one of {KINDS}")
        object.__setattr__(self, "keys", PER_KEYS[self.per] if self.per else ())

    def bounds(self) -> tuple[float, float]:
        """The widest (low, high) over all keys."""
        lo = min(self.low.values()) if isinstance(self.low, dict) else self.low
        hi = max(self.high.values()) if isinstance(self.high, dict) else self.high
        return float(lo), float(hi)

    def per_key(self, value: Any) -> Any:
        """Expand a scalar or mapping to a per-key tuple (or return the scalar)."""
        if not self.per:
            return value
        if isinstance(value, dict):
            return tuple(float(value[k]) for k in self.keys)
        return tuple(float(value) for _ in self.keys)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the resolved array: (keys?, years?)."""
        s: tuple[int, ...] = (len(self.keys),) if self.per else ()
        if self.by_year:
            s = s + (len(YEARS),)
        return s


A = "assumption"
LE = "evidence notes, 'Lever effects'"  # section of the evidence notes (docs/evidence.md)
# Shanxi poverty-area rural income 2018 by source (山西日报 2019-02-12 citing the survey office)
SX2018 = "http://sx.cri.cn/20190212/c1c8ab0d-62ae-1100-df05-507553896570.html"
# pages read for the reversion of the largest firm's excess growth (top_firm_excess_reversion)
GEROSKI2003 = ("https://vufind-test.katalog.k.utb.cz/SummonRecord/FETCH-LOGICAL-c4086-"
               "a9e82cdaa797c0629430477ac80e48c1104cc8ca3ae05511ecfbf29fb3a21b8e3")
COAD2008 = ("http://www.wifo.ac.at/jart/prj3/wifo/main.jart?content-id=1454619331110"
            "&publikation_id=34119&detail-view=yes")


def _c(**kw: float) -> dict[str, float]:
    """Per-cluster mapping, checked complete."""
    assert set(kw) == set(CLUSTER_KEYS), set(CLUSTER_KEYS) ^ set(kw)
    return kw


def _c0(**kw: float) -> dict[str, float]:
    """Per-cluster mapping: the clusters named, 0 for the rest."""
    assert set(kw) <= set(CLUSTER_KEYS), set(kw) - set(CLUSTER_KEYS)
    return _c(**{k: float(kw.get(k, 0.0)) for k in CLUSTER_KEYS})


PARAMS: tuple[Param, ...] = (
    # ---------------------------------------------------------------- levers
    Param("capital_subsidy_rate", "lever", 0.15, 0.0, 0.6, "share of capex",
          "Plan Ch.8 §3 names fiscal support to firms and projects without a rate; 0.15 is "
          f"our reading of the plan package ({A}); status quo 0.05 in no_new_policy. "
          f"Evidence on its effect on investment: {LE}.",
          per="cluster", by_year=True,
          description="Share of a firm's capacity investment paid by government."),
    Param("interest_subsidy_pp", "lever", 1.5, 0.0, 5.0, "percentage points",
          f"Plan Ch.8 §3 贷款贴息 without a rate; {A}; status quo 0.5.",
          per="cluster", by_year=True,
          description="Cut in the interest rate firms pay on investment loans."),
    Param("producer_subsidy_yuan_per_mu", "lever", 30.0, 0.0, 300.0, "yuan/mu/yr",
          f"Plan Ch.8 §3 (support to raw-material bases) without a rate; {A}; status quo 0.",
          by_year=True,
          description="Per-mu payment to households farming for a cluster under contract."),
    Param("coop_grant_yi_yuan", "lever", 3.0, 0.0, 20.0, "亿元/yr",
          f"Plan Ch.7 §3 (cooperative quality upgrade) without an amount; {A}; status quo 1.",
          by_year=True,
          description="Grants to cooperatives: lowers their service cost and raises formation."),
    Param("land_service_coverage", "lever",
          0.6, 0.0, 1.0, "share of villages",
          f"Plan Ch.3 §4, Ch.8 §2 (land-transfer service system); path {A}; status quo 0.3. "
          f"Evidence on land transfer's effect on scale and income: {LE}.",
          by_year=True,
          description="Share of villages served by the land-transfer service system."),
    Param("cold_chain_new_capacity_wan_t", "lever",
          {"fruit_export": 6.0, "grain_export": 2.0, "meat_export": 3.0, "tcm_trade": 1.0,
           "dried_fruit_trade": 3.0}, 0.0, 50.0, "万吨/yr",
          "Plan Ch.5 §3: ≥75 万吨 new cold-chain storage by 2025 (15/yr), read as the "
          "storage the province offers to co-fund; the platform operators build the part "
          "that pays (Platform.build_cold_storage). The split by platform is "
          f"{A} (by perishable volume served). Evidence on cold storage and losses: {LE}.",
          per="platform", by_year=True,
          description="Subsidised cold-storage programme offered at each platform per year."),
    Param("brand_fund_yi_yuan", "lever", 0.5, 0.0, 10.0, "亿元/yr",
          f"Plan Ch.8 §3 (per-cluster marketing funds for flagship brands); amount {A}; "
          "status quo 0.1.", per="cluster", by_year=True,
          description="Marketing fund per cluster; raises market-share gain."),
    Param("training_places_wan", "lever", 5.0, 0.0, 20.0, "万 places/yr",
          "Plan Ch.3 §5: 25 万 high-quality farmers trained over 2021-2025 (5 万/yr); "
          f"status quo 2 (assumption). Evidence on training and wages: {LE}.", by_year=True,
          description="Farmer training places offered; filled by households who apply, whose "
          "trained labourers earn the skill premium."),
    Param("farmland_construction_wan_mu", "lever", 155.0, 0.0, 400.0, "万亩/yr",
          "Plan Ch.2 §3: 1628 → 2400 万亩 high-standard farmland, i.e. ~155 万亩/yr; "
          "status quo 80 (assumption).", by_year=True,
          description="High-standard farmland built per year."),
    # ---------------------------------------------------------------- uncertainties
    Param("national_demand_growth", "uncertainty",
          _c(brewing=0.095, meat=0.045, dairy=0.09, fruit=0.055, beverage=0.10, staple=0.055,
             tcm=0.085, functional=0.10, supplement=0.065, cosmetics=0.095),
          _c(brewing=0.045, meat=0.02, dairy=0.06, fruit=0.03, beverage=0.06, staple=0.03,
             tcm=0.05, functional=0.06, supplement=0.03, cosmetics=0.08),
          _c(brewing=0.145, meat=0.07, dairy=0.11, fruit=0.08, beverage=0.14, staple=0.08,
             tcm=0.12, functional=0.14, supplement=0.10, cosmetics=0.12),
          "1/yr (nominal)",
          "The trend (mean) of each cluster's national market growth, the centre of its "
          "AR(1) path (market_growth_persistence, market_growth_sd); declared from data "
          "through 2020 only (the 2021 vintage; the ranges before it rested partly on "
          "2021-2024 rates: CHANGELOG). brewing, dairy, cosmetics: the reported y/y nominal "
          "growth (comparable basis) of the national series in "
          "data/observed/national_markets.csv up to 2020: range = lowest to highest reported "
          "yearly rate, rounded outward to 0.005; default = their mean, rounded to 0.005. "
          "brewing: NBS 规上白酒 销售收入 2017 +14.42%, 2020 +4.6% (2016, 2018, 2019 not "
          "found). dairy: NBS 规上乳制品 主营业务收入 via 中国乳制品工业协会 2018 10.7%, 2019 "
          "10.2%, 2020 6.2%. cosmetics: NBS 限额以上 化妆品类零售额 2014-2020 (10.0, 8.8, 8.3, "
          "9.6, 12, 9.5%; 2017 found only for January-November, 13.5%, no yearly row; "
          "2010 20.2% and "
          "2013 13.3% are in the file but before the slowdown to under 10%, also left out, as "
          "the earlier rule took the latest years). tcm: only 2020 before 2021 (饮片 -8%, "
          "中成药 -3%, the COVID-19 year): the band declared before any backtest, 0.05-0.12 "
          f"(0.085), {A}. 2020 is the COVID-19 year, which covid_2020_shortfall also carries, "
          "so the lower ends of brewing and dairy count that year's dip twice. "
          f"meat, fruit, beverage, staple, functional, supplement: {A} (wide bands around "
          "nominal growth of the national product markets in 2015-2019), no yearly series. "
          "Data years: brewing 2017, 2020; dairy 2018-2020; cosmetics 2014-2020; tcm none "
          "(assumption); the others none (assumption). Sources: data notes, 'National "
          "product markets'; evidence notes, 'Ranges a 2021 forecaster could have declared'.",
          per="cluster",
          description="Trend growth of the national market each cluster sells into (the "
          "centre of its yearly AR(1) path)."),
    Param("shanxi_share_gain", "uncertainty", -0.0085, -0.0235, 0.0051, "1/yr",
          "Calibrated in the open (model description, initialisation): the value at which the "
          "no_new_policy scenario's ten-cluster output keeps the 2015-2020 pace of processing "
          "output (8.2%/yr, plan Ch.1 §1), both paces net of 2020's COVID-19 shortfall "
          "(covid_2020_shortfall, which lowers the 2015-20 and raises the 2020-25 CAGR by "
          "about s/5 each); bisection over 60 replicates at 1:1000 (`python experiments/"
          "calibrate_share_gain.py --steps 9`, on [-0.04, 0.04]: median gap +0.0003 at "
          "-0.00844, -0.0006 at -0.00859) gave -0.0085 with the 2021-vintage ranges of "
          "national_demand_growth, the markets' AR(1) paths and the brewing cluster's largest "
          "firm growing at its own published excess, reverting (top_firm_excess_growth, "
          "top_firm_excess_reversion): Fenjiu's excess is inside the 2015-2020 pace, so the "
          "rest of Shanxi's processing gains less than the average. Range: the lower end is "
          "the calibrated value - 0.015 (" + A + "); the upper end 0.0051 is the value with "
          "Fenjiu's excess spread over every firm (`--every-firm-alike`: median gap -0.0000 "
          "at 0.00500, +0.0001 at 0.00516), an upper bound for the firms other than Fenjiu. "
          "Data years: the 2015-2020 pace, Fenjiu's 2018-2020 revenues and, through the "
          "ranges in place, national market rates through 2020 only. The value before this "
          "re-run, -0.0227, ran with ranges resting on plan-year data (CHANGELOG).",
          description="Market-share gain of Shanxi firms absent new policy."),
    Param("top_firm_excess_growth", "uncertainty", _c0(brewing=0.105), _c0(brewing=0.06),
          _c0(brewing=0.155), "1/yr",
          "The excess measured up to 2020, from which it reverts (top_firm_excess_reversion). "
          "brewing: Shanxi Fenjiu (600809, the cluster's largest firm, ~61% of its implied "
          "2020 output) grew 2018-2020 at a log rate of 0.197/yr (revenue 94.44 -> 139.90 亿, "
          "annual report 2020, S), against national baijiu revenue growth in the brewing range "
          "of national_demand_growth (0.045-0.145, from the reported rates of 2017 and 2020): "
          "excess = 0.197 - ln(1 + g), 0.062-0.153, rounded outward to 0.06-0.155; default at "
          "the brewing default 0.095: 0.106, rounded to 0.105 (2019-2020 alone: "
          "ln(1.176/1.046) = 0.117, inside). Data years: Fenjiu 2018-2020, national 2017 and "
          "2020, nothing later. Fenjiu's revenues after 2020 are validation rows "
          "(top_firm_revenue_brewing). Other clusters: 0, no range, meaning "
          "none (no listed or reported largest firm with a revenue series; the largest firm "
          "grows with its cluster). Sources: data notes, 'Largest firms'.",
          per="cluster",
          description="Growth of a cluster's 2020 largest firm beyond its national market "
          "(in place of shanxi_share_gain; policy effects on share still apply), where a "
          "revenue series shows one, as measured up to 2020; it reverts at "
          "top_firm_excess_reversion. The share it wins is new demand for the cluster."),
    Param("top_firm_excess_reversion", "uncertainty", 0.35, 0.1, 0.7, "1/yr",
          "Rate at which the largest firm's excess growth reverts to its market: excess in "
          "year t = top_firm_excess_growth × exp(-kappa (t - 2020)); half-life ln 2 / kappa "
          "= 1-7 years (default 2). Firm growth differences revert: 'growth rates are highly "
          "variable over time and differences in growth rates between firms do not persist "
          "for very long' (Geroski, Lazarova, Urga & Walters 2003, J. Applied Econometrics "
          "18(1): 47-59, 147 UK firms over 30+ years, "
          f"{GEROSKI2003}); "
          "'no persistence in long-term earnings growth beyond chance' (Chan, Karceski & "
          "Lakonishok 2003, J. Finance 58(2): 643-684, US listed firms, "
          "http://www.nber.org/papers/w8282): the upper end 0.7 halves an excess each year. "
          "Larger firms' annual growth rates are positively autocorrelated, so high growth "
          "of a large firm stretches over several years (Coad 2007, Review of Industrial "
          "Organization, 10,000 French manufacturers, "
          "https://link.springer.com/article/10.1007/s11151-007-9135-y; Coad & Hölzl 2008, "
          f"WIFO WP 332, {COAD2008}), "
          "and Fenjiu's own revenue grew 25.9% in 2019 and 17.6% in 2020 (annual report 2020 "
          "summary, http://m.igu888.com/gonggao/ggnews.asp?code=600809&id=7134356), its "
          "excess over the national +4.6% of 2020 still 0.117: the lower end 0.1 keeps most of "
          "an excess for several years. The studies give no rate in these units; the range is "
          f"a reading of them ({A} on the number). Data years: the studies' samples (before "
          "2003), Fenjiu 2018-2020.",
          description="Rate at which the largest firm's excess growth over its market "
                      "fades (exponential decay from 2020)."),
    Param("market_growth_persistence", "uncertainty", 0.45, 0.1, 0.8, "autocorrelation per yr",
          "Persistence rho of a year's deviation of national market growth from its trend "
          "(g_t = mu + rho (g_t-1 - mu) + sigma eps_t), one value for all clusters: only "
          "three clusters have more than one yearly national rate before 2021 (cosmetics 8, "
          "dairy 3, brewing 2), so per-cluster estimates would be noise. Estimated from the "
          "reported yearly rates through 2020 in data/observed/national_markets.csv "
          "(cosmetics 2010, 2013-2016, 2018-2020; dairy 2018-2020; brewing 2017, 2020; in "
          "logs, each series demeaned): pooled OLS of a deviation on the previous year's, 7 "
          "pairs: 0.28; without the COVID-19 year 2020 (5 pairs): 0.62. Demeaning short "
          "series biases these down by about (1 + 3 rho) / T (Nickell 1981), T = 3-8 years; "
          "one standard error is about 1/sqrt(7) = 0.38. Default 0.45, the mean of the two "
          "estimates; range 0.1-0.8, about that ± one standard error, below 1 (stationary). "
          "Data years: 2010-2020.",
          description="How much of a year's departure of a national market from its trend "
                      "carries into the next year."),
    Param("market_growth_sd", "uncertainty", 0.035, 0.02, 0.06, "log SD/yr",
          "SD sigma of a year's shock to national market growth (the AR(1) innovation), one "
          "value for all clusters (see market_growth_persistence for why). From the same "
          "demeaned yearly rates through 2020: pooled SD of the deviations 0.036 (0.034 "
          "without 2020), innovation SD at rho 0.28-0.62 0.028-0.035 (default 0.035). By "
          "series: dairy 2018-2020 0.023 (lower end 0.02), brewing's two years (+14.4% 2017, "
          "+4.6% 2020) 0.063 (upper end 0.06: two points), cosmetics 0.034. With the trend "
          "ranges of national_demand_growth a falling year has a probability from about 0 to "
          "over 20% a year (e.g. meat at 0.02 or tcm at 0.05 with sigma 0.06). Data years: "
          "2010-2020.",
          description="SD of the yearly shock to each cluster's national market growth "
                      "(one shock per cluster and year, shared by its firms)."),
    Param("brand_effect", "uncertainty", 0.015, 0.0, 0.03, "1/yr per log unit",
          f"{A}: share gain per log(1 + fund / 1% of cluster output).",
          description="How strongly marketing funds raise a cluster's market-share growth."),
    Param("cold_chain_effect", "uncertainty", 0.05, 0.0, 0.10, "1/yr per unit coverage",
          f"{A}, no data: no empirical estimate of cold storage's effect on a cluster's market "
          f"reach was found ({LE}).",
          description="Share gain of perishable clusters per unit rise in cold-chain coverage."),
    Param("subsidy_passthrough", "uncertainty", 0.3, 0.0, 0.6, "share",
          f"{A}: part of the capital-cost saving passed to prices, raising market share.",
          description="Share of the subsidy-driven cost cut that becomes a price advantage."),
    Param("price_shock_sd", "uncertainty", 0.05, 0.02, 0.08, "log SD/yr", f"{A}, no data.",
          description="Annual cluster price-index shock."),
    Param("firm_growth_sd", "uncertainty", 0.08, 0.04, 0.15, "log SD/yr", f"{A}, no data.",
          description="Idiosyncratic variation of a firm's sales growth."),
    Param("drought_probability", "uncertainty", 0.2, 0.10, 0.30, "per city-year",
          f"{A}: Shanxi is semi-arid; regional droughts struck in several years of 2009-2020.",
          description="Chance that a city has a drought year."),
    Param("drought_yield_loss", "uncertainty", 0.2, 0.10, 0.35, "share", f"{A}, no data.",
          description="Yield loss of crops in a drought year."),
    Param("disease_probability", "uncertainty", 0.12, 0.05, 0.25, "per cluster-year",
          f"{A}: African swine fever 2018-2019 is the precedent.",
          description="Chance of an animal-disease outbreak hitting meat or dairy in a year."),
    Param("disease_output_loss", "uncertainty", 0.12, 0.05, 0.25, "share", f"{A}, no data.",
          description="Output lost in the outbreak year."),
    Param("input_cost_inflation", "uncertainty", 0.03, 0.01, 0.05, "1/yr", f"{A}, no data.",
          description="Growth of farm input costs."),
    Param("policy_delivery", "uncertainty", 0.8, 0.5, 1.0, "share",
          f"{A}: fiscal plans are rarely delivered in full.",
          description="Share of every lever actually delivered."),
    Param("hurdle_rate", "uncertainty", 0.12, 0.08, 0.16, "1/yr", f"{A}, no data.",
          description="Return a firm needs on new capacity beyond its cost of debt."),
    Param("adoption_sensitivity", "uncertainty", 1.0, 0.5, 2.0, "logit per 1000 yuan",
          f"{A}, no data.", description="Sharpness of household discrete choices."),
    Param("off_farm_wage_growth", "uncertainty", 0.075, 0.06, 0.09, "1/yr",
          "NBS: national rural wage income per capita grew 8.7%/yr 2015-2020 (4,600 → "
          f"6,974 元); the 2021-25 band is {A}.",
          description="Growth of off-farm wages."),
    Param("transfer_income_growth", "uncertainty", 0.08, 0.06, 0.125, "1/yr",
          "NBS: national rural transfer income grew 12.1%/yr 2015-2020 (2,066 → 3,661 元); "
          "the range's upper end is that pre-plan pace (rounded up to 0.005), so the prior "
          "does not exclude history; the default, slower growth after 2020, "
          f"and the lower end are {A}.",
          description="Growth of transfer income other than the model's levers."),
    Param("national_rural_income_growth", "uncertainty", 0.07, 0.055, 0.085, "1/yr",
          "NBS: national rural per-capita income 17,131 元 in 2020, +8.4%/yr 2015-2020; "
          f"the 2021-25 band is {A}.",
          description="Growth of the national rural per-capita income (the comparator)."),
    Param("covid_2020_shortfall", "uncertainty", 0.025, 0.01, 0.04, "share",
          "From the growth rates of 2019-2021 only (not fitted to any 2021 level): share by "
          "which a series' 2020 level sat below its trend path, s = 1 - (1 + g2020) / "
          "(1 + trend), trend = mean of the 2019 and 2021 growth where 2019 is published, "
          "else the 2020-21 two-year mean. National rural income (NBS, data/observed/"
          "shanxi.csv): 2019 +9.6, 2020 +6.9, 2021 +10.5% -> 0.029. Shanxi rural income: "
          "Q1-Q3 2021 +11.8%, 5.2 points above Q1-Q3 2020 (+6.6%), two-year mean +9.2% "
          "(山西日报 via Xinhua Shanxi 2021-11-19, http://sx.news.cn/2021-11/19/"
          "c_1128078238.htm) -> 0.024; full years 2020 +7.6, 2021 +10.3% (two-year mean) "
          "-> 0.012 (2019 not found). National dairy revenue (NBS via 中国乳制品工业协会, "
          "data/observed/national_markets.csv): 2019 +10.2, 2020 +6.2, 2021 +10.3% -> 0.036. "
          "National cosmetics retail: 2019 +12, 2020 +9.5, 2021 +14.0% -> 0.031. Range = "
          "lowest to highest of these, rounded outward to 0.005; default the midpoint. "
          "Sources: data notes, 'COVID-19 in 2020'. Data years 2019-2021: the 2021 growth "
          "rates (published in 2022) were not available to a 2021 forecaster; from 2018-2020 "
          "levels and rates only: "
          "evidence notes, 'Ranges a 2021 forecaster could have declared'.",
          description="COVID-19: share by which 2020's processing demand, rural business "
                      "income and (projected) national rural income sat below trend; closed "
                      "in 2021."),
    Param("capital_output_ratio", "uncertainty", 0.9, 0.6, 1.4, "yuan capex per yuan/yr",
          f"{A}: food processing fixed assets roughly match one year's sales.",
          description="Capex needed per yuan of added annual output capacity."),
    Param("construction_lag_quarters", "uncertainty", 4, 2, 8, "quarters", f"{A}, no data.",
          integer=True, description="Time from an investment decision to capacity."),
    Param("entry_rate", "uncertainty", 0.04, 0.01, 0.08, "entrants per firm-year", f"{A}, no data.",
          description="New firms per existing firm and year at zero excess return."),
    Param("contract_premium", "uncertainty", 0.10, 0.05, 0.15, "share of spot price",
          f"{A}: order-farming premiums reported in the literature are 5-15%.",
          description="Price premium a contract pays over the spot price."),
    Param("linked_2020_fraction", "uncertainty", 0.45, 0.3, 0.6, "share of 2025 target",
          f"{A}: the plan gives no 2020 count of linked farmers.",
          description="Farmers linked to each cluster in 2020 as a share of its 2025 target."),
    Param("cold_chain_2020_wan_t", "uncertainty", 70.0, 40.0, 100.0, "万吨",
          f"{A}: storage already serving the platforms' produce in 2020.",
          description="Cold-chain storage in place in 2020."),
    Param("other_processing_growth", "uncertainty", 0.06, 0.04, 0.09, "1/yr",
          f"{A} around the 8.1%/yr of 2015-2020 (Ch.1 §1: 2020 processing revenue 2,186 亿, "
          "+47.6% on 2015) and the national series (规模以上农产品加工企业 主营业务收入 "
          "18.48万亿 in 2014, data/observed/national_markets.csv, and 'expected to pass "
          "20万亿' in 2015, +8%, on the same source page https://fxbwd.com/113642.html; no "
          "yearly national rate before 2021 was found). The trend of the market of "
          "processing outside the ten clusters "
          "(sim.model.otherfirms): its log growth is an AR(1) around ln(1 + this rate) with "
          "market_growth_persistence and market_growth_sd. Measured on Shanxi's own revenue, "
          "so it holds Shanxi's share movements (no shanxi_share_gain is added). Range and "
          "default are those of the reduced-form rate it replaces (not re-tuned). Data "
          "years: 2014-2020.",
          description="Trend growth of the market of the processing firms outside the ten "
                      "clusters."),
    Param("agri_output_2020_yi", "uncertainty", 1900.0, 1700.0, 2100.0, "亿元",
          f"{A}: order of Shanxi's 2020 gross agricultural output (农林牧渔业总产值); no "
          "published 2020 figure was found (data notes, 'Agricultural output'). Sampled "
          "over its range, because an unverified level is uncertain and its range belongs "
          "in the predictive distribution of agri_output and processing_ratio.",
          description="Gross agricultural output in 2020."),
    Param("agri_output_growth", "uncertainty", 0.04, 0.02, 0.06, "1/yr", f"{A}, no data.",
          description="Nominal growth of gross agricultural output (农林牧渔总产值)."),
    Param("primary_va_growth", "uncertainty", 0.05, 0.03, 0.07, "1/yr", f"{A}, no data.",
          description="Nominal growth of primary-industry value added (before drought)."),
    Param("grain_trend", "uncertainty", 0.0065, -0.0085, 0.0215, "1/yr",
          "From pre-plan figures only: the upper end is the log-linear trend of Shanxi's grain "
          "output 2015-2020 (data/observed/shanxi.csv rows 2015, 2016, 2017, 2019, 2020: "
          "+2.13%/yr), the lower end the plan's floor of 1,365 万吨 of production capacity "
          "by 2025 from the 2020 harvest of 1,424 (plan Ch.3 §1 and Ch.1 §1; -0.84%/yr); "
          "default the midpoint.",
          description="Trend of grain output before drought."),
    Param("training_certified_share", "uncertainty", 0.8, 0.7, 0.9, "share", f"{A}, no data.",
          description="Share of trainees who obtain a certificate."),
    Param("land_service_cost_cut", "uncertainty", 0.5, 0.3, 0.7, "share",
          f"{A}, no data on the cost cut itself; studies of land transfer's effect on farm "
          f"scale and household income (CFPS 2010s, PSM) are compared in {LE}.",
          description="Cut in land-transfer transaction cost where the service operates."),
    # ---------------------------------------------------------------- constants
    Param("persons_per_household", "constant", 2.8, 2.5, 3.1, "persons",
          f"{A}: rural households are larger than the census all-household mean (2.5).",
          description="Rural persons per household."),
    Param("labourers_per_household", "constant", 1.7, 1.4, 2.0, "persons", f"{A}, no data.",
          description="Working-age labourers per household."),
    Param("land_mu_per_household", "constant", 12.0, 9.0, 15.0, "mu",
          f"{A}: ~5,800 万亩 cultivated land over ~4.7 million rural households.",
          description="Mean contracted land per household (lognormal, SD 0.6 in logs)."),
    Param("supplier_share", "constant", 0.45, 0.3, 0.6, "share of households", f"{A}, no data.",
          description="Households whose farming can supply one of the ten clusters."),
    Param("raw_material_share", "constant", 0.5, 0.35, 0.65, "share of output value",
          f"{A}, no data.", description="Raw-material cost in processed-output value."),
    Param("local_sourcing_share", "constant", 0.6, 0.4, 0.8, "share", f"{A}, no data.",
          description="Share of processors' raw material that can be grown in Shanxi; the "
          "rest is bought outside. Where the 2020 harvest could not supply it, 2020 was at "
          "import parity."),
    Param("output_per_worker_wan_yuan", "constant", 150.0, 100.0, 250.0, "万元/worker/yr",
          f"{A}, no data.", description="Processing output per employee."),
    Param("local_hire_share", "constant", 0.6, 0.4, 0.8, "share", f"{A}, no data.",
          description="Share of processing jobs filled by local rural labourers."),
    Param("firm_wage_premium", "constant", 0.25, 0.1, 0.4, "share of off-farm wage",
          f"{A}, no data.",
          description="Extra pay of a processing job over the local off-farm wage."),
    Param("skill_premium", "constant", 0.15, 0.05, 0.3, "share of wage",
          "Studies of China's rural migrant workers: skills training raises wages by 4.4% "
          "(China Labour-force Dynamics Survey 2012, Mincer equation; 张敏 2017) and by "
          "1.88 元 an hour, about 11% of a 2018 hourly wage (4,138 workers in 13 central and "
          "western provinces, PSM; 赵德昭、耿之斌, 财经研究 2020 (8)); the range holds the second, "
          f"the first falls just below its low end; default {A} ({LE}).",
          description="Wage gain of a trained (certified) labourer."),
    Param("utilisation_2020", "constant", 0.75, 0.65, 0.85, "share", f"{A}, no data.",
          description="Capacity utilisation of processors in 2020."),
    Param("target_utilisation", "constant", 0.85, 0.75, 0.95, "share", f"{A}, no data.",
          description="Utilisation firms plan capacity for."),
    Param("operating_margin", "constant",
          _c(brewing=0.20, meat=0.06, dairy=0.08, fruit=0.08, beverage=0.12, staple=0.08,
             tcm=0.12, functional=0.12, supplement=0.15, cosmetics=0.15), 0.02, 0.35,
          "share of output", f"{A}: baijiu margins are far above food processing.",
          per="cluster", description="Operating profit per yuan of output."),
    Param("interest_rate", "constant", 0.055, 0.04, 0.07, "1/yr",
          f"{A}: 2020 loan prime rate 4.65% (PBoC) plus a spread.",
          description="Cost of investment loans before subsidy."),
    Param("credit_multiple", "constant", 1.5, 0.5, 3.0, "× equity", f"{A}, no data.",
          description="Largest investment a firm can fund, relative to its equity."),
    Param("leader_share_2020", "constant",
          _c(brewing=0.6, meat=0.15, dairy=0.25, fruit=0.12, beverage=0.2, staple=0.2,
             tcm=0.25, functional=0.2, supplement=0.3, cosmetics=0.3), 0.05, 0.7,
          "share of cluster output",
          f"{A}; brewing from Shanxi Fenjiu's ~140 亿元 2020 revenue (annual report).",
          per="cluster", description="Largest firm's share of its cluster in 2020."),
    Param("other_operating_margin", "constant", 0.07, 0.04, 0.10, "share of output",
          f"{A}: food processing margins, between the clusters' meat (0.06) and staple/fruit "
          "(0.08) margins of operating_margin; grain milling, oils and feed run thin. No "
          "raw-material market is modelled for these firms, so it stays at this level.",
          description="Operating profit per yuan of output of the processing firms outside "
                      "the ten clusters."),
    Param("sme_2020_fraction", "constant", 0.6, 0.4, 0.8, "share of 2025 SME target",
          f"{A}, no data.",
          description="Processors above designated size in 2020, vs the SME target."),
    Param("income_share_wage", "constant", 0.457, 0.445, 0.52, "share",
          "Shanxi 2020 rural income structure, derived from the 2021 levels by source and "
          "their stated growth (6,860 元 / 1.081 = 6,346 of 13,878 元; 国家统计局山西调查总队 "
          "figures via a W-quality copy, data/observed/shanxi.csv); the four derived sources "
          "sum to 13,876 元. Interpolating the 2016 (S) and 2021 shares to 2020 gives 0.462. "
          f"Range spans Shanxi 2021 (0.448) and 2016 (0.516) ({A} that 2020 lies between). "
          "Data years 2016 and 2021 (the 2021 levels were published in 2022: a 2021 "
          "forecaster had the 2016 shares only).",
          description="Wage share of 2020 rural income."),
    Param("income_share_operating", "constant", 0.260, 0.255, 0.275, "share",
          "Shanxi 2020, derived as for wages (3,959 元 / 1.096 = 3,612 元); interpolation "
          f"2016-2021 gives 0.261; range spans 2021 (0.259) and 2016 (0.271) ({A}). Data "
          "years 2016 and 2021 (2021 published in 2022).",
          description="Operating (farm) share of 2020 rural income."),
    Param("income_share_property", "constant", 0.0148, 0.013, 0.016, "share",
          "Shanxi 2020, derived as for wages (216 元 / 1.055 = 205 元); 2016 0.0148, 2021 "
          f"0.0141, 2023 0.0145; range widened a little around them ({A}). Transfers are the "
          "rest (0.268; 2016 0.198, 2021 0.279). Data years 2016, 2021 and 2023 (the last two "
          "published after 2021).",
          description="Property share (rent, dividends) of 2020 rural income."),
    Param("land_transaction_cost_yuan_per_mu", "constant", 80.0, 40.0, 150.0, "yuan/mu/yr",
          f"{A}, no data ({LE}).",
          description="Cost of a land transfer without the service system."),
    Param("land_contract_fixed_cost_yuan", "constant", 200.0, 0.0, 600.0,
          "yuan per household per year",
          f"{A}, no data on its size. A cost per rental contract, whatever its area (finding "
          "a partner, negotiating, drawing up and enforcing the contract), as distinct from "
          "the cost per mu: fixed costs leave a band of non-participation (Key, Sadoulet & de "
          "Janvry 2000, AJAE 82(2)); transaction costs keep many Chinese producers out of "
          "the rental market (Deininger & Jin 2007, World Bank WPS4454, "
          "http://documents.worldbank.org/curated/en/400791468025191103/text/wps4454.txt). "
          "The land-transfer service cuts it as it cuts the cost per mu.",
          description="Cost of a land-rental contract per household and year, on either side."),
    Param("offfarm_household_share", "constant", 0.17, 0.10, 0.35, "share of households",
          "Census 2016 (第三次全国农业普查) table 1-3-2-87, national: 17% of the registered "
          "labour of agricultural production households lives in part-time households "
          "(农业兼业户 31.2 million + 非农业兼业户 65.1 million of 568.8 million) "
          "https://www.stats.gov.cn/sj/pcsj/nypc/nypc2/nm/html/01030287.htm. A labour share, "
          "national, of households that still farm (those that farm nothing are not in the "
          f"table), so the range is an {A}: 0.10-0.35. Off-farm labour is what moves land to "
          "the rental market (Kung 2002, J. Comp. Econ. 30:395-414; Deininger & Jin 2005, "
          "J. Dev. Econ. 78:241-270).",
          description="Households whose labour works mainly off the farm: the only ones that "
          "rent land out; the others farm their own land and may rent more in."),
    Param("land_share_of_operating", "constant", 0.6, 0.4, 0.8, "share",
          f"{A}: the rest of operating income is livestock, forestry and rural business.",
          description="Share of 2020 operating income earned from cultivated land."),
    Param("farm_cost_share", "constant", 0.55, 0.4, 0.7, "share of revenue", f"{A}, no data.",
          description="Cash cost per mu as a share of revenue at average productivity."),
    Param("productivity_sd", "constant", 0.35, 0.2, 0.5, "log SD", f"{A}, no data.",
          description="Spread of household farming productivity."),
    Param("investment_response", "constant", 0.02, 0.01, 0.05, "return units",
          f"{A}, no data. With hurdle_rate and capital_output_ratio it sets how much "
          "investment a capital subsidy buys; published responses (China's 2004 VAT reform: "
          "+28% fixed investment, user-cost elasticity 1.84, Zhang, Chen & He 2017; no evident "
          "rise, Cai & Harrison 2011; firm data 2001-2007) hold the model's own response, an "
          f"elasticity of about 1.1 to the price of capacity ({LE}).",
          description="Softness of the investment decision around the hurdle (logistic scale)."),
    # Numbers that were bare in the model code (issue #9, item 9), declared with ranges so
    # that analyses can vary them (`sensitivity --constants`).
    Param("max_utilisation", "constant", 0.95, 0.90, 1.0, "share of capacity",
          f"{A}: sustained output above ~95% of nameplate capacity is rare in processing.",
          description="Highest sustainable capacity utilisation."),
    Param("outside_sourcing_premium", "constant", 0.10, 0.05, 0.20, "share of raw-material cost",
          f"{A}: transport and search cost of buying raw material outside Shanxi.",
          description="Transport wedge at the border of the raw-material market: outside "
          "raw material costs the reference price × (1 + this); surplus leaves at ÷ (1 + this)."),
    Param("low_utilisation", "constant", 0.4, 0.3, 0.5, "share of capacity", f"{A}, no data.",
          description="Utilisation below which a quarter counts as idle for the exit rule."),
    Param("exit_idle_quarters", "constant", 4.0, 2.0, 8.0, "quarters", f"{A}, no data.",
          integer=True, description="Idle quarters in a row after which a small firm may exit."),
    Param("exit_small_capacity_yi", "constant", 0.5, 0.2, 1.0, "亿元/yr", f"{A}, no data.",
          description="Capacity below which an idle firm counts as small (may exit)."),
    Param("exit_probability", "constant", 0.5, 0.25, 0.75, "1/yr", f"{A}, no data.",
          description="Yearly exit probability of a small idle firm."),
    Param("exit_min_sales_yi", "constant", 0.02, 0.01, 0.05, "亿元/yr", f"{A}, no data.",
          description="Sales potential below which a firm with capacity exits."),
    Param("entrant_median_yi", "constant", 0.5, 0.2, 1.0, "亿元/yr", f"{A}, no data.",
          description="Median planned output of an entrant (lognormal)."),
    Param("entrant_size_sd", "constant", 1.0, 0.6, 1.4, "log SD", f"{A}, no data.",
          description="Spread of entrants' planned output."),
    Param("entry_attraction_scale", "constant", 2.0, 1.0, 3.0, "× invest share", f"{A}, no data.",
          description="Churn-entry multiplier at full investment attractiveness."),
    Param("entrant_relative_size", "constant", 0.5, 0.25, 1.0, "× cluster median",
          f"{A}: entrants start smaller than incumbents (firm-demography studies find new "
          "firms at a fraction of incumbents' median size).",
          description="Median entrant size relative to its cluster's median firm."),
    Param("growth_sd_size_elasticity", "constant", 0.2, 0.1, 0.3, "elasticity",
          "Stanley et al. (1996), Nature 379:804-806: the SD of firms' growth rates scales "
          "as size^-0.15 (±0.03); Amaral et al. (1997) find 0.2; range spans both.",
          description="How fast the spread of firm growth falls with firm size."),
    Param("growth_sd_size_bound", "constant", 4.0, 2.0, 8.0, "× median firm's SD",
          f"{A}: keeps the size scaling of growth SDs finite for the tiniest and the largest "
          "firms (size^-0.2 over the 10^-3-10^3 × median range of a cluster would give "
          "0.25-4); the bound b limits the factor to [1/b, b].",
          description="Largest factor by which a firm's growth SD may differ from the median "
                      "firm's."),
    Param("entrant_size_sd_min", "constant", 0.3, 0.2, 0.5, "log SD",
          f"{A}: floor on the spread of entrants' sizes when a cluster's incumbents are "
          "nearly alike (few firms).",
          description="Smallest log SD of entrants' planned output."),
    Param("entrant_size_sd_max", "constant", 2.0, 1.5, 2.5, "log SD",
          f"{A}: ceiling on the spread of entrants' sizes; firm-size distributions rarely "
          "exceed a log SD of 2.",
          description="Largest log SD of entrants' planned output."),
    Param("demand_price_elasticity", "constant", 0.5, 0.2, 1.0, "elasticity (abs)",
          f"{A}: own-price elasticities of food demand in China are mostly 0.3-0.8 in "
          "absolute value; processed and branded goods nearer the top.",
          description="Fall in quantity demanded per rise in a cluster's price shock."),
    Param("leading_retain_fraction", "constant", 0.7, 0.5, 0.9, "× recognition threshold",
          f"{A}: monitoring rounds drop firms that fall well below the criteria.",
          description="A leading firm loses its status below this share of the threshold."),
    Param("entry_growth_share", "constant", 1.0, 0.5, 1.5, "entrants per firm per unit growth",
          "Luttmer (2007), QJE 122(3): with a stationary firm-size distribution the number "
          f"of firms grows with the market; the share taken by entry is an {A} (0.5-1.5).",
          description="Entry that keeps the number of firms growing with the market."),
    Param("coop_land_bid_mu_per_member", "constant", 3.0, 1.0, 6.0, "mu per member household",
          f"{A}: trusteeship (托管) cooperatives operate a few mu per member.",
          description="Land a cooperative bids for per member household."),
    Param("coop_land_productivity", "constant", 1.2, 1.0, 1.4, "× mean household",
          f"{A}: scale and services raise yields on trusteeship land.",
          description="Productivity of cooperative-farmed land relative to the mean household."),
    Param("coop_grant_2020_yi", "constant", 1.0, 0.0, 3.0, "亿元/yr",
          f"{A}: the pre-plan level, as in the no_new_policy scenario.",
          description="Cooperative grants paid in 2020 (the start year's settlement)."),
    Param("spinup_passes", "constant", 4.0, 1.0, 8.0, "passes", f"{A}: 1 reproduces the "
          "first-guess start; more passes bring 2020 to rest (model description, "
          "initialisation): the cooperatives 2020's gains form after the first pass take "
          "members in the second and land from the third, and rents settle within 0.3% "
          "from the fifth (seed 1, 1:200; with the land market's participation rule, within "
          "0.1% from the third: 573.7, 577.8, 577.9 元/mu after passes 2-4, 578.0 after 8).",
          integer=True, description="Times the 2020 year is played to a consistent state."),
    Param("land_service_coverage_2020", "constant", 0.3, 0.2, 0.4, "share of villages",
          f"{A}: the plan builds the land-transfer service system from a partial base (Ch.8).",
          description="Coverage of the land-transfer service system in 2020."),
    Param("equity_ratio", "constant", 0.4, 0.2, 0.6, "× capacity", f"{A}, no data.",
          description="Firm equity relative to its annual capacity."),
    Param("cold_coverage_2020", "constant", 0.3, 0.15, 0.5, "share", f"{A}, no data.",
          description="Share of perishable throughput with cold storage in 2020."),
    Param("max_mu_per_labourer", "constant", 40.0, 20.0, 80.0, "mu", f"{A}, no data.",
          description="Largest area one labourer can operate."),
    Param("coop_service_cost_cut", "constant", 0.10, 0.05, 0.2, "share of farm cost",
          f"{A}: trusteeship (托管) services cut input and machinery cost.",
          description="Cost cut for cooperative members."),
    Param("coop_payout_share", "constant", 0.6, 0.4, 0.8, "share of surplus",
          "Farmer Cooperatives Law 2017 art. 44: ≥60% of distributable surplus returned by "
          "transactions.", description="Share of a cooperative's surplus paid as dividends."),
    Param("coop_margin", "constant", 0.04, 0.02, 0.08, "share of sales handled", f"{A}, no data.",
          description="Cooperative's gross margin on members' sales."),
    Param("coop_fixed_cost_wan_yuan", "constant", 20.0, 5.0, 50.0, "万元/yr", f"{A}, no data.",
          description="A cooperative's annual fixed cost."),
    Param("spoilage_2020", "constant", 0.15, 0.08, 0.25, "share",
          "NDRC 农产品冷链物流发展规划 (2010): losses in circulation 20-30% of fruit and "
          "vegetables, 12% of meat, 15% of aquatic products at cold-chain shares of 5%, 15% "
          "and 23% (2009-10 data); the range holds meat and fruit's lower figure, not its "
          f"upper (0.30); the 2020 level itself is {A} ({LE}).",
          description="Spoilage of perishable produce at 2020 cold-chain coverage."),
    Param("spoilage_elasticity", "constant", 1.5, 0.5, 3.0, "per unit coverage",
          "The 2010 cold-chain plan's 2015 targets (losses 15%, 8%, 10% at cold-chain shares "
          "of 20%, 30%, 36%, from the 2010 levels) imply ln(loss before / after) / rise in "
          "share = 1.9-4.6 for fruit and vegetables, 2.7 for meat, 3.1 for aquatic products: "
          "targets, not measured outcomes; the range holds meat's and fruit's lowest, "
          f"not the rest ({A} for the default; {LE}).",
          description="How fast spoilage falls as cold-chain coverage rises."),
    Param("platform_fee_rate", "constant", 0.01, 0.005, 0.03, "share of value", f"{A}, no data.",
          description="Fee a platform charges on value traded."),
    Param("platform_capacity_headroom", "constant", 1.15, 1.0, 1.5, "× 2020 volume",
          f"{A}, no data.", description="Platform trade capacity in 2020 relative to its volume."),
    Param("platform_capex_yuan_per_t", "constant", 300.0, 100.0, 800.0, "yuan per t/yr",
          f"{A}, no data.", description="Investment per tonne of annual trade capacity."),
    # ------------------------------------------------------------- fiscal cost model
    Param("loan_share_of_capex", "constant", 0.6, 0.4, 0.8, "share", f"{A}, no data.",
          description="Share of firm investment financed by subsidisable loans."),
    Param("interest_subsidy_years", "constant", 3.0, 1.0, 5.0, "years", f"{A}, no data.",
          description="Years an interest subsidy is paid on a loan."),
    Param("land_service_cost_yi_per_year", "constant", 3.0, 1.0, 6.0, "亿元/yr",
          f"{A}: cost of running the land-transfer service in every village.",
          description="Fiscal cost of full land-service coverage for a year."),
    Param("cold_chain_cost_yi_per_wan_t", "constant", 0.15, 0.08, 0.3, "亿元 per 万吨",
          "Construction cost, all of it (1,500 元 per tonne of storage): a 500 t fruit cold "
          "store quoted at 65-85 万元 (1,300-1,700 元/t); Liaoning's 2022 programme caps its "
          "30% subsidy at 130 元/m³ for a mechanical store (≤ ~430 元/m³), and Shanxi's 2020 "
          "programme built 195 万m³ for 50 万吨 (~3.9 m³/t): ≤ ~1,700 元/t; low-temperature "
          "(meat) stores cost more per m² (data notes, 'Cold storage: cost and subsidy').",
          description="Construction cost of one 万吨 of new cold storage (the operator's "
                      "capex before any subsidy)."),
    Param("cold_chain_subsidy_share", "constant", 0.3, 0.2, 0.5, "share of construction cost",
          "The national 农产品产地冷藏保鲜设施 programme (Shanxi among its provinces from "
          "2020) pays 先建后补 at most 30% of a facility's cost (40-50% in poor counties and "
          "Hubei) (data notes, 'Cold storage: cost and subsidy'); the plan's 75 万吨 (Ch.5 "
          "§3) is read as storage built under it.",
          description="Share of the construction cost of programme storage paid by "
                      "government (before policy_delivery)."),
    Param("training_cost_yuan_per_place", "constant", 3000.0, 1500.0, 6000.0, "yuan",
          f"{A}, no data.", description="Fiscal cost of one farmer-training place."),
    Param("training_time_cost_share", "constant", 0.04, 0.02, 0.08,
          "share of a labourer-year's wage",
          "Training is free of fees to the farmer (county notices: the training body trains "
          "participating farmers free of charge, the subsidy paying tuition, board and travel; "
          "data notes, 'Farmer training'), so a trainee's cost is time off work; its length, "
          f"~5-20 working days of ~250 (default 10), is {A}.",
          description="Wage a trainee forgoes while attending a training course."),
    Param("farmland_cost_yuan_per_mu", "constant", 1500.0, 1200.0, 3000.0, "yuan/mu",
          f"{A}: national guidance put public investment near 1,500 元 per mu.",
          description="Fiscal cost of one mu of high-standard farmland."),
    Param("primary_va_2020_yi", "constant", 946.7, 900.0, 1000.0, "亿元",
          "Shanxi 2020 statistical communiqué: primary-industry value added 946.7 亿元.",
          description="Primary-industry value added in 2020."),
    # ---------------------------------------------------- cooperatives (issue #9 item 10)
    # Cooperatives form from their prospective members' expected gains
    # (sim/model/cooperatives.py); docs/ODD.md, submodel "Cooperatives".
    Param("coop_formation_cost_yuan_per_member", "constant", 1500.0, 500.0, 4000.0,
          "yuan per member household",
          f"{A}: members' time for meetings, registration and a founding core's unpaid "
          "management, and share capital put at risk; of the order of two weeks' rural "
          "household income (~38,900 元/yr in 2020).",
          description="Median cost per member of forming a cooperative (one-year payback)."),
    Param("coop_formation_cost_sd", "constant", 0.8, 0.4, 1.2, "log SD",
          f"{A}: organisers differ (village leaders, returnees, firms' sponsorship).",
          description="Spread of the formation cost across city × cluster slots and years."),
    # ------------------------------------------------------- platforms (issue #9 item 10)
    # Platforms trade the flows of the clusters they serve (sim/model/platforms.py);
    # docs/ODD.md, submodel "Platforms and cold chain".
    Param("platform_flow_share", "constant",
          _c(brewing=0.0, meat=0.5, dairy=0.3, fruit=0.6, beverage=0.3, staple=0.3, tcm=0.5,
             functional=0.3, supplement=0.1, cosmetics=0.1),
          _c(brewing=0.0, meat=0.3, dairy=0.15, fruit=0.4, beverage=0.15, staple=0.15,
             tcm=0.3, functional=0.15, supplement=0.05, cosmetics=0.05),
          _c(brewing=0.0, meat=0.7, dairy=0.5, fruit=0.8, beverage=0.5, staple=0.5, tcm=0.7,
             functional=0.5, supplement=0.3, cosmetics=0.3),
          "share of flows",
          f"{A}: about 70% of China's farm produce is commonly said to pass through wholesale "
          "markets (the upper anchor); fresh and dried fruit and herbs sell mostly through "
          "production-area markets like the platforms (0.5-0.6), meat in between, while dairy, "
          "drinks, staples and functional foods go largely through processors' own channels "
          "(0.3) and supplements and cosmetics almost entirely (0.1). Brewing has no platform.",
          per="cluster",
          description="Share of a served cluster's flows in a platform's catchment traded on it."),
    Param("platform_wholesale_share", "constant", 0.7, 0.5, 0.8, "share of raw surplus",
          f"{A}: the commonly cited ~70% of farm produce sold through wholesale markets.",
          description="Share of raw produce not bought by processors that goes to wholesale."),
    Param("platform_reach_outside", "constant", 0.3, 0.1, 0.5, "share of flows",
          f"{A}: the plan gives the meat, TCM and dried-fruit platforms a province-wide role "
          "(Ch.5 §3: 统领全省, 集散全省, 辐射带动山西省); cities without their own platform "
          "send them this share of their flows.",
          description="Catchment weight of other cities for province-wide platforms."),
    Param("platform_unit_value_yuan_per_t", "constant",
          {"fruit_export": 3200.0, "grain_export": 3000.0, "meat_export": 40000.0,
           "tcm_trade": 20000.0, "dried_fruit_trade": 6300.0},
          {"fruit_export": 2200.0, "grain_export": 2500.0, "meat_export": 28000.0,
           "tcm_trade": 14000.0, "dried_fruit_trade": 4400.0},
          {"fruit_export": 4200.0, "grain_export": 3500.0, "meat_export": 52000.0,
           "tcm_trade": 26000.0, "dried_fruit_trade": 8200.0}, "yuan/t",
          "Plan Ch.5 §3: value per tonne implied by each platform's value and volume targets "
          "(160 亿/500 万吨, 200/50, 40/20, 220/350), a price, not a level; ±30% range "
          f"({A}). Grain has no value target: minor grains (杂粮) sell above the ~2,400-2,600 "
          f"元/t of maize and wheat (2020 minimum purchase prices), {A}.",
          per="platform",
          description="Value per tonne traded at 2020 prices (converts flows to tonnes)."),
    Param("platform_perishable_share", "constant",
          {"fruit_export": 0.8, "grain_export": 0.0, "meat_export": 1.0, "tcm_trade": 0.0,
           "dried_fruit_trade": 0.1},
          {"fruit_export": 0.6, "grain_export": 0.0, "meat_export": 0.8, "tcm_trade": 0.0,
           "dried_fruit_trade": 0.0},
          {"fruit_export": 0.95, "grain_export": 0.0, "meat_export": 1.0, "tcm_trade": 0.1,
           "dried_fruit_trade": 0.2}, "share of intake",
          "Plan Ch.5 §3 calls the meat platform's trade 冷链产品 (cold-chain products); fresh "
          f"fruit and juice dominate the fruit platform ({A}); minor grains, dried herbs and "
          f"dried fruit keep without cold storage ({A}).",
          per="platform",
          description="Share of a platform's intake that needs cold storage."),
    Param("cold_storage_fee_yuan_per_t", "constant", 300.0, 150.0, 600.0, "yuan/t/yr",
          f"{A}: cold-store rents of roughly 0.5-1.5 元 per tonne and day.",
          description="Yearly fee per tonne of cold storage in use (idle storage earns none)."),
    Param("cold_storage_margin", "constant", 0.5, 0.3, 0.7, "share of storage fee",
          f"{A}: what is left of a cold store's rent after electricity, labour and upkeep "
          "(refrigeration power is the largest running cost); no Shanxi figure found.",
          description="Operating profit per yuan of storage fee, the margin the operators' "
                      "investment return uses."),
    Param("cold_storage_build_pace", "constant", 0.1, 0.05, 0.25, "share of unmet need/yr",
          f"{A}: without a programme's planning and money, operators commission at most "
          "this share of the storage their perishable intake lacks in a year (land, "
          "permits, financing; a store takes a season or more to build).",
          description="Largest share of the unmet storage need built without subsidy in "
                      "a year (times the share that pays)."),
    Param("platform_invest_utilisation", "constant", 0.85, 0.75, 0.95, "share of capacity",
          f"{A}: operators add handling capacity once intake nears what they can handle.",
          description="Utilisation (flow / capacity) from which a platform reinvests fees."),
    Param("platform_reinvest_share", "constant", 0.5, 0.3, 0.8, "share of fees",
          f"{A}: the rest of the fees is kept (operating reserve, dividends to owners).",
          description="Share of the year's fees reinvested in capacity above the hurdle."),
    # ------------------------------------------------------------- raw-material market
    # (sim/model/rawmaterial.py; issue #9, item 1)
    Param("other_buyers_elasticity", "uncertainty", 4.0, 2.0, 8.0, "ratio",
          "Price elasticity of what buyers other than the cluster's processors (traders "
          "shipping out of the province, local consumers, feed) take of a cluster's harvest. "
          "Shanxi is a small supplier in national markets, so this demand is elastic; "
          "Armington (source-substitution) elasticities of farm goods between domestic and "
          "foreign origin in the GTAP data base are of the order 1-5 (Hertel et al., GTAP "
          "Data Base documentation ch. 14; Hertel, Hummels, Ivanic & Keeney 2007 estimate "
          "them from transport costs). Between provinces of one country goods substitute "
          f"more easily, hence the higher top ({A}; the GTAP values were not checked per "
          "commodity here).",
          description="Elasticity (% change in take per % change in price) of other buyers' "
          "take of a cluster's harvest as its farm-gate price rises."),
    Param("processor_share_max_2020", "constant", 0.8, 0.6, 0.95, "share of harvest",
          f"{A}: part of every harvest is eaten, fed or sold fresh by the household or other "
          "buyers; where the cluster's processors would want more than this share of the "
          "2020 harvest, the rest of their 2020 need came from outside Shanxi and the local "
          "price was at import parity.",
          description="Largest share of a cluster's 2020 harvest its processors bought."),
    # ---------------------------------------------------------------- poverty (Ch.4)
    # The formerly poor counties' households (sim.model.poverty, docs/ODD.md).
    Param("poverty_support_kept", "lever", 1.0, 0.0, 1.5, "× 2020 level",
          "Plan Ch.4 §1: 摘帽不摘政策 … 过渡期内保持财政支持政策总体稳定 (support kept at its 2020 "
          "level through the 5-year transition); status quo 1.",
          by_year=True,
          description="Poverty-specific transfers to formerly poor households (PV income and "
                      "the other support above the provincial transfer) as a multiple of 2020; "
                      "what is not delivered stays at the 2020 level."),
    Param("pv_income_yi", "uncertainty", 18.0, 15.0, 21.0, "亿元/yr",
          "Plan Ch.4 §2: photovoltaic poverty-alleviation income 每年稳定在18亿元以上; 2020 "
          "expected 17 亿 (Xinhua 2020-03-06, copy http://m.wxykgl.com/politics/2020-03/06/"
          f"c_1125673445.htm); the ±3 亿 band is {A}.",
          description="Yearly PV poverty-alleviation station income 2021-2025."),
    Param("poor_offfarm_hire_rate", "uncertainty", 0.3, 0.15, 0.45, "1/yr",
          f"{A}: chance in 2020 that a formerly poor household's surplus labour without "
          "off-farm work finds it within the year (public employment services, 劳务输出); no "
          "published rate. Work is lost at the rate that keeps the 2020 share at rest; context: "
          "in May 2020 64% of the 87.2 万 employed poor labourers had worked ≥ 6 months "
          "(人民网 2020-06-16, http://mlcx.apcreports.org.cn/mlcx/news/7474.html).",
          description="Off-farm job finding of formerly poor households' surplus labour, 2020."),
    Param("poor_offfarm_job_growth", "uncertainty", 0.02, -0.03, 0.07, "1/yr",
          f"{A}: growth of off-farm openings reachable from formerly poor areas (labour "
          "demand, 春风行动 and organised 劳务输出, Ch.4 §4); no published series.",
          description="Yearly growth of the job-finding rate of formerly poor households."),
    Param("formerly_poor_county_size_ratio", "constant", 0.8, 0.6, 1.0,
          "× city's mean county",
          f"{A}: the 58 counties (list by city: http://akigo.cn/ebd4774e4250207251.html) are "
          "mostly mountain counties with fewer rural residents than their city's average "
          "county; no county rural population was found.",
          description="Rural households of a formerly poor county relative to its city's mean "
                      "county (sets each city's flagged share)."),
    Param("formerly_poor_income_ratio_2020", "constant", 0.74, 0.70, 0.78,
          "share of provincial rural income",
          "国家统计局山西调查总队 poverty-monitoring survey: poverty-area rural income 67.9% of "
          "the provincial rural income in 2017 (山西日报 2018-03-27, copy https://91515.net/"
          f"ftee7df3e2f0e55696) and 70.2% in 2018 ({SX2018}), +2.3 pp/yr; "
          f"2020 not found: 0.70 holds the 2018 ratio, 0.78 continues the trend ({A}).",
          description="2020 per-capita income of formerly poor counties' households relative to "
                      "the provincial rural income."),
    Param("formerly_poor_share_wage", "constant", 0.383, 0.33, 0.43, "share",
          f"Shanxi poverty-area income structure 2018: wage 3,156 of 8,250 元 ({SX2018}); the band "
          f"is {A}.", description="Wage share of formerly poor households' 2020 income."),
    Param("formerly_poor_share_operating", "constant", 0.291, 0.24, 0.34, "share",
          f"2018: operating 2,399 of 8,250 元 ({SX2018}); band {A}.",
          description="Operating share of formerly poor households' 2020 income."),
    Param("formerly_poor_share_property", "constant", 0.012, 0.008, 0.02, "share",
          f"2018: property 98 of 8,250 元 ({SX2018}); band {A}. Transfers are the rest (2018: "
          "2,596 元, 31.5%).",
          description="Property share of formerly poor households' 2020 income."),
    Param("pv_income_2020_yi", "constant", 17.0, 12.5, 18.0, "亿元",
          "Xinhua 2020-03-06: 2020 PV poverty-alleviation income expected 17 亿 (copy "
          "http://m.wxykgl.com/politics/2020-03/06/c_1125673445.htm); 12.46 亿 settled to "
          "villages by end-September 2020 (http://gjjnhb.com/info/detail/47-39559.html).",
          description="PV poverty-alleviation income in 2020."),
    Param("pv_household_share", "constant", 0.8, 0.6, 0.9, "share",
          "2020 rule: 80% of PV income pays poor households' public-welfare jobs (Xinhua "
          "2020-03-06, http://m.wxykgl.com/politics/2020-03/06/c_1125673445.htm); band "
          f"{A}, no data.", description="Share of PV income reaching formerly poor households."),
    Param("poverty_line_yuan_2020", "constant", 4000.0, 3700.0, 4300.0, "元/person/yr",
          "China's line: 2,300 元 at 2010 prices, about 4,000 元 at 2020 prices (SCMP "
          "2020-11-24, https://www.scmp.com/economy/china-economy/article/3111430/"
          f"china-closing-declaring-initial-victory-beating-poverty); band {A}.",
          description="Poverty line for the return-to-poverty share, 2020 prices."),
    Param("poverty_line_indexation", "constant", 0.02, 0.01, 0.03, "1/yr",
          f"{A}: consumer-price growth 2021-2025 (the 2010-price line is indexed to prices).",
          description="Yearly indexation of the poverty line."),
)

BY_NAME: dict[str, Param] = {p.name: p for p in PARAMS}

# ---------------------------------------------------------------------- bridges
# From a model quantity to the quantity the province reports (sim.model.reported). Not model
# parameters: the model never reads them, the sampler never draws them (so the replicates do
# not change); each is drawn per replicate from its own named stream when a summary is put
# on the reported basis. Each range is estimated from published rows, stated here and in
# docs/targets.md ("Reported basis"), never set to make a target pass.
BRIDGE_RANGES: tuple[Param, ...] = (
    Param("bridge_cluster_coverage", "uncertainty", 1.645, 1.55, 1.74, "ratio",
          "Rows: the agriculture department's ten-cluster output for 2021, 1,600 亿 "
          "(shanxi_context.csv output_total_department), against the model's 2021 "
          "output_total (5-95% 947-999 亿 on the plan's implied 2020 base of 850.7 亿, prior "
          "and data-conditioned runs alike): 1600/999 = 1.60 to 1600/947 = 1.69, widened for "
          "the figure's rounding to the nearest 50 亿 (1,550-1,650): 1.55-1.74.",
          description="Department cluster accounting over the plan's ten-cluster base."),
    Param("bridge_processing_ratio_basis", "uncertainty", 1.566, 1.532, 1.600, "ratio",
          "Rows, 2022: the department's stated processing-to-agriculture ratio 2.3:1 "
          "(shanxi_context.csv processing_to_agri_ratio) against processing sales revenue "
          "3,260 亿 over gross agricultural output incl. services 2,219 亿 (shanxi.csv) = "
          "1.469, the model's definition: 2.3/1.469 = 1.566; 2.3 is stated to one decimal "
          "(2.25-2.35): 1.532-1.600.",
          description="Reported ratio over the ratio on the model's denominator."),
    Param("bridge_primary_va_rebase", "uncertainty", 1.27, 1.2246, 1.3197, "ratio",
          "Rows: primary value added 2021 on the revised basis, 1,286.87 亿 "
          "(shanxi_context.csv primary_va_post_break), against 946.7 亿 (2020, old basis) "
          "grown one year at a nominal rate between the model's lowest declared growth, 3%, "
          "and the published real growth 8.1% plus 3 points of prices, 11%: "
          "1286.87/(946.7 x 1.11) = 1.2246 to 1286.87/(946.7 x 1.03) = 1.3197.",
          description="Re-basing of primary value added after the 2021 statistical revision."),
)
BRIDGE_BY_NAME: dict[str, Param] = {p.name: p for p in BRIDGE_RANGES}
LEVERS = tuple(p for p in PARAMS if p.kind == "lever")
UNCERTAINTIES = tuple(p for p in PARAMS if p.kind == "uncertainty")
CONSTANTS = tuple(p for p in PARAMS if p.kind == "constant")


# ---------------------------------------------------------------------- resolution
# Scenario sections (plain data) resolved to arrays against the declarations: the model
# core takes these arrays, never a scenario.
def expand(p: Param, value: Any, base: Any = None) -> np.ndarray:
    """Scalar / list / per-key mapping -> full array of shape p.shape.

    Keys missing from a mapping take their value from ``base`` (default: the declaration's
    default).
    """
    arr = np.empty(p.shape, dtype=float)
    if isinstance(value, dict):
        fallback = p.default if base is None else base
        base = expand(p, fallback) if value is not fallback else np.zeros(p.shape)
        for i, k in enumerate(p.keys):
            if k in value:
                base[i] = np.asarray(value[k], dtype=float)
        return base
    arr[...] = np.asarray(value, dtype=float)
    return arr


def resolve_levers(levers: dict) -> dict[str, np.ndarray]:
    """Lever schedules from a scenario's ``levers`` section, each of shape (keys?, years?)."""
    return {p.name: expand(p, levers.get(p.name, p.default)) for p in LEVERS}


def resolve_constants(constants: dict) -> dict[str, np.ndarray]:
    """Constants from a scenario's ``constants`` section."""
    return {p.name: expand(p, constants.get(p.name, p.default)) for p in CONSTANTS}


def resolve_ranges(uncertainties: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(low, high) arrays per uncertainty from a scenario's ``uncertainties`` section.

    A ``{low, high}`` mapping narrows the range; a value pins it (low == high).
    """
    out = {}
    for p in UNCERTAINTIES:
        ov = uncertainties.get(p.name)
        if isinstance(ov, dict) and set(ov) == {"low", "high"}:
            lo = expand(p, ov["low"], base=p.low)
            hi = expand(p, ov["high"], base=p.high)
        elif ov is not None:
            lo = hi = expand(p, ov)
        else:
            lo, hi = expand(p, p.low), expand(p, p.high)
        out[p.name] = (lo, hi)
    return out
