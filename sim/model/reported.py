"""Bridges from the model's quantities to the ones the province reports.

A target is read two ways. On the **model basis** its metric is what the model computes
(``sim.model.outcomes``), on the plan's own 2020 base. On the **reported basis** it is the
indicator the government actually publishes (统计口径: who counts what, current or constant
prices, which revision), so that "met" means what a planner reading the province's reports
would call met. Where the two differ by definition, a :class:`Bridge` turns the model's
value into the reported one: reported = model × factor, with the factor drawn per replicate
from its declared range (``sim.model.params.BRIDGE_RANGES``, estimated from published rows
that the declaration names) from its own named random stream. The model never reads a
bridge, so the replicates and their outcomes are those of the model alone; the reported
basis is computed when a batch is summarised.

Every target also has a :class:`Reading`: which published indicator settles it, on what
basis, where it is published, and, where a series is shipped in ``data/observed/``, how the
reported value of a year is read from the rows (the scorecard's met / missed verdicts come
from those rows only). docs/targets.md, "Reported basis", is the table of both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.model import plan
from sim.model.outcomes import FLAG_UNREACHABLE, TARGET_BY_NAME, TARGETS, Target
from sim.model.params import BRIDGE_BY_NAME
from sim.model.rng import stream

FLAG_BASE = "plan base differs from reports"
FLAG_UNKNOWN_BRIDGE = "reported basis unknown in this view"


@dataclass(frozen=True)
class Bridge:
    """reported = model value × ``param`` (a factor drawn within its declared range)."""

    target: str
    param: str
    model_basis: str
    reported_basis: str
    rows: tuple[str, ...]          # the published rows the range is estimated from
    data_year: int                 # the first year of those rows: a view with data only
    #                                before it cannot know the bridge (the vintage rule)
    base_flag: bool = False        # the plan's own base and the reports disagree: show both


BRIDGES: tuple[Bridge, ...] = (
    Bridge("output_total", "bridge_cluster_coverage",
           "sum of the ten clusters' output on the plan's implied 2020 base (850.7 亿: each "
           "cluster's 2025 target discounted at its stated yearly growth)",
           "the agriculture department's ten-cluster output (its own cluster accounting; "
           "the pages do not say which firms it counts): 1,600 亿 for 2021, 631 亿 in H1",
           ("shanxi_context.csv output_total_department 2021",
            "shanxi_context.csv output_total_h1 2021"), 2021, base_flag=True),
    Bridge("processing_ratio", "bridge_processing_ratio_basis",
           "processing sales revenue over gross agricultural output including services "
           "(农林牧渔业总产值)",
           "the department's stated ratio 农产品加工业产值与农业总产值之比 (2.3:1 in 2022; its "
           "denominator is narrower than the gross output the bureau publishes)",
           ("shanxi_context.csv processing_to_agri_ratio 2022", "shanxi.csv processing_output "
            "2022", "shanxi.csv agri_output 2022"), 2022),
    Bridge("primary_va", "bridge_primary_va_rebase",
           "primary value added on the pre-2021 basis (946.7 亿 in 2020) grown at the sampled "
           "nominal rate",
           "第一产业增加值 in the statistical communiqué, current prices, on the basis revised "
           "in 2021 (1,286.87 亿 for 2021, +8.1% real)",
           ("shanxi_context.csv primary_va_post_break 2021", "params primary_va_2020_yi "
            "946.7 (2020 communiqué)"), 2021),
)
BRIDGE_BY_TARGET = {b.target: b for b in BRIDGES}

# Proofs that a bridged target stays out of reach on the reported basis too: target ->
# (bound, reason), the largest value the reported reading can take within the declared
# ranges. None holds today: primary value added, unreachable on the model basis, reaches
# 946.7 x 1.07^5 / 0.895 x 1.3197 = 1,957.9 亿 >= 1,900 亿 re-based at the top of the range.
REPORTED_UNREACHABLE: dict[str, tuple[float, str]] = {}


def bridge_range(b: Bridge) -> tuple[float, float]:
    """The bridge factor's declared (low, high)."""
    p = BRIDGE_BY_NAME[b.param]
    return float(p.low), float(p.high)


