"""The calibrated parameters and the model pyabc runs: factors, pinning, one simulation.

Parameters: the scenario's free uncertainty factors (each element of a per-cluster
uncertainty is its own factor, as in ``sim.analysis.sensitivity``), with uniform priors over
their declared or scenario ranges. Model: one replicate per particle, ``run_replicate``
with the particle's values pinned (:func:`pin`) and a seed drawn from the ABC random stream.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.abc.options import CalibrationError
from sim.config.factors import factors as all_factors
from sim.config.files import suggest as _suggest
from sim.config.scenario import uncertainty_ranges


def choose_factors(base: dict, params: list[str] | None) -> list[dict]:
    """The free uncertainty factors of a scenario, or the named subset.

    A name is a factor (``national_demand_growth.brewing``) or an uncertainty, meaning all
    its free elements. Raises :class:`CalibrationError` for an unknown or pinned name.
    """
    facs = all_factors(base, include_levers=False)
    if not params:
        return facs
    names = [f["name"] for f in facs]
    chosen: list[dict] = []
    for name in params:
        hit = [f for f in facs if f["name"] == name or f["param"] == name]
        if not hit:
            from sim.model.params import BY_NAME
            if name in BY_NAME and BY_NAME[name].kind == "uncertainty":
                raise CalibrationError(f"--params: {name} is pinned by the scenario; "
                                       "nothing to calibrate")
            raise CalibrationError(f"--params: unknown uncertainty factor {name!r}"
                                   f"{_suggest(name, names + sorted({f['param'] for f in facs}))}"
                                   "; see docs/parameters.md")
        chosen += [f for f in hit if f not in chosen]
    return chosen


def pin(base: dict, facs: list[dict], values) -> dict:
    """The scenario with the factors pinned at ``values``; every other element keeps its range.

    Unlike ``sensitivity.scenario_for`` (which writes ``{key: value}`` and so pins the other
    keys of a per-cluster uncertainty at their declared defaults), the elements of a
    per-cluster uncertainty that are not factors keep the scenario's sampling range.
    """
    import copy

    from sim.model.params import BY_NAME
    scn = copy.deepcopy(base)
    ranges = uncertainty_ranges(base)
    per: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for f, v in zip(facs, values, strict=True):
        p = BY_NAME[f["param"]]
        if f["key"] is None:
            scn["uncertainties"][p.name] = float(v)
            continue
        lo, hi = per.setdefault(p.name, (np.array(ranges[p.name][0], float),
                                         np.array(ranges[p.name][1], float)))
        i = p.keys.index(f["key"])
        lo[i] = hi[i] = float(v)
    for name, (lo, hi) in per.items():
        keys = BY_NAME[name].keys
        scn["uncertainties"][name] = {"low": dict(zip(keys, lo.tolist(), strict=True)),
                                      "high": dict(zip(keys, hi.tolist(), strict=True))}
    return scn


class Simulator:
    """The pyabc model: one replicate with the particle's values pinned.

    The replicate's seed is drawn from numpy's global random state, which the samplers seed,
    so the model's remaining randomness is integrated over and still reproducible.
    """

    def __init__(self, base: dict, facs: list[dict], used: pd.DataFrame, hpa: int):
        self.base, self.facs, self.hpa = base, facs, int(hpa)
        self.pairs = list(zip(used["key"], used["metric"], used["year"].astype(int),
                              strict=True))

    def __call__(self, par) -> dict[str, float]:
        """Simulated values of the observed statistics for one particle."""
        from sim.run.replicate import run_replicate
        scn = pin(self.base, self.facs, [float(par[f["name"]]) for f in self.facs])
        seed = int(np.random.randint(0, 2**62, dtype=np.int64))
        traj = run_replicate(scn, seed, households_per_agent=self.hpa)["trajectory"]
        return {k: float(traj[y][m]) for k, m, y in self.pairs}

