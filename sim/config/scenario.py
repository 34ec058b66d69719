"""Scenarios: YAML files of lever settings and uncertainty ranges, with ``extends:``.

A scenario is validated against the parameter declarations in ``sim.model.params`` before anything
runs; every problem raises :class:`ScenarioError` naming the file, the key path and what is
allowed. Files are read with ``yaml.safe_load`` (no code execution).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from sim.config import exogenous
from sim.config.errors import ScenarioError
from sim.config.files import find_named, named_dirs, read_yaml, shipped_files, suggest
from sim.model.params import (
    BY_NAME,
    CONSTANTS,
    LEVERS,
    UNCERTAINTIES,
    Param,
    expand,
    resolve_constants,
    resolve_levers,
    resolve_ranges,
)
from sim.model.plan import YEARS

TOP_KEYS = ("name", "description", "extends", "data_until", "levers", "uncertainties",
            "constants", "settings")
RECORD_KEYS = (exogenous.KEY,)  # written by validate (the resolved series), not by hand
SECTION_PARAMS = {
    "levers": {p.name: p for p in LEVERS},
    "uncertainties": {p.name: p for p in UNCERTAINTIES},
    "constants": {p.name: p for p in CONSTANTS},
}
SETTINGS: dict[str, tuple[type, float, float, Any, str]] = {
    # name: (type, low, high, default, meaning)
    "households_per_agent": (int, 1, 100_000, 250,
                             "rural households each simulated household stands for"),
    "replicates": (int, 1, 1_000_000, 200, "default number of Monte Carlo replicates"),
}
DEFAULT_SCENARIO = "plan"


def scenario_dirs() -> list[Path]:
    """Folders searched for named scenarios: $CLUSTERSIM_SCENARIOS, ./scenarios, the repo's."""
    return named_dirs("scenarios", "CLUSTERSIM_SCENARIOS")


def shipped_scenarios() -> dict[str, Path]:
    """Named scenarios found in :func:`scenario_dirs` (first folder wins)."""
    return shipped_files("scenarios", "CLUSTERSIM_SCENARIOS")


def find_scenario(ref: str | os.PathLike) -> Path:
    """Resolve a scenario reference (a path or a shipped name) to a file."""
    return find_named(ref, "scenario", shipped_scenarios())


def deep_merge(base: Mapping, over: Mapping) -> dict:
    """Merge ``over`` into a copy of ``base``; nested mappings merge, anything else replaces."""
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def load_raw(ref: str | os.PathLike, _chain: tuple[str, ...] = ()) -> tuple[dict, str]:
    """Read a scenario and everything it extends, merged; returns (data, source name)."""
    path = find_scenario(ref)
    key = str(path.resolve())
    if key in _chain:
        cycle = " -> ".join([*(_c for _c in _chain), key])
        raise ScenarioError(str(path), "extends", f"extends cycle: {cycle}")
    data = read_yaml(path, "a scenario must be a mapping of keys " + ", ".join(TOP_KEYS))
    _check_top(data, str(path))
    parent = data.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str):
            raise ScenarioError(str(path), "extends", "must be a scenario name or file path")
        try:
            pfile = find_scenario(_parent_ref(path, parent))
        except ScenarioError:
            shipped = shipped_scenarios()
            raise ScenarioError(str(path), "extends", f"no such scenario {parent!r} (a "
                                "shipped name, or a file next to this one)"
                                f"{suggest(parent, shipped)}; shipped: "
                                f"{', '.join(sorted(shipped)) or 'none'}") from None
        base, _ = load_raw(pfile, (*_chain, key))
        base.pop("name", None)
        base.pop("description", None)
        data = deep_merge(base, data)
    data.setdefault("name", path.stem)
    return data, str(path)


def _parent_ref(path: Path, parent: str) -> str:
    """What ``extends: parent`` in ``path`` names.

    A file name (``base.yaml``) is looked up next to ``path`` first; a plain name is a
    shipped scenario, or else ``<name>.yaml`` next to ``path`` (so ``extends: loop`` in
    ``loop.yaml`` is reported as the cycle it is, and a folder of scenarios can extend
    one another by name).
    """
    cand = path.parent / parent
    if cand.suffix in (".yaml", ".yml"):
        return str(cand) if cand.is_file() else parent
    if parent not in shipped_scenarios():
        for ext in (".yaml", ".yml"):
            sibling = path.parent / f"{parent}{ext}"
            if sibling.is_file():
                return str(sibling)
    return parent


def _check_top(data: dict, src: str) -> None:
    for k in data:
        if k not in TOP_KEYS and k not in RECORD_KEYS:
            raise ScenarioError(src, str(k), f"unknown key{suggest(str(k), TOP_KEYS)}; "
                                f"allowed: {', '.join(TOP_KEYS)}")


