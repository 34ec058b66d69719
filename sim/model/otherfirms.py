"""Processing outside the ten clusters, made of firms (issue #21, item 2).

Grain milling, edible oils, feed, vegetables and every other agricultural processing the ten
clusters leave out (about 60% of the province's 2020 processing revenue) was a reduced-form
residual grown at a sampled rate. It is now a table of firms of its own
(:class:`OtherProcessing`, ``m.other``) under the cluster firms' rules, which it calls
(``sim.model.firms``, ``sim.model.entry``): Gibrat share growth against one market, the
investment rule, construction lags, quarterly production capped by capacity, entry where
returns beat the hurdle, exit of idle small firms. What differs, and why (docs/ODD.md,
"Processing outside the clusters"):

* **Its market** is "other agricultural processing" sold by Shanxi's firms. Its log growth is
  an AR(1) around the trend ``ln(1 + other_processing_growth)`` with the cluster markets'
  persistence and shock SD (``market_growth_persistence``, ``market_growth_sd``), one shock
  a year from its own stream (``markets:growth:other_processing``, the naming of the
  national markets' streams), and the 2021 COVID-19 rebound as a level step, as the
  clusters' markets have. The trend is measured on Shanxi's own processing revenue, so it
  holds Shanxi's share movements: no ``shanxi_share_gain`` is added.
* **Rows are representative firms.** ``ROWS`` rows each stand for ``per_row`` firms of the
  same size (``per_row`` = the number of firms / ``ROWS``); a row's sales and capacity are
  those of all its firms. Sizes, investment, output and the entry rate scale with
  ``per_row``: entry draws rows at the firms' Poisson rate / ``per_row`` (the same expected
  firms), exit compares a row's size per firm with the thresholds.
* **No plan lever reaches them** (the plan's subsidies and funds are for the ten clusters),
  no raw-material market (their inputs are not modelled: the margin stays at its 2020
  level) and no cold chain; they have no city, so no household links to them.
* **The year's price draw** is their own (``otherproc:price:<year>``, the clusters'
  ``price_shock_sd``), so no cluster's draw moves.
"""

from __future__ import annotations

import numpy as np

from sim.model import entry, firms, national, plan
from sim.model import equations as eq
from sim.model.rng import stream

# The share of processing revenue still reduced-form (issue #21 item 2: goal 0, at most
# 0.2): none; the ten clusters' firms and these firms make all of it
# (tests/model/test_otherfirms.py measures it)
REDUCED_FORM_SHARE = 0.0
ROWS = 300  # representative firms in 2020 (a numerical resolution, like households_per_agent)
KEY = "other_processing"
MARKET_STREAM = national.MARKET_STREAM  # + ":<market>", as the clusters' markets
OTHER_PROCESSING_2020_YI = plan.PROVINCE.processing_output_2020_yi - sum(
    c.implied_output_2020_yi_yuan for c in plan.CLUSTERS)


def market_path(mu, rho: float, sigma: float, eps: np.ndarray) -> np.ndarray:
    """The market's log growth by year 2021-2025, an AR(1) around ``mu``.

    The national markets' process (:func:`sim.model.national.market_path`) for one market,
    without reports (no yearly growth of this market is reported).
    """
    return national.market_path(np.atleast_1d(mu), rho, sigma,
                                np.asarray(eps, float)[None, :])[0]


def own_market_path(seed: int, uncertainties: dict) -> np.ndarray:
    """The log growth by year of this market for a replicate, from its own stream's shocks."""
    eps = stream(seed, f"{MARKET_STREAM}:{KEY}").normal(0.0, 1.0, len(plan.YEARS))
    return market_path(np.log1p(uncertainties["other_processing_growth"]),
                       uncertainties["market_growth_persistence"],
                       uncertainties["market_growth_sd"], eps)


class OtherFirm(firms.Firm):
    """A representative firm of processing outside the clusters (``per_row`` firms)."""

    def exit(self) -> None:
        """Leave the market: the row is marked dead and the agent removed."""
        ft = self.model.other.table
        ft.alive[self.row] = False
        ft.capacity[self.row] = 0.0
        ft.sales[self.row] = 0.0
        ft.output[self.row] = 0.0
        ft.pipeline[self.row] = 0.0
        self.remove()


class OtherProcessing:
    """The state of processing outside the clusters: its firms and its market.

    ``table`` is a :class:`~sim.model.firms.FirmTable` whose rows are all in market 0.
    """

    def __init__(self, m):
        u, const = m.uncertain, m.const
        self.table = firms.FirmTable(lag_max=m.firms.lag_max)
        # as many firms as the 2020 level needs at the cluster firms' mean size (assumption)
        n_cluster = int(m.firms.alive.sum())
        self.firms_2020 = OTHER_PROCESSING_2020_YI / (m.firms.base_output.sum() / n_cluster)
        self.per_row = self.firms_2020 / ROWS
        rng = stream(m.seed, "init:otherfirms")
        sizes = rng.lognormal(0.0, 1.0, ROWS)  # the cluster firms' size rule, no leader
        sizes = np.sort(sizes)[::-1] * OTHER_PROCESSING_2020_YI / sizes.sum()
        rows = self.table.add(np.zeros(ROWS, int), np.full(ROWS, -1), sizes
                              / const["utilisation_2020"], sizes, np.zeros(ROWS, bool))
        self.table.agents.extend(OtherFirm(m, int(r)) for r in rows)
        self.demand = float(sizes.sum())  # the market, current 亿元: 2020 sales
        self.path = own_market_path(m.seed, u)
        self.growth = 0.0  # this year's market growth (log)
        self.output_q = 0.0  # this year's output so far, 亿元
        self.output_2020 = float(sizes.sum())
        self.price = 1.0  # this year's price draw
        self.cum_investment_yi = 0.0

    def draw_price(self, seed: int, year: int, sd: float) -> None:
        """The year's price draw (lognormal, mean one), from this market's own stream."""
        self.price = float(np.exp(stream(seed, f"otherproc:price:{year}").normal(
            -0.5 * sd * sd, sd)))

    def margin(self, m) -> float:
        """Operating margin (no raw-material market: the 2020 margin)."""
        return float(m.const["other_operating_margin"])

    def start_year(self) -> None:
        """Zero the year's output account (Q1)."""
        self.output_q = 0.0

    def n_firms(self) -> float:
        """Firms alive (rows × ``per_row``)."""
        return float(self.table.alive.sum()) * self.per_row


