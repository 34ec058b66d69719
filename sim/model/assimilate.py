"""Sequential data assimilation up to the cut-off year: runs continue from observed states.

A forecast made in year Y starts from what is known in Y. The naive forecasts a backtest
scores the model against start from the observed value of the origin year; a model that
starts from its own simulated Y instead carries every error it made up to Y into each later
year. With a scenario's ``data_until: Y``, the block's ``state`` (``sim.config.exogenous``)
holds the observations in 2021 to Y of the metrics below, by year. For each such year the
model records the year as it simulated it (so calibration and ``check-history`` still judge
its own values) and then, at the very end of the year, re-anchors the parts of its state
those observations measure, the way the 2020 state is anchored on 2020's published figures
(``ClusterModel._calibrate_2020``); the next year runs from there (a metric observed every
year is re-anchored every year, as in a filter):

* **Household incomes by source** (``rural_income_wage/operating/property/transfer``): the
  income accounts are closed again on Y's survey values, as in 2020
  (``IncomeAccounts.close``): the wage level is rescaled so that the wage
  income the households earn equals the survey's, and the unmodelled operating, property
  and transfer parts absorb the difference between the model's flows and the survey's,
  computed in average weather (the replicate's drought and disease draws of the year are its
  own, not the ones behind the survey, and must not persist). Of these only the wage
  reaches a decision (land, jobs, training); the other parts enter the income accounts.
* **A cluster's largest firm** (``top_firm_revenue_<cluster>``): the firm is resized (its
  sales, capacity and capacity under construction) by observed / simulated revenue with
  the year's price and disease draws divided out; what it gains or loses is demand for its
  cluster (as its own growth is), so no other firm's sales change.
* **Gross agricultural output** (``agri_output``): its 2020 level is an unverified
  assumption (sampled over a range), so an observed year identifies it: the level is
  rescaled by observed / simulated in average weather and the sampled growth continues
  from it. Grain and
  primary value added are not anchored: their 2020 levels are published (the model starts
  from them) and the model reads a year's deviation from trend as weather, which does not
  persist; anchoring the level on one year would make that year's weather permanent (2021's
  grain harvest, 1,421 万吨, was a flood year). An observed year informs their trend rates
  through calibration instead.
* **Processing outside the ten clusters** (``processing_output``): its firms
  (``sim.model.otherfirms``) are resized, with their market, so that their output in Y
  equals observed minus the clusters' output (the year's price and disease draws divided
  out, theirs too) with the clusters' largest firms re-anchored (as their 2020 total is
  the plan's total minus the clusters' 2020 output); they grow under their own rules from
  there. When the clusters alone already exceed the observed total, they are not resized
  (their output cannot be negative) and the total runs above the observation.

Observations are taken as exact, whatever their quality (the calibration weights a W row
a quarter of an S row; the anchoring does not). An observation equal to the model's own
value in average weather leaves the run unchanged (test). Without a ``state`` block (no
``data_until``, an old block, or ``with_data_until(..., assimilate=False)``, i.e.
``clustersim backtest --no-assimilate``) nothing happens.
"""

from __future__ import annotations

import numpy as np

from sim.model import firms, otherfirms, plan
from sim.model.province import agri_output_trend

INCOME_PARTS = ("wage", "operating", "property", "transfer")
PROCESSING = "processing_output"
TOP = "top_firm_revenue_"
# gross agricultural output is the one reduced-form level anchored (its 2020 level is not
# published); grain and primary value added are not (module docstring)
METRICS = tuple(f"rural_income_{s}" for s in INCOME_PARTS) + ("agri_output", PROCESSING) \
    + tuple(f"{TOP}{c.key}" for c in plan.CLUSTERS)


def observed_state(exogenous: dict | None) -> dict[int, dict[str, float]]:
    """{year: {metric: observed value}} to anchor on at the end of each year ({}: none)."""
    state = (exogenous or {}).get("state") or {}
    return {int(y): {k: float(v) for k, v in m.items()} for y, m in state.items()}


def anchor(m, year: int, observed: dict[str, float]) -> dict[str, float]:
    """Re-anchor the model's state on ``observed`` (values of ``year``, just recorded).

    Returns the factor or shift applied per metric (kept in the model's ``assimilated``).
    """
    sim = m.record.rows[year]
    done: dict[str, float] = {}
    _incomes(m, sim, observed, done)
    if "agri_output" in observed:
        # against the level in average weather: the replicate's drought draw of the year is
        # its own, not the one behind the observation, and must not persist
        r = observed["agri_output"] / agri_output_trend(m, year)
        m.levels.rescale("agri_output", r)
        done["agri_output"] = r
    # the clusters' output with the year's price and disease draws divided out, as for the
    # weather above; then each anchored leader at its observed revenue
    shock = firms.year_draws(m)
    # Python floats (not numpy scalars) on both sides of the processing re-anchoring below:
    # Python 3.12's sum compensates Python floats only, so mixing the two would tell the
    # model's own value apart from itself by a rounding
    clusters = sum(float(sim[f"output_{c.key}"] / shock[k]) for k, c in enumerate(plan.CLUSTERS))
    for k, c in enumerate(plan.CLUSTERS):
        metric = f"{TOP}{c.key}"
        if metric in observed and sim[metric] > 0 and m.firms.alive[m.firms.top_firm[k]]:
            r = observed[metric] / (sim[metric] / shock[k])
            firms.resize_top_firm(m, k, r)
            clusters += observed[metric] - sim[metric] / shock[k]
            done[metric] = r
    if PROCESSING in observed:
        # the firms outside the clusters against the clusters as re-anchored (a leader's
        # observed revenue is in the observed total), their price draw divided out
        # (the clusters summed as ``clusters`` is, so that the model's own value gives 1)
        own = (sim[PROCESSING] - sum(sim[f"output_{c.key}"] for c in plan.CLUSTERS)) \
            / otherfirms.year_draw(m)
        want = observed[PROCESSING] - clusters
        if want > 0 and own > 0:
            r = want / own
            otherfirms.resize(m, r)
            done[PROCESSING] = r
    return done


def _incomes(m, sim: dict, observed: dict, done: dict) -> None:
    """Close the income accounts again on the observed parts (per person, 元).

    The wage level first (the farm's hired labour is paid from operating income, so the
    other parts are closed on the incomes at the new wage, recomputed from the same state).
    """
    if "rural_income_wage" in observed:
        r = observed["rural_income_wage"] / sim["rural_income_wage"]
        m.accounts.rescale_wage(r)
        done["rural_income_wage"] = r
    parts = [s for s in INCOME_PARTS[1:] if f"rural_income_{s}" in observed]
    if not parts:
        return
    # the incomes in average weather (drought and disease factors have mean one): the gap
    # to the survey persists, the replicate's weather draw of the year must not
    inc, f, acc = m.incomes(average_weather=True), m.farmers, m.accounts
    persons = np.sum(f.weight * f.persons)
    gap = {s: observed[f"rural_income_{s}"] - np.sum(f.weight * inc[s]) / persons
           for s in parts}
    if "operating" in gap:
        acc.add_operating(gap["operating"] / m.other_operating(1.0))
    if "property" in gap:
        acc.set_other_property(acc.other_property() + gap["property"])
    if "transfer" in gap:
        acc.add_transfer(gap["transfer"] / acc.transfer_growth)
    done.update({f"rural_income_{s}": float(g) for s, g in gap.items()})