def apply_overrides(data: dict, sets: list[str], src: str = "--set") -> dict:
    """Apply ``KEY.PATH=VALUE`` overrides (VALUE parsed as YAML) to a raw scenario."""
    out = copy.deepcopy(data)
    for item in sets:
        if "=" not in item:
            raise ScenarioError(src, item, "expected KEY=VALUE, e.g. "
                                "levers.capital_subsidy_rate=0.2")
        key, _, raw = item.partition("=")
        parts = [p for p in key.strip().split(".") if p]
        if not parts:
            raise ScenarioError(src, item, "empty key")
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            raise ScenarioError(src, key, f"cannot parse value {raw!r}") from None
        if parts[0] not in TOP_KEYS or parts[0] == "extends":
            allowed = [k for k in TOP_KEYS if k != "extends"]
            raise ScenarioError(src, key, f"unknown section{suggest(parts[0], allowed)}; "
                                f"allowed: {', '.join(allowed)}")
        node = out
        for p in parts[:-1]:
            if not isinstance(node.get(p), dict):
                node[p] = {}
            node = node[p]
        node[parts[-1]] = value
    return out


def validate(data: dict, src: str) -> dict:
    """Check a merged scenario against the declarations; return it normalised (plain data)."""
    _check_top(data, src)
    out: dict[str, Any] = {
        "name": str(data.get("name", "scenario")),
        "description": str(data.get("description", "")).strip(),
    }
    if not _safe_name(out["name"]):
        raise ScenarioError(src, "name", "use letters, digits, '_', '-' or '.' only "
                            "(it names the results folder)")
    for section, params in SECTION_PARAMS.items():
        body = data.get(section) or {}
        if not isinstance(body, dict):
            raise ScenarioError(src, section, "must be a mapping of parameter names to values")
        norm = {}
        for name, value in body.items():
            path = f"{section}.{name}"
            if name not in params:
                other = [s for s, ps in SECTION_PARAMS.items() if name in ps]
                extra = f" ({name} is in '{other[0]}')" if other else ""
                raise ScenarioError(src, path, f"unknown parameter{suggest(str(name), params)}"
                                    f"{extra}; allowed: {', '.join(params)}")
            p = params[name]
            if section == "uncertainties" and isinstance(value, dict) and (
                    set(value) & {"low", "high"}):
                norm[name] = _check_range(p, value, src, path)
            else:
                norm[name] = _check_value(p, value, src, path)
        out[section] = norm
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        raise ScenarioError(src, "settings", "must be a mapping")
    sout = {}
    for k, v in settings.items():
        if k not in SETTINGS:
            raise ScenarioError(src, f"settings.{k}", f"unknown setting{suggest(str(k), SETTINGS)}"
                                f"; allowed: {', '.join(SETTINGS)}")
        typ, lo, hi, _, _ = SETTINGS[k]
        if isinstance(v, bool) or not isinstance(v, int):
            raise ScenarioError(src, f"settings.{k}", f"must be a whole number in [{lo}, {hi}]")
        if not lo <= v <= hi:
            raise ScenarioError(src, f"settings.{k}", f"{v} is out of range [{lo}, {hi}]")
        sout[k] = int(v)
    out["settings"] = {k: sout.get(k, SETTINGS[k][3]) for k in SETTINGS}
    _check_data_until(data, out, src)
    return out


def _check_data_until(data: dict, out: dict, src: str) -> None:
    """``data_until`` and its resolved series (absent when not set: runs as before)."""
    du, block = data.get("data_until"), data.get(exogenous.KEY)
    if du is None:
        if block is not None:
            raise ScenarioError(src, exogenous.KEY, "is the series data_until resolves to; "
                                "set data_until")
        return
    year = exogenous.check_year(du, src, "data_until")
    out["data_until"] = year
    out[exogenous.KEY] = (exogenous.resolve(year, src) if block is None
                          else exogenous.check_block(block, year, src))


def with_data_until(scenario: dict, year, source: str = "--data-until",
                    file: str | os.PathLike | None = None, rows=None,
                    assimilate: bool = True) -> dict:
    """A validated scenario whose exogenous series are observed up to ``year``.

    ``file`` (default ``data/observed/shanxi.csv``) or ``rows`` (observations already read
    and cut, e.g. a backtest's) give the series; ``year`` None returns the scenario as is.
    ``assimilate`` False leaves out the observed state of ``year`` (``exogenous.resolve``).
    Errors name ``source`` (the flag), the allowed years and the file.
    """
    if year is None:
        return scenario
    out = copy.deepcopy(scenario)
    out["data_until"] = year
    out[exogenous.KEY] = exogenous.resolve(year, source, "", file=file, rows=rows,
                                           assimilate=assimilate)
    return validate(out, source)


def _safe_name(name: str) -> bool:
    return bool(name) and len(name) <= 100 and all(c.isalnum() or c in "_-." for c in name) \
        and name not in (".", "..")


