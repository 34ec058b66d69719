"""Text tables for the terminal: the probability table and the comparison table.

The probability table is built from the columns of the summary table: each
:class:`Column` says which summary columns it reads and is shown only when they are all
present, so a summary with more columns (or one stored before a column existed) prints
without a change here. Names are readable (English or Chinese), every number carries its
unit, and the table fits the terminal: target names wrap, values are never cut.
"""

from __future__ import annotations

import shutil
import textwrap
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.model.outcomes import HEADLINE_GROUPS
from sim.present.i18n import (
    FLAG_SHORT,
    MULTIPLE_UNITS,
    PERCENT_UNITS,
    STATUS,
    TABLE,
    TABLE_UNIT,
    target_label,
    unit_text,
)

MIN_NAME = 18  # the target column never gets narrower than this (it wraps instead)


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


def _unit(unit: str, lang: str) -> str:
    return TABLE_UNIT[lang].get(unit) or unit_text(unit, lang)


def quantity(v: float, unit: str, with_unit: bool = True, lang: str = "en") -> str:
    """A value in its unit: ``610 亿元``, ``80%``, ``0%/yr``, ``2.5×``.

    Percent and multiple units always carry their sign (a bare 80 would read as 80 units);
    other units only ``with_unit``.
    """
    if unit in PERCENT_UNITS[lang]:
        return ("-" if not np.isfinite(v)
                else f"{fmt(round(v * 100, 10))}{PERCENT_UNITS[lang][unit]}")
    if unit in MULTIPLE_UNITS:
        return "-" if not np.isfinite(v) else f"{fmt(v)}{MULTIPLE_UNITS[unit]}"
    return f"{fmt(v)} {_unit(unit, lang)}" if with_unit and unit else fmt(v)


def span(lo: float, hi: float, unit: str, lang: str = "en") -> str:
    """A range with its unit once (``3,087 – 3,434 亿元``; ``71% – 88%`` keeps both signs)."""
    if unit in PERCENT_UNITS[lang] or unit in MULTIPLE_UNITS:
        return f"{quantity(lo, unit, lang=lang)} – {quantity(hi, unit, lang=lang)}"
    return f"{fmt(lo)} – {quantity(hi, unit, lang=lang)}"


def width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, w: int, align: str) -> str:
    fill = " " * max(w - width(text), 0)
    return fill + text if align == ">" else text + fill


def _wrap(text: str, w: int) -> list[str]:
    """``text`` in lines of at most ``w`` terminal columns (CJK-aware, words kept whole)."""
    if width(text) <= w:
        return [text]
    if width(text) == len(text):  # no wide characters: wrap at spaces
        return textwrap.wrap(text, w, break_on_hyphens=False,
                             break_long_words=False) or [text]
    lines, cur = [], ""
    for c in text:
        if width(cur + c) > w:
            lines.append(cur.rstrip())
            cur = c.lstrip()
        else:
            cur += c
    return lines + ([cur] if cur else [])


@dataclass(frozen=True)
class Column:
    """A column of the probability table.

    ``key`` names its header in ``sim.present.i18n.TABLE[lang]["cols"]``; ``needs`` the
    summary columns it reads (the column is shown only when all are present); ``cell``
    gives a row's text, and ``short``, if given, a narrower text for a narrow terminal.
    """

    key: str
    needs: tuple[str, ...]
    cell: Callable[[pd.Series, str], str]
    align: str = ">"
    short: Callable[[pd.Series, str], str] | None = None


def _flag_cell(r, lang: str) -> str:
    f = r.get("flag")
    return FLAG_SHORT[lang].get(f, (f, ""))[0] if isinstance(f, str) else ""


COLUMNS: list[Column] = [
    Column("threshold", ("threshold", "unit"),
           lambda r, lang: f"≥ {quantity(r['threshold'], r['unit'], lang=lang)}"),
    Column("p_met", ("p_met",), lambda r, lang: f"{r['p_met']:.2f}"),
    Column("ci", ("p_lo", "p_hi"), lambda r, lang: f"[{r['p_lo']:.2f}, {r['p_hi']:.2f}]",
           short=lambda r, lang: f"{r['p_lo']:.2f}–{r['p_hi']:.2f}"),
    Column("median", ("median", "unit"),
           lambda r, lang: quantity(r["median"], r["unit"], lang=lang)),
    Column("range", ("q05", "q95", "unit"),
           lambda r, lang: span(r["q05"], r["q95"], r["unit"], lang)),
    Column("flag", ("flag",), _flag_cell, "<"),
]


