"""Observed data, calibration (ABC-SMC), posterior draws and backtests (issue #10).

Observations here are simulated by the model itself (never shipped as data): a replicate
with known uncertainty values plays the part of what happened.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.analysis.observed import QUALITY_WEIGHT, model_metrics, read_observed, until
from sim.config.scenario import ScenarioError, load

# HPA: coarse scale: a replicate in ~0.05 s
from tests._shared import FINGERPRINT, HPA


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


# ------------------------------------------------------------------ posterior draws
POST_FACTORS = [
    {"name": "shanxi_share_gain", "param": "shanxi_share_gain", "key": None},
    {"name": "national_demand_growth.brewing", "param": "national_demand_growth",
     "key": "brewing"},
    {"name": "construction_lag_quarters", "param": "construction_lag_quarters", "key": None},
]
POST_VALUES = [[0.011, 0.091, 3.2], [-0.004, 0.041, 7.0], [0.002, 0.066, 5.0]]


def _fake_posterior(folder, weights=(0.5, 0.0, 0.5)):
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"factors": POST_FACTORS}))
    df = pd.DataFrame(POST_VALUES, columns=[f["name"] for f in POST_FACTORS])
    df["weight"] = list(weights)
    df.to_parquet(folder / "posterior.parquet")
    return folder


def _batch(folder, scn, n, seed, backend, workers):
    from sim.analysis.montecarlo import run
    from sim.run.batch import prepare
    from sim.run.evaluators import Evaluator
    from sim.run.store import load_results
    m = prepare(folder, scn, "test", n, seed, HPA, False)
    with Evaluator(backend, workers, None, progress=False) as ev:
        run(folder, m, ev)
    return load_results(folder)


@pytest.mark.integration
def test_posterior_draws_are_reproducible_and_independent_of_workers(tmp_path):
    from sim.model.rng import replicate_seeds
    from sim.run.posterior import attach, draw_index
    scn = attach(load("plan"), _fake_posterior(tmp_path / "cal"))
    post = scn["posterior"]
    seeds = replicate_seeds(5, 60)
    idx = [draw_index(post, s) for s in seeds]
    assert idx == [draw_index(post, s) for s in seeds]
    assert set(idx) == {0, 2}                      # the zero-weight particle is never drawn
    a = _batch(tmp_path / "a", scn, 8, 5, "serial", 1)["replicates"]
    b = _batch(tmp_path / "b", scn, 8, 5, "processes", 2)["replicates"]
    pd.testing.assert_frame_equal(a, b)
    got = a[["in.shanxi_share_gain", "in.national_demand_growth.brewing",
             "in.construction_lag_quarters"]].to_numpy()
    want = [[POST_VALUES[i][0], POST_VALUES[i][1], round(POST_VALUES[i][2])]
            for i in idx[:8]]
    np.testing.assert_array_equal(got, want)       # integer uncertainties are rounded


def test_posterior_leaves_the_other_uncertainties_as_drawn_without_it(tmp_path):
    from sim.run.posterior import attach
    from sim.run.replicate import flat_inputs, sample_uncertainties
    base = load("plan")
    scn = attach(base, _fake_posterior(tmp_path / "cal"))
    for seed in (1, 2, 3):
        with_post = flat_inputs(sample_uncertainties(scn, seed))
        without = flat_inputs(sample_uncertainties(base, seed))
        differ = {k for k in without if with_post[k] != without[k]}
        assert differ <= {f["name"] for f in POST_FACTORS}
        assert {"shanxi_share_gain", "national_demand_growth.brewing"} <= differ


def _sample_uncertainties_before_the_hook(scenario, seed):
    """sim/run/replicate.py's sample_uncertainties at 99f830b, before the posterior hook."""
    from sim.config.scenario import uncertainty_ranges
    from sim.model.params import UNCERTAINTIES
    from sim.model.rng import stream
    ranges = uncertainty_ranges(scenario)
    out = {}
    for p in UNCERTAINTIES:
        lo, hi = ranges[p.name]
        u = stream(seed, f"uncertainty:{p.name}").random(p.shape or None)
        v = lo + u * (hi - lo)
        if p.integer:
            v = np.round(v)
        out[p.name] = float(v) if np.ndim(v) == 0 else np.asarray(v, float)
    return out