def draw_factors(seeds, bridge: Bridge) -> np.ndarray:
    """The bridge factor of each replicate, uniform in its range, from its own stream.

    ``seeds`` are the replicates' seeds (``replicates.parquet`` column ``seed``): the same
    replicate always gets the same factor, whatever the batch's size or order.
    """
    lo, hi = bridge_range(bridge)
    return np.array([lo + (hi - lo) * stream(int(s), bridge.param).random()
                     for s in seeds], dtype=float)


def known(bridge: Bridge, data_until: int | None) -> bool:
    """Whether a view with published data through ``data_until`` can know the bridge.

    ``data_until`` None is the ex-ante view (through 2020); the bridge's range rests on
    rows of ``bridge.data_year``.
    A view that could not have known the bridge reads the target on the model basis, so
    the 2021 vintage uses no figure published after 2020 (the department's 2021 accounting
    holds that year's growth).
    """
    return bridge.data_year <= (plan.BASE_YEAR if data_until is None else int(data_until))


def reported_values(target: str, model_values, seeds,
                    data_until: int | None = plan.TARGET_YEAR) -> np.ndarray:
    """The target's metric on the reported basis.

    Bridged where a bridge exists and the view (published data through ``data_until``;
    None: through 2020) knows it.
    """
    v = np.asarray(model_values, dtype=float)
    b = BRIDGE_BY_TARGET.get(target)
    return v if b is None or not known(b, data_until) else v * draw_factors(seeds, b)


def reported_flag(t: Target, model_flag: str | None,
                  data_until: int | None = plan.TARGET_YEAR) -> str | None:
    """The flag beside P(met) on the reported basis.

    A bridged target keeps the model flag only when it does not come from the definition:
    it is "unreachable" there only with a proof on the reported basis
    (``REPORTED_UNREACHABLE``); a target whose plan base and reports disagree says so. In a
    view that cannot know the bridge (:func:`known`) the target reads the model basis, and
    the flag says the reported basis is unknown there.
    """
    if t.name not in BRIDGE_BY_TARGET:
        return model_flag
    if not known(BRIDGE_BY_TARGET[t.name], data_until):
        return FLAG_UNKNOWN_BRIDGE if model_flag is None else f"{model_flag}; {FLAG_UNKNOWN_BRIDGE}"
    if t.name in REPORTED_UNREACHABLE:
        return FLAG_UNREACHABLE
    if model_flag == FLAG_UNREACHABLE:
        model_flag = None
    if BRIDGE_BY_TARGET[t.name].base_flag:
        return FLAG_BASE if model_flag is None else f"{model_flag}; {FLAG_BASE}"
    return model_flag


# ---------------------------------------------------------------------- readings
Rows = Mapping[tuple[str, int], float]        # (metric, year) -> published value


@dataclass(frozen=True)
class Reading:
    """How the province reports a target, and how a year's reported value is read.

    ``metrics`` are the observed-data metrics the reading needs; ``value(rows, year)``
    gives the reported value of ``year`` (None when a row is missing). ``threshold`` is the
    target's threshold on the reported indicator when it differs from the model's (a count
    of firms ≥ 500 亿 is read as the largest firm's revenue ≥ 500 亿).
    """

    indicator: str
    basis: str
    source: str
    metrics: tuple[str, ...] = ()
    kind: str = "level"              # level, ratio (a/b), growth_gap (a's minus b's since 2020)
    threshold: float | None = None

    def value(self, rows: Rows, year: int) -> float | None:
        """The reported value of ``year`` from the rows, or None if not published."""
        if not self.metrics:
            return None
        got = [rows.get((m, year)) for m in self.metrics]
        if any(v is None for v in got):
            return None
        if self.kind == "level":
            return float(got[0])
        if self.kind == "ratio":
            return float(got[0]) / float(got[1])
        if self.kind == "growth_gap":
            base = [rows.get((m, plan.BASE_YEAR)) for m in self.metrics]
            if any(v is None for v in base) or year <= plan.BASE_YEAR:
                return None
            n = year - plan.BASE_YEAR
            return (float(got[0]) / base[0]) ** (1 / n) - (float(got[1]) / base[1]) ** (1 / n)
        raise ValueError(f"unknown reading kind {self.kind!r}")

    def years(self, rows: Rows) -> list[int]:
        """Years with a reported value, ascending."""
        ys = sorted({y for (m, y) in rows if m == self.metrics[0]}) if self.metrics else []
        return [y for y in ys if self.value(rows, y) is not None]


