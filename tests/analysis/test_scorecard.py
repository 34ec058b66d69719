"""The default view, the scorecard's verdicts and scores, and the reliability plot."""

from __future__ import annotations

import argparse
import math
import shutil

import numpy as np
import pandas as pd
import pytest

from sim.analysis import scorecard as sc
from sim.cli.common import UsageError, load_scenario, resolve_view
from sim.config.scenario import load, with_data_until
from sim.model.outcomes import TARGETS
from tests._shared import REPO


def _args(**kw) -> argparse.Namespace:
    base = {"scenario": "plan", "sets": [], "data_until": None, "vintage": None}
    return argparse.Namespace(**{**base, **kw})


def _last_shipped_year() -> int:
    """The last year of the national rural income series in the shipped shanxi.csv, read
    without the package's reader (the series the view's cut-off follows)."""
    rows = pd.read_csv(sc.OBSERVED_DIR / "shanxi.csv", comment="#")
    return int(rows.loc[rows["metric"] == "national_rural_income", "year"].max())


LAST = _last_shipped_year()


def test_the_default_run_conditions_on_every_published_year():
    a = _args()
    resolve_view(a)
    assert a.data_until == sc.latest_data_year() == LAST >= 2024
    view = sc.view_of(load_scenario(a))
    assert view["data_until"] == LAST and view["figures"] > 0
    assert sc.view_line(view) == (f"conditioned on {view['figures']} published figures "
                                  f"through {LAST}; see docs/data.md")


def test_the_2021_vintage_is_the_library_default_the_ex_ante_answer():
    a = _args(vintage=2021)
    resolve_view(a)
    assert a.data_until is None
    assert load_scenario(a) == load("plan")          # same scenario, same seeds: same batch
    assert sc.view_of(load("plan"))["figures"] == 0
    assert "ex-ante" in sc.view_line(sc.view_of(load("plan")))


def test_vintages_and_their_errors():
    a = _args(vintage=2023)
    resolve_view(a)
    assert a.data_until == 2022
    with pytest.raises(UsageError, match=f"--vintage: a year in 2021-{LAST + 1}"):
        resolve_view(_args(vintage=2030))
    with pytest.raises(UsageError, match="give one"):
        resolve_view(_args(vintage=2022, data_until=2021))
    a = _args(data_until=2022)            # an explicit cut-off is kept
    resolve_view(a)
    assert a.data_until == 2022


def test_figures_counted_are_those_after_2020_up_to_the_cut_off():
    s22, s24 = (with_data_until(load("plan"), y) for y in (2022, 2024))
    assert 0 < sc.count_figures(s22["exogenous"]) < sc.count_figures(s24["exogenous"])
    assert sc.count_figures(None) == 0


def _observed_copy(tmp_path, extra: str = "", file: str = "shanxi.csv",
                   drop_year: int | None = None):
    """A copy of the shipped data with ``extra`` rows appended to ``file`` (and the rows of
    ``drop_year`` removed first, so a test can start from a year with nothing published)."""
    d = tmp_path / "observed"
    shutil.copytree(sc.OBSERVED_DIR, d)
    if drop_year is not None:
        for f in d.glob("*.csv"):
            lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
            f.write_text("".join(x for x in lines if not x.split(",")[1:2] == [str(drop_year)]),
                         encoding="utf-8")
    if extra:
        with open(d / file, "a", encoding="utf-8") as f:
            f.write(extra)
    return d


def test_a_planted_2025_row_changes_the_verdict(tmp_path):
    values, rows = sc.observed_rows(_observed_copy(tmp_path, drop_year=2025))
    o = sc.outcomes(values, rows).set_index("target")
    assert set(o["outcome"]) == {"not yet known"}          # nothing for 2025 left
    row = "processing_output,2025,{v},亿元,planted test row https://example.org,S,\n"
    for v, want in ((4400, "met"), (4200, "missed")):
        d = _observed_copy(tmp_path / str(v), row.format(v=v), drop_year=2025)
        values, rows = sc.observed_rows(d)
        o = sc.outcomes(values, rows).set_index("target")
        assert o.loc["processing_output", "outcome"] == want
        assert "planted test row" in o.loc["processing_output", "source"]
        assert o.loc["grain", "outcome"] == "not yet known"


