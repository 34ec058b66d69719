"""Agent-level patterns (pattern-oriented modelling, Grimm et al. 2005).

The model's agent-level state is held against published patterns that the calibration never
saw: how many households rent land out or in, how much of the operated land is rented, how
many leading firms and cooperatives there are (``data/patterns/patterns.csv``, one row per
pattern with its definition and source). Each pattern names a model quantity
(:data:`QUANTITIES`), computed from the public state of the submodels after each year
2020-2025 (households are weighted super-individuals: shares are weighted by
``farmers.weight``). Over a few replicates the quantity's 5-95% band in the pattern's year
(its nearest model year) is compared with the published value: ``inside`` or ``outside``.
An ``outside`` verdict is a finding to explain (docs/patterns.md), not a reason to tune.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.files import SOURCE_ROOT
from sim.model import plan
from sim.model.rng import replicate_seeds

DEFAULT_PATTERNS = SOURCE_ROOT / "data" / "patterns" / "patterns.csv"
COLUMNS = ("pattern", "quantity", "year", "value", "unit", "definition", "source", "quality")
QUALITIES = ("S", "M", "W")
FIRST_YEAR, LAST_YEAR = plan.BASE_YEAR, plan.YEARS[-1]
BAND = (0.05, 0.95)


def _wshare(m, mask: np.ndarray) -> float:
    w = m.farmers.weight
    return float(np.sum(w * mask) / np.sum(w))


def _operated_rented_in(m) -> float:
    f = m.farmers
    return float(np.sum(f.weight * f.land_in) / np.sum(f.weight * f.land_operated))


def _transferred(m) -> float:
    f = m.farmers
    return float(np.sum(f.weight * f.land_out) / np.sum(f.weight * f.land_own))


#: name -> (what it measures, function of the model's state after a year).
QUANTITIES: dict[str, tuple[str, Callable]] = {
    "households_renting_out_share": (
        "weighted share of households with land rented out (farmers.land_out > 0)",
        lambda m: _wshare(m, m.farmers.land_out > 0)),
    "households_renting_in_share": (
        "weighted share of households with land rented in (farmers.land_in > 0)",
        lambda m: _wshare(m, m.farmers.land_in > 0)),
    "operated_land_rented_in_share": (
        "households' land rented in over the land they operate (weighted; cooperatives' "
        "land excluded, as the census counts households)", _operated_rented_in),
    "contracted_land_transferred_share": (
        "households' land rented out over their own (contracted) land, weighted",
        _transferred),
    "leading_firms": (
        "live firms recognised as leading (firms.alive & firms.leading)",
        lambda m: float(np.sum(m.firms.alive & m.firms.leading))),
    "firms_alive": ("live processing firms of the clusters (firms.alive)",
                    lambda m: float(np.sum(m.firms.alive))),
    "cooperatives": ("live cooperatives (len(coops))", lambda m: float(len(m.coops))),
    "coop_member_share": (
        "weighted share of households that are members of a cooperative (farmers.coop >= 0)",
        lambda m: _wshare(m, m.farmers.coop >= 0)),
}


class PatternsError(ValueError):
    """A patterns file that cannot be used; the message names the file, line and key."""


def load_patterns(path: str | Path = DEFAULT_PATTERNS) -> pd.DataFrame:
    """The patterns file: one row per pattern, checked (quantity, year, value, quality)."""
    path = Path(path)
    try:
        lines = [x for x in path.read_text(encoding="utf-8").splitlines()
                 if x.strip() and not x.startswith("#")]
    except OSError as e:
        raise PatternsError(f"{path}: cannot read ({e.strerror or e})") from None
    rows = list(csv.DictReader(lines))
    if not rows:
        raise PatternsError(f"{path}: no pattern rows")
    missing = [c for c in COLUMNS if c not in rows[0]]
    if missing:
        raise PatternsError(f"{path}: missing column(s) {', '.join(missing)}; "
                            f"expected {', '.join(COLUMNS)}")
    seen = set()
    for i, r in enumerate(rows, start=1):
        where = f"{path}, pattern row {i} ({r['pattern']!r})"
        if r["pattern"] in seen:
            raise PatternsError(f"{where}: pattern named twice")
        seen.add(r["pattern"])
        if r["quantity"] not in QUANTITIES:
            raise PatternsError(f"{where}: quantity {r['quantity']!r} unknown; allowed: "
                                f"{', '.join(QUANTITIES)}")
        if r["quality"] not in QUALITIES:
            raise PatternsError(f"{where}: quality {r['quality']!r}; allowed: "
                                f"{', '.join(QUALITIES)}")
        if not r["source"].strip():
            raise PatternsError(f"{where}: source is empty")
        for key, kind in (("year", int), ("value", float)):
            try:
                r[key] = kind(r[key])
            except (TypeError, ValueError):
                raise PatternsError(f"{where}: {key} {r[key]!r} is not a number") from None
    return pd.DataFrame(rows, columns=list(COLUMNS))


def model_year(year: int) -> int:
    """The model year a published year is compared in: the nearest of 2020-2025."""
    return int(min(max(year, FIRST_YEAR), LAST_YEAR))


def observe(m, year: int, quantities=None) -> list[dict]:
    """Rows ``{year, quantity, value}`` of the model's state now."""
    names = quantities or list(QUANTITIES)
    return [{"year": year, "quantity": q, "value": QUANTITIES[q][1](m)} for q in names]