def terminal_width() -> int:
    """The terminal's width in columns ($COLUMNS, else the terminal's, else 120)."""
    return shutil.get_terminal_size((120, 24)).columns


def _rows(summary: pd.DataFrame, all_targets: bool) -> pd.DataFrame:
    return summary if all_targets else summary[summary["group"].isin(HEADLINE_GROUPS)]


def summary_line(rows: pd.DataFrame, lang: str = "en") -> list[str]:
    """What the table says, counted: targets by P(met) band, and how many are flagged."""
    t = TABLE[lang]
    p = rows["p_met"].to_numpy(float)
    out = [t["summary"].format(n=len(p), likely=int((p >= 0.5).sum()),
                               sure=int((p >= 0.9).sum()),
                               open=int(((p >= 0.1) & (p < 0.5)).sum()),
                               unlikely=int((p < 0.1).sum()))]
    if "flag" in rows.columns:
        flags = rows["flag"][rows["flag"].apply(lambda f: isinstance(f, str))]
        if len(flags):
            sep = "、" if lang == "zh" else ", "
            which = sep.join(f"{FLAG_SHORT[lang].get(f, (f,))[0]} {k}"
                             for f, k in flags.value_counts(sort=False).items())
            out.append(t["flagged"].format(k=len(flags), n=len(p), which=which))
    return out


def _value_columns(rows: pd.DataFrame, lang: str, compact: bool):
    """The columns shown for ``rows``, their cells, headers and widths."""
    t = TABLE[lang]
    cols = [c for c in COLUMNS if all(n in rows.columns for n in c.needs)]
    cells = {c.key: [(c.short if compact and c.short else c.cell)(r, lang)
                     for _, r in rows.iterrows()] for c in cols}
    cols = [c for c in cols if any(cells[c.key])]  # e.g. no flag column when none is set
    heads = {c.key: t["cols"][c.key] for c in cols}
    widths = {c.key: max([width(heads[c.key])] + [width(x) for x in cells[c.key]])
              for c in cols}
    return cols, cells, heads, widths


def format_summary(summary: pd.DataFrame, all_targets: bool = False, lang: str = "en",
                   columns: int | None = None) -> str:
    """The probability table as text, ``columns`` wide at most (default: the terminal's).

    Then a summary of it (targets by P(met) band, flagged ones) and footnotes: the flags
    shown, and how many targets ``--all`` would add.
    """
    t = TABLE[lang]
    total = columns or terminal_width()
    rows = _rows(summary, all_targets)
    names = [target_label(x, lang) for x in rows["target"]]
    longest = max([width(t["cols"]["target"])] + [width(n) for n in names])
    for gap, compact in (("  ", False), (" ", True)):  # narrower if it does not fit
        cols, cells, heads, widths = _value_columns(rows, lang, compact)
        rest = sum(widths.values()) + len(gap) * len(cols)
        if rest + MIN_NAME <= total:
            break
    stacked = rest + MIN_NAME > total  # too narrow: names on their own lines above values
    name_w = min(longest, total if stacked else max(MIN_NAME, total - rest))

    def values(i=None) -> str:
        return "".join(gap + _pad(heads[c.key] if i is None else cells[c.key][i],
                                  widths[c.key], c.align) for c in cols)
    if stacked:
        lines = [t["cols"]["target"], values().rstrip()]
        for i, name in enumerate(names):
            lines += _wrap(name, name_w) + [values(i).rstrip()]
    else:
        lines = [(_pad(t["cols"]["target"], name_w, "<") + values()).rstrip()]
        for i, name in enumerate(names):
            parts = _wrap(name, name_w)
            lines += parts[:-1]
            lines.append((_pad(parts[-1], name_w, "<") + values(i)).rstrip())
    lines.append("")
    lines += [_fill(x, total) for x in summary_line(rows, lang)]
    shown = [f for f in dict.fromkeys(rows.get("flag", pd.Series(dtype=object)))
             if isinstance(f, str)]
    if shown:
        sep = "；" if lang == "zh" else "; "
        note = t["flag_note"] + sep.join(
            f"{FLAG_SHORT[lang].get(f, (f, f))[0]} = {FLAG_SHORT[lang].get(f, (f, f))[1]}"
            for f in shown)
        lines.append(_fill(note, total))
    lines.append(_fill(t["ci_note"], total))
    if not all_targets and len(summary) > len(rows):
        lines.append(t["more"].format(k=len(summary) - len(rows)))
    return "\n".join(lines)


