"""What decides each headline answer, by kind of cause: a variance decomposition of a batch.

Every uncertain input of a replicate belongs to one kind of cause (:data:`KIND_OF`):

* ``macro`` - exogenous macro series, weather and disease: national income, wage and
  transfer growth, input costs, the COVID-19 year, droughts and outbreaks, the trends of the
  reduced-form provincial aggregates;
* ``markets`` - the clusters' product markets: national demand, its yearly shocks, Shanxi's
  share, the leading firm's excess growth, price shocks, the market of processing outside
  the ten clusters;
* ``behaviour`` - how agents decide: investment hurdle, adoption, entry, growth dispersion,
  capital intensity, contract premiums, hiring;
* ``levers`` - how strongly the policy levers work when they are used: delivery, the effects
  of brand funds, cold chain, subsidies, land services and training (a scenario fixes the
  lever settings themselves, so they add no variance within a batch);
* ``initial`` - the 2020 levels the data leave open (links, cold chain, gross output,
  photovoltaic income);
* ``bridges`` - the factors from the model's quantity to the one the province reports
  (:mod:`sim.model.reported`), for the bridged targets in views that know them.

The estimate uses the batch's own replicates (no extra runs): the 2025 outcome (its log when
positive in every replicate, so shares are of relative differences, and on the reported basis
where the target is bridged) is regressed on the inputs, and the explained variance (adjusted
R², never below 0) of every subset of kinds is computed. A kind's share is its Shapley value
over those subsets (Owen 2014; Song, Nelson & Staum 2016; the "LMG" decomposition of R²): the
shares add up to the variance the inputs explain together, and what the inputs share through
interactions is split evenly between them (a share estimated below 0, noise of the
estimate, reads 0). Shares need at least 30 replicates and two per varying input. The
rest, ``chance``, is what the sampled inputs do not explain: the replicate's own draws
(which city has a drought in which year, a firm's shocks, a household's choice) and any
effect a regression with linear and, given enough replicates, squared terms per input
cannot represent. docs/analysis.md says how to read it.
"""

from __future__ import annotations

from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd

from sim.model import national, otherfirms, plan, reported
from sim.model.outcomes import HEADLINE_GROUPS, TARGET_BY_NAME
from sim.model.params import BRIDGE_BY_NAME, UNCERTAINTIES

KINDS = ("macro", "markets", "behaviour", "levers", "initial", "bridges")
CHANCE = "chance"
KIND_OF: dict[str, str] = {
    # exogenous macro series, weather and disease
    "national_rural_income_growth": "macro", "off_farm_wage_growth": "macro",
    "transfer_income_growth": "macro", "input_cost_inflation": "macro",
    "covid_2020_shortfall": "macro", "drought_probability": "macro",
    "drought_yield_loss": "macro", "disease_probability": "macro",
    "disease_output_loss": "macro", "agri_output_growth": "macro",
    "primary_va_growth": "macro", "grain_trend": "macro", "poor_offfarm_job_growth": "macro",
    # product markets
    "national_demand_growth": "markets", "shanxi_share_gain": "markets",
    "top_firm_excess_growth": "markets", "price_shock_sd": "markets",
    "other_processing_growth": "markets", "other_buyers_elasticity": "markets",
    "market_growth_persistence": "markets", "market_growth_sd": "markets",
    "top_firm_excess_reversion": "markets",
    # agent behaviour
    "firm_growth_sd": "behaviour", "hurdle_rate": "behaviour",
    "adoption_sensitivity": "behaviour", "capital_output_ratio": "behaviour",
    "construction_lag_quarters": "behaviour", "entry_rate": "behaviour",
    "contract_premium": "behaviour", "poor_offfarm_hire_rate": "behaviour",
    # how strongly the levers work
    "brand_effect": "levers", "cold_chain_effect": "levers", "subsidy_passthrough": "levers",
    "policy_delivery": "levers", "training_certified_share": "levers",
    "land_service_cost_cut": "levers",
    # 2020 levels the data leave open
    "linked_2020_fraction": "initial", "cold_chain_2020_wan_t": "initial",
    "agri_output_2020_yi": "initial", "pv_income_yi": "initial",
}
KIND_OF.update({name: "bridges" for name in BRIDGE_BY_NAME})
# not a declared input: the replicate's yearly market shocks, summarised per market
# (:func:`market_shocks`)
SHOCKS = "market_shocks"
KIND_OF[SHOCKS] = "markets"
# squared terms enter only with this many replicates per regression coefficient
ROWS_PER_TERM = 10
# no shares below this many replicates, nor below two per varying input
MIN_REPLICATES = 30
ROWS_PER_INPUT = 2


