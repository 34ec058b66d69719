"""Experiments: a base scenario and a design of points (grid, Latin hypercube, or a list).

An experiment file names factors by their scenario key path (as ``--set`` does:
``levers.capital_subsidy_rate``, ``levers.brand_fund_yi_yuan.brewing``,
``uncertainties.policy_delivery``). Every point is the base scenario with those overrides,
validated like any scenario; all points share the root seed, so replicate ``i`` of every
point sees the same uncertainty draws (common random numbers).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim.config.errors import ScenarioError
from sim.config.files import find_named, read_yaml, shipped_files, suggest
from sim.config.scenario import apply_overrides, load_raw, number_literal, validate
from sim.model.rng import DEFAULT_SEED

TOP = ("name", "description", "scenario", "replicates", "seed", "households_per_agent",
       "design")
DESIGNS = ("grid", "lhs", "points")


def shipped_experiments() -> dict[str, Path]:
    """Named experiments in ./experiments and the source tree's experiments/."""
    return shipped_files("experiments")


def find_experiment(ref: str | os.PathLike) -> Path:
    """Resolve an experiment reference (path or shipped name) to a file."""
    return find_named(ref, "experiment", shipped_experiments())


def _int(data: dict, key: str, src: str, lo: int, hi: int, default: int | None) -> int | None:
    v = data.get(key, default)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ScenarioError(src, key, f"must be a whole number in [{lo}, {hi}], got {v!r}")
    return v


def _num(v: Any, src: str, path: str) -> float:
    x = number_literal(v)
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise ScenarioError(src, path, f"must be a number, got {v!r}")
    if not np.isfinite(x):
        raise ScenarioError(src, path, f"must be a finite number, got {v!r}")
    return float(x)


def _value(v: Any) -> Any:
    """A factor value, number-like strings read as numbers (``1e-1``: a string to YAML 1.1)."""
    if isinstance(v, list):
        return [_value(x) for x in v]
    if isinstance(v, dict):
        return {k: _value(x) for k, x in v.items()}
    return number_literal(v)


