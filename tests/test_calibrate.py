"""Observed data, calibration (ABC-SMC), posterior draws and backtests (issue #10).

Observations here are simulated by the model itself (never shipped as data): a replicate
with known uncertainty values plays the part of what happened.
"""

from __future__ import annotations

import pytest

from sim.analysis.observed import QUALITY_WEIGHT, model_metrics, read_observed, until
from sim.config.scenario import ScenarioError

HPA = 8000  # coarse scale: a replicate in ~0.05 s


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ observed data
GOOD = """# a comment
metric,year,value,unit,source,quality,note

output_total,2021,900.5,亿元,"communiqué, table 3",S,
# between rows
rural_income,2021,15000,元,press release,,
rural_income,2022,16000,元,press release,w,revised
"""


def test_read_observed_parses_comments_blank_lines_and_defaults(tmp_path):
    df = read_observed(_write(tmp_path / "o.csv", GOOD))
    assert df["metric"].tolist() == ["output_total", "rural_income", "rural_income"]
    assert df["year"].tolist() == [2021, 2021, 2022]
    assert df["value"].tolist() == [900.5, 15000.0, 16000.0]
    assert df["quality"].tolist() == ["S", "M", "W"]          # empty -> M, lower case ok
    assert df["weight"].tolist() == [QUALITY_WEIGHT[q] for q in "SMW"] == [1.0, 0.5, 0.25]
    assert df["source"].iloc[0] == "communiqué, table 3"
    assert df["line"].tolist() == [4, 6, 7]                   # physical lines of the file


def test_required_columns_only(tmp_path):
    df = read_observed(_write(tmp_path / "o.csv", "metric,year,value\ngrain,2022,1460\n"))
    assert df.loc[0, "quality"] == "M" and df.loc[0, "source"] == ""


def test_until_drops_later_rows(tmp_path):
    df = read_observed(_write(tmp_path / "o.csv", GOOD))
    assert until(df, 2021)["year"].tolist() == [2021, 2021]
    assert until(df, 2020).empty
    assert len(until(df, 2030)) == 3


@pytest.mark.parametrize("body, where, what", [
    ("metric,year,value\n# c\noutput_total,2021,n/a\n", "line 3, column value",
     "not a number"),
    ("metric,year,value\noutput_total,2021.5,1\n", "line 2, column year", "whole number"),
    ("metric,year,value\noutput_totl,2021,1\n", "line 2, column metric", "output_total"),
    ("metric,year,value,quality\noutput_total,2021,1,X\n", "line 2, column quality", "S"),
    ("metric,year,value\noutput_total,2021,inf\n", "line 2, column value", "finite"),
    ("metric,year,value\noutput_total,1800,1\n", "line 2, column year", "outside"),
    ("metric,year,value\ngrain,2021,1\n\ngrain,2021,2\n", "line 4, column year",
     "line 2"),
    ("metric,year,value\ngrain,2021\n", "line 2", "2 fields"),
    ("metric,year,value,qualty\n", "line 1, column 4", "did you mean 'quality'"),
    ("# only\nmetric,value\n", "line 2", "missing column(s) year"),
    ("metric,year,value\n# nothing\n", "", "no observations"),
])
def test_malformed_files_name_line_and_column(tmp_path, body, where, what):
    path = _write(tmp_path / "bad.csv", body)
    with pytest.raises(ScenarioError) as e:
        read_observed(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: {where}" if where else f"{path}: ")
    assert what in msg
    assert "\n" not in msg


def test_metric_names_are_the_model_trajectory_names():
    from sim.run.replicate import run_replicate
    names = set(run_replicate("plan", 3, households_per_agent=HPA)["trajectory"][2020])
    assert model_metrics() == names
    assert {"output_total", "rural_income", "grain", "primary_va"} <= names
