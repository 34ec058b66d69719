"""The factor space: every free uncertainty element and lever, with its bounds.

Sensitivity analysis, the EMA adapter and calibration sample the same factors, read from
the one declaration of each parameter after the scenario's narrowing and pinning: each
element of a per-cluster uncertainty is its own factor (``national_demand_growth.brewing``);
a lever is one factor applied to all its keys and years.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.config.scenario import uncertainty_ranges
from sim.model.params import LEVERS, UNCERTAINTIES


def factors(scenario: dict, include_levers: bool = True) -> list[dict]:
    """The factors: name, parameter, key (or None), bounds; pinned ones are left out."""
    out = []
    for p in UNCERTAINTIES:
        lo, hi = uncertainty_ranges(scenario)[p.name]
        if p.per:
            for i, k in enumerate(p.keys):
                if hi[i] > lo[i]:
                    out.append({"name": f"{p.name}.{k}", "param": p.name, "key": k,
                                "kind": "uncertainty", "low": float(lo[i]),
                                "high": float(hi[i])})
        elif float(hi) > float(lo):
            out.append({"name": p.name, "param": p.name, "key": None, "kind": "uncertainty",
                        "low": float(lo), "high": float(hi)})
    if include_levers:
        for p in LEVERS:
            lo, hi = p.bounds()
            out.append({"name": p.name, "param": p.name, "key": None, "kind": "lever",
                        "low": float(lo), "high": float(hi)})
    return out


def factor_values(facs: list[dict], row: Sequence[float]) -> dict[str, float]:
    """``derive`` paths for one sample row: ``uncertainties.x[.key]`` or ``levers.x``."""
    out = {}
    for f, v in zip(facs, row, strict=True):
        section = "uncertainties" if f["kind"] == "uncertainty" else "levers"
        path = f"{section}.{f['param']}" + (f".{f['key']}" if f["key"] is not None else "")
        out[path] = float(v)
    return out
