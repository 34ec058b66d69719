"""Every input answered (#12, items 6, 10, 15): number literals, ranges, caps, workers,
extends cycles, experiment factors, option help, derive() for samplers.

CLI cases run through ``sim.cli.main.main`` in-process: bad input must give exit 2 and
one line on stderr, no traceback.
"""

import argparse
import re

import numpy as np
import pandas as pd
import pytest

from sim.cli.main import main
from sim.cli.main import parser as cli_parser
from sim.config.errors import ScenarioError
from sim.config.experiment import load_experiment
from sim.config.scenario import apply_overrides, derive, load, uncertainty_ranges, validate
from tests._shared import REPO

SMALL = ["--households-per-agent", "8000", "--quiet", "--workers", "1"]


@pytest.fixture
def no_runs(monkeypatch):
    """Bad input must be refused before anything runs: fail (not hang) if a batch starts."""
    import sim.analysis.sweep
    import sim.run.batch

    def refuse(*a, **k):
        raise AssertionError("a batch was prepared for input that should be refused")

    monkeypatch.setattr(sim.run.batch, "prepare", refuse)
    monkeypatch.setattr(sim.analysis.sweep, "prepare_sweep", refuse)


def usage_error(capsys, argv) -> str:
    """Run the CLI, expect exit 2 and a one-line message without traceback; return it."""
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, (argv, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("clustersim: error: ")
    assert "Traceback" not in err
    return lines[0]


# ---------------------------------------------------------------- numbers (item 6, 10)
@pytest.mark.parametrize("text,value", [
    ("1e-1", 0.1), (".5", 0.5), ("1E-1", 0.1), ("+1e-2", 0.01), ("2.5e-1", 0.25),
    (" 1e-1", 0.1), ("0.3", 0.3), ("0", 0.0),
])
def test_float_literals_in_set(text, value):
    s = load("plan", [f"levers.capital_subsidy_rate={text}"])
    assert s["levers"]["capital_subsidy_rate"] == value
    assert isinstance(s["levers"]["capital_subsidy_rate"], float)


@pytest.mark.parametrize("x", [0.3, 1e-5, 3e-7, 0.123456789012345, 0.1 + 0.2, 5e-10])
def test_str_of_numpy_scalars_works_through_set(x):
    for v in (np.float64(x), np.float32(x)):
        for text in (str(v), f"{v}", format(v, ".17g")):  # '1e-05' is a string to YAML 1.1
            s = load("plan", [f"uncertainties.subsidy_passthrough={text}"])
            assert s["uncertainties"]["subsidy_passthrough"] == float(text)


def test_float_literals_in_per_year_lists_and_ranges():
    s = load("plan", ["levers.capital_subsidy_rate=[1e-1, 2e-1, .3, 4E-1, 0.5]",
                      "uncertainties.hurdle_rate={low: 9e-2, high: 1.1e-1}"])
    assert s["levers"]["capital_subsidy_rate"] == [0.1, 0.2, 0.3, 0.4, 0.5]
    lo, hi = uncertainty_ranges(s)["hurdle_rate"]
    assert (float(lo), float(hi)) == (0.09, 0.11)


def test_repr_of_a_numpy_scalar_is_a_user_error_with_a_hint():
    with pytest.raises(ScenarioError, match=r"str 'np.float64\(0.3\)' \(write the number "
                       r"itself.*not repr"):
        validate(apply_overrides({"name": "x"}, ["levers.capital_subsidy_rate=np.float64(0.3)"]),
                 "--set")


@pytest.mark.parametrize("text,msg", [
    ("nan", "levers.capital_subsidy_rate: nan is not a finite number; allowed: [0, 0.6] "
            "(share of capex)"),
    ("inf", "inf is not a finite number; allowed: [0, 0.6] (share of capex)"),
    ("-.inf", "-inf is not a finite number; allowed: [0, 0.6] (share of capex)"),
    ("1e308", "1e308 is out of range [0, 0.6] (share of capex)"),
    ("1e400", "1e400 is out of range [0, 0.6] (share of capex)"),
    ("1" + "0" * 400, "is out of range [0, 0.6] (share of capex)"),
    ("abc", "must be a number, got str 'abc'; allowed: [0, 0.6] (share of capex)"),
])
def test_bad_numbers_say_what_is_wrong(capsys, no_runs, text, msg):
    line = usage_error(capsys, ["run", "--set", f"levers.capital_subsidy_rate={text}", *SMALL])
    assert msg in line
    assert "--set" in line


@pytest.mark.parametrize("text,msg", [
    ("nan", "uncertainties.hurdle_rate: nan is not a finite number; allowed: [0, 0.24] (1/yr)"),
    ("{low: 0, high: 1e308}", "hurdle_rate.high: 1e308 is out of range [0, 0.24] (1/yr)"),
    ("{low: .nan, high: 0.1}", "hurdle_rate.low: nan is not a finite number"),
])
def test_bad_uncertainty_values_and_range_ends(capsys, no_runs, text, msg):
    assert msg in usage_error(capsys, ["run", "--set", f"uncertainties.hurdle_rate={text}",
                                       *SMALL])


def test_one_value_for_a_per_cluster_uncertainty_is_checked_not_a_crash():
    s = load("plan", ["uncertainties.national_demand_growth=0.05"])
    lo, hi = uncertainty_ranges(s)["national_demand_growth"]
    assert np.all(lo == 0.05) and np.all(hi == 0.05)
    with pytest.raises(ScenarioError, match="out of range"):
        load("plan", ["uncertainties.national_demand_growth=5"])


def test_set_with_1e_minus_1_runs(capsys, tmp_path):
    out = tmp_path / "o"
    rc = main(["run", "-n", "1", "--set", "levers.capital_subsidy_rate=1e-1", "--out", str(out),
               *SMALL])
    assert rc == 0, capsys.readouterr().err
    import json
    m = json.loads((out / "manifest.json").read_text())
    assert m["scenario"]["levers"]["capital_subsidy_rate"] == 0.1


# ---------------------------------------------------------------- derive (item 10)
def test_derive_takes_numpy_scalars_and_number_strings():
    plan = load("plan")
    a = derive(plan, {"levers.capital_subsidy_rate": np.float64(0.3),
                      "uncertainties.hurdle_rate": np.float32(0.125),
                      "uncertainties.national_demand_growth.dairy": np.float64(0.05)})
    assert a["levers"]["capital_subsidy_rate"] == 0.3
    assert type(a["levers"]["capital_subsidy_rate"]) is float
    lo, hi = uncertainty_ranges(a)["national_demand_growth"]
    lo0, hi0 = uncertainty_ranges(plan)["national_demand_growth"]
    assert lo[2] == hi[2] == 0.05  # dairy pinned; the other clusters keep their ranges
    assert np.array_equal(np.delete(lo, 2), np.delete(lo0, 2))
    assert np.array_equal(np.delete(hi, 2), np.delete(hi0, 2))
    b = derive(plan, {"levers.capital_subsidy_rate": str(np.float64(1e-1))})
    assert b["levers"]["capital_subsidy_rate"] == 0.1
    assert plan["levers"].get("capital_subsidy_rate") != 0.3  # the input is not changed
    with pytest.raises(ScenarioError, match=r"derive: levers.capital_subsidy_rate: 0.9 is out "
                       r"of range \[0, 0.6\] \(share of capex\)"):
        derive(plan, {"levers.capital_subsidy_rate": np.float64(0.9)})


def test_readme_salib_example_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    library = readme.split("## As a library", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", library, re.S)
    code = next(b for b in blocks if "derive(" in b and "SALib" in b)
    ns: dict = {}
    exec(compile(code, "README.md", "exec"), ns)  # noqa: S102 - our own README
    assert ns["Y"].shape == (8 * 6,) and np.all(np.isfinite(ns["Y"]))
    assert len(set(np.round(ns["Y"], 6))) > 1  # the derived values reached the model


# ---------------------------------------------------------------- caps (item 6)
def test_replicates_above_the_cap_blame_replicates(capsys, no_runs):
    line = usage_error(capsys, ["run", "-n", "100000000", *SMALL])
    assert line.startswith("clustersim: error: --replicates: at most 1000000, got 100000000")
    line = usage_error(capsys, ["run", "-n", "30000", *SMALL])
    assert line.startswith("clustersim: error: --replicates: at most 20000")
    assert "raise --max-replicates" in line and "got 30000" in line
    line = usage_error(capsys, ["run", "-n", "300", "--max-replicates", "100", *SMALL])
    assert line.startswith("clustersim: error: --replicates: 300 is above --max-replicates 100")
    line = usage_error(capsys, ["run", "-n", "3", "--max-replicates", "0", *SMALL])
    assert line.startswith("clustersim: error: --max-replicates: must be in [1, 1000000]")


def test_replicates_from_the_scenario_are_named_as_such(capsys, tmp_path, no_runs):
    f = tmp_path / "big.yaml"
    f.write_text("extends: plan\nsettings: {replicates: 50000}\n")
    line = usage_error(capsys, ["run", str(f), *SMALL])
    assert "settings.replicates" in line and "at most 20000" in line


def test_sweep_replicates_are_bounded(capsys, no_runs):
    assert "--replicates: must be in [1, 1000000]" in usage_error(
        capsys, ["sweep", "cold_chain", "-n", "2000000", *SMALL])


@pytest.mark.integration
def test_more_workers_than_cores_warns_once(capsys, tmp_path, monkeypatch):
    import sim.cli.common as common
    monkeypatch.setattr(common, "cores", lambda: 1)
    rc = main(["run", "-n", "2", "--workers", "3", "--out", str(tmp_path / "w"),
               "--households-per-agent", "8000", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 0, err
    warnings = [x for x in err.splitlines() if "warning" in x]
    assert warnings == ["clustersim: warning: --workers 3 is more than the 1 cores here; "
                        "extra workers slow the run and use more memory (try --workers 1)"]


def test_workers_warning_rule(capsys, monkeypatch):
    import sim.cli.common as common
    monkeypatch.setattr(common, "cores", lambda: 2)
    assert common.warn_oversubscribed(1000, "processes", None)
    assert common.warn_oversubscribed(3, "dask", None)
    assert not common.warn_oversubscribed(2, "processes", None)
    assert not common.warn_oversubscribed(1000, "serial", None)
    assert not common.warn_oversubscribed(1000, "dask", "tcp://cluster:8786")
    assert capsys.readouterr().err.count("warning") == 2


# ---------------------------------------------------------------- extends (item 6)
def test_extends_a_name_that_loops_reports_the_cycle(capsys, tmp_path, no_runs):
    (tmp_path / "loop.yaml").write_text("extends: loop\n")
    line = usage_error(capsys, ["run", str(tmp_path / "loop.yaml"), *SMALL])
    assert "extends cycle" in line and "loop.yaml -> " in line
    assert "no such scenario" not in line
    (tmp_path / "a.yaml").write_text("extends: b\n")
    (tmp_path / "b.yaml").write_text("extends: a\n")
    line = usage_error(capsys, ["run", str(tmp_path / "a.yaml"), *SMALL])
    assert re.search(r"extends cycle: .*a\.yaml -> .*b\.yaml -> .*a\.yaml", line)


def test_extends_a_sibling_by_name_and_a_missing_parent(capsys, tmp_path, no_runs):
    (tmp_path / "base.yaml").write_text("extends: plan\nlevers: {capital_subsidy_rate: 0.2}\n")
    (tmp_path / "child.yaml").write_text("extends: base\nlevers: {brand_fund_yi_yuan: 1}\n")
    s = load(str(tmp_path / "child.yaml"))
    assert s["levers"]["capital_subsidy_rate"] == 0.2 and s["levers"]["brand_fund_yi_yuan"] == 1
    assert "land_service_coverage" in s["levers"]  # from plan, through base
    (tmp_path / "orphan.yaml").write_text("extends: pla\n")
    line = usage_error(capsys, ["run", str(tmp_path / "orphan.yaml"), *SMALL])
    assert "orphan.yaml: extends: no such scenario 'pla'" in line
    assert "did you mean 'plan'" in line


# ---------------------------------------------------------------- experiments (item 6)
def _exp(tmp_path, factors: str):
    f = tmp_path / "e.yaml"
    f.write_text(f"scenario: plan\nreplicates: 2\ndesign:\n  type: grid\n  factors:\n{factors}")
    return f


def test_empty_factor_list(capsys, tmp_path, no_runs):
    f = _exp(tmp_path, "    levers.capital_subsidy_rate: []\n")
    line = usage_error(capsys, ["sweep", str(f), *SMALL])
    assert "design.factors.levers.capital_subsidy_rate: must be a non-empty list of values" \
        in line


def test_float_literals_in_experiment_factors(tmp_path):
    exp = load_experiment(_exp(tmp_path, "    levers.capital_subsidy_rate: [0, 1e-1, 2E-1]\n"))
    vals = [p["values"]["levers.capital_subsidy_rate"] for p in exp["points"]]
    assert vals == [0, 0.1, 0.2] and all(isinstance(v, int | float) for v in vals)
    assert [p["scenario"]["levers"]["capital_subsidy_rate"] for p in exp["points"]] == \
        [0, 0.1, 0.2]
    assert exp["points"][1]["name"] == "capital_subsidy_rate=0.1"
    f = tmp_path / "p.yaml"
    f.write_text("design:\n  type: points\n  points:\n    - {name: a, set: "
                 "{levers.capital_subsidy_rate: 1e-1}}\n")
    assert load_experiment(f)["points"][0]["values"] == {"levers.capital_subsidy_rate": 0.1}
    f.write_text("design:\n  type: lhs\n  n: 2\n  factors:\n    levers.capital_subsidy_rate: "
                 "{low: 1e-1, high: 2e-1}\n")
    assert all(0.1 <= p["values"]["levers.capital_subsidy_rate"] <= 0.2
               for p in load_experiment(f)["points"])


@pytest.mark.parametrize("value,msg", [
    ("nan", "nan is not a finite number; allowed: [0, 0.6] (share of capex)"),
    ("1e308", "1e+308 is out of range [0, 0.6] (share of capex)"),
])
def test_bad_numbers_in_experiment_factors(capsys, tmp_path, no_runs, value, msg):
    f = _exp(tmp_path, f"    levers.capital_subsidy_rate: [0.1, {value}]\n")
    assert msg in usage_error(capsys, ["sweep", str(f), *SMALL])


# ---------------------------------------------------------------- option help (item 15)
def _actions(p: argparse.ArgumentParser, name: str = "clustersim"):
    for a in p._actions:
        if isinstance(a, argparse._SubParsersAction):
            for sub, sp in a.choices.items():
                yield from _actions(sp, sub)
        elif not isinstance(a, argparse._HelpAction):
            yield name, a


def test_every_option_help_shows_its_default():
    bad = []
    n = 0
    for cmd, a in _actions(cli_parser()):
        if a.default is None or a.default is False or a.default == argparse.SUPPRESS:
            continue
        if not a.option_strings and a.nargs != "?":
            continue
        n += 1
        text = a.help or ""
        if "default" not in text:
            bad.append(f"{cmd} {'/'.join(a.option_strings) or a.dest}: no default in help")
        elif isinstance(a.default, int | float | str) and not isinstance(a.default, bool):
            shown = f"{a.default:g}" if isinstance(a.default, float) else str(a.default)
            if shown not in text.split("default", 1)[1]:
                bad.append(f"{cmd} {'/'.join(a.option_strings) or a.dest}: help does not "
                           f"show the default {shown}")
    assert n > 20
    assert not bad, "\n".join(bad)


# ---------------------------------------------------------------- thresholds (item 15)
def test_thresholds_print_uniformly_by_unit():
    from sim.present.tables import format_summary
    rows = [("output_brewing", 610.0, "亿元", 363.6), ("output_cosmetics", 5.0, "亿元", 6.6),
            ("tier_brewing_sme", 200.0, "firms", 185.5), ("rural_income_growth", 0.0, "1/yr",
                                                           -0.00505),
            ("training_certified", 0.8, "share", 0.824), ("processing_ratio", 2.5, "ratio",
                                                          1.44),
            ("income_gain_brewing", 2500.0, "元/人", 4439.0)]
    s = pd.DataFrame([{"target": t, "group": "province", "threshold": th, "unit": u,
                       "p_met": 0.5, "p_lo": 0.4, "p_hi": 0.6, "median": med,
                       "q05": med * 0.9, "q95": med * 1.1} for t, th, u, med in rows])
    text = format_summary(s, all_targets=True)
    for want in ("≥ 610 亿元", "≥ 5 亿元", "≥ 200 firms", "≥ 0%/yr", "≥ 80%", "≥ 2.5×",
                 "≥ 2,500 元/人", "82.4%", "1.44×", "-0.505%/yr"):
        assert want in text, (want, text)
    assert not re.search(r"≥ \d+\.0 ", text), text
    for line in text.splitlines()[1:]:  # no raw dimensionless unit beside a number
        assert not re.search(r"\d (1/yr|share|ratio)\b", line), line


# ------------------------------------------------ observed-data CSV (#22, item 7)
def _observed(tmp_path, text: str, encoding: str = "utf-8"):
    from sim.config.observed import parse_observed
    f = tmp_path / "obs.csv"
    f.write_bytes(text.encode(encoding))
    return f, lambda: parse_observed(f)


def test_observed_units_are_converted_to_the_metrics_unit(tmp_path):
    # grain is recorded in 万吨: 14,210,000 吨 is 1421 万吨, not 14.2 million 万吨
    _, read = _observed(tmp_path, "metric,year,value,unit\ngrain,2021,14210000,吨\n"
                        "grain,2022,146.43,亿公斤\nrural_income,2021,1.5,万元\n"
                        "coop_member_share,2021,35,%\nleading_firms,2021,470,count\n"
                        "rural_income,2022,16000,\n")
    df = read().set_index(["metric", "year"])
    assert df.loc[("grain", 2021), "value"] == 1421.0
    assert df.loc[("grain", 2021), "unit"] == "万吨"
    assert df.loc[("grain", 2022), "value"] == 1464.3
    assert df.loc[("rural_income", 2021), "value"] == 15000.0
    assert df.loc[("coop_member_share", 2021), "value"] == 0.35
    assert df.loc[("leading_firms", 2021), ["value", "unit"]].tolist() == [470.0, "firms"]
    assert df.loc[("rural_income", 2022), ["value", "unit"]].tolist() == [16000.0, "元"]


def test_an_unknown_unit_is_refused_naming_file_row_and_allowed_units(tmp_path):
    f, read = _observed(tmp_path, "metric,year,value,unit\nrural_income,2021,15000,元\n"
                        "grain,2021,1421,bushel\n")
    with pytest.raises(ScenarioError) as e:
        read()
    msg = str(e.value)
    assert msg.startswith(f"{f}: line 3, column unit: 'bushel' is not a unit of grain "
                          "(measured in 万吨); allowed: 万吨, 吨")
    assert "亿公斤" in msg


def test_units_of_metrics_the_model_does_not_record_are_kept(tmp_path):
    _, read = _observed(tmp_path, "metric,year,value,unit\nmeat_output,2021,95,万吨\n"
                        "some_context,2021,3,bushel\n")
    assert read()["unit"].tolist() == ["万吨", "bushel"]


def test_the_shipped_observed_files_pass_the_unit_check():
    from sim.config.files import SOURCE_ROOT
    from sim.config.observed import parse_observed
    for f in sorted((SOURCE_ROOT / "data" / "observed").glob("*.csv")):
        assert len(parse_observed(f)) > 0, f


def test_a_gbk_file_is_named_as_such_with_the_command_that_converts_it(tmp_path):
    f, read = _observed(tmp_path, "metric,year,value,unit,source\n"
                        "grain,2021,1421.2,万吨,山西省统计局\n", encoding="gbk")
    with pytest.raises(ScenarioError) as e:
        read()
    msg = str(e.value)
    assert "not UTF-8 text: it looks GBK-encoded" in msg
    assert f"iconv -f GBK -t UTF-8 {f} > {tmp_path / 'obs-utf8.csv'}" in msg


def test_other_non_utf8_bytes_still_get_the_conversion_hint(tmp_path):
    _, read = _observed(tmp_path, "metric,year,value,note\ngrain,2021,1421,caf\xe9\n",
                        encoding="latin-1")
    with pytest.raises(ScenarioError, match=r"not UTF-8 text; convert it to UTF-8 .*iconv"):
        read()
