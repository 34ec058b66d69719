"""Firms' yearly Q4 rules: leading-firm recognition, entry and exit.

Entry and exit act on the firm table (``sim.model.firms.FirmTable``) through the firms'
own rules and agents: entrants are added as rows with a :class:`~sim.model.firms.Firm`
agent each, leavers exit through their agent. Each cluster draws from its own streams, so
entry in one cluster never shifts another's draws.
"""

from __future__ import annotations

import numpy as np

from sim.model import equations as eq
from sim.model import plan
from sim.model.firms import Firm, effective_margin, median, per_cluster_draws, subsidy_cost
from sim.model.rng import stream

NC, NK = len(plan.CITIES), len(plan.CLUSTERS)


def entrant_size(m, ki: int) -> tuple[float, float]:
    """(log median, log SD) of an entrant's planned output, from its cluster's firms.

    Entrants are drawn from their own cluster's size distribution, scaled down by
    ``entrant_relative_size`` (entrants start smaller than incumbents).
    """
    return size_params(m, m.firms.sales[m.firms.alive & (m.firms.cluster == ki)
                                         & (m.firms.sales > 0)])


def size_params(m, s: np.ndarray) -> tuple[float, float]:
    """(log median, log SD) of an entrant's planned output among incumbents selling ``s``.

    The rule of :func:`entrant_size`, shared with the firms outside the clusters.
    """
    if s.size < 2:
        return float(np.log(m.const["entrant_median_yi"])), float(m.const["entrant_size_sd"])
    logs = np.log(s)
    return (float(median(logs) + np.log(m.const["entrant_relative_size"])),
            float(np.clip(logs.std(), m.const["entrant_size_sd_min"],
                          m.const["entrant_size_sd_max"])))


def recognise_leaders(m, first: bool = False) -> None:
    """Q4 recognition round: firms meeting the criteria become provincial leading firms.

    A firm is recognised when its sales reach the recognition threshold and it buys under
    contract from farmers of its city and cluster (the farmer-linkage criterion); a
    recognised firm loses the status when its sales fall below ``leading_retain_fraction``
    of the threshold. The count is an outcome (``leading_firms``), not a constant.

    In 2020 (``first``) the threshold is calibrated, in the open, so that the linked firms
    above it number the plan's 470 leading firms (Ch.1 §1); it is then held fixed in 2020
    prices, as the province's published criteria are.
    """
    ft = m.firms
    f = m.farmers
    linked = np.zeros((NC, NK), bool)
    has = f.contract & (f.cluster >= 0)
    linked[f.city[has], f.cluster[has]] = True
    eligible = ft.alive & linked[ft.city, ft.cluster]
    if first:
        sales = np.sort(ft.sales[eligible])[::-1]
        n = min(plan.PROVINCE.leading_firms_2020, sales.size)
        m.firms.leading_threshold_yi = float(sales[n - 1]) if n else np.inf
    meets = eligible & (ft.sales >= m.firms.leading_threshold_yi)
    keeps = ft.alive & ft.leading & (ft.sales >= m.const["leading_retain_fraction"]
                                     * m.firms.leading_threshold_yi)
    ft.leading = meets if first else meets | keeps


def entry_exit(m) -> None:
    """New firms enter where returns beat the hurdle; idle small firms exit.

    Each cluster draws from its own streams (``firms:entry:YEAR:CLUSTER``,
    ``firms:exit:YEAR:CLUSTER``), so entry in one cluster never shifts another's draws.
    """
    ft = m.firms
    year_index = m.year - plan.YEARS[0]
    cs = m.lever("capital_subsidy_rate", year_index)
    isub = m.lever("interest_subsidy_pp", year_index)
    lam = entry_rates(m, cs, isub)
    exits = per_cluster_draws(m, f"firms:exit:{m.year}", lambda rng, n: rng.random(n))
    entrants = []  # (cluster, city, planned output) of each cluster's entrants
    for ki, key in enumerate(plan.CLUSTER_KEYS):
        rng = stream(m.seed, f"firms:entry:{m.year}:{key}")
        count = int(rng.poisson(lam[ki]))
        if count == 0:
            continue
        size = rng.lognormal(*entrant_size(m, ki), count)
        city = rng.choice(NC, size=count, p=m.presence[:, ki] / m.presence[:, ki].sum())
        entrants.append((ki, city, size))
    if entrants:  # one append to the table for all clusters, rows in cluster order
        add_entrants(m, entrants, cs, isub)
    exits = np.concatenate([exits, np.ones(len(ft.cluster) - len(exits))])  # entrants stay
    gone = leaving(m, ft, exits)
    for r in np.flatnonzero(gone):  # in the order the firms were created
        ft.agents[r].exit()
        ft.agents[r] = None