def test_default_path_is_bit_identical_to_before_the_posterior_hook(tmp_path, monkeypatch):
    """No posterior key: the fingerprint case 'plan' hashes the same with the sampler as it
    was before the hook (independent of the environment; tests/fingerprint/fingerprint.json
    itself is specific to the versions it was recorded with)."""
    import importlib.util

    import sim.run.replicate as rep
    here = FINGERPRINT
    spec = importlib.util.spec_from_file_location("fp_make", here / "make.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    from sim.analysis.montecarlo import run
    from sim.run.batch import prepare
    from sim.run.evaluators import Evaluator
    from sim.run.store import load_results
    scenario, n, seed = make.CASES["plan"]
    scn = load(scenario)
    hashes = []
    for name, fn in (("now", rep.sample_uncertainties),
                     ("before", _sample_uncertainties_before_the_hook)):
        monkeypatch.setattr(rep, "sample_uncertainties", fn)
        folder = tmp_path / name
        run(folder, prepare(folder, scn, scenario, n, seed,
                            scn["settings"]["households_per_agent"], False),
            Evaluator(progress=False))
        tables = load_results(folder)
        hashes.append({t: make.table_hash(tables[t])
                       for t in ("replicates", "trajectories", "summary")})
    assert hashes[0] == hashes[1]


def test_bad_posterior_folders_are_rejected(tmp_path):
    from sim.run.posterior import PosteriorError, read_posterior
    with pytest.raises(PosteriorError, match="no such calibration folder"):
        read_posterior(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PosteriorError, match="manifest.json: missing"):
        read_posterior(tmp_path / "empty")
    f = _fake_posterior(tmp_path / "zero", weights=(0.0, 0.0, 0.0))
    with pytest.raises(PosteriorError, match="weights"):
        read_posterior(f)


# ------------------------------------------------------------------ calibration
FREE = ("agri_output_growth", "primary_va_growth", "drought_probability",
        "drought_yield_loss", "price_shock_sd", "off_farm_wage_growth")
PLANTED = {"agri_output_growth": 0.047, "primary_va_growth": 0.036}


@pytest.fixture(scope="module")
def world():
    """A scenario with six free uncertainties, and 'observations' from a planted replicate."""
    import copy

    from sim.model.params import UNCERTAINTIES
    from sim.run.replicate import run_replicate
    scn = load("plan")
    for p in UNCERTAINTIES:
        if p.name not in FREE:
            scn["uncertainties"][p.name] = p.default
    truth = copy.deepcopy(scn)
    truth["uncertainties"].update(PLANTED)
    r = run_replicate(truth, 777, households_per_agent=HPA)
    rows = [{"metric": m, "year": y, "value": r["trajectory"][y][m], "unit": "",
             "source": "simulated", "quality": "S", "note": "", "weight": 1.0, "line": 0}
            for m in ("agri_output", "primary_va") for y in range(2020, 2025)]
    return scn, pd.DataFrame(rows)


def _cal(world, folder, **kw):
    from sim.analysis.abc import calibrate
    scn, obs = world
    args = {"params": list(PLANTED), "population": 20, "generations": 2,
            "households_per_agent": HPA, "predictive": 0, **kw}
    return calibrate(scn, obs, 2024, folder, **args)


@pytest.mark.slow
def test_calibration_recovers_planted_parameters(world, tmp_path):
    from sim.analysis.abc import weighted_quantile
    res = _cal(world, tmp_path / "c", population=40, generations=3)
    post = res["posterior"]
    assert post["weight"].sum() == pytest.approx(1.0)
    for f in res["manifest"]["factors"]:
        lo, hi = weighted_quantile(post[f["name"]], post["weight"], [0.05, 0.95])
        assert lo <= PLANTED[f["name"]] <= hi, f["name"]
        assert (hi - lo) < 0.8 * 0.9 * (f["high"] - f["low"]), f["name"]   # narrower
    gens = res["generations"]
    assert gens["t"].tolist() == [-1, 0, 1, 2]
    assert (gens["epsilon"].dropna().diff().dropna() < 0).all()   # epsilon shrinks
    m = res["manifest"]
    assert m["status"] == "complete" and m["generations_done"] == 3
    assert m["simulations"]["abc"] == gens["simulations"].sum()
    # 2020 rows are the model's start year: reported, not calibrated to
    assert {r["year"] for r in m["rows_used"]} == {2021, 2022, 2023, 2024}
    assert {(r["year"], r["reason"][:4]) for r in m["rows_ignored"]} == {(2020, "2020")}
    for f in ("posterior.parquet", "generations.parquet", "abc.db", "manifest.json",
              "summary.parquet"):
        assert (tmp_path / "c" / f).is_file(), f
    from sim.present.calibration_plots import draw, draw_stored
    assert draw(tmp_path / "c", res) == [tmp_path / "c" / "posterior.png"]
    assert draw_stored(tmp_path / "c") == [tmp_path / "c" / "posterior.png"]


@pytest.fixture(scope="module")
def serial_run(world, tmp_path_factory):
    return _cal(world, tmp_path_factory.mktemp("serial") / "c", population=12)


@pytest.mark.integration
@pytest.mark.parametrize("backend", ["processes", "dask"])
def test_same_posterior_for_the_same_seed_on_every_backend(world, serial_run, tmp_path,
                                                            backend):
    b = _cal(world, tmp_path / backend, population=12, backend=backend, workers=2, chunk=3)
    pd.testing.assert_frame_equal(serial_run["posterior"], b["posterior"])
    pd.testing.assert_frame_equal(serial_run["generations"], b["generations"])


@pytest.mark.slow
def test_another_seed_gives_another_posterior(world, serial_run, tmp_path):
    c = _cal(world, tmp_path / "other-seed", population=12, seed=11)
    assert not serial_run["posterior"].equals(c["posterior"])


@pytest.mark.slow
def test_resumed_calibration_equals_an_uninterrupted_one(world, tmp_path):
    from sim.analysis.abc import CalibrationError
    straight = _cal(world, tmp_path / "a", generations=3, population=12)
    _cal(world, tmp_path / "b", generations=2, population=12)
    with pytest.raises(CalibrationError, match="--resume"):
        _cal(world, tmp_path / "b", generations=3, population=12)
    with pytest.raises(CalibrationError, match="population"):
        _cal(world, tmp_path / "b", generations=3, population=15, resume=True)
    resumed = _cal(world, tmp_path / "b", generations=3, population=12, resume=True)
    pd.testing.assert_frame_equal(straight["posterior"], resumed["posterior"])
    pd.testing.assert_frame_equal(straight["generations"], resumed["generations"])
    # the resumed run used the stored scales, not recomputed ones
    m = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert all(r["scale"] > 0 and "prior_sd" in r for r in m["rows_used"])
    # a folder from the version with the relative distance (no stored scales) is refused
    for r in m["rows_used"]:
        r.pop("scale")
    (tmp_path / "b" / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(CalibrationError, match="relative distance"):
        _cal(world, tmp_path / "b", generations=4, population=12, resume=True)


@pytest.mark.slow
def test_a_finished_calibration_is_not_extended_by_resume(world, tmp_path):
    # pyabc checks the simulation budget after a generation: resuming a calibration that
    # stopped on it would run one more generation each time unless the budget is raised
    first = _cal(world, tmp_path / "b", generations=6, population=12, max_simulations=30)
    done = len(first["generations"])
    assert done < 6                                     # stopped by the budget
    again = _cal(world, tmp_path / "b", generations=6, population=12, max_simulations=30,
                 resume=True)
    pd.testing.assert_frame_equal(first["posterior"], again["posterior"])
    assert len(again["generations"]) == done
    for k in ("stopped", "finished", "seconds"):    # when and why it stopped: as it was
        assert again["manifest"][k] == first["manifest"][k], k
    more = _cal(world, tmp_path / "b", generations=6, population=12, max_simulations=90,
                resume=True)
    assert len(more["generations"]) > done


@pytest.mark.slow
def test_pyabc_sampler_is_reproducible_serially(world, tmp_path):
    a = _cal(world, tmp_path / "a", sampler="pyabc", population=12)
    b = _cal(world, tmp_path / "b", sampler="pyabc", population=12)
    pd.testing.assert_frame_equal(a["posterior"], b["posterior"])


def test_distance_weights_rows_by_quality():
    from sim.analysis.abc import make_distance, statistics
    obs = pd.DataFrame({"metric": ["grain", "grain"], "year": [2021, 2022],
                        "value": [100.0, 200.0], "quality": ["S", "W"],
                        "weight": [1.0, 0.25], "line": [2, 3]})
    used, _ = statistics(obs, 2024)
    d = make_distance(used)
    x0 = {"grain@2021": 100.0, "grain@2022": 200.0}
    # a 10% miss on the S row weighs four times a 10% miss on the W row
    s_miss = d({"grain@2021": 110.0, "grain@2022": 200.0}, x0)
    w_miss = d({"grain@2021": 100.0, "grain@2022": 220.0}, x0)
    assert s_miss == pytest.approx(np.sqrt(1.0 * 0.01 / 1.25))
    assert w_miss == pytest.approx(np.sqrt(0.25 * 0.01 / 1.25))
    assert d(x0, x0) == 0.0


def test_statistics_use_only_rows_after_2020_up_to_until():
    from sim.analysis.abc import statistics
    obs = pd.DataFrame({"metric": ["grain"] * 5, "year": [2015, 2020, 2021, 2023, 2026],
                        "value": [1.0, 2.0, 3.0, 4.0, 5.0], "quality": ["S"] * 5,
                        "weight": [1.0] * 5, "line": range(2, 7)})
    used, ignored = statistics(obs, 2022)
    assert used["key"].tolist() == ["grain@2021"]
    assert sorted(ignored["year"]) == [2015, 2020]        # 2023 and 2026 are after until
    used, ignored = statistics(obs, 2030)
    assert used["key"].tolist() == ["grain@2021", "grain@2023"]
    assert "after 2025" in ignored.set_index("year").loc[2026, "reason"]


def test_screen_picks_the_factors_that_drive_the_observed_metrics(world):
    from sim.analysis.abc import choose_factors, pick, screen, statistics
    scn, obs = world
    used, _ = statistics(obs, 2024)
    facs = choose_factors(scn, None)
    assert {f["name"] for f in facs} == set(FREE)
    table = screen(scn, facs, used, 64, 3, HPA)
    top = pick(table, 2, 0.2)
    assert set(top) == {"agri_output_growth", "primary_va_growth"}
    assert "off_farm_wage_growth" not in pick(table, 6, 0.3)   # drives neither metric


def test_pick_gives_every_observed_metric_its_strongest_driver_first():
    from sim.analysis.abc import pick, rank_screen
    rng = np.random.default_rng(5)
    x = rng.random((400, 4))
    noise = rng.normal(0, 1, (400, 3))
    # a and b both drive "big" (two years), c alone drives "small" weakly, d nothing
    y = np.column_stack([x[:, 0] + 0.8 * x[:, 1] + 0.05 * noise[:, 0],
                         x[:, 0] + 0.8 * x[:, 1] + 0.05 * noise[:, 1],
                         x[:, 2] + 0.6 * noise[:, 2]])
    facs = [{"name": n} for n in "abcd"]
    used = pd.DataFrame({"metric": ["big", "big", "small"], "year": [2021, 2022, 2021],
                         "key": ["big@2021", "big@2022", "small@2021"]})
    table = rank_screen(facs, used, x, y).set_index("factor")
    assert table.loc["a", "leads"].startswith("big:")
    assert table.loc["c", "leads"].startswith("small:")
    assert table.loc["b", "leads"] == table.loc["d", "leads"] == ""
    # by |rho| alone the top two would be a and b, and "small" would have no factor
    assert table.loc["b", "max_abs_rho"] > table.loc["c", "max_abs_rho"] > 0.3
    assert pick(table.reset_index(), 2, 0.2) == ["a", "c"]
    assert pick(table.reset_index(), 3, 0.2) == ["a", "c", "b"]
    # a lead below min_rho does not count as one; an old table is ranked by |rho| alone
    assert pick(table.reset_index(), 2, 0.9 * table.loc["c", "max_abs_rho"] + 0.1) == ["a", "b"]
    assert pick(table.reset_index().drop(columns="leads"), 2, 0.2) == ["a", "b"]


def test_pinning_one_cluster_leaves_the_other_clusters_sampled():
    """Calibrating national_demand_growth.brewing must not fix the other nine clusters."""
    from sim.analysis.abc import choose_factors, pin
    from sim.run.replicate import flat_inputs, sample_uncertainties
    base = load("plan")
    base["uncertainties"]["national_demand_growth"] = {      # the scenario pins tcm only
        "low": {"tcm": 0.111}, "high": {"tcm": 0.111}}
    facs = choose_factors(base, ["national_demand_growth.brewing", "hurdle_rate"])
    scn = pin(base, facs, [0.09, 0.1])
    draws = [flat_inputs(sample_uncertainties(scn, s)) for s in (1, 2)]
    free = [flat_inputs(sample_uncertainties(base, s)) for s in (1, 2)]
    for d, f in zip(draws, free, strict=True):
        assert d["national_demand_growth.brewing"] == 0.09 and d["hurdle_rate"] == 0.1
        assert d["national_demand_growth.tcm"] == 0.111
        assert d["national_demand_growth.meat"] == f["national_demand_growth.meat"]
    assert draws[0]["national_demand_growth.meat"] != draws[1]["national_demand_growth.meat"]


def test_params_accept_factor_and_uncertainty_names():
    from sim.analysis.abc import CalibrationError, choose_factors
    scn = load("plan")
    names = [f["name"] for f in choose_factors(scn, ["national_demand_growth", "hurdle_rate"])]
    assert len(names) == 11 and names[-1] == "hurdle_rate"
    assert [f["name"] for f in choose_factors(scn, ["national_demand_growth.tcm"])] == [
        "national_demand_growth.tcm"]
    with pytest.raises(CalibrationError, match="did you mean 'hurdle_rate'"):
        choose_factors(scn, ["hurdle_rat"])
    scn["uncertainties"]["hurdle_rate"] = 0.1
    with pytest.raises(CalibrationError, match="pinned"):
        choose_factors(scn, ["hurdle_rate"])


# ------------------------------------------------------------------ backtests
def test_crps_of_a_perfect_forecast_beats_a_biased_one():
    from sim.analysis.backtest import score_one
    rng = np.random.default_rng(0)
    y = 1000.0
    ens = y * np.exp(rng.normal(0, 0.05, 400))
    good, biased = score_one(ens, y), score_one(ens * 1.3, y)
    assert good["crps"] < biased["crps"] / 5
    assert abs(good["pit"] - 0.5) < 0.1 and biased["pit"] < 0.01
    assert good["in_50"] and good["in_90"] and not biased["in_90"]
    assert good["crps_rel"] == pytest.approx(good["crps"] / y)
    # a sharp forecast on the spot beats a vague one on the spot
    assert score_one(np.full(10, y), y)["crps"] == 0.0
    assert score_one(y + rng.normal(0, 100, 400), y)["crps"] > good["crps"]


def _series(metric, years, start, growth, noise=None):
    v = [start * (1 + growth) ** (y - years[0]) * (1 + (noise[i] if noise else 0))
         for i, y in enumerate(years)]
    return pd.DataFrame({"metric": metric, "year": years, "value": v, "quality": "S",
                         "weight": 1.0, "line": 0})


def test_naive_forecasts_and_when_there_are_none():
    from sim.analysis.backtest import naive
    d = _series("grain", [2016, 2017, 2018, 2019, 2020], 100.0, 0.05,
                [0.01, -0.01, 0.0, 0.01, -0.01])
    f = naive(d, "grain", [2021, 2023])
    mu, sd = f["trend"][2023]
    assert np.exp(mu) == pytest.approx(100 * 1.05 ** 7, rel=0.02)
    assert f["trend_fit"]["growth"] == pytest.approx(0.05, abs=0.01)
    assert 0 < sd < 0.05
    lv = np.log(d["value"].to_numpy())
    mu_g, sd_g = f["last_growth"][2023]    # last step 2019 -> 2020 fell: carried forward
    assert mu_g == pytest.approx(lv[-1] + 3 * (lv[-1] - lv[-2]))
    assert sd_g == sd                      # the same spread as the trend
    assert f["trend"][2023][1] > f["trend"][2021][1]          # wider further out
    assert "needs 3" in naive(d.tail(2), "grain", [2021])["note"]
    assert not naive(d.tail(2), "grain", [2021])["trend"]
    assert "no observations" in naive(d, "coops", [2021])["note"]
    neg = d.assign(value=d["value"] - 101.0)
    assert "non-positive" in naive(neg, "grain", [2021])["note"]


def test_lognormal_scores_agree_with_the_ensemble_scores_of_the_same_distribution():
    from sim.analysis.backtest import score_lognormal, score_one
    rng = np.random.default_rng(1)
    mu, sd, y = np.log(500.0), 0.08, 520.0      # z = 0.49
    exact = score_lognormal(mu, sd, y)
    ens = score_one(np.exp(mu + sd * rng.standard_normal(20000)), y)
    assert exact["crps"] == pytest.approx(ens["crps"], rel=0.02)
    assert exact["pit"] == pytest.approx(ens["pit"], abs=0.01)
    assert (exact["in_50"], exact["in_90"]) == (ens["in_50"], ens["in_90"]) == (True, True)
    assert score_lognormal(mu, sd, 800.0)["in_90"] is False
    assert score_lognormal(mu, sd, y)["crps"] < score_lognormal(mu + 0.3, sd, y)["crps"]
    assert score_lognormal(mu, 0.0, 500.0)["crps"] == pytest.approx(0.0, abs=1e-9)


@pytest.fixture(scope="module")
def history(world):
    """Planted-world 'observations' 2017-2024; 2017-2019 continued back at 4%/yr."""
    scn, obs = world
    back = []
    for m in ("agri_output", "primary_va"):
        v20 = obs[(obs["metric"] == m) & (obs["year"] == 2020)]["value"].iloc[0]
        back += [{"metric": m, "year": y, "value": v20 / 1.04 ** (2020 - y)}
                 for y in (2017, 2018, 2019)]
    df = pd.concat([pd.DataFrame(back), obs[["metric", "year", "value"]]], ignore_index=True)
    df = df.assign(unit="", source="simulated", quality="S", note="", weight=1.0, line=0)
    return scn, df.sort_values(["metric", "year"]).reset_index(drop=True)


def _bt(scn, obs, folder, **kw):
    from sim.analysis.backtest import backtest
    cal = {"params": list(PLANTED), "population": 12, "generations": 1}
    return backtest(scn, obs, kw.pop("origins", [2021]), folder, replicates=12, seed=5,
                    households_per_agent=HPA, calibration=cal, **kw)


@pytest.mark.slow
def test_backtest_never_reads_a_row_after_the_origin(history, tmp_path, monkeypatch):
    import sim.analysis.backtest as bt
    scn, obs = history
    seen = []
    real = bt.calibrate

    def spy(base, observed, until_year, *a, **kw):
        seen.append(int(observed["year"].max()))
        return real(base, observed, until_year, *a, **kw)

    monkeypatch.setattr(bt, "calibrate", spy)
    clean = _bt(scn, obs, tmp_path / "clean")
    # Poison every row after the origin: absurd values, and a year the model never reaches.
    poisoned = obs.copy()
    late = poisoned["year"] > 2021
    poisoned.loc[late, "value"] = 1e12
    poisoned = pd.concat([poisoned, poisoned.tail(1).assign(year=2031)], ignore_index=True)
    bad = _bt(scn, poisoned, tmp_path / "poisoned")
    assert seen == [2021, 2021]
    for f in ("posterior.parquet", "generations.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "clean/origin-2021" / f),
                                      pd.read_parquet(tmp_path / "poisoned/origin-2021" / f))
    fc_a, fc_b = clean["forecasts"][2021], bad["forecasts"][2021]
    pd.testing.assert_frame_equal(fc_a["model"], fc_b["model"])
    assert fc_a["naive"] == fc_b["naive"] and fc_a["naive"]["agri_output"]["trend"]
    # The poisoned rows were scored (after the forecasts) and scored terribly.
    t_a, t_b = clean["table"], bad["table"]
    assert len(t_a) == 3 * 6          # two metrics x 2022-2024 x three forecasters
    m_b = t_b[(t_b["forecaster"] == "model") & (t_b["year"] <= 2025)]
    assert (m_b["crps_rel"] > 0.9).all() and not m_b["in_90"].any()
    assert (t_b[t_b["year"] == 2031]["note"].str.contains("not scored")).all()


@pytest.mark.slow
def test_backtest_takes_exogenous_series_up_to_the_origin_only(history, tmp_path,
                                                                 monkeypatch):
    """The model's national rural income from origin 2021 uses rows up to 2021 only."""
    import sim.analysis.backtest as bt
    from sim.config.observed import DEFAULT_OBSERVED, parse_observed
    scn, obs = history
    shipped = parse_observed(DEFAULT_OBSERVED)
    nat = shipped[(shipped["metric"] == "national_rural_income")
                  & shipped["year"].between(2017, 2024)]
    obs = pd.concat([obs, nat.assign(line=0)], ignore_index=True)
    level = dict(zip(nat["year"], nat["value"], strict=True))
    seen = []
    real = bt.calibrate

    def spy(base, observed, until_year, *a, **kw):
        seen.append((base.get("data_until"), base.get("exogenous")))
        return real(base, observed, until_year, *a, **kw)

    monkeypatch.setattr(bt, "calibrate", spy)
    clean = _bt(scn, obs, tmp_path / "clean")
    poisoned = obs.copy()
    poisoned.loc[(poisoned["metric"] == "national_rural_income")
                 & (poisoned["year"] == 2022), "value"] = 1e12
    # and a row of a state the forecast re-anchors on (sim.model.assimilate), after the origin
    poisoned.loc[(poisoned["metric"] == "agri_output") & (poisoned["year"] == 2022),
                 "value"] = 1e12
    bad = _bt(scn, poisoned, tmp_path / "poisoned")
    want = {"2020": level[2020], "2021": level[2021]}
    agri21 = obs[(obs["metric"] == "agri_output") & (obs["year"] == 2021)]["value"].iloc[0]
    for du, block in seen:
        assert du == 2021 and block["series"]["national_rural_income"] == want
    for res in (clean, bad):
        assert res["manifest"]["exogenous"]["2021"]["series"]["national_rural_income"] == want
        assert res["manifest"]["exogenous"]["2021"]["state"] == {"2021": {"agri_output":
                                                                          agri21}}
    post = "origin-2021/posterior.parquet"
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "clean" / post),
                                  pd.read_parquet(tmp_path / "poisoned" / post))
    fc_a, fc_b = clean["forecasts"][2021]["model"], bad["forecasts"][2021]["model"]
    pd.testing.assert_frame_equal(fc_a, fc_b)
    n22 = fc_a[(fc_a["metric"] == "national_rural_income") & (fc_a["year"] == 2022)]["value"]
    # continued from the 2021 level at the growth (pinned in this world), never the 2022 row
    g = scn["uncertainties"]["national_rural_income_growth"]
    assert isinstance(g, float) and len(n22) == 12
    assert np.allclose(n22, level[2021] * (1 + g), rtol=1e-12)
    # the poisoned row itself is held out and scored
    t = bad["table"]
    row = t[(t["metric"] == "national_rural_income") & (t["year"] == 2022)
            & (t["forecaster"] == "model")]
    assert row["observed"].iloc[0] == 1e12 and not row["in_90"].iloc[0]


