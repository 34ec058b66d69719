"""The factor space: every free uncertainty element and lever, with its bounds and meaning.

Sensitivity analysis, the EMA adapter, the optimiser and calibration sample the same
factors, read from the one declaration of each parameter after the scenario's narrowing and
pinning.

- **Element spelling.** An element of a per-cluster parameter is ``NAME.KEY``
  (``national_demand_growth.brewing``) everywhere: factor names, ``derive`` paths
  (``uncertainties.NAME.KEY``), results columns (``in.NAME.KEY``). Keyword interfaces, whose
  names must be Python identifiers (EMA Workbench, mesa's batch runner), spell it
  ``NAME__KEY``; :func:`keyword` and :func:`from_keyword` are the only translation.
- **Lever meaning.** A lever factor is declared with a ``mode``: ``"value"`` (the sampled
  number is the lever's value for all its keys and years: sensitivity, EMA) or
  ``"multiplier"`` (the number scales the scenario's own lever, keys and by-year path
  together, clipped to the declared bounds: the optimiser). :func:`factor_values` applies
  either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from sim.config.scenario import lever_arrays, uncertainty_ranges
from sim.model.params import BY_NAME, LEVERS, UNCERTAINTIES

KEYWORD_SEP = "__"                       # NAME__KEY where a name must be an identifier
LEVER_MODES = ("value", "multiplier")


def element(param: str, key: str | None) -> str:
    """The factor name of a parameter or of one of its elements (``NAME.KEY``)."""
    return param if key is None else f"{param}.{key}"


def keyword(name: str) -> str:
    """A factor name as a keyword argument: ``NAME.KEY`` -> ``NAME__KEY``."""
    return name.replace(".", KEYWORD_SEP)


def from_keyword(kw: str) -> str:
    """A keyword argument as a factor name: ``NAME__KEY`` -> ``NAME.KEY``."""
    name, sep, key = kw.partition(KEYWORD_SEP)
    return element(name, key if sep else None)


def factors(scenario: dict, include_levers: bool = True, lever_mode: str = "value",
            max_multiplier: float = 3.0) -> list[dict]:
    """The factors: name, parameter, key (or None), kind, bounds; pinned ones are left out.

    A lever factor also has ``mode`` (``lever_mode``): a ``"value"`` lever is bounded by
    the lever's declared bounds, a ``"multiplier"`` lever by 0 and ``max_multiplier`` (the
    optimiser's search range; the scaled values are clipped to the declared bounds).
    """
    if lever_mode not in LEVER_MODES:
        raise ValueError(f"lever_mode must be one of {LEVER_MODES}, got {lever_mode!r}")
    out = []
    ranges = uncertainty_ranges(scenario)
    for p in UNCERTAINTIES:
        lo, hi = ranges[p.name]
        if p.per:
            for i, k in enumerate(p.keys):
                if hi[i] > lo[i]:
                    out.append({"name": element(p.name, k), "param": p.name, "key": k,
                                "kind": "uncertainty", "low": float(lo[i]),
                                "high": float(hi[i])})
        elif float(hi) > float(lo):
            out.append({"name": p.name, "param": p.name, "key": None, "kind": "uncertainty",
                        "low": float(lo), "high": float(hi)})
    if include_levers:
        for p in LEVERS:
            lo, hi = p.bounds() if lever_mode == "value" else (0.0, max_multiplier)
            out.append({"name": p.name, "param": p.name, "key": None, "kind": "lever",
                        "mode": lever_mode, "low": float(lo), "high": float(hi)})
    return out


def factor_path(f: dict) -> str:
    """The ``derive`` path of a factor: ``uncertainties.NAME[.KEY]`` or ``levers.NAME``."""
    section = "uncertainties" if f["kind"] == "uncertainty" else "levers"
    return f"{section}.{element(f['param'], f['key'])}"


def factor_values(facs: list[dict], row: Sequence[float | None],
                  base: dict | None = None) -> dict:
    """``derive`` values for one sample row; a None in ``row`` leaves that factor unset.

    A ``"multiplier"`` lever needs ``base`` (the scenario it scales).
    """
    out: dict = {}
    mult = {}
    for f, v in zip(facs, row, strict=True):
        if v is None:
            continue
        if f.get("mode") == "multiplier":
            mult[f["param"]] = float(v)
        else:
            out[factor_path(f)] = float(v)
    if mult:
        if base is None:
            raise ValueError("multiplier levers need the base scenario they scale")
        out.update(scaled_levers(base, mult))
    return out


def scaled_levers(base: dict, multipliers: Mapping[str, float]) -> dict:
    """``derive`` values scaling each named lever of ``base`` (keys and years together).

    Each element is multiplied and clipped to the lever's declared bounds; the result keeps
    the scenario's form (a number, a by-year list, or a mapping per key).
    """
    arrs = lever_arrays(base)
    out = {}
    for name, m in multipliers.items():
        p = BY_NAME[name]
        arr = np.clip(arrs[name] * m, *p.bounds())
        if p.per:
            value = {k: (arr[i].tolist() if p.by_year else float(arr[i]))
                     for i, k in enumerate(p.keys)}
        else:
            value = arr.tolist() if p.by_year else float(arr)
        out[f"levers.{name}"] = value
    return out