def grow_and_invest(m) -> None:
    """Q1: the market grows, firms' shares move (Gibrat), firms invest (the firms' rules)."""
    o, ft = m.other, m.other.table
    year_index = m.year - plan.YEARS[0]
    o.growth = g = float(o.path[year_index])
    s = m.uncertain["covid_2020_shortfall"]
    step = float(eq.covid_rebound(s, m.year, plan.BASE_YEAR)
                 / eq.covid_rebound(s, m.year - 1, plan.BASE_YEAR))
    o.demand = o.demand * np.exp(g) * step
    alive = ft.alive
    med = firms.median(ft.sales[alive]) if alive.any() else 1.0
    sd = firms.gibrat_sd(m, ft.sales, np.full(len(ft.sales), med))
    eps = stream(m.seed, f"otherfirms:growth:{m.year}").normal(0.0, 1.0, len(ft.sales)) * sd
    selling = alive & (ft.capacity > 0)
    weight = np.where(selling, ft.sales * np.exp(eps - 0.5 * sd * sd), 0.0)
    ft.sales = firms.market_shares(ft, weight, np.array([o.demand]), selling, 1)
    n = len(ft.sales)
    zero = np.zeros(n)
    add, capex = firms.capacity_additions(m, ft, np.full(n, g), m.lag / 4.0 + 1.0,
                                          np.full(n, o.margin(m)), zero, zero)
    ft.pipeline[:, m.lag] += add
    ft.invested += capex
    o.cum_investment_yi += float(capex.sum())


def year_draw(m) -> float:
    """The factor on the value sold from this year's price draw: P^(1 - elasticity)."""
    return m.other.price ** (1.0 - m.const["demand_price_elasticity"])


def produce(m) -> None:
    """Every quarter: capacity arrives; firms produce up to capacity at the year's price."""
    o, ft = m.other, m.other.table
    firms.arrive(ft)
    q = np.minimum(ft.sales, ft.capacity * m.const["max_utilisation"]) * year_draw(m)
    firms.settle(m, ft, q)
    o.output_q += float(ft.output.sum()) / 4.0


def entry_exit(m) -> None:
    """Q4: entrants where returns beat the hurdle; idle small firms and tiny ones exit."""
    o, ft, const = m.other, m.other.table, m.const
    w = o.per_row
    exits = stream(m.seed, f"otherfirms:exit:{m.year}").random(len(ft.sales))
    capacity = float(np.sum((ft.capacity + ft.pipeline.sum(axis=1)) * ft.alive)) \
        * const["target_utilisation"]
    expected = o.demand * np.exp(o.growth * (m.lag / 4.0 + 1.0))
    zero = np.zeros(1)
    lam = entry.entry_intensity(m, np.array([ft.alive.sum() * w]), np.array([expected]),
                                np.array([capacity]), np.array([o.margin(m)]), zero, zero,
                                np.array([o.growth]))[0]
    rng = stream(m.seed, f"otherfirms:entry:{m.year}")
    count = int(rng.poisson(lam / w))  # rows of per_row firms each: the same expected firms
    if count:
        alive = ft.alive & (ft.sales > 0)
        size = rng.lognormal(*entry.size_params(m, ft.sales[alive] / w), count) * w
        rows = ft.add(np.zeros(count, int), np.full(count, -1), np.zeros(count), size,
                      np.zeros(count, bool))
        planned = size / const["target_utilisation"]
        capex = planned * m.uncertain["capital_output_ratio"]
        ft.pipeline[rows, m.lag] += planned
        ft.invested[rows] += capex
        o.cum_investment_yi += float(capex.sum())
        ft.agents.extend(OtherFirm(m, int(r)) for r in rows)
    exits = np.concatenate([exits, np.ones(len(ft.sales) - len(exits))])  # entrants stay
    for r in np.flatnonzero(entry.leaving(m, ft, exits, per_row=w)):
        ft.agents[r].exit()
        ft.agents[r] = None


def resize(m, r: float) -> None:
    """Scale every firm (sales, capacity, capacity being built) and the market by ``r``.

    The re-anchoring on an observed processing total (``sim.model.assimilate``).
    """
    o, ft = m.other, m.other.table
    o.demand *= r
    ft.sales *= r
    ft.capacity *= r
    ft.pipeline *= r