@pytest.mark.slow
def test_backtest_table_summary_and_plots(history, tmp_path):
    from sim.analysis.backtest import format_summary
    scn, obs = history
    # a metric first observed after the origin: no naive forecast, and the table says so
    late = pd.DataFrame({"metric": "grain", "year": [2023, 2024], "value": [1400.0, 1410.0],
                         "unit": "", "source": "simulated", "quality": "M", "note": "",
                         "weight": 0.5, "line": 0})
    from sim.present.analysis_figures import plot_backtest
    res = _bt(scn, pd.concat([obs, late], ignore_index=True), tmp_path / "b",
              origins=[2020, 2022], plot=plot_backtest)
    t = res["table"]
    assert set(t["origin"]) == {2020, 2022}
    g = t[(t["metric"] == "grain") & (t["forecaster"] != "model")]
    assert g["crps"].isna().all() and g["note"].str.contains("no observations").all()
    assert t[(t["metric"] == "grain") & (t["forecaster"] == "model")]["crps"].notna().all()
    # origin 2020: nothing after 2020 to calibrate to, so the model forecasts from its prior
    assert t[(t["origin"] == 2020) & (t["forecaster"] == "model")]["note"].str.contains(
        "prior").all()
    assert not (tmp_path / "b" / "origin-2020").exists()
    assert (tmp_path / "b" / "origin-2022" / "posterior.parquet").is_file()
    s = res["summary"]
    row = s[(s["origin"] == 2022) & (s["metric"] == "grain") & (s["forecaster"] == "trend")]
    assert row["n"].iloc[0] == 0 and "no observations" in row["note"].iloc[0]
    text = format_summary(s)
    assert "origin 2022" in text and "grain" in text and "no observations" in text
    for f in ("backtest.parquet", "summary.parquet", "manifest.json",
              "plots/backtest-agri_output.png", "plots/backtest-grain.png"):
        assert (tmp_path / "b" / f).is_file(), f


