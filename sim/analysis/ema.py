"""An EMA Workbench adapter: our model as an ``ema_workbench.Model``.

Uncertainties, levers and outcomes come from the same declarations as everything else
(``sim.config.factors``, ``sim.model.outcomes.HEADLINE_METRICS``): each element of a
per-cluster uncertainty is one EMA uncertainty (``national_demand_growth__brewing``), each
lever one EMA lever scaling all its keys and years. Every experiment runs one replicate with
a fixed seed (common random numbers across experiments); pass a different ``seed`` for
another realisation of the remaining randomness.

The model function is an instance of :class:`ReplicateFunction`, a module-level class, so
EMA's ``MultiprocessingEvaluator`` can pickle it under the ``spawn`` start method.
"""

from __future__ import annotations

from sim.config.factors import factor_values, factors
from sim.config.scenario import derive, lever_arrays, load
from sim.model.outcomes import HEADLINE_METRICS
from sim.model.rng import DEFAULT_SEED


def _ema_name(name: str) -> str:
    return name.replace(".", "__")


class ReplicateFunction:
    """One replicate of a scenario with factor values set by EMA keyword (picklable)."""

    def __init__(self, base: dict, facs: list[dict], defaults: list[float], seed: int,
                 households_per_agent: int):
        self.base, self.facs, self.defaults = base, facs, defaults
        self.by_ema = {_ema_name(f["name"]): i for i, f in enumerate(facs)}
        self.seed, self.households_per_agent = seed, households_per_agent

    def __call__(self, **kwargs) -> dict:
        """Run the replicate with the factors EMA sets; the headline outcomes."""
        from sim.run.replicate import run_replicate
        row = list(self.defaults)
        for k, v in kwargs.items():
            if k in self.by_ema:
                row[self.by_ema[k]] = float(v)
        scn = derive(self.base, factor_values(self.facs, row), source="ema")
        r = run_replicate(scn, self.seed, households_per_agent=self.households_per_agent)
        return {o: r["outcomes"][o] for o in HEADLINE_METRICS}


def ema_model(scenario: str | dict = "plan", households_per_agent: int = 1000,
              seed: int = DEFAULT_SEED, include_levers: bool = True):
    """Return an ``ema_workbench.Model`` wrapping one replicate of the cluster model.

    Args:
        scenario: Scenario name, path or validated dict (its ranges bound the uncertainties).
        households_per_agent: Scale of each run.
        seed: Replicate seed used by every experiment.
        include_levers: Expose the levers as EMA levers.
    """
    from ema_workbench import Model, RealParameter, ScalarOutcome

    base = load(scenario) if isinstance(scenario, str) else scenario
    facs = factors(base, include_levers)
    defaults = [(f["low"] + f["high"]) / 2 for f in facs]
    arrs = lever_arrays(base)
    for i, f in enumerate(facs):  # a lever not set by EMA keeps the scenario's value
        if f["kind"] == "lever":
            defaults[i] = float(arrs[f["param"]].mean())
    model = Model("clustersim", function=ReplicateFunction(base, facs, defaults, seed,
                                                            households_per_agent))
    model.uncertainties = [RealParameter(_ema_name(f["name"]), f["low"], f["high"])
                           for f in facs if f["kind"] == "uncertainty"]
    if include_levers:
        model.levers = [RealParameter(_ema_name(f["name"]), f["low"], f["high"])
                        for f in facs if f["kind"] == "lever"]
    model.outcomes = [ScalarOutcome(o) for o in HEADLINE_METRICS]
    return model