def leaving(m, ft, u: np.ndarray, per_row: float = 1.0) -> np.ndarray:
    """Which firms exit (idle small ones, at ``exit_probability``; any below minimum sales).

    ``u``: one uniform draw per row; ``per_row``: the firms a row stands for (its size
    is ``per_row`` firms' sizes; 1 for the cluster firms). Shared with the firms outside
    the clusters.
    """
    const = m.const
    small = ft.capacity < const["exit_small_capacity_yi"] * per_row
    idle = ft.low_util >= const["exit_idle_quarters"]
    return ft.alive & ((idle & small & (u < const["exit_probability"]))
                       | ((ft.sales < const["exit_min_sales_yi"] * per_row)
                          & (ft.capacity > 0)))


def entry_rates(m, cs: np.ndarray, isub: np.ndarray) -> np.ndarray:
    """Expected entrants per cluster this year (the Poisson rate).

    ``cs``, ``isub``: the capital and interest subsidies delivered this year.
    """
    ft = m.firms
    # A new plant earns the margin on the share of its capacity the market will use when it
    # opens: entry rises with expected demand against the capacity there or being built.
    capacity = np.bincount(ft.cluster, (ft.capacity + ft.pipeline.sum(axis=1)) * ft.alive,
                           minlength=NK) * m.const["target_utilisation"]
    expected = m.firms.demand * np.exp(m.firms.market_growth * (m.lag / 4.0 + 1.0))
    n_alive = np.bincount(ft.cluster[ft.alive], minlength=NK)
    return entry_intensity(m, n_alive, expected, capacity, effective_margin(m), cs, isub,
                           m.firms.market_growth)


def entry_intensity(m, n_alive, expected, capacity, margin, cs, isub, growth):
    """Expected entrants of markets with ``n_alive`` firms (the rule of :func:`entry_rates`).

    ``expected``: demand expected when a new plant opens; ``capacity``: the capacity there
    or being built at target utilisation; ``growth``: the markets' growth this year.
    """
    used = np.clip(expected / np.maximum(capacity, 1e-9), 0.0, 1.0)
    ret = eq.investment_return(margin * used, m.uncertain["capital_output_ratio"], cs)
    req = eq.required_return(m.uncertain["hurdle_rate"], isub)
    attract = eq.invest_share(ret, req, m.const["investment_response"])  # in [0, 1]
    # Churn entry (entry_rate) plus entry that keeps the number of firms growing with the
    # market (entry_growth_share × market growth): with a stationary size distribution the
    # count of firms grows with the market it serves (Luttmer 2007).
    # At full attractiveness the growth term keeps the count growing with the market.
    lam = n_alive * attract * (m.uncertain["entry_rate"] * m.const["entry_attraction_scale"]
                               + m.const["entry_growth_share"]
                               * np.maximum(growth, 0.0))
    return lam


def add_entrants(m, entrants: list, cs: np.ndarray, isub: np.ndarray) -> None:
    """Add the year's entrants (cluster, cities, planned outputs) with their investment."""
    ft = m.firms
    sizes = np.concatenate([size for _, _, size in entrants])
    rows = m.firms.add(np.concatenate([np.full(len(size), ki) for ki, _, size in entrants]),
                       np.concatenate([city for _, city, _ in entrants]),
                       np.zeros(len(sizes)), sizes, np.zeros(len(sizes), bool))
    planned = sizes / m.const["target_utilisation"]
    capex = planned * m.uncertain["capital_output_ratio"]
    ft.pipeline[rows, m.lag] += planned
    ft.invested[rows] += capex
    at = 0
    for ki, _, size in entrants:  # the sums cluster by cluster, as they were added
        c = capex[at:at + len(size)]
        at += len(size)
        m.firms.cum_investment_yi += float(c.sum())
        subsidy_cost(m, c, np.full(len(c), ki), cs, isub)
    ft.agents.extend(Firm(m, int(r)) for r in rows)