# ------------------------------------------------------------------ command line
def test_cli_rejects_a_bad_file_with_exit_2_and_writes_nothing(tmp_path, capsys):
    from sim.cli.main import main
    bad = _write(tmp_path / "bad.csv", "metric,year,value\nrural_income,2021,15000\n"
                 "rural_income,2022,lots\n")
    out = tmp_path / "out"
    for cmd in ("calibrate", "backtest"):
        assert main([cmd, "--observed", str(bad), "--out", str(out), "-q"]) == 2
        err = capsys.readouterr().err.strip()
        assert err == f"clustersim: error: {bad}: line 3, column value: 'lots' is not a number"
    assert not out.exists()


def test_every_option_of_calibrate_and_backtest_shows_its_default():
    import argparse

    from sim.cli.main import parser
    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name in ("calibrate", "backtest"):
        p = sub.choices[name]
        text = p.format_help()
        opts = [a for a in p._actions if a.option_strings and a.dest != "help"]
        assert len(opts) > 15
        for a in opts:
            h = p._get_formatter()._expand_help(a)
            assert "default" in h, (name, a.dest, h)
        assert "(default: 20210820)" in text          # the seed, as an example
    assert "(default: [2020, 2021, 2022])" in sub.choices["backtest"].format_help()


@pytest.mark.integration
def test_cli_calibrate_then_run_from_the_posterior(world, tmp_path, capsys):
    from sim.analysis.observed import write_observed
    from sim.cli.main import main
    from sim.run.store import load_results
    _, obs = world
    csv = tmp_path / "obs.csv"
    write_observed(obs, csv, "simulated by the model (test data)")
    cal = tmp_path / "cal"
    args = ["calibrate", "--observed", str(csv), "--until", "2023", "--out", str(cal),
            "--params", *PLANTED, "--population", "12", "--generations", "1",
            "--households-per-agent", str(HPA), "--predictive", "4", "--workers", "1", "-q"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "agri_output_growth" in out and "2 factors, 6 observations up to 2023" in out
    for f in ("posterior.parquet", "posterior.png", "predictive.png", "predictive.parquet"):
        assert (cal / f).is_file(), f
    assert main(args) == 2                                       # occupied --out
    assert "--resume" in capsys.readouterr().err
    post = pd.read_parquet(cal / "posterior.parquet")
    runs = []
    for w in ("1", "2"):
        d = tmp_path / f"run{w}"
        assert main(["run", "--posterior", str(cal), "-n", "6", "--workers", w, "--out", str(d),
                     "--households-per-agent", str(HPA), "-q"]) == 0
        runs.append(load_results(d)["replicates"])
    pd.testing.assert_frame_equal(runs[0], runs[1])
    assert runs[0]["in.agri_output_growth"].isin(post["agri_output_growth"]).all()
    assert main(["run", "--posterior", str(tmp_path / "nope"), "-n", "2", "-q"]) == 2
    assert "no such calibration folder" in capsys.readouterr().err


def test_distance_scales_are_the_prior_spread_with_a_relative_floor():
    """A statistic the prior lets wander counts less per unit miss than one it pins."""
    from sim.analysis.abc import SCALE_FLOOR, make_distance, noise_scales, statistics
    obs = pd.DataFrame({"metric": ["grain", "rural_income"], "year": [2021, 2021],
                        "value": [1000.0, 15000.0], "quality": ["S", "S"],
                        "weight": [1.0, 1.0], "line": [2, 3]})
    used, _ = statistics(obs, 2024)
    # prior runs: grain spreads by SD 100 (10%), income is the same in every run
    y = np.column_stack([1000.0 + 100.0 * np.array([-1.0, 1.0, -1.0, 1.0]),
                         np.full(4, 15000.0)])
    s = noise_scales(used, y)
    assert s[0] == pytest.approx(np.hypot(100.0, SCALE_FLOOR * 1000.0))
    assert s[1] == pytest.approx(SCALE_FLOOR * 15000.0)      # no spread: the floor alone
    used["scale"] = s
    d = make_distance(used)
    x0 = {"grain@2021": 1000.0, "rural_income@2021": 15000.0}
    # the same 5% miss: ~0.49 prior-scale units on grain, 2.5 on income
    g = d({"grain@2021": 1050.0, "rural_income@2021": 15000.0}, x0)
    i = d({"grain@2021": 1000.0, "rural_income@2021": 15750.0}, x0)
    assert i > 4 * g
    assert i == pytest.approx(np.sqrt((750.0 / s[1]) ** 2 / 2))


def test_exogenous_input_rows_are_not_calibration_statistics():
    """With data_until, the series' rows up to it are the model's input, not data to fit."""
    from sim.analysis.abc import statistics
    obs = pd.DataFrame({"metric": ["national_rural_income"] * 3 + ["grain"],
                        "year": [2021, 2022, 2023, 2021], "value": [1.0, 2.0, 3.0, 4.0],
                        "quality": ["S"] * 4, "weight": [1.0] * 4, "line": range(2, 6)})
    used, ignored = statistics(obs, 2024, data_until=2022)
    assert sorted(used["key"]) == ["grain@2021", "national_rural_income@2023"]
    why = ignored.set_index("year").loc[[2021, 2022], "reason"]
    assert why.str.contains("input data up to data_until 2022").all()
    used, _ = statistics(obs, 2024)                        # no cut-off: all are statistics
    assert len(used) == 4
