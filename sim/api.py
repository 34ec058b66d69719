"""The library entry point: one scenario and one seed in, plain data out.

``run_replicate`` is what the Monte Carlo runner, ``mesa.batch_run`` (through
:class:`BatchModel`) and other tools call. It holds no global state and returns only
picklable built-in types.
"""

from __future__ import annotations

import numpy as np

from sim import plan
from sim.model import ClusterModel
from sim.outcomes import evaluate
from sim.params import UNCERTAINTIES
from sim.rng import stream
from sim.scenario import load, uncertainty_ranges


def sample_uncertainties(scenario: dict, seed: int) -> dict:
    """Draw every uncertainty for a replicate.

    Each uncertainty has its own stream (named after it), so the same seed gives the same
    draws in every scenario: narrowing one range or pinning one value leaves the others as
    they were (common random numbers).
    """
    ranges = uncertainty_ranges(scenario)
    out = {}
    for p in UNCERTAINTIES:
        lo, hi = ranges[p.name]
        u = stream(seed, f"uncertainty:{p.name}").random(p.shape or None)
        v = lo + u * (hi - lo)
        if p.integer:
            v = np.round(v)
        out[p.name] = float(v) if np.ndim(v) == 0 else np.asarray(v, float)
    return out


def flat_inputs(uncertainties: dict) -> dict[str, float]:
    """Uncertainties as flat scalar columns (``name`` or ``name.key``)."""
    out = {}
    for p in UNCERTAINTIES:
        v = uncertainties[p.name]
        if p.per:
            for k, x in zip(p.keys, np.asarray(v), strict=True):
                out[f"{p.name}.{k}"] = float(x)
        else:
            out[p.name] = float(v)
    return out


def run_replicate(scenario: dict | str = "plan", seed: int = 0,
                  households_per_agent: int | None = None) -> dict:
    """Run one replicate.

    Args:
        scenario: A validated scenario dict, or a scenario name / path to load.
        seed: The replicate's seed.
        households_per_agent: Scale override (rural households per simulated household).

    Returns:
        ``{"seed", "inputs", "outcomes", "met", "trajectory"}``: sampled uncertainties
        (flat), 2025 outcomes, met flags per target, and ``{year: {metric: value}}`` for
        2020-2025. Plain Python types only.
    """
    scn = load(scenario) if isinstance(scenario, str) else scenario
    unc = sample_uncertainties(scn, seed)
    model = ClusterModel(scn, unc, seed, households_per_agent=households_per_agent)
    try:
        model.run()
    finally:
        model.release()
    traj = model.record.rows
    final = traj[plan.TARGET_YEAR]
    return {"seed": int(seed), "inputs": flat_inputs(unc), "outcomes": dict(final),
            "met": evaluate(final), "trajectory": {int(y): dict(v) for y, v in traj.items()}}


class BatchModel(ClusterModel):
    """A ``mesa.batch_run``-compatible wrapper: keyword parameters in, ``step`` per quarter.

    Args:
        scenario: Scenario name or path (default the plan).
        seed: Replicate seed (batch_run passes it via ``rng`` or ``seed``).
        rng: Accepted for batch_run; used as the seed when ``seed`` is not given.
        households_per_agent: Scale override.
    """

    def __init__(self, scenario: str = "plan", seed: int | None = None, rng=None,
                 households_per_agent: int | None = None):
        s = int(seed if seed is not None else (rng if isinstance(rng, int | np.integer) else 0))
        scn = load(scenario)
        super().__init__(scn, sample_uncertainties(scn, s), s,
                         households_per_agent=households_per_agent)
        self.datacollector = _Collector(self)

    def step(self) -> None:
        """One quarter; stops after 2025Q4."""
        super().step()
        if self.quarter_index >= len(plan.YEARS) * plan.QUARTERS_PER_YEAR:
            self.running = False


class _Collector:
    """Enough of Mesa's DataCollector for batch_run: the latest year's outcomes."""

    def __init__(self, model: ClusterModel):
        self.model = model

    def get_model_vars_dataframe(self):
        import pandas as pd
        rows = self.model.record.rows
        return pd.DataFrame([rows[max(rows)]])

    def get_agent_vars_dataframe(self):
        import pandas as pd
        return pd.DataFrame()

    def get_agenttype_vars_dataframe(self, agent_type):
        import pandas as pd
        return pd.DataFrame()
