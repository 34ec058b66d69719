"""Processing firms: the state table, the Mesa agents, and their yearly and quarterly rules.

Firms are Mesa agents (one per firm: identity, entry, exit), but their quarterly state lives
in a :class:`FirmTable` of numpy columns so that production and investment of all firms run
as one vectorised update; a :class:`Firm` agent reads and writes its row. The functions take
the model ``m``: sales growth and investment (Q1), production (every quarter), entry and
exit (Q4); the margin left after raw material's cost (``sim.model.rawmaterial``).
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.model import equations as eq
from sim.model import national, plan
from sim.model.rng import stream

NC, NK, NP = len(plan.CITIES), len(plan.CLUSTERS), len(plan.PLATFORMS)


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
        self.agents: list[Firm | None] = []  # each row's agent (None once it has exited)
        # the clusters' state the firms' rules keep (set by ``init_firms``)
        self.base_output = np.zeros(NK)  # 2020 output by cluster, 亿元
        self.demand = np.zeros(NK)  # each cluster's market, current 亿元 (nominal)
        self.market_growth = np.zeros(NK)  # this year's demand growth (log, 1/yr)
        self.coverage_last = np.zeros(NK)  # cold-chain coverage the last growth saw
        self.top_firm = np.zeros(NK, int)  # row of each cluster's 2020 largest firm
        self.n_leading_2020 = 0
        self.leading_threshold_yi = np.inf  # recognition threshold (calibrated in 2020)
        self.output_q = np.zeros(NK)  # this year's output so far, by cluster, 亿元
        self.top_output_q = np.zeros(NK)  # the same for each cluster's 2020 largest firm
        self.cum_investment_yi = 0.0  # gross investment since 2021, 亿元

    def start_year(self) -> None:
        """Zero the year's output accounts (Q1)."""
        self.output_q = np.zeros(NK)
        self.top_output_q = np.zeros(NK)

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


def init_firms(m) -> None:
    """Each cluster's 2020 firms: leading firms and SMEs sized to the 2020 output."""
    rng = stream(m.seed, "init:firms")
    const = m.const
    base = np.array([c.implied_output_2020_yi_yuan for c in plan.CLUSTERS])
    w = np.sqrt(base)
    n_lead = np.maximum(np.round(plan.PROVINCE.leading_firms_2020 * w / w.sum()), 1)
    n_lead[np.argmax(n_lead)] += plan.PROVINCE.leading_firms_2020 - n_lead.sum()
    m.firms.n_leading_2020 = int(n_lead.sum())
    top = np.zeros(NK, int)
    cols, top_row = [], len(m.firms.cluster)  # each cluster's columns, appended at once
    for ci, c in enumerate(plan.CLUSTERS):
        sme_target = next(t.count for t in c.tiers if t.tier == "sme")
        n_sme = int(round(const["sme_2020_fraction"] * sme_target))
        n = int(n_lead[ci]) + n_sme
        leader = const["leader_share_2020"][ci] * base[ci]
        rest = rng.lognormal(0.0, 1.0, n - 1)
        rest = np.sort(rest)[::-1] * (base[ci] - leader) / rest.sum()
        sizes = np.concatenate([[leader], rest])
        leading = np.arange(n) < n_lead[ci]
        cw = m.presence[:, ci] / m.presence[:, ci].sum()
        city = rng.choice(NC, size=n, p=cw)
        cols.append((np.full(n, ci), city, sizes / const["utilisation_2020"], sizes, leading))
        top[ci] = top_row  # the 2020 largest firm (anchored on a published revenue)
        top_row += n
    rows = m.firms.add(*(np.concatenate(c) for c in zip(*cols, strict=True)))
    m.firms.agents.extend(Firm(m, int(r)) for r in rows)
    m.firms.top_firm = top
    m.firms.top_output_q = np.zeros(NK)
    m.firms.base_output = base
    m.firms.demand = base.copy()  # each cluster's market, current 亿元 (nominal): 2020 sales
    m.firms.coverage_last = np.full(NK, const["cold_coverage_2020"])
    m.firms.market_growth = np.zeros(NK)