def test_a_duplicated_row_across_files_is_refused(tmp_path):
    d = _observed_copy(tmp_path, "grain,2024,1468.5,万吨,dup,S,\n", "shanxi_context.csv")
    with pytest.raises(ValueError, match="grain 2024 is in more than one"):
        sc.observed_rows(d)


def test_brier_and_skill_by_hand():
    # (0.8-1)^2 + (0.3-0)^2 + (0.5-1)^2 = 0.04 + 0.09 + 0.25 = 0.38, / 3
    assert sc.brier([0.8, 0.3, 0.5], [1, 0, 1]) == pytest.approx(0.38 / 3)
    # a forecaster saying 0.5 everywhere scores 0.25: skill 1 - 0.12667 / 0.25
    assert sc.skill(0.38 / 3, 0.25) == pytest.approx(1 - (0.38 / 3) / 0.25)
    assert math.isnan(sc.skill(0.1, 0.0))


def test_the_naive_forecaster_by_hand():
    # log values 0, 0.1, 0.3 (2020-2022) around the threshold: steps 0.1 and 0.2, drift
    # 0.15, sd 0.0707; from 2022 to 2025 (h = 3) the mean is 0.3 + 0.45 = 0.75
    thr = 4300.0
    for shift, want in ((0.75, 0.5), (0.75 - 0.1 / math.sqrt(2) * math.sqrt(3), 0.841345)):
        values = {("processing_output", 2020 + i): thr * math.exp(x - shift)
                  for i, x in enumerate((0.0, 0.1, 0.3))}
        assert sc.naive_p("processing_output", values, 2023) == pytest.approx(want, abs=1e-5)
    # fewer than three published years: no trend, 0.5
    assert sc.naive_p("processing_output", {("processing_output", 2020): 1.0}, 2023) == 0.5


def test_the_scorecard_scores_the_settled_targets(tmp_path):
    d = _observed_copy(tmp_path, "processing_output,2025,4400,亿元,planted https://e.org,S,\n"
                                 "grain,2025,1300,万吨,planted https://e.org,S,\n",
                       drop_year=2025)
    values, rows = sc.observed_rows(d)
    p = pd.Series(0.5, index=[t.name for t in TARGETS])
    p["processing_output"], p["grain"] = 0.8, 0.9
    card = sc.scorecard({2021: p}, values, rows)
    s = card["scores"].iloc[0]
    assert s["settled"] == 2
    # processing met (0.8 -> 1), grain missed (0.9 -> 0): (0.04 + 0.81) / 2
    assert s["brier"] == pytest.approx(0.425)
    naive = card["pairs"].set_index("target")["naive"]
    want = ((naive["processing_output"] - 1) ** 2 + naive["grain"] ** 2) / 2
    assert s["brier_naive"] == pytest.approx(want)
    assert s["skill"] == pytest.approx(1 - 0.425 / want)
    assert "settled: 2 of" in sc.format_scorecard(card)


def test_reliability_bins_by_hand():
    r = sc.reliability([0.1, 0.15, 0.9, 0.95, 1.0], [0, 1, 1, 1, 0], bins=5)
    assert r["n"].tolist() == [2, 3]
    assert r["p_mean"].tolist() == pytest.approx([0.125, 0.95])
    assert r["observed"].tolist() == pytest.approx([0.5, 2 / 3])