def _fill(text: str, w: int) -> str:
    return "\n".join(_wrap(text, max(w, 20)))


def format_header(manifest: dict, lang: str = "en", folder=None,
                  overrides: list[str] | None = None, status: bool = False) -> str:
    """The line above the table: scenario, replicates, seed, scale, and any overrides.

    ``overrides``: the ``--set KEY=VALUE`` of this command; without them, those recorded
    differences of the stored scenario from its file (:func:`stored_overrides`).
    """
    t = TABLE[lang]
    head = t["header"].format(name=manifest.get("name"), done=manifest.get("done"),
                              seed=manifest.get("root_seed"))
    sep = "；" if lang == "zh" else "; "
    if manifest.get("households_per_agent"):
        head += sep + t["scale"].format(hpa=manifest["households_per_agent"])
    if folder is not None:
        head += f" -> {folder}"
    if status and manifest.get("status"):
        st = str(manifest["status"])
        head += f" ({STATUS[lang].get(st, st)})"
    sets = overrides or manifest.get("overrides") or stored_overrides(manifest)
    if sets:
        head += "\n" + t["overrides"].format(sets=", ".join(sets))
    elif sets is None:
        head += "\n" + t["overrides_unknown"]
    return head


def stored_overrides(manifest: dict) -> list[str] | None:
    """``KEY=VALUE`` for each value where a batch's scenario differs from its file.

    ``[]`` when the batch was run without ``--set``; ``None`` when it was but the file can
    no longer be read to say what changed.
    """
    src = str(manifest.get("source", ""))
    if "(with --set)" not in src:
        return []
    from sim.config.errors import ScenarioError
    from sim.config.scenario import load
    try:
        base = load(src.replace(" (with --set)", "").strip())
    except (ScenarioError, OSError, ValueError):
        return None
    got = manifest.get("scenario", {})
    out = []
    for section in ("levers", "uncertainties", "constants", "settings"):
        a, b = base.get(section, {}) or {}, got.get(section, {}) or {}
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                out.append(f"{section}.{k}={_short(b.get(k, '(default)'))}")
    return out or None


def _short(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_short(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_short(x)}" for k, x in v.items()) + "}"
    return f"{v:g}" if isinstance(v, float) else str(v)


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


def format_sweep(exp: dict, manifest: dict, summary, targets: list[str], folder) -> str:
    """A sweep's P(met) [95% CI] per point for ``targets``, one line per point."""
    lines = [f"experiment {exp['name']}: {len(exp['points'])} points x "
             f"{manifest['replicates']} replicates, root seed {manifest['root_seed']} -> "
             f"{folder}", "P(met) [95% CI] per point",
             f"{'point':<44}" + "".join(f" {t[:22]:>22}" for t in targets)]
    for _pid, g in summary.groupby("point", sort=True):
        g = g.set_index("target")
        cells = "".join(f" {g.loc[t, 'p_met']:>5.2f} [{g.loc[t, 'p_lo']:.2f},"
                        f"{g.loc[t, 'p_hi']:.2f}]".rjust(23) for t in targets)
        lines.append(f"{g['point_name'].iloc[0][:44]:<44}{cells}")
    return "\n".join(lines)


def format_ranked(sa, idx, method: str, top: int, quality: dict | None = None) -> str:
    """A sensitivity analysis's ranked factors per outcome (``sa``: its analysis module)."""
    reasons = (quality or {}).get("reasons", {})
    lines = []
    for out in sa.OUTCOMES:
        why = reasons.get(out)
        lines.append(f"\n{out}" + (f"   (not worth reading: {'; '.join(why)})" if why else ""))
        for _, r in sa.ranked(idx, out, top).iterrows():
            if method == "sobol":
                lines.append(f"  {r['factor']:<44} ST {r['ST']:6.3f} ± {r['ST_conf']:.3f}   "
                             f"S1 {r['S1']:6.3f} ± {r['S1_conf']:.3f}")
            else:
                lines.append(f"  {r['factor']:<44} mu* {r['mu_star']:10.4g} ± "
                             f"{r['mu_star_conf']:.3g}   sigma {r['sigma']:.4g}")
    return "\n".join(lines)