def kind_of(column: str) -> str:
    """The kind of cause of an input column (``in.NAME`` or ``in.NAME.KEY``, or a bridge)."""
    name = column.removeprefix("in.").split(".")[0]
    try:
        return KIND_OF[name]
    except KeyError:
        raise KeyError(f"{name}: no kind of cause declared (sim.analysis.causes.KIND_OF; "
                       f"one of {', '.join(KINDS)})") from None


def unclassified() -> list[str]:
    """Declared uncertainties without a kind of cause (a test keeps this empty)."""
    return [p.name for p in UNCERTAINTIES if p.name not in KIND_OF]


def market_shocks(reps: pd.DataFrame, exogenous: dict | None = None) -> pd.DataFrame:
    """Each replicate's yearly market shocks, summarised per market.

    Per market: the sum over 2021-2025 of its log growth's deviation from the trend (what
    the shocks add to the 2025 level).

    The shocks are not sampled inputs but draws of the replicate's own streams, so they are
    recomputed from its seed and inputs as the model draws them (:func:`sim.model.national.
    market_path`, with the view's reported years; the market of processing outside the
    clusters, :mod:`sim.model.otherfirms`). Without them the markets' yearly swings would
    read as chance.
    """
    need = {"in.market_growth_persistence", "in.market_growth_sd", "in.covid_2020_shortfall"}
    if not len(reps) or not need <= set(reps.columns):
        return pd.DataFrame(index=reps.index)
    observed = national.observed_market_growth(exogenous)
    keys = list(plan.CLUSTER_KEYS)
    rows = []
    for _, r in reps.iterrows():
        seed = int(r["seed"])
        u = {"national_demand_growth": np.array([r[f"in.national_demand_growth.{k}"]
                                                 for k in keys], float),
             **{name: float(r[f"in.{name}"]) for name in (
                 "market_growth_persistence", "market_growth_sd", "covid_2020_shortfall")}}
        g = national.replicate_market_path(u, seed, observed)
        row = dict(zip(keys, (g - u["national_demand_growth"][:, None]).sum(axis=1),
                       strict=True))
        if "in.other_processing_growth" in reps.columns:
            u["other_processing_growth"] = float(r["in.other_processing_growth"])
            mu_o = np.log1p(u["other_processing_growth"])
            row[otherfirms.KEY] = float((otherfirms.own_market_path(seed, u) - mu_o).sum())
        rows.append(row)
    return pd.DataFrame(rows, index=reps.index).add_prefix(f"in.{SHOCKS}.")


def inputs(reps: pd.DataFrame, target: str, data_until: int | None,
           shocks: pd.DataFrame | None = None) -> pd.DataFrame:
    """The sampled inputs of each replicate, with the bridge factor and the market shocks.

    The target's bridge factor where it applies, and the markets' yearly shocks
    (``shocks``, :func:`market_shocks`) when given.

    Inputs that do not vary in the batch (pinned by the scenario) are left out.
    """
    x = reps[[c for c in reps.columns if c.startswith("in.")]].astype(float)
    if shocks is not None and shocks.shape[1]:
        x = pd.concat([x, shocks], axis=1)
    b = reported.BRIDGE_BY_TARGET.get(target)
    if b is not None and reported.known(b, data_until):
        x = x.assign(**{f"in.{b.param}": reported.draw_factors(reps["seed"], b)})
    return x.loc[:, x.std(ddof=0) > 0]


def outcome(reps: pd.DataFrame, target: str, data_until: int | None) -> np.ndarray:
    """The target's 2025 value on the reported basis in each replicate.

    The model's value where no bridge applies (or the view cannot know it).
    """
    t = TARGET_BY_NAME[target]
    return reported.reported_values(t.name, reps[f"out.{t.metric}"].to_numpy(float),
                                    reps["seed"], data_until)


def _adjusted_r2(design: np.ndarray, y: np.ndarray) -> float:
    """Adjusted R² of least squares of ``y`` (centred) on ``design`` (centred), at least 0."""
    n, p = design.shape
    if p == 0:
        return 0.0
    if n - p - 1 <= 0:
        return float("nan")
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    rss = float(np.sum((y - design @ coef) ** 2))
    tss = float(np.sum(y ** 2))
    return max(0.0, 1.0 - (rss / (n - p - 1)) / (tss / (n - 1)))


