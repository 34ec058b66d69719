"""The library entry point: one scenario and one seed in, plain data out.

``run_replicate`` is what the Monte Carlo runner, ``mesa.batch_run`` (through
:class:`BatchModel`) and other tools call. It holds no global state and returns only
picklable built-in types.
"""

from __future__ import annotations

import numpy as np

from sim.model import plan
from sim.model.model import ClusterModel
from sim.model.outcomes import evaluate
from sim.model.params import UNCERTAINTIES
from sim.model.rng import stream
from sim.config.scenario import load, uncertainty_ranges


def sample_uncertainties(scenario: dict, seed: int) -> dict:
    """Draw every uncertainty for a replicate.

    Each uncertainty has its own stream (named after it), so the same seed gives the same
    draws in every scenario: narrowing one range or pinning one value leaves the others as
    they were (common random numbers).
    """
    ranges = uncertainty_ranges(scenario)
    if scenario.get("posterior"):  # a calibration's posterior: see sim.run.posterior
        from sim.run.posterior import pin_ranges
        ranges = pin_ranges(scenario["posterior"], seed, ranges)
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


BATCH_METRICS = tuple(f"output_{c.key}" for c in plan.CLUSTERS) + (
    "output_total", "rural_income", "rural_income_ratio", "fiscal_cost_yi", "investment_cum")


def _latest(metric: str):
    return lambda m: m.record.rows[max(m.record.rows)][metric]


class BatchModel(ClusterModel):
    """A ``mesa.batch_run``-compatible wrapper: keyword parameters in, ``step`` per quarter.

    A Mesa ``DataCollector`` records the latest year's headline outcomes (``BATCH_METRICS``)
    after every quarter, so ``batch_run`` returns the 2025 values. Seeds: on Mesa 3.5+ pass
    ``batch_run(..., rng=[1, 2, ...])``; on Mesa 3.3 put ``"seed": [1, 2, ...]`` in
    ``parameters``.

    Args:
        scenario: Scenario name or path (default the plan).
        seed: Replicate seed.
        rng: Accepted for batch_run; used as the seed when ``seed`` is not given.
        households_per_agent: Scale override.
    """

    def __init__(self, scenario: str = "plan", seed: int | None = None, rng=None,
                 households_per_agent: int | None = None):
        import mesa
        s = int(seed if seed is not None else (rng if isinstance(rng, int | np.integer) else 0))
        scn = load(scenario)
        super().__init__(scn, sample_uncertainties(scn, s), s,
                         households_per_agent=households_per_agent)
        # Collected after each quarter only (not at start): Mesa 3.3's batch_run reads the
        # row at index steps - 1, Mesa 3.5 looks the step up; both then get 2025.
        self.datacollector = mesa.DataCollector(
            model_reporters={k: _latest(k) for k in BATCH_METRICS})

    def step(self) -> None:
        """One quarter; stops after 2025Q4."""
        super().step()
        self.datacollector.collect(self)
        if self.quarter_index >= len(plan.YEARS) * plan.QUARTERS_PER_YEAR:
            self.running = False