def load_experiment(ref: str | os.PathLike) -> dict:
    """Read and validate an experiment; returns it with its points resolved.

    Returns:
        ``{"name", "description", "scenario", "replicates", "seed", "households_per_agent",
        "design", "factors", "points": [{"id", "name", "values", "sets", "scenario"}]}``.
    """
    path = find_experiment(ref)
    src = str(path)
    data = read_yaml(path, "an experiment must be a mapping of keys " + ", ".join(TOP))
    for k in data:
        if k not in TOP:
            raise ScenarioError(src, str(k), f"unknown key{suggest(str(k), TOP)}; allowed: "
                                f"{', '.join(TOP)}")
    name = str(data.get("name", path.stem))
    if not name or not all(c.isalnum() or c in "_-." for c in name) or name in (".", ".."):
        raise ScenarioError(src, "name", "use letters, digits, '_', '-' or '.' only")
    base_ref = data.get("scenario", "plan")
    if not isinstance(base_ref, str):
        raise ScenarioError(src, "scenario", "must be a scenario name or file path")
    cand = path.parent / base_ref
    if cand.suffix in (".yaml", ".yml") and cand.is_file():
        base_ref = str(cand)
    base_raw, base_src = load_raw(base_ref)
    design = data.get("design")
    if not isinstance(design, dict):
        raise ScenarioError(src, "design", f"must be a mapping with type: one of "
                            f"{', '.join(DESIGNS)}")
    kind = design.get("type")
    if kind not in DESIGNS:
        raise ScenarioError(src, "design.type", f"must be one of {', '.join(DESIGNS)}"
                            f"{suggest(str(kind), DESIGNS)}, got {kind!r}")
    seed = _int(data, "seed", src, 0, 2**63 - 1, DEFAULT_SEED)
    points: list[dict] = []
    if kind == "points":
        allowed = {"type", "points"}
        _only(design, allowed, src)
        raw_points = design.get("points")
        if not isinstance(raw_points, list) or not raw_points:
            raise ScenarioError(src, "design.points", "must be a non-empty list of "
                                "{name, set: {key: value}}")
        factors = []
        for i, pt in enumerate(raw_points):
            p = f"design.points[{i}]"
            if not isinstance(pt, dict) or not isinstance(pt.get("set", {}), dict):
                raise ScenarioError(src, p, "must be a mapping with name and set")
            _only(pt, {"name", "set"}, src, p)
            sets = {k: _value(v) for k, v in (pt.get("set") or {}).items()}
            factors += [k for k in sets if k not in factors]
            points.append({"name": str(pt.get("name", f"p{i}")), "values": sets})
    else:
        allowed = {"type", "factors", "n"} if kind == "lhs" else {"type", "factors"}
        _only(design, allowed, src)
        fac = design.get("factors")
        if not isinstance(fac, dict) or not fac:
            raise ScenarioError(src, "design.factors", "must map scenario keys to "
                                + ("value lists" if kind == "grid" else "{low, high}"))
        factors = list(fac)
        if kind == "grid":
            levels = []
            for k, v in fac.items():
                if not isinstance(v, list) or not v:
                    raise ScenarioError(src, f"design.factors.{k}", "must be a non-empty list "
                                        f"of values, got {v!r}")
                levels.append([_value(x) for x in v])
            for combo in itertools.product(*levels):
                points.append({"values": dict(zip(factors, combo, strict=True))})
        else:
            n = _int(design, "n", src, 2, 10_000, None)
            if n is None:
                raise ScenarioError(src, "design.n", "a Latin hypercube needs n (points)")
            bounds = []
            for k, v in fac.items():
                pth = f"design.factors.{k}"
                if not isinstance(v, dict) or set(v) != {"low", "high"}:
                    raise ScenarioError(src, pth, "must be {low: number, high: number}")
                lo, hi = _num(v["low"], src, f"{pth}.low"), _num(v["high"], src, f"{pth}.high")
                if lo > hi:
                    raise ScenarioError(src, pth, f"low ({lo:g}) is above high ({hi:g})")
                bounds.append((lo, hi))
            from scipy.stats import qmc
            u = qmc.LatinHypercube(d=len(factors), seed=np.random.default_rng(seed)).random(n)
            for row in u:
                points.append({"values": {k: float(lo + x * (hi - lo)) for k, x, (lo, hi)
                                          in zip(factors, row, bounds, strict=True)}})
    for i, pt in enumerate(points):
        pt["id"] = f"p{i:03d}"
        pt.setdefault("name", pt["id"] if kind != "grid" else ", ".join(
            f"{k.split('.')[-1]}={_short(v)}" for k, v in pt["values"].items()))
        pt["sets"] = [f"{k}={yaml.safe_dump(v, default_flow_style=True).strip()}"
                      .replace("\n...", "") for k, v in pt["values"].items()]
        for k in pt["values"]:
            if k.split(".")[0] not in ("levers", "uncertainties", "constants", "settings"):
                raise ScenarioError(src, f"factor {k}", "must start with levers., "
                                    "uncertainties., constants. or settings.")
        try:
            scn = validate(apply_overrides(base_raw, pt["sets"], src), base_src)
        except ScenarioError as e:
            raise ScenarioError(src, f"point {pt['name']}", str(e)) from None
        scn["name"] = f"{name}-{pt['id']}"
        pt["scenario"] = scn
    hpa = _int(data, "households_per_agent", src, 1, 100_000, None)
    return {"name": name, "description": str(data.get("description", "")).strip(),
            "source": src, "scenario": str(data.get("scenario", "plan")),
            "replicates": _int(data, "replicates", src, 1, 1_000_000, 100), "seed": seed,
            "households_per_agent": hpa, "design": kind, "factors": factors, "points": points}


def _short(v: Any) -> str:
    return f"{v:g}" if isinstance(v, int | float) and not isinstance(v, bool) else str(v)


def _only(d: dict, allowed: set, src: str, prefix: str = "design") -> None:
    for k in d:
        if k not in allowed:
            raise ScenarioError(src, f"{prefix}.{k}", f"unknown key{suggest(str(k), allowed)};"
                                f" allowed: {', '.join(sorted(allowed))}")


def describe_experiment(ref: str | os.PathLike) -> str:
    """One line: the experiment's description, design, points, replicates and base scenario.

    Validates the experiment (a broken file raises ScenarioError naming the key).
    """
    exp = load_experiment(ref)
    desc = exp["description"].splitlines()[0] if exp["description"] else ""
    factors = ", ".join(k.split(".", 1)[-1] for k in exp["factors"])
    return (f"{desc} [{exp['design']}, {len(exp['points'])} points x {exp['replicates']} "
            f"replicates, on {exp['scenario']}; {factors}]").strip()