def test_the_reliability_plot_in_english_and_chinese(tmp_path):
    from sim.present.scorecard_plots import reliability_plot
    pairs = pd.DataFrame({"vintage": [2021, 2021, 2025], "target": ["a", "b", "a"],
                          "p": [0.2, 0.9, 0.7], "naive": 0.5, "outcome": [0.0, 1.0, 1.0]})
    for lang in ("en", "zh"):
        for name, d in (("some", pairs), ("none", pairs.iloc[:0])):
            f = reliability_plot(d, tmp_path / f"{name}-{lang}.png", lang)
            assert f.stat().st_size > 5000
    with pytest.raises(ValueError, match="lang must be one of"):
        reliability_plot(pairs, tmp_path / "x.png", "fr")


def test_reported_summary_on_an_empty_batch_is_nan():
    reps = pd.DataFrame({"seed": [], **{f"out.{t.metric}": [] for t in TARGETS}})
    s = sc.reported_summary(reps)
    assert len(s) == len(TARGETS) and np.isnan(s["p_met"]).all()


# ---------------------------------------------------------------------- the commands
def _cli(*args, cwd=None, python=False):
    import os
    import subprocess
    import sys
    root = REPO
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, *args] if python else [sys.executable, "-m", "sim", *args]
    return subprocess.run(cmd, cwd=cwd or root, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_run_says_what_it_is_conditioned_on_and_the_2021_vintage_is_the_library_answer(
        tmp_path):
    import json

    from sim.run.store import load_results
    scale = ["--households-per-agent", "8000", "--workers", "1"]
    r = _cli("run", "-n", "2", "--out", str(tmp_path / "now"), *scale)
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith("conditioned on ") and first.endswith(
        f"published figures through {LAST}; see docs/data.md"), first
    assert "P(met) on the reported basis" in r.stdout
    m = json.loads((tmp_path / "now" / "manifest.json").read_text())
    assert m["view"]["data_until"] == LAST and m["scenario"]["data_until"] == LAST
    r = _cli("run", "-n", "2", "--vintage", "2021", "--out", str(tmp_path / "v2021"), *scale)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("ex-ante view (2021 vintage)")
    # the library default, in a process of its own as the command's (same numerics)
    r = _cli("-c", "import sys; from sim.analysis.montecarlo import run_scenario; "
             "from sim.run.evaluators import Evaluator; "
             "run_scenario('plan', sys.argv[1], replicates=2, households_per_agent=8000, "
             "evaluator=Evaluator('serial', 1, None, 8000, progress=False))",
             str(tmp_path / "lib"), python=True)
    assert r.returncode == 0, r.stderr
    lib = load_results(tmp_path / "lib")
    got = load_results(tmp_path / "v2021")
    for name in ("replicates", "trajectories", "summary"):
        pd.testing.assert_frame_equal(got[name], lib[name], check_exact=True, obj=name)
    assert got["manifest"]["view"]["kind"] == "vintage"


@pytest.mark.slow
def test_scorecard_runs_on_the_shipped_data(tmp_path):
    r = _cli("scorecard", "-n", "1", "--households-per-agent", "8000", "--workers", "1",
             "--vintages", "2021", "2025", "--out", str(tmp_path / "sc"), "--quiet")
    assert r.returncode == 0, r.stderr
    # the verdicts are those of the shipped rows, read here without running anything
    values, rows = sc.observed_rows()
    settled = sc.outcomes(values, rows).query("outcome != 'not yet known'")
    assert f"settled: {len(settled)} of" in r.stdout
    for f in ("scorecard.csv", "scores.csv", "scorecard.txt", "reliability-en.png",
              "reliability-zh.png"):
        assert (tmp_path / "sc" / f).stat().st_size > 0, f
    t = pd.read_csv(tmp_path / "sc" / "scorecard.csv")
    assert {"p_2021", "p_2025"} <= set(t.columns)
    assert set(t.loc[t["outcome"] != "not yet known", "target"]) == set(settled["target"])
    scores = pd.read_csv(tmp_path / "sc" / "scores.csv")
    assert (scores["settled"] == len(settled)).all()