def _design(x: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Standardised linear terms, and squared terms when the replicates allow them."""
    z = (x - x.mean()) / x.std(ddof=0)
    cols = list(x.columns)
    terms = [z.to_numpy()]
    names = cols[:]
    if len(x) >= ROWS_PER_TERM * 2 * len(cols):
        sq = z.to_numpy() ** 2
        terms.append(sq - sq.mean(axis=0))
        names += cols
    return np.hstack(terms), names


def shapley(value: dict[frozenset, float], players: list[str]) -> dict[str, float]:
    """Shapley values of a game given on every subset of ``players``."""
    k = len(players)
    out = {}
    for g in players:
        rest = [p for p in players if p != g]
        phi = 0.0
        for size in range(k):
            w = factorial(size) * factorial(k - size - 1) / factorial(k)
            for s in combinations(rest, size):
                s = frozenset(s)
                phi += w * (value[s | {g}] - value[s])
        out[g] = phi
    return out


def decompose_one(x: pd.DataFrame, y: np.ndarray) -> dict:
    """Shares of the outcome's variance by kind of cause, ``chance``, and the largest input.

    ``x``: the inputs (columns named as in ``replicates.parquet``); ``y``: the outcome.
    """
    y = np.asarray(y, dtype=float)
    logged = bool(np.all(y > 0))
    v = np.log(y) if logged else y
    row: dict = {"n": len(v), "log": logged}
    need = max(MIN_REPLICATES, ROWS_PER_INPUT * x.shape[1])
    reason = (f"fewer than {need} replicates" if len(v) < need else
              "no spread" if np.std(v) == 0 else
              "no varying input" if x.shape[1] == 0 else "")
    if reason:
        row.update({k: np.nan for k in KINDS + (CHANCE,)})
        row.update({"explained": np.nan, "top_input": "", "top_share": np.nan,
                    "reason": reason})
        return row
    v = v - v.mean()
    design, names = _design(x)
    kind_cols = {k: [i for i, c in enumerate(names) if kind_of(c) == k] for k in KINDS}
    players = [k for k in KINDS if kind_cols[k]]
    value = {}
    for size in range(len(players) + 1):
        for s in combinations(players, size):
            idx = [i for k in s for i in kind_cols[k]]
            value[frozenset(s)] = _adjusted_r2(design[:, idx], v)
    # a share estimated below 0 is noise of the estimate (adjusted R² of a subset can fall
    # when a kind joins it): it reads 0 and the rest goes to chance
    phi = {k: max(0.0, f) for k, f in shapley(value, players).items()}
    explained = min(1.0, sum(phi.values()))
    row.update({k: phi.get(k, 0.0) for k in KINDS})
    row[CHANCE] = 1.0 - explained
    row["explained"] = explained
    alone = {c: _adjusted_r2(design[:, [i for i, n in enumerate(names) if n == c]], v)
             for c in x.columns}
    top = max(alone, key=alone.get)
    row["top_input"] = top.removeprefix("in.")
    row["top_share"] = alone[top]
    row["reason"] = ""
    return row


def decompose(reps: pd.DataFrame, summary: pd.DataFrame, data_until: int | None,
              groups: tuple[str, ...] = HEADLINE_GROUPS,
              exogenous: dict | None = None) -> pd.DataFrame:
    """One row per target of ``groups`` (the headline ones by default), in summary order.

    Columns: ``target``, the shares by kind (:data:`KINDS`) and ``chance`` (adding up to 1),
    ``explained`` (1 - chance), ``top_input`` and ``top_share`` (the single input that
    explains most alone, and how much), ``n``, ``log`` (shares of the log outcome) and
    ``reason`` (why a row has no shares). ``exogenous``: the batch scenario's exogenous
    block (the reported market years the shocks are recomputed with; None: none).
    """
    rows = []
    shocks = market_shocks(reps, exogenous)
    for target in summary.loc[summary["group"].isin(groups), "target"]:
        x = inputs(reps, target, data_until, shocks)
        rows.append({"target": target,
                     **decompose_one(x, outcome(reps, target, data_until))})
    return pd.DataFrame(rows, columns=["target", *KINDS, CHANCE, "explained", "top_input",
                                       "top_share", "n", "log", "reason"])


def format_causes(table: pd.DataFrame) -> str:
    """The decomposition as a plain-text table (shares in %)."""
    head = (f"{'target':<30}" + "".join(f"{k:>10}" for k in KINDS + (CHANCE,))
            + "  largest single input (alone)")
    lines = ["Share of each headline 2025 outcome's variance by kind of cause (%; "
             "docs/analysis.md, 'What decides each answer'):", head]
    for r in table.itertuples():
        if r.reason:
            lines.append(f"{r.target:<30}  {r.reason}")
            continue
        lines.append(f"{r.target:<30}" + "".join(f"{100 * getattr(r, k):>10.0f}"
                                                 for k in KINDS + (CHANCE,))
                     + f"  {r.top_input} ({100 * r.top_share:.0f})")
    return "\n".join(lines)