def market_growth(m, year_index: int) -> np.ndarray:
    """Growth of demand for each cluster's products this year (log, 1/yr).

    National market growth (the year's value of the cluster's AR(1) path around the sampled
    trend or, in a year up to the scenario's data_until with a report, the reported growth)
    plus Shanxi's share gain: the base
    trend, marketing funds, subsidy cost cuts passed into prices, and — for perishable
    clusters — the *change* in cold-chain coverage (a level effect on share: coverage
    reached stays, it does not keep raising growth).
    """
    unc, const = m.uncertain, m.const
    cs = m.lever("capital_subsidy_rate", year_index)
    brand = m.lever("brand_fund_yi_yuan", year_index)
    perish = np.array([c.perishable for c in plan.CLUSTERS], float)
    cov_change = m.coverage - m.firms.coverage_last
    m.firms.coverage_last = m.coverage
    cost_cut = cs * unc["capital_output_ratio"] * const["interest_rate"]
    gain = eq.share_gain(unc["shanxi_share_gain"], unc["brand_effect"], brand,
                         np.maximum(m.firms.demand, 1e-6), unc["cold_chain_effect"],
                         perish * cov_change, unc["subsidy_passthrough"], cost_cut)
    # the year's national growth: the AR(1) path around the sampled trend, a reported year
    # (up to data_until) in its place (sim.model.national.market_path)
    return m.market_path[:, year_index] + gain


def median(x: np.ndarray) -> float:
    """``np.median`` of a 1-D float array, bit for bit, without its generic machinery.

    The middle value, or the two middle values' sum halved (as ``np.mean`` takes it); NaN
    if the array is empty or holds a NaN. (Called some 100 times a replicate, where
    ``np.median``'s overhead was most of the cost.)
    """
    n = x.size
    if n == 0:
        return np.nan
    h = n // 2
    part = np.partition(x, [h - 1, h, n - 1] if n % 2 == 0 else [h, n - 1])
    if np.isnan(part[-1]):
        return np.nan
    return float(part[h]) if n % 2 else float((part[h - 1] + part[h]) / 2.0)


def growth_sd(m) -> np.ndarray:
    """Each firm's share-growth SD: Gibrat's law with variance falling with size.

    ``firm_growth_sd × (sales / cluster median)^(−β)``, β = ``growth_sd_size_elasticity``
    (Stanley et al. 1996), bounded to [1/b, b] × the median firm's SD,
    b = ``growth_sd_size_bound``.
    """
    ft = m.firms
    med = np.ones(NK)
    for ki in range(NK):
        s = ft.sales[ft.alive & (ft.cluster == ki)]
        med[ki] = median(s) if s.size else 1.0
    return gibrat_sd(m, ft.sales, med[ft.cluster])


def gibrat_sd(m, sales: np.ndarray, med: np.ndarray) -> np.ndarray:
    """The share-growth SD of firms of ``sales`` whose market's median firm sells ``med``.

    The rule of :func:`growth_sd`, shared with the firms outside the clusters
    (``sim.model.otherfirms``).
    """
    rel = np.divide(sales, med, out=np.ones_like(sales), where=sales > 0)
    bound = m.const["growth_sd_size_bound"]
    scale = np.clip(rel ** -m.const["growth_sd_size_elasticity"], 1.0 / bound, bound)
    return m.uncertain["firm_growth_sd"] * scale


