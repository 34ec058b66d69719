"""An EMA Workbench adapter: our model as an ``ema_workbench.Model``.

Uncertainties, levers and outcomes come from the same declarations as everything else
(``sim.config.factors``, ``sim.model.outcomes.HEADLINE_METRICS``): each element of a
per-cluster uncertainty is one EMA uncertainty, each lever one EMA lever whose value is
set for all its keys and years (mode ``"value"``). EMA's names must be identifiers, so an
element ``national_demand_growth.brewing`` is ``national_demand_growth__brewing`` here and
only here (``sim.config.factors.keyword``). An uncertainty an experiment does not set is
at the middle of its range; a lever it does not set keeps the scenario's own value,
by-year path included. Every experiment runs one replicate with a fixed seed (common random
numbers across experiments); pass a different ``seed`` for another realisation of the
remaining randomness.

The model function is an instance of :class:`ReplicateFunction`, a module-level class, so
EMA's ``MultiprocessingEvaluator`` can pickle it under the ``spawn`` start method.
"""

from __future__ import annotations

from sim.config.factors import factor_values, factors, keyword
from sim.config.scenario import derive, load
from sim.model.outcomes import HEADLINE_METRICS
from sim.model.rng import DEFAULT_SEED


class ReplicateFunction:
    """One replicate of a scenario with factor values set by EMA keyword (picklable)."""

    def __init__(self, base: dict, facs: list[dict], defaults: list[float | None], seed: int,
                 households_per_agent: int):
        """``defaults``: each factor's value when EMA does not set it (None: the scenario's)."""
        self.base, self.facs, self.defaults = base, facs, defaults
        self.by_ema = {keyword(f["name"]): i for i, f in enumerate(facs)}
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
    # an uncertainty not set by EMA is at its midpoint; a lever keeps the scenario's value
    defaults = [None if f["kind"] == "lever" else (f["low"] + f["high"]) / 2 for f in facs]
    model = Model("clustersim", function=ReplicateFunction(base, facs, defaults, seed,
                                                            households_per_agent))
    model.uncertainties = [RealParameter(keyword(f["name"]), f["low"], f["high"])
                           for f in facs if f["kind"] == "uncertainty"]
    if include_levers:
        model.levers = [RealParameter(keyword(f["name"]), f["low"], f["high"])
                        for f in facs if f["kind"] == "lever"]
    model.outcomes = [ScalarOutcome(o) for o in HEADLINE_METRICS]
    return model