def number_literal(value: Any) -> Any:
    """A string that Python's ``float()`` reads, as a float; anything else unchanged.

    YAML 1.1 (PyYAML) reads ``1e-1``, ``1E3`` and ``1e-05`` (``str(np.float64(1e-5))``) as
    strings, since its floats need a dot and a signed exponent; ``--set``, scenario files
    and experiment factors accept them as numbers. ``nan`` and ``inf`` become floats here
    and are refused, with what is allowed, by :func:`_num`.
    """
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _allowed(p: Param, key: str | None) -> tuple[float, float]:
    """What a value of ``p`` may be: its declared range (an uncertainty: a band around it).

    ``key`` None with per-key bounds: one value for every key, checked against the widest.
    """
    if key is None:
        lo, hi = p.bounds()
    else:
        lo = float(p.low[key] if isinstance(p.low, dict) else p.low)
        hi = float(p.high[key] if isinstance(p.high, dict) else p.high)
    if p.kind == "uncertainty":
        # A pinned uncertainty, or a range's end, may sit in a generous band around its range.
        span = hi - lo
        lo, hi = lo - span, hi + span
    return lo, hi


def _num(value: Any, src: str, path: str, p: Param | None = None,
         key: str | None = None) -> float:
    """A finite number (with ``p``: within its allowed range), or a ScenarioError saying why."""
    raw, value = value, number_literal(value)
    if p is not None:
        lo, hi = _allowed(p, key)
        allowed = f"; allowed: [{lo:g}, {hi:g}] ({p.unit})"
    else:
        allowed = ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        hint = (" (write the number itself, e.g. 0.3: str(x), not repr(x))"
                if isinstance(raw, str) and raw.strip().startswith(("np.", "numpy.")) else "")
        raise ScenarioError(src, path, f"must be a number, got {type(value).__name__} "
                            f"{raw!r}{hint}{allowed}")
    text = str(raw).strip()
    try:
        v = float(value)
    except OverflowError:  # an integer beyond the float range
        v = float("inf")
        text = f"{text[:12]}..." if len(text) > 15 else text
    if np.isnan(v) or (np.isinf(v) and text.lower().lstrip("+-").startswith("inf")):
        raise ScenarioError(src, path, f"{text} is not a finite number{allowed}")
    if p is None:
        if np.isinf(v):  # a literal such as 1e400, beyond the float range
            raise ScenarioError(src, path, f"{text} is out of range for a number")
    elif not lo <= v <= hi:
        shown = text if isinstance(raw, str) or np.isinf(v) else f"{v:g}"
        raise ScenarioError(src, path, f"{shown} is out of range [{lo:g}, {hi:g}] ({p.unit})")
    return v


def _check_series(p: Param, value: Any, key: str | None, src: str, path: str):
    if isinstance(value, list):
        if not p.by_year:
            raise ScenarioError(src, path, "takes one value, not a list per year")
        if len(value) != len(YEARS):
            raise ScenarioError(src, path, f"a per-year list needs {len(YEARS)} values "
                                f"({YEARS[0]}-{YEARS[-1]}), got {len(value)}")
        return [_num(v, src, f"{path}[{i}]", p, key) for i, v in enumerate(value)]
    return _num(value, src, path, p, key)


def _check_value(p: Param, value: Any, src: str, path: str):
    if isinstance(value, dict):
        if not p.per:
            raise ScenarioError(src, path, "takes one value (or a per-year list), "
                                "not a mapping")
        out = {}
        for k, v in value.items():
            if k not in p.keys:
                raise ScenarioError(src, f"{path}.{k}", f"unknown {p.per}"
                                    f"{suggest(str(k), p.keys)}; allowed: {', '.join(p.keys)}")
            out[k] = _check_series(p, v, k, src, f"{path}.{k}")
        return out
    return _check_series(p, value, None, src, path)


def _check_range(p: Param, value: dict, src: str, path: str) -> dict:
    extra = set(value) - {"low", "high"}
    if extra:
        raise ScenarioError(src, f"{path}.{sorted(extra)[0]}", "a range takes only low and high")
    if set(value) != {"low", "high"}:
        raise ScenarioError(src, path, "a range needs both low and high")
    if p.per and (isinstance(value["low"], dict) or isinstance(value["high"], dict)):
        out = {}
        for end in ("low", "high"):
            v = value[end]
            if isinstance(v, dict):
                out[end] = {}
                for k, x in v.items():
                    if k not in p.keys:
                        raise ScenarioError(src, f"{path}.{end}.{k}", f"unknown {p.per}"
                                            f"{suggest(str(k), p.keys)}; allowed: "
                                            f"{', '.join(p.keys)}")
                    out[end][k] = _num(x, src, f"{path}.{end}.{k}", p, k)
            else:
                out[end] = _num(v, src, f"{path}.{end}", p)
        lo = expand(p, out["low"], base=p.low)
        hi = expand(p, out["high"], base=p.high)
        bad = np.flatnonzero(lo > hi)
        if bad.size:
            k = p.keys[bad[0]]
            raise ScenarioError(src, path, f"low ({lo[bad[0]]:g}) is above high "
                                f"({hi[bad[0]]:g}) for {k}")
        return out
    lo, hi = _num(value["low"], src, f"{path}.low", p), _num(value["high"], src, f"{path}.high", p)
    if lo > hi:
        raise ScenarioError(src, path, f"low ({lo:g}) is above high ({hi:g})")
    return {"low": lo, "high": hi}


