"""An EMA Workbench adapter: our model as an ``ema_workbench.Model``.

Uncertainties, levers and outcomes come from the same declarations as everything else
(``sim.analysis.sensitivity.factors``): each element of a per-cluster uncertainty is one EMA
uncertainty (``national_demand_growth__brewing``), each lever one EMA lever scaling all its
keys and years. Every experiment runs one replicate with a fixed seed (common random
numbers across experiments); pass a different ``seed`` for another realisation of the
remaining randomness.
"""

from __future__ import annotations

from sim.config.scenario import load
from sim.analysis.sensitivity import OUTCOMES, factors, scenario_for

EXTRA_OUTCOMES = ("fiscal_cost_yi", "investment_cum", "rural_income")


def _ema_name(name: str) -> str:
    return name.replace(".", "__")


def ema_model(scenario: str | dict = "plan", households_per_agent: int = 1000,
              seed: int = 20210820, include_levers: bool = True):
    """Return an ``ema_workbench.Model`` wrapping one replicate of the cluster model.

    Args:
        scenario: Scenario name, path or validated dict (its ranges bound the uncertainties).
        households_per_agent: Scale of each run.
        seed: Replicate seed used by every experiment.
        include_levers: Expose the levers as EMA levers.
    """
    from ema_workbench import Model, RealParameter, ScalarOutcome

    from sim.run.replicate import run_replicate
    base = load(scenario) if isinstance(scenario, str) else scenario
    facs = factors(base, include_levers)
    by_ema = {_ema_name(f["name"]): i for i, f in enumerate(facs)}
    defaults = [(f["low"] + f["high"]) / 2 for f in facs]
    from sim.config.scenario import lever_arrays
    arrs = lever_arrays(base)
    for i, f in enumerate(facs):  # a lever not set by EMA keeps the scenario's value
        if f["kind"] == "lever":
            defaults[i] = float(arrs[f["param"]].mean())

    def run(**kwargs) -> dict:
        row = list(defaults)
        for k, v in kwargs.items():
            if k in by_ema:
                row[by_ema[k]] = float(v)
        r = run_replicate(scenario_for(base, facs, row), seed,
                          households_per_agent=households_per_agent)
        return {o: r["outcomes"][o] for o in (*OUTCOMES, *EXTRA_OUTCOMES)}

    model = Model("clustersim", function=run)
    model.uncertainties = [RealParameter(_ema_name(f["name"]), f["low"], f["high"])
                           for f in facs if f["kind"] == "uncertainty"]
    if include_levers:
        model.levers = [RealParameter(_ema_name(f["name"]), f["low"], f["high"])
                        for f in facs if f["kind"] == "lever"]
    model.outcomes = [ScalarOutcome(o) for o in (*OUTCOMES, *EXTRA_OUTCOMES)]
    return model
