"""Text tables for the terminal: the probability table and the comparison table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.outcomes import HEADLINE_GROUPS

# Dimensionless units print as percentages (share, 1/yr) or multiples (ratio), the way the
# plan states them ("80%", "2.5:1"); everything else prints the number and its unit.
PERCENT_UNITS = {"share": "%", "1/yr": "%/yr"}
MULTIPLE_UNITS = {"ratio": "×"}


def fmt(v: float) -> str:
    """A number at a precision that reads well in a table (610, not 610.0)."""
    if not np.isfinite(v):
        return "-"
    a = abs(v)
    if float(v).is_integer():
        return f"{v:,.0f}"
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def quantity(v: float, unit: str, with_unit: bool = True) -> str:
    """A value in its unit: ``610 亿元``, ``80%``, ``0%/yr``, ``2.5×``.

    Percent and multiple units always carry their sign (a bare 80 would read as 80 units);
    other units only ``with_unit``.
    """
    if unit in PERCENT_UNITS:
        return "-" if not np.isfinite(v) else f"{fmt(round(v * 100, 10))}{PERCENT_UNITS[unit]}"
    if unit in MULTIPLE_UNITS:
        return "-" if not np.isfinite(v) else f"{fmt(v)}{MULTIPLE_UNITS[unit]}"
    return f"{fmt(v)} {unit}" if with_unit else fmt(v)


def format_summary(summary: pd.DataFrame, all_targets: bool = False) -> str:
    """The probability table as text."""
    rows = summary if all_targets else summary[summary["group"].isin(HEADLINE_GROUPS)]
    lines = [f"{'target':<34} {'2025 target':>16}  {'P(met)':>6}  {'95% CI':>13}  "
             f"{'median':>10}  {'5-95% range':>21}"]
    for _, r in rows.iterrows():
        u = r["unit"]
        tgt = f"≥ {quantity(r['threshold'], u)}"
        ci = f"[{r['p_lo']:.2f}, {r['p_hi']:.2f}]"
        rng = f"{quantity(r['q05'], u, False)} – {quantity(r['q95'], u, False)}"
        lines.append(f"{r['target']:<34} {tgt:>16}  {r['p_met']:>6.2f}  {ci:>13}  "
                     f"{quantity(r['median'], u, False):>10}  {rng:>21}")
    lines = _with_flags(lines, rows)
    if not all_targets:
        lines.append(f"({len(summary) - len(rows)} more targets: farmers linked, income gains, "
                     "firm tiers; --all shows them)")
    return "\n".join(lines)


def _with_flags(lines: list[str], rows: pd.DataFrame) -> list[str]:
    """The table's lines with each target's flag appended, and a footnote when any is shown.

    A flagged P(met) is decided by construction, not by the agents (docs/targets.md).
    Summaries stored before flags existed have no ``flag`` column and are shown as they were.
    """
    if "flag" not in rows.columns:
        return lines
    flags = [f if isinstance(f, str) else "" for f in rows["flag"]]
    if not any(flags):
        return lines
    out = [lines[0] + "  flag"] + [f"{line}  {f}".rstrip()
                                   for line, f in zip(lines[1:], flags, strict=True)]
    return out + ["flag: P(met) decided by construction, not by the agents (docs/targets.md):",
                  "  unreachable in declared ranges; lever-delivered (met iff enough of the "
                  "lever is delivered);",
                  "  decided by one input; weak measure (an unsourced assumption sets the "
                  "metric);",
                  "  already met in 2020 (in every replicate, or in some)."]


def format_compare(table: pd.DataFrame, a: str, b: str, paired: bool,
                   all_targets: bool = False) -> str:
    """The difference in P(met) between two batches as text."""
    if not all_targets:
        table = table[table["group"].isin(HEADLINE_GROUPS)]
    how = ("paired by replicate (same root seed: common random numbers)" if paired
           else "unpaired (different root seeds): Newcombe interval")
    lines = [f"P(met) in {b} minus {a}; {how}",
             f"{'target':<34} {'P(A)':>6} {'P(B)':>6} {'B-A':>7}  {'95% CI':>17}"]
    for _, r in table.iterrows():
        lines.append(f"{r['target']:<34} {r['p_a']:>6.2f} {r['p_b']:>6.2f} "
                     f"{r['diff']:>+7.3f}  [{r['lo']:+.3f}, {r['hi']:+.3f}]")
    return "\n".join(lines)
