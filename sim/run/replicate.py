"""The library entry point: one scenario and one seed in, plain data out.

``run_replicate`` is what the Monte Carlo runner, ``mesa.batch_run`` (through
:class:`BatchModel`) and other tools call. It returns only picklable built-in types
and holds no global state beyond one process-wide allocator setting
(``sim.run.memory.keep_freed_memory``).
"""

from __future__ import annotations

import numpy as np

from sim.config.exogenous import KEY as EXOGENOUS
from sim.config.scenario import constant_arrays, lever_arrays, load, uncertainty_ranges
from sim.model import plan
from sim.model.model import ClusterModel
from sim.model.outcomes import HEADLINE_METRICS, evaluate
from sim.model.params import UNCERTAINTIES
from sim.model.rng import stream
from sim.run.memory import keep_freed_memory


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


def model_inputs(scenario: dict, seed: int, households_per_agent: int | None = None) -> dict:
    """The resolved arrays a :class:`ClusterModel` takes, for a scenario and a seed."""
    return {"levers": lever_arrays(scenario), "constants": constant_arrays(scenario),
            "uncertainties": sample_uncertainties(scenario, seed), "seed": int(seed),
            "households_per_agent": int(households_per_agent
                                        or scenario["settings"]["households_per_agent"]),
            "exogenous": scenario.get(EXOGENOUS)}


def build_model(scenario: dict, seed: int, households_per_agent: int | None = None,
                reference_farmers: bool = False) -> ClusterModel:
    """A model initialised for a scenario and a replicate seed (not yet run)."""
    return ClusterModel(**model_inputs(scenario, seed, households_per_agent),
                        reference_farmers=reference_farmers)


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
    keep_freed_memory()
    scn = load(scenario) if isinstance(scenario, str) else scenario
    inputs = model_inputs(scn, seed, households_per_agent)
    unc = inputs["uncertainties"]
    model = ClusterModel(**inputs)
    try:
        model.run()
    finally:
        model.release()
    traj = model.record.rows
    final = traj[plan.TARGET_YEAR]
    return {"seed": int(seed), "inputs": flat_inputs(unc), "outcomes": dict(final),
            "met": evaluate(final), "trajectory": {int(y): dict(v) for y, v in traj.items()}}


def _latest(metric: str):
    return lambda m: m.record.rows[max(m.record.rows)][metric]


def keyword_values(params: dict) -> dict[str, object]:
    """``derive`` paths for keyword parameters named after declarations.

    ``capital_subsidy_rate=0.3`` sets a lever (all keys and years), ``hurdle_rate=0.1``
    pins an uncertainty, ``national_demand_growth__dairy=0.12`` one element of a
    per-cluster parameter (``__`` separates name and key, as in the EMA adapter).
    """
    from sim.model.params import CONSTANTS, LEVERS, UNCERTAINTIES
    section = {**{p.name: "constants" for p in CONSTANTS},
               **{p.name: "uncertainties" for p in UNCERTAINTIES},
               **{p.name: "levers" for p in LEVERS}}
    out = {}
    for key, value in params.items():
        name, _, elem = key.partition("__")
        if name not in section:
            from sim.config.files import suggest
            raise TypeError(f"BatchModel: unknown parameter {key!r}{suggest(name, section)}; "
                            "parameters are lever, uncertainty and constant names "
                            "(docs/parameters.md), NAME__KEY for one element")
        out[f"{section[name]}.{name}" + (f".{elem}" if elem else "")] = value
    return out


class BatchModel(ClusterModel):
    """A ``mesa.batch_run``-compatible wrapper: keyword parameters in, ``step`` per quarter.

    Every lever, uncertainty and constant is a keyword parameter, so ``batch_run`` sweeps
    them the way Mesa's examples sweep theirs: ``parameters={"capital_subsidy_rate":
    [0.1, 0.3], "hurdle_rate": 0.1}``. A Mesa ``DataCollector`` records the latest year's
    headline outcomes (``HEADLINE_METRICS``) after every quarter, so ``batch_run`` returns
    the 2025 values. Seeds: on Mesa 3.5+ pass ``batch_run(..., rng=[1, 2, ...])``; on Mesa
    3.3 put ``"seed": [1, 2, ...]`` in ``parameters``. Without a seed each model draws a
    fresh one (``iterations=2`` gives two different runs); the seed used is ``model.seed``.

    Args:
        scenario: Scenario name or path (default the plan).
        seed: Replicate seed.
        rng: Accepted for batch_run; used as the seed when ``seed`` is not given.
        households_per_agent: Scale override.
        **params: Lever, uncertainty or constant values by name (``NAME__KEY`` for one
            element of a per-cluster or per-platform parameter).
    """

    def __init__(self, scenario: str = "plan", seed: int | None = None, rng=None,
                 households_per_agent: int | None = None, **params):
        import mesa

        from sim.config.scenario import derive
        if seed is None and isinstance(rng, int | np.integer):
            seed = int(rng)
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
        s = int(seed)
        scn = load(scenario)
        if params:
            scn = derive(scn, keyword_values(params), source="BatchModel")
        super().__init__(**model_inputs(scn, s, households_per_agent))
        # Collected after each quarter only (not at start): Mesa 3.3's batch_run reads the
        # row at index steps - 1, Mesa 3.5 looks the step up; both then get 2025.
        self.datacollector = mesa.DataCollector(
            model_reporters={k: _latest(k) for k in HEADLINE_METRICS})

    def step(self) -> None:
        """One quarter; stops after 2025Q4."""
        super().step()
        self.datacollector.collect(self)
        if self.quarter_index >= len(plan.YEARS) * plan.QUARTERS_PER_YEAR:
            self.running = False
