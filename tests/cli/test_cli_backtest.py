"""``clustersim backtest --origin 2020`` (issue #21, item 4): the plan's start view.

In-process through ``sim.cli.main.main`` on the shipped data, 4 replicates at 1:8000: origin
2020 needs no calibration (nothing after 2020 to fit), so it is a plain batch of forecasts.
"""

import json

import pandas as pd

from sim.analysis.backtest import DEFAULT_ORIGINS
from sim.cli.main import main
from sim.config.observed import DEFAULT_OBSERVED, parse_observed

SMALL = ["--households-per-agent", "8000", "--quiet", "--workers", "1", "-n", "4"]


def test_origin_2020_uses_no_later_row_and_scores_only_the_2021_on_rows(tmp_path, capsys):
    out = tmp_path / "bt"
    assert main(["backtest", "--origin", "2020", "--out", str(out), *SMALL]) == 0
    text = capsys.readouterr().out
    assert "origin 2020 by group" in text and "free group:" in text
    t = pd.read_parquet(out / "backtest.parquet")
    obs = parse_observed(DEFAULT_OBSERVED)
    later = obs[obs["year"] > 2020]
    assert set(t["origin"]) == {2020}
    assert t["year"].min() == 2021 and len(t) == 3 * len(later)
    assert set(zip(t["metric"], t["year"], strict=True)) == set(
        zip(later["metric"], later["year"], strict=True))
    model = t[t["forecaster"] == "model"]
    assert model[model["year"] <= 2025]["crps"].notna().all()
    assert model["note"].str.contains("prior ranges").all()      # nothing to calibrate to
    m = json.loads((out / "manifest.json").read_text())
    assert m["exogenous"] == {"2020": None}                      # no data_until: no series
    assert not (out / "origin-2020").exists()                    # no calibration
    # the groups: the model's own 2020 start is anchored, except gross agricultural output
    g = dict(zip(model["metric"], model["group"], strict=False))
    assert g["rural_income_wage"] == g["top_firm_revenue_brewing"] == "anchored"
    assert g["agri_output"] == g["grain"] == "free"
    assert g["national_rural_income"] == "exogenous"
    s = pd.read_parquet(out / "summary.parquet")
    assert {"(anchored)", "(exogenous)", "(free)"} <= set(s["metric"])
    assert "2020" in m["free_bar"]
    # the naive forecasts see the rows up to 2020 only: grain's trend is fitted on 2015-2020
    naive = t[(t["metric"] == "grain") & (t["forecaster"] == "trend")]
    assert naive["crps"].notna().all()


def test_default_origins_include_the_plan_start():
    assert DEFAULT_ORIGINS == (2020, 2021, 2022)


def test_origin_2020_runs_the_scenario_of_vintage_2021_and_later_origins_do_not():
    """The backtest's origin-2020 scenario is the one `clustersim run --vintage 2021` runs
    (nothing published after 2020); `run`'s default view (every published year) is not what
    any origin uses."""
    import argparse

    from sim.analysis.backtest import origin_scenario
    from sim.cli.common import load_scenario, resolve_view
    from sim.cli.main import parser
    from sim.config.scenario import load
    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    obs = parse_observed(DEFAULT_OBSERVED)
    a = sub.choices["run"].parse_args(["--vintage", "2021"])
    resolve_view(a)
    assert origin_scenario(load("plan"), obs, 2020) == load_scenario(a)
    a = sub.choices["run"].parse_args([])
    resolve_view(a)
    latest = load_scenario(a)
    assert latest["data_until"] > 2021
    for origin in (2021, 2022):
        assert origin_scenario(load("plan"), obs, origin)["data_until"] == origin
    # a scenario carrying the latest view is cut back to the origin, never kept
    assert origin_scenario(latest, obs, 2020) == origin_scenario(load("plan"), obs, 2020)