def grow_and_invest(m, year_index: int) -> None:
    """Demand grows; firms compete for it; firms decide on capacity investment.

    Each cluster sells against its market (``m.firms.demand``, current 亿元): firms' sales
    are their shares of it, and shares move by Gibrat-type noise whose variance falls with
    size. Entrants take share from incumbents; the cluster's total grows with its market,
    not with the number of firms.
    """
    ft = m.firms
    alive = ft.alive
    g = market_growth(m, year_index)
    m.firms.market_growth = g
    # COVID-19: 2020's markets sat covid_2020_shortfall below their trend and the gap closes
    # in 2021 (a level step, not growth: it is not in g, so no firm extrapolates it into
    # its capacity plans or entry)
    s = m.uncertain["covid_2020_shortfall"]
    step = eq.covid_rebound(s, m.year, plan.BASE_YEAR) / eq.covid_rebound(s, m.year - 1,
                                                                           plan.BASE_YEAR)
    step = float(step)
    reported = m.national_markets.get(m.year)
    if reported is not None:                    # a reported year holds its own rebound
        step = np.where(np.isnan(reported), step, 1.0)
    m.firms.demand = m.firms.demand * np.exp(g) * step
    sd = growth_sd(m)
    eps = per_cluster_draws(m, f"firms:growth:{m.year}",
                            lambda rng, n: rng.normal(0.0, 1.0, n)) * sd
    # Firms whose plant is still being built keep their planned size and join the
    # market when their capacity arrives (they cannot sell what they cannot make).
    selling = alive & (ft.capacity > 0)
    weight = np.where(selling, ft.sales * np.exp(eps - 0.5 * sd * sd), 0.0)
    # Where a cluster's 2020 largest firm has a published growth of its own beyond its
    # national market (top_firm_excess_growth, 0 = none), it grows by that excess in place
    # of the cluster's base share gain (policy effects on share still apply); the share it
    # wins is new demand for the cluster, so the other firms' sales are as without it. The
    # excess reverts to the market at rate top_firm_excess_reversion from 2020 on.
    excess0 = np.asarray(m.uncertain["top_firm_excess_growth"], float)
    excess = national.top_firm_excess(excess0, float(m.uncertain["top_firm_excess_reversion"]),
                                      m.year)
    top_gain = np.where(excess0 != 0.0, excess - m.uncertain["shanxi_share_gain"], 0.0)
    top = m.firms.top_firm
    on = selling[top] & (top_gain != 0.0)
    if on.any():
        before = np.bincount(ft.cluster, weight, minlength=NK)
        extra = np.where(on, weight[top] * np.expm1(top_gain), 0.0)
        m.firms.demand = m.firms.demand * (1.0 + extra / np.maximum(before, 1e-12))
        weight[top] = weight[top] + extra
    ft.sales = market_shares(ft, weight, m.firms.demand, selling, NK)
    invest(m, year_index, g, top_gain)


def market_shares(ft: FirmTable, weight: np.ndarray, demand: np.ndarray,
                  selling: np.ndarray, n_markets: int) -> np.ndarray:
    """Each firm's sales: its market's ``demand`` × its ``weight`` / the market's weights.

    Firms not yet ``selling`` keep their planned size (0 once dead). Shared with the firms
    outside the clusters (``sim.model.otherfirms``).
    """
    total = np.bincount(ft.cluster, weight, minlength=n_markets)
    return np.where(selling, demand[ft.cluster] * weight / np.maximum(total[ft.cluster], 1e-12),
                    np.where(ft.alive, ft.sales, 0.0))


def invest(m, year_index: int, g: np.ndarray, top_gain: np.ndarray) -> None:
    """Firms close part of the gap to the capacity their expected sales need.

    ``g``: this year's market growth by cluster; ``top_gain``: the excess growth of each
    cluster's 2020 largest firm (``grow_and_invest``). Investment is capped by credit.
    """
    ft, top = m.firms, m.firms.top_firm
    cs = m.lever("capital_subsidy_rate", year_index)
    isub = m.lever("interest_subsidy_pp", year_index)
    horizon = m.lag / 4.0 + 1.0
    g_firm = g[ft.cluster]
    g_firm[top] = g_firm[top] + top_gain  # the gaining firm plans for its own growth
    margin = effective_margin(m)
    add, capex = capacity_additions(m, ft, g_firm, horizon, margin[ft.cluster], cs[ft.cluster],
                                    isub[ft.cluster])
    ft.pipeline[:, m.lag] += add
    ft.invested += capex
    m.firms.cum_investment_yi += float(capex.sum())
    subsidy_cost(m, capex, ft.cluster, cs, isub)