_DEPT = "省农业农村厅 (department releases, 特优发布会, year reviews)"
_BUREAU = "山西省统计局 statistical communiqué (山西省国民经济和社会发展统计公报)"
_SURVEY = "国家统计局山西调查总队 (household survey release; communiqué)"
_NBS = "国家统计局 (national communiqué; income and consumption release)"
_NONE = "none found: no yearly figure is published on this basis"


def _family(t: Target) -> str:
    """The reading family of a target (its name without the cluster or platform key)."""
    for key in plan.CLUSTER_KEYS + plan.PLATFORM_KEYS:
        for prefix in ("output_", "farmers_", "income_gain_", "volume_", "value_"):
            if t.name == prefix + key:
                return prefix + "<key>"
        if t.name.startswith(f"tier_{key}_"):
            return "tier_<key>_<tier>"
    if t.name.startswith("firms_ge_"):
        return "firms_ge_<n>"
    return t.name


FAMILIES: dict[str, Reading] = {
    "output_<key>": Reading(
        "集群产值 per cluster", "department cluster accounting, current prices (scope not "
        "stated)", f"{_DEPT}; {_NONE} per cluster"),
    "output_total": Reading(
        "十大产业集群产值 (ten-cluster output)", "department cluster accounting, current "
        "prices; wider than the plan's implied 2020 base (1,600 亿 in 2021 against ~851 亿 in "
        "2020)", _DEPT, ("output_total_department",)),
    "farmers_<key>": Reading(
        "带动农民 (farmers linked)", "department count of farmers linked by contract, "
        "cooperative or job", f"{_DEPT}; {_NONE}"),
    "income_gain_<key>": Reading(
        "人均增收 (income gain of linked farmers)", "department statement, current prices",
        f"{_DEPT}; {_NONE}"),
    "tier_<key>_<tier>": Reading(
        "企业数 by yearly output (firms at each tier)", "department lists of leading / "
        "designated firms; firms' own revenue (营业收入)", f"{_DEPT}; {_NONE}"),
    "firms_ge_<n>": Reading(
        "企业数 by yearly output", "firms' audited revenue (营业总收入, consolidated)",
        f"company annual reports; {_NONE} as a count"),
    "investment": Reading(
        "引进投资 (investment attracted)", "department 招商引资 totals (signed or landed "
        "projects; basis varies by release)", f"{_DEPT}; {_NONE}"),
    "volume_<key>": Reading(
        "平台交易量 (platform trade volume)", "platform operators' statements",
        f"platform and city releases; {_NONE}"),
    "value_<key>": Reading(
        "平台交易额 (platform trade value)", "platform operators' statements, current prices",
        f"platform and city releases; {_NONE}"),
    "volume_platforms": Reading(
        "五大平台交易量", "sum of the platforms' statements", _NONE),
    "cold_chain_new": Reading(
        "新增冷链库容 (new cold storage)", "department programme totals (facilities built "
        "under the MARA programme)", f"{_DEPT}; {_NONE} for 2021-2025"),
    "processing_output": Reading(
        "农产品加工业销售收入 (processing sales revenue)", "department series, current prices "
        "(the series of the plan's 2,186 亿 base; not the bureau's 规模以上 food industry)",
        _DEPT, ("processing_output",)),
    "processing_ratio": Reading(
        "农产品加工业产值与农业总产值之比", "department statement; denominator narrower than "
        "the bureau's 农林牧渔业总产值", _DEPT, ("processing_to_agri_ratio",)),
    "primary_va": Reading(
        "第一产业增加值 (primary value added)", "bureau, current prices, revised basis from "
        "2021 (excludes farm services)", _BUREAU, ("primary_va_post_break",)),
    "grain": Reading(
        "粮食总产量 (grain output)", "NBS announcement, same basis as the model", _NBS + "; "
        + _BUREAU, ("grain",)),
    "rural_income_level": Reading(
        "农村居民人均可支配收入, Shanxi over national", "household surveys, current prices",
        f"{_SURVEY}; {_NBS}", ("rural_income", "national_rural_income"), kind="ratio"),
    "rural_income_growth": Reading(
        "农村居民人均可支配收入 growth, Shanxi minus national (average since 2020)",
        "household surveys, current prices", f"{_SURVEY}; {_NBS}",
        ("rural_income", "national_rural_income"), kind="growth_gap"),
    "training": Reading(
        "高素质农民培训 (farmers trained, cumulative)", "department programme count",
        f"{_DEPT}; {_NONE}"),
    "training_certified": Reading(
        "持证比例 (share certified)", "department programme count", f"{_DEPT}; {_NONE}"),
    "farmland": Reading(
        "高标准农田 (cumulative high-standard farmland)", "department cumulative area built "
        "(upgrades are reported inside the yearly flow)", _DEPT, ("farmland_hs",)),
    "precooling": Reading(
        "果蔬预冷率 (pre-cooling rate)", "department estimate", f"{_DEPT}; {_NONE}"),
    "poor_area_income_growth": Reading(
        "脱贫县农村居民人均可支配收入 growth over national rural", "household survey of the "
        "formerly poor counties, current prices", f"{_SURVEY}; no series shipped"),
    "poor_labour_transfer": Reading(
        "脱贫劳动力务工规模 (labour moved into work)", "乡村振兴 bureau count of people "
        "employed (a stock, not yearly moves)", f"乡村振兴局 releases; {_NONE} as yearly moves"),
    "no_return_to_poverty": Reading(
        "防止返贫监测 (no large-scale return to poverty)", "monitoring system's count of "
        "households at risk (monitoring line above the national line)",
        f"乡村振兴局 releases; {_NONE} as a share"),
}