def run_one(scenario: dict, seed: int, households_per_agent: int, quantities=None) -> list[dict]:
    """One replicate: the quantities in 2020 and after each year to 2025."""
    from sim.run.replicate import build_model
    m = build_model(scenario, seed, households_per_agent)
    try:
        out = observe(m, FIRST_YEAR, quantities)
        for year in plan.YEARS:
            for _ in range(plan.QUARTERS_PER_YEAR):
                m.step()
            out += observe(m, year, quantities)
    finally:
        m.release()
    return [{"seed": seed, **r} for r in out]


def run_values(scenario: dict, replicates: int, root_seed: int, households_per_agent: int,
               quantities=None, progress: Callable[[int, int], None] | None = None
               ) -> pd.DataFrame:
    """The quantities of ``replicates`` replicates (columns seed, year, quantity, value)."""
    rows = []
    for i, seed in enumerate(replicate_seeds(root_seed, replicates)):
        rows += run_one(scenario, seed, households_per_agent, quantities)
        if progress:
            progress(i + 1, replicates)
    return pd.DataFrame(rows, columns=["seed", "year", "quantity", "value"])


def compare(patterns: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """One row per pattern: the model's 5-95% band in its year, the published value, verdict."""
    out = []
    for p in patterns.itertuples(index=False):
        y = model_year(p.year)
        v = values.loc[(values["quantity"] == p.quantity) & (values["year"] == y), "value"]
        if v.empty:
            raise PatternsError(f"no model values of {p.quantity!r} in {y} "
                                "(the values table lacks that quantity or year)")
        lo, med, hi = np.quantile(v.to_numpy(float), [BAND[0], 0.5, BAND[1]])
        inside = bool(lo <= p.value <= hi)
        out.append({"pattern": p.pattern, "quantity": p.quantity, "year": int(p.year),
                    "model_year": y, "published": float(p.value), "unit": p.unit,
                    "model_p5": float(lo), "model_median": float(med), "model_p95": float(hi),
                    "replicates": int(v.size), "verdict": "inside" if inside else "outside",
                    "quality": p.quality, "source": p.source})
    return pd.DataFrame(out)


def _fmt(x: float, unit: str) -> str:
    return f"{x:.3f}" if unit == "fraction" else f"{x:,.0f}"


def table_text(table: pd.DataFrame) -> str:
    """The comparison as a plain-text table (one line per pattern)."""
    head = f"{'pattern':<40} {'year':>4} {'model':>5} {'published':>10} " \
           f"{'model 5-95%':>19} {'verdict':>8}"
    lines = [head, "-" * len(head)]
    for r in table.itertuples(index=False):
        band = f"{_fmt(r.model_p5, r.unit)}-{_fmt(r.model_p95, r.unit)}"
        lines.append(f"{r.pattern:<40} {r.year:>4} {r.model_year:>5} "
                     f"{_fmt(r.published, r.unit):>10} {band:>19} {r.verdict:>8}")
    return "\n".join(lines)


def table_markdown(table: pd.DataFrame) -> str:
    """The comparison as a Markdown table (for docs/patterns.md)."""
    lines = ["| Pattern | Year (model year) | Published | Model median | Model 5-95% | "
             "Verdict | Quality |", "|---|---|---|---|---|---|---|"]
    for r in table.itertuples(index=False):
        lines.append(f"| `{r.pattern}` | {r.year} ({r.model_year}) | "
                     f"{_fmt(r.published, r.unit)} | {_fmt(r.model_median, r.unit)} | "
                     f"{_fmt(r.model_p5, r.unit)}-{_fmt(r.model_p95, r.unit)} | "
                     f"{r.verdict} | {r.quality} |")
    return "\n".join(lines)