def capacity_additions(m, ft: FirmTable, g_firm: np.ndarray, horizon: float,
                       margin: np.ndarray, cs: np.ndarray,
                       isub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(capacity added, its capex) of each firm this year: the investment rule.

    Each firm closes the share of the gap to the capacity its expected sales need that
    its return beats its hurdle by (``equations.invest_share``), capped by credit.
    ``g_firm``, ``margin``, ``cs``, ``isub``: per firm. Shared with the firms outside the
    clusters (``sim.model.otherfirms``).
    """
    want = ft.sales * np.exp(g_firm * horizon) / m.const["target_utilisation"]
    gap = np.maximum(want - ft.capacity - ft.pipeline.sum(axis=1), 0.0) * ft.alive
    ret = eq.investment_return(margin, m.uncertain["capital_output_ratio"], cs)
    req = eq.required_return(m.uncertain["hurdle_rate"], isub)
    share = eq.invest_share(ret, req, m.const["investment_response"])
    add = gap * share
    capex = add * m.uncertain["capital_output_ratio"]
    limit = m.const["credit_multiple"] * m.const["equity_ratio"] * ft.capacity
    scale = np.minimum(1.0, np.divide(limit, capex, out=np.ones_like(capex),
                                      where=capex > 0))
    return add * scale, capex * scale


def subsidy_cost(m, capex: np.ndarray, cluster: np.ndarray, cs: np.ndarray,
                  isub: np.ndarray) -> None:
    """Fiscal cost of capital and interest subsidies on new investment (亿元)."""
    m.fiscal.charge("capital_subsidy", float(np.sum(capex * cs[cluster])))
    m.fiscal.charge("interest_subsidy", float(np.sum(
        capex * m.const["loan_share_of_capex"] * isub[cluster] / 100.0
        * m.const["interest_subsidy_years"])))


# ---- raw material (sim/model/rawmaterial.py clears the market; issue #9, item 1) ----
def effective_margin(m) -> np.ndarray:
    """Operating margin per cluster after raw material's cost rose above its 2020 level."""
    return m.const["operating_margin"] - m.const["raw_material_share"] * m.raw.cost_gap()


def year_draws(m) -> np.ndarray:
    """Each cluster's factor on the value it sells from this year's price and disease draws.

    Value sold = price × quantity demanded at that price: P^(1 - elasticity).
    """
    return m.price ** (1.0 - m.const["demand_price_elasticity"]) * m.disease_keep


def produce(m) -> None:
    """Quarterly production of every firm; capacity under construction arrives."""
    ft = m.firms
    arrive(ft)
    sp = eq.spoilage(m.coverage, m.const["spoilage_2020"], m.const["cold_coverage_2020"],
                     m.const["spoilage_elasticity"])
    perish = np.array([c.perishable for c in plan.CLUSTERS])
    keep = np.where(perish, (1 - sp) / (1 - m.const["spoilage_2020"]), 1.0)
    # value sold = price × quantity demanded at that price: P^(1 - elasticity)
    factor = year_draws(m) * keep
    q = np.minimum(ft.sales, ft.capacity * m.const["max_utilisation"]) * factor[ft.cluster]
    q = q * m.raw.output_share[ft.cluster]  # raw material too dear to buy caps output
    settle(m, ft, q)
    m.firms.output_q += np.bincount(ft.cluster, ft.output / 4.0, minlength=NK)
    m.firms.top_output_q += ft.output[m.firms.top_firm] / 4.0


def arrive(ft: FirmTable) -> None:
    """Capacity under construction due this quarter arrives."""
    ft.capacity += ft.pipeline[:, 0]
    ft.pipeline[:, :-1] = ft.pipeline[:, 1:]
    ft.pipeline[:, -1] = 0.0


def settle(m, ft: FirmTable, q: np.ndarray) -> None:
    """Firms' output this quarter is ``q`` (annualised); idle quarters are counted."""
    ft.output = np.where(ft.alive, q, 0.0)
    util = np.divide(q, ft.capacity, out=np.zeros_like(q), where=ft.capacity > 0)
    ft.low_util = np.where(util < m.const["low_utilisation"], ft.low_util + 1, 0)


def per_cluster_draws(m, name: str, draw) -> np.ndarray:
    """One value per firm row, drawn from a stream of the firm's own cluster.

    Rows of a cluster are in the order its firms were added, which depends on that cluster
    alone; so a lever that changes entry in one cluster leaves every other cluster's draws
    as they were (common random numbers per cluster).
    """
    out = np.zeros(len(m.firms.cluster))
    for ki, key in enumerate(plan.CLUSTER_KEYS):
        rows = np.flatnonzero(m.firms.cluster == ki)
        out[rows] = draw(stream(m.seed, f"{name}:{key}"), len(rows))
    return out


def resize_top_firm(m, cluster: int, r: float) -> None:
    """Scale a cluster's 2020 largest firm by ``r``; the change is demand for its cluster."""
    ft = m.firms
    row = ft.top_firm[cluster]
    ft.demand[cluster] += (r - 1.0) * ft.sales[row]
    ft.sales[row] *= r
    ft.capacity[row] *= r
    ft.pipeline[row] *= r


def cluster_output(m) -> np.ndarray:
    """Output of each cluster this quarter (annualised, 亿元)."""
    alive = m.firms.alive
    return np.bincount(m.firms.cluster[alive], m.firms.output[alive], minlength=NK)