def _plain(value: Any, where: str) -> Any:
    """A value as plain data: numpy scalars and arrays become floats and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {str(k): _plain(v, where) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, where) for v in value]
    return value


def derive(scenario: dict, values: Mapping[str, Any], source: str = "derive") -> dict:
    """A validated scenario with values set by key path; the one way to derive a scenario.

    Keys are paths such as ``levers.capital_subsidy_rate`` (all keys and years),
    ``levers.capital_subsidy_rate.dairy``, ``uncertainties.hurdle_rate`` (pins it) or
    ``uncertainties.national_demand_growth.dairy`` (pins that element; the other elements
    keep their ranges). Values may be numpy scalars. ``--set``, experiment factors,
    sensitivity samples, the optimiser and the EMA adapter all come through here.

    Raises:
        ScenarioError: naming ``source``, the key path and what is allowed.
    """
    out = copy.deepcopy(scenario)
    for path, raw in values.items():
        value = _plain(raw, path)
        parts = [p for p in str(path).split(".") if p]
        if not parts or parts[0] not in SECTION_PARAMS and parts[0] != "settings":
            allowed = [*SECTION_PARAMS, "settings"]
            raise ScenarioError(source, str(path), f"unknown section"
                                f"{suggest(parts[0] if parts else '', allowed)}; allowed: "
                                f"{', '.join(allowed)}")
        section = out.setdefault(parts[0], {})
        if len(parts) == 2:
            section[parts[1]] = value
            continue
        if len(parts) != 3:
            raise ScenarioError(source, str(path), "expected SECTION.NAME or SECTION.NAME.KEY")
        name, key = parts[1], parts[2]
        cur = section.get(name)
        p = SECTION_PARAMS[parts[0]].get(name) if parts[0] in SECTION_PARAMS else None
        if cur is None and parts[0] == "uncertainties" and p is not None and p.per:
            # Not in the scenario: the declared range, so the other elements keep theirs.
            cur = {"low": copy.deepcopy(p.low), "high": copy.deepcopy(p.high)}
        if isinstance(cur, dict) and set(cur) == {"low", "high"}:
            # One element pinned inside a range: the element's low and high both move.
            lo = cur["low"] if isinstance(cur["low"], dict) else {}
            hi = cur["high"] if isinstance(cur["high"], dict) else {}
            if p is not None and not isinstance(cur["low"], dict):
                lo = {k: cur["low"] for k in p.keys}
            if p is not None and not isinstance(cur["high"], dict):
                hi = {k: cur["high"] for k in p.keys}
            section[name] = {"low": {**lo, key: value}, "high": {**hi, key: value}}
        elif isinstance(cur, dict):
            cur[key] = value
        elif cur is not None and p is not None and p.per:
            section[name] = {**{k: cur for k in p.keys}, key: value}
        else:
            section[name] = {key: value}
    return validate(out, source)


def load(ref: str | os.PathLike = DEFAULT_SCENARIO, sets: list[str] | None = None) -> dict:
    """Load, merge, override and validate a scenario; returns plain, JSON-able data."""
    data, src = load_raw(ref)
    if sets:
        data = apply_overrides(data, sets)
        src = f"{src} (with --set)"
    return validate(data, src)


def describe(ref: str | os.PathLike) -> str:
    """The scenario's one-line description."""
    data, _ = load_raw(ref)
    return str(data.get("description", "")).strip().splitlines()[0] if data.get(
        "description") else ""


# ---------------------------------------------------------------------- resolution
def lever_arrays(scn: dict) -> dict[str, np.ndarray]:
    """Resolved lever schedules, each of shape (keys?, years?)."""
    return resolve_levers(scn["levers"])


def constant_arrays(scn: dict) -> dict[str, np.ndarray]:
    """Resolved constants."""
    return resolve_constants(scn["constants"])


def uncertainty_ranges(scn: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(low, high) arrays per uncertainty after scenario overrides (equal when pinned)."""
    return resolve_ranges(scn["uncertainties"])


def param(name: str) -> Param:
    """The declaration of a parameter by name."""
    return BY_NAME[name]
