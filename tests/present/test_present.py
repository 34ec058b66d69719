"""The presentation layer (#23 item 4) and the planner's terminal table (#22 item 4)."""

import ast
import re
from pathlib import Path

import pandas as pd
import pytest

from sim.model.outcomes import HEADLINE_GROUPS, TARGETS
from sim.present.i18n import target_label
from sim.present.tables import format_header, format_summary, width
from tests._shared import REPO

ROOT = REPO


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def test_present_has_no_import_cycle():
    mods = {f"sim.present.{p.stem}": p for p in (ROOT / "sim" / "present").glob("*.py")}
    graph = {m: {x for x in _imports(p) if x in mods and x != m} for m, p in mods.items()}
    assert graph["sim.present.plots"], "the check reads imports"  # plots imports i18n

    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for n in graph[todo.pop()] - seen:
                seen.add(n)
                todo.append(n)
        return seen
    cycles = [m for m in graph if m in reach(m)]
    assert cycles == [], cycles


def test_i18n_imports_nothing_from_present():
    assert not {m for m in _imports(ROOT / "sim" / "present" / "i18n.py")
                if m.startswith("sim.present")}


def test_analysis_draws_no_figure():
    bad = {str(p.relative_to(ROOT)): sorted(m for m in _imports(p)
                                            if m.split(".")[0] == "matplotlib")
           for p in (ROOT / "sim" / "analysis").rglob("*.py")}
    assert {k: v for k, v in bad.items() if v} == {}
    assert any(m.startswith("matplotlib") for m in
               _imports(ROOT / "sim" / "present" / "analysis_figures.py"))


# ------------------------------------------------------------ the terminal table
def _summary(flags: bool = True) -> pd.DataFrame:
    rows = []
    for i, t in enumerate(TARGETS):
        p = [0.0, 0.03, 0.2, 0.45, 0.5, 0.7, 0.95, 1.0][i % 8]
        rows.append({"target": t.name, "group": t.group, "threshold": t.threshold,
                     "unit": t.unit, "p_met": p, "p_lo": max(p - 0.1, 0),
                     "p_hi": min(p + 0.1, 1), "median": t.threshold * 0.9 + 0.123,
                     "q05": t.threshold * 0.7, "q95": t.threshold * 1.1 + 1234.5,
                     "flag": (["lever-delivered", None, None, "weak measure"][i % 4]
                              if flags else None)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("cols", [60, 80, 100, 160])
def test_table_fits_the_terminal_and_never_cuts_a_value(lang, cols):
    s = _summary()
    text = format_summary(s, all_targets=True, lang=lang, columns=cols)
    widest_values = max(width(x) for x in text.split("\n\n")[0].splitlines())
    for line in text.splitlines():
        assert width(line) <= max(cols, widest_values), (cols, line)
    assert widest_values <= cols or cols < 70  # only a very narrow terminal overflows
    table = text.split("\n\n")[0]
    lines = table.splitlines()
    for r in s.itertuples():  # every value whole: each row's range with its unit
        lo = f"{r.q05:,.0f}" if r.q05 >= 1000 else None
        if lo and r.unit == "亿元":
            assert any(lo + " – " in x and x.rstrip().split()[-1] in ("亿元", "lever", "weak",
                                                                      "政策落实", "测度弱")
                       for x in lines), r.target


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_table_names_targets_in_words_and_puts_units_on_numbers(lang):
    s = _summary()
    text = format_summary(s, lang=lang, columns=200)
    table = text.split("\n\n")[0]
    assert "income_gain_fruit_export" not in text and "rural_income_level" not in text
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", table), table
    heads = s[s["group"].isin(HEADLINE_GROUPS)]
    for t in heads["target"]:
        assert target_label(t, lang) in table, t
    row = next(x for x in table.splitlines() if x.startswith(target_label("output_brewing",
                                                                          lang)))
    # median and range carry the unit: 549.1 亿元, 427 – 1,906 亿元 (0.9 and 1.1 × 610 + ...)
    assert "549.1 亿元" in row and "427 – 1,906 亿元" in row, row
    share = next(x for x in table.splitlines()
                 if x.startswith(target_label("training_certified", lang)))
    assert "≥ 80%" in share and "84.3%" in share and "56% – 123,538%" in share, share


def test_summary_line_counts_targets_by_band_and_the_flags():
    s = _summary()
    heads = s[s["group"].isin(HEADLINE_GROUPS)]
    p = heads["p_met"]
    text = format_summary(s, columns=200)
    want = (f"{len(heads)} targets: {(p >= 0.5).sum()} likely met (P ≥ 0.5), of which "
            f"{(p >= 0.9).sum()} with P ≥ 0.9; {((p >= 0.1) & (p < 0.5)).sum()} uncertain "
            f"(0.1 ≤ P < 0.5); {(p < 0.1).sum()} unlikely (P < 0.1).")
    assert want in text
    flagged = heads["flag"].notna().sum()
    assert f"{flagged} of the {len(heads)} are decided by construction" in text
    assert "flag: P(met) decided by construction" in text and "lever = " in text
    plain = format_summary(_summary(flags=False), columns=200)
    assert "flag" not in plain.splitlines()[0] and "decided by construction" not in plain


def test_header_names_the_overrides():
    m = {"name": "plan", "done": 20, "root_seed": 7, "households_per_agent": 250,
         "source": "scenarios/plan.yaml (with --set)", "scenario": {}}
    head = format_header(m, overrides=["levers.capital_subsidy_rate=0.3"])
    assert "overrides: levers.capital_subsidy_rate=0.3" in head
    assert "情景 plan" in format_header(m, "zh", overrides=["levers.x=1"])
    m2 = dict(m, source="scenarios/plan.yaml")
    assert "overrides" not in format_header(m2)


def test_show_recovers_the_overrides_from_the_stored_scenario():
    from sim.config.scenario import load
    from sim.present.tables import stored_overrides
    scn = load("plan", ["levers.capital_subsidy_rate=0.3"])
    m = {"source": scn.get("source", "plan") + " (with --set)", "scenario": scn}
    m["source"] = "plan (with --set)"
    assert stored_overrides(m) == ["levers.capital_subsidy_rate=0.3"]
    assert stored_overrides({"source": "plan", "scenario": scn}) == []


def test_catalogue_names_every_parameter_lever_and_shipped_scenario():
    from sim.model.params import LEVERS, UNCERTAINTIES
    from sim.present.i18n import LEVER_NOTE_ZH, PARAM_ZH, SCENARIO_TITLE, SCENARIO_ZH
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for p in LEVERS + UNCERTAINTIES:
        assert cjk.search(PARAM_ZH.get(p.name, "")), p.name
    for p in LEVERS:
        what, note = LEVER_NOTE_ZH[p.name]
        assert cjk.search(what) and cjk.search(note), p.name
    shipped = {f.stem for f in (ROOT / "scenarios").glob("*.yaml")}
    assert shipped and shipped <= set(SCENARIO_ZH) and shipped <= set(SCENARIO_TITLE["zh"])
    assert shipped <= set(SCENARIO_TITLE["en"])