# Targets read on another published quantity than their own metric: the flagship counts
# are settled by the largest firm's audited revenue (Shanxi Fenjiu, 600809).
_FENJIU = Reading("山西汾酒 营业总收入 (the largest firm's revenue) ≥ 500 亿",
                  "audited consolidated revenue", "山西汾酒 annual report (600809)",
                  ("top_firm_revenue_brewing",), threshold=500.0)
OVERRIDES: dict[str, Reading] = {"tier_brewing_flagship": _FENJIU, "firms_ge_500": _FENJIU}


def reading(target: str) -> Reading:
    """How ``target`` is reported."""
    if target in OVERRIDES:
        return OVERRIDES[target]
    return FAMILIES[_family(TARGET_BY_NAME[target])]


def reported_threshold(target: str) -> float:
    """The threshold on the reported indicator (the target's own unless overridden)."""
    r = reading(target)
    return float(TARGET_BY_NAME[target].threshold if r.threshold is None else r.threshold)


def verdict(target: str, rows: Rows, year: int = plan.TARGET_YEAR) -> tuple[str, float | None]:
    """("met" | "missed" | "not yet known", the reported value) from published rows only."""
    v = reading(target).value(rows, year)
    if v is None:
        return "not yet known", None
    return ("met" if v >= reported_threshold(target) else "missed"), v


def all_readings() -> dict[str, Reading]:
    """Every target's reading, in target order."""
    return {t.name: reading(t.name) for t in TARGETS}
