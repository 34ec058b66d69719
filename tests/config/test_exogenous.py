"""Exogenous series as data (issue #10 item 3): observed up to ``data_until``, sampled after.

The observed values come from the shipped data/observed/shanxi.csv (read here independently
of the code under test, with the csv module), so a wrong row, year or cut shows up.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pandas as pd
import pytest

from sim.config.scenario import ScenarioError, derive, load, with_data_until
from sim.model.rng import replicate_seeds
from sim.run.replicate import run_replicate
from tests._shared import HPA

SHIPPED = "data/observed/shanxi.csv"


def _shipped_national() -> dict[int, float]:
    from sim.config.files import SOURCE_ROOT
    with open(SOURCE_ROOT / SHIPPED, encoding="utf-8") as fh:
        rows = csv.reader(line for line in fh if not line.startswith("#"))
        next(rows)
        return {int(r[1]): float(r[2]) for r in rows if r[0] == "national_rural_income"}


NATIONAL = _shipped_national()


def _runs(scn, n=4):
    return [run_replicate(scn, int(s), households_per_agent=HPA)
            for s in replicate_seeds(11, n)]


@pytest.fixture(scope="module")
def runs_2023():
    return _runs(with_data_until(load("plan"), 2023))


def test_the_shipped_series_has_the_years_this_file_relies_on():
    assert set(range(2020, 2025)) <= set(NATIONAL)


def test_default_scenario_has_no_data_until_and_runs_as_before():
    scn = load("plan")
    assert "data_until" not in scn and "exogenous" not in scn
    assert with_data_until(scn, None) is scn
    from sim.model.outcomes import NATIONAL_RURAL_INCOME_2020
    r = run_replicate(scn, 3, households_per_agent=HPA)
    g = r["inputs"]["national_rural_income_growth"]
    s = r["inputs"]["covid_2020_shortfall"]
    for y in range(2020, 2026):
        # the old expression, bit for bit (the fingerprint test pins the whole tables), and
        # from 2021 the rebound from the COVID-19 year (sim.model.national)
        assert r["trajectory"][y]["national_rural_income"] == \
            NATIONAL_RURAL_INCOME_2020 * (1 + g) ** (y - 2020) * (1 / (1 - s) if y > 2020 else 1)


def test_observed_up_to_data_until_for_every_replicate_sampled_after(runs_2023):
    after = {2024: [], 2025: []}
    for r in runs_2023:
        t = r["trajectory"]
        for y in range(2020, 2024):
            assert t[y]["national_rural_income"] == NATIONAL[y], (r["seed"], y)
        g = r["inputs"]["national_rural_income_growth"]
        for y in (2024, 2025):
            v = t[y]["national_rural_income"]
            assert v == pytest.approx(NATIONAL[2023] * (1 + g) ** (y - 2023), rel=1e-12)
            after[y].append(v)
    for y, vals in after.items():
        assert len(set(vals)) == len(vals), y          # they vary with the replicate
    # 2024 was observed (23,119) but is after the cut-off: not used
    assert NATIONAL[2024] not in after[2024]


def test_growth_gap_uses_the_realised_national_growth(runs_2023):
    from sim.model import plan
    for r in runs_2023:
        t, g = r["trajectory"], r["inputs"]["national_rural_income_growth"]
        for y in (2022, 2023, 2025):
            n = y - 2020
            g_sx = (t[y]["rural_income"] / plan.PROVINCE.rural_income_2020_yuan) ** (1 / n) - 1
            g_nat = (t[y]["national_rural_income"] / NATIONAL[2020]) ** (1 / n) - 1
            assert t[y]["rural_income_growth_gap"] == pytest.approx(g_sx - g_nat, abs=1e-12)
            assert abs(t[y]["rural_income_growth_gap"] - (g_sx - g)) > 1e-4   # not the draw
            assert t[y]["rural_income_ratio"] == pytest.approx(
                t[y]["rural_income"] / t[y]["national_rural_income"], rel=1e-12)
            # the formerly poor counties' target compares with the same realised rate
            g_poor = (t[y]["poor_area_income"] / t[2020]["poor_area_income"]) ** (1 / n) - 1
            assert t[y]["poor_area_income_growth_gap"] == pytest.approx(g_poor - g_nat,
                                                                        abs=1e-12)


def _without_markets(scn: dict) -> dict:
    """``scn`` with its exogenous block as written before market data were taken.

    (Nor the observed state of the cut-off year: tests/model/test_assimilate.py tests that.)
    """
    out = dict(scn)
    out["exogenous"] = {k: v for k, v in scn["exogenous"].items()
                        if k not in ("market_growth", "markets_file", "state")}
    return out


def test_other_outcomes_and_the_draws_do_not_change():
    # national income alone (the market part is tested below): a block without it, as
    # written before market data were taken, changes nothing else
    base, cut = load("plan"), _without_markets(with_data_until(load("plan"), 2022))
    a, b = run_replicate(base, 5, households_per_agent=HPA), \
        run_replicate(cut, 5, households_per_agent=HPA)
    assert a["inputs"] == b["inputs"]                   # same uncertainty draws
    touched = {"national_rural_income", "rural_income_ratio", "rural_income_growth_gap",
               "poor_area_income_growth_gap"}
    for y in range(2020, 2026):
        for k, v in a["trajectory"][y].items():
            if k not in touched:
                assert b["trajectory"][y][k] == v, (y, k)
    assert b["trajectory"][2022]["national_rural_income"] == NATIONAL[2022]
    assert a["trajectory"][2022]["national_rural_income"] != NATIONAL[2022]


def test_scenario_key_set_override_and_derive_agree(tmp_path):
    f = tmp_path / "cut.yaml"
    f.write_text("extends: plan\nname: cut\ndata_until: 2023\n", encoding="utf-8")
    from_yaml = load(str(f))
    from_flag = with_data_until(load("plan"), 2023)
    from_set = load("plan", ["data_until=2023"])
    assert from_yaml["exogenous"] == from_flag["exogenous"] == from_set["exogenous"]
    assert from_yaml["exogenous"]["series"]["national_rural_income"] == {
        str(y): NATIONAL[y] for y in range(2020, 2024)}
    assert from_yaml["exogenous"]["file"] == SHIPPED
    d = derive(from_yaml, {"uncertainties.hurdle_rate": 0.1})
    assert d["data_until"] == 2023 and d["exogenous"] == from_yaml["exogenous"]
    # another cut-off on a derived scenario is resolved again, from the file it names
    again = load(str(f), ["data_until=2021"])
    assert sorted(again["exogenous"]["series"]["national_rural_income"]) == ["2020", "2021"]
    # JSON (the manifest) keeps the block as it is: a resumed batch matches
    assert json.loads(json.dumps(from_yaml)) == from_yaml


@pytest.mark.parametrize("year, what", [
    (2020, "outside the allowed 2021-2025"),    # the shipped file reaches 2025
    (2026, "outside the allowed 2021-2025"),
    ("2023", "must be a year"),
    (True, "must be a year"),
])
def test_bad_year_names_flag_range_and_file(year, what):
    with pytest.raises(ScenarioError) as e:
        with_data_until(load("plan"), year)
    msg = str(e.value)
    assert msg.startswith("--data-until: ") and what in msg
    if "allowed" in what:
        assert SHIPPED in msg and "national_rural_income" in msg


def test_a_year_after_the_files_last_is_refused(tmp_path):
    f = _csv(tmp_path / "to2024.csv", range(2020, 2025))
    with pytest.raises(ScenarioError, match="outside the allowed 2021-2024") as e:
        with_data_until(load("plan"), 2025, file=f)
    assert "to2024.csv" in str(e.value)


def _csv(path, years, extra=""):
    lines = ["metric,year,value"] + [f"national_rural_income,{y},{NATIONAL[y]}"
                                     for y in years]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def test_a_gap_year_names_metric_and_year(tmp_path):
    f = _csv(tmp_path / "gap.csv", [2020, 2021, 2023, 2024])
    assert with_data_until(load("plan"), 2021, file=f)["data_until"] == 2021   # before the gap
    with pytest.raises(ScenarioError) as e:
        with_data_until(load("plan"), 2023, file=f)
    assert "national_rural_income has no row for 2022" in str(e.value)
    with pytest.raises(ScenarioError, match="no row for 2020"):
        with_data_until(load("plan"), 2022, file=_csv(tmp_path / "n20.csv", [2021, 2022]))
    with pytest.raises(ScenarioError, match="has no national_rural_income rows"):
        with_data_until(load("plan"), 2022, file=_csv(tmp_path / "none.csv", [],
                                                      "grain,2021,1400\n"))
    with pytest.raises(ScenarioError, match="level must be positive"):
        with_data_until(load("plan"), 2021, file=_csv(
            tmp_path / "neg.csv", [2021], "national_rural_income,2020,-1\n"))


def test_a_hand_written_exogenous_block_is_checked(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("extends: plan\nexogenous: {series: {}}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="set data_until"):
        load(str(f))
    scn = with_data_until(load("plan"), 2022)
    scn["exogenous"]["series"]["national_rural_income"].pop("2021")
    with pytest.raises(ScenarioError, match="needs exactly the years 2020-2022"):
        derive(scn, {})


# ------------------------------------------------------------------ command line
def test_cli_run_rejects_bad_years_with_exit_2_and_writes_nothing(tmp_path, capsys):
    from sim.cli.main import main
    out = tmp_path / "out"
    for year in ("2026", "2019"):
        assert main(["run", "plan", "--data-until", year, "-n", "2", "--out", str(out),
                     "-q"]) == 2
        err = capsys.readouterr().err
        assert "--data-until" in err and "2021-2025" in err and SHIPPED in err, err
    assert not out.exists()


def test_cli_run_records_the_series_in_the_manifest(tmp_path):
    from sim.cli.main import main
    out = tmp_path / "cut"
    assert main(["run", "plan", "--data-until", "2022", "-n", "2", "-w", "1",
                 "--households-per-agent", str(HPA), "--out", str(out), "-q"]) == 0
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["scenario"]["data_until"] == 2022
    assert m["scenario"]["exogenous"]["series"]["national_rural_income"] == {
        str(y): NATIONAL[y] for y in range(2020, 2023)}
    t = pd.read_parquet(out / "trajectories.parquet")
    nat = t[t["metric"] == "national_rural_income"]
    assert len(nat[nat["year"] == 2022]) == 2
    assert (nat[nat["year"] == 2022]["value"] == NATIONAL[2022]).all()
    assert nat[nat["year"] == 2025]["value"].nunique() == 2


def test_cli_calibrate_data_until_errors(tmp_path, capsys):
    from sim.cli.main import main
    out = tmp_path / "out"
    f = _csv(tmp_path / "gap.csv", [2020, 2021, 2023])
    assert main(["calibrate", "--observed", str(f), "--data-until", "2023", "--out",
                 str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "national_rural_income has no row for 2022" in err and str(f) in err
    assert main(["calibrate", "--data-until", "2024", "--until", "2023", "--out", str(out),
                 "-q"]) == 2
    assert "--data-until: 2024 is after the calibration's last year 2023" in \
        capsys.readouterr().err
    assert not out.exists()


def test_calibrate_refuses_a_scenario_cut_after_its_last_year(tmp_path):
    from sim.analysis.calibrate import CalibrationError, calibrate
    scn = with_data_until(load("plan"), 2024)
    obs = pd.DataFrame({"metric": ["grain"], "year": [2022], "value": [1460.0],
                        "quality": ["S"], "weight": [1.0], "line": [2]})
    with pytest.raises(CalibrationError, match="data_until 2024 is after"):
        calibrate(scn, obs, 2023, tmp_path / "c")
    assert not (tmp_path / "c").exists()


# ------------------------------------------------------------------ backtests
def _obs(values: dict[int, float]) -> pd.DataFrame:
    return pd.DataFrame({"metric": "national_rural_income", "year": list(values),
                         "value": list(values.values()), "unit": "", "source": "test",
                         "quality": "S", "note": "", "weight": 1.0, "line": 0})


def test_origin_scenario_uses_rows_up_to_the_origin_only():
    from sim.analysis.backtest import origin_scenario
    base = with_data_until(load("plan"), 2024)          # a later cut in the base is replaced
    poisoned = dict(NATIONAL)
    poisoned[2022] = 1e12
    scn = origin_scenario(base, _obs(poisoned), 2021, "obs.csv")
    assert scn["data_until"] == 2021
    assert scn["exogenous"]["series"]["national_rural_income"] == {
        "2020": NATIONAL[2020], "2021": NATIONAL[2021]}
    assert scn["exogenous"]["file"] == "obs.csv"
    # the national markets are cut at the origin too (2023 and 2024 are reported)
    years = {y for rates in scn["exogenous"]["market_growth"].values() for y in rates}
    assert years == {"2021"}
    # origin 2020 (before the simulated years), or no national rows: the sampled growth
    for o, rows in ((2020, _obs(poisoned)), (2022, _obs(poisoned).iloc[0:0])):
        s = origin_scenario(base, rows, o)
        assert "data_until" not in s and "exogenous" not in s


# ------------------------------------------------------------------ national markets
def _shipped_markets() -> dict[str, dict[int, float]]:
    from sim.config.files import SOURCE_ROOT
    names = {"brewing": "national_market_brewing_baijiu_revenue_growth",
             "cosmetics": "national_market_cosmetics_retail_growth"}
    out = {k: {} for k in names}
    with open(SOURCE_ROOT / "data/observed/national_markets.csv", encoding="utf-8") as fh:
        rows = csv.reader(line for line in fh if not line.startswith("#"))
        next(rows)
        for r in rows:
            for k, metric in names.items():
                if r[0] == metric:
                    out[k][int(r[1])] = float(r[2])
    return out


MARKETS = _shipped_markets()


def test_the_block_holds_reported_market_growth_up_to_the_cut_only():
    blk = with_data_until(load("plan"), 2022)["exogenous"]
    assert blk["markets_file"] == "data/observed/national_markets.csv"
    assert blk["market_growth"]["brewing"] == {"2021": MARKETS["brewing"][2021]}
    assert blk["market_growth"]["cosmetics"] == {
        str(y): MARKETS["cosmetics"][y] for y in (2021, 2022)}
    assert 2023 in MARKETS["brewing"]                   # reported, but after the cut
    assert set(blk["market_growth"]) == {"brewing", "dairy", "tcm", "cosmetics"}


def _one_year(scn, seed=4):
    from sim.model import plan
    from sim.run.replicate import build_model
    m = build_model(scn, seed, households_per_agent=HPA)
    d0 = m.firms.demand.copy()
    for _ in range(plan.QUARTERS_PER_YEAR):
        m.step()
    return m, d0


def test_a_reported_year_replaces_the_trend_and_its_rebound_in_that_cluster_only():
    from sim.model import equations as eq
    from sim.model import plan
    cut = with_data_until(load("plan"), 2021, assimilate=False)   # markets alone
    a, d0 = _one_year(_without_markets(cut))
    b, d0b = _one_year(cut)
    assert a.year == b.year == 2022                     # 2021's four quarters are done
    assert (d0 == d0b).all()
    keys = list(plan.CLUSTER_KEYS)
    u = a.uncertain
    rebound = float(eq.covid_rebound(u["covid_2020_shortfall"], 2021, plan.BASE_YEAR))
    for k in keys:
        i = keys.index(k)
        ratio = b.firms.demand[i] / a.firms.demand[i]
        if k in ("brewing", "dairy", "tcm", "cosmetics"):
            # growth: the reported rate in place of the year's draw of the market's AR(1)
            # path (sim.model.national.market_path); no rebound on top
            reported = cut["exogenous"]["market_growth"][k]["2021"]
            want = (1 + reported) / np.exp(a.market_path[i, 0]) / rebound
            assert ratio == pytest.approx(want, rel=1e-12), k
        else:
            assert ratio == 1.0, k                     # bit for bit
    # brewing's reported 18.6% is above its whole trend range: the data moved it
    assert b.firms.demand[keys.index("brewing")] / a.firms.demand[keys.index("brewing")] > 1.03


def test_years_without_a_report_continue_from_the_last_report():
    # a year without a report is the market's AR(1) path continued from the deviation the
    # last report implies (net of the 2021 rebound it holds): brewing has 2021 but no 2022
    # report, so its 2022 growth differs from the free path's by rho × the 2021 gap
    from sim.model import equations as eq
    from sim.model import firms, plan
    cut = with_data_until(load("plan"), 2022)
    a, _ = _one_year(_without_markets(cut))
    b, _ = _one_year(cut)
    assert a.year == b.year == 2022
    b.firms.coverage_last, b.coverage = a.firms.coverage_last.copy(), a.coverage.copy()
    b.firms.demand = a.firms.demand.copy()
    ga, gb = firms.market_growth(a, 1), firms.market_growth(b, 1)
    brewing, cosmetics = plan.CLUSTER_KEYS.index("brewing"), plan.CLUSTER_KEYS.index("cosmetics")
    u = a.uncertain
    step = np.log(float(eq.covid_rebound(u["covid_2020_shortfall"], 2021, plan.BASE_YEAR)))
    gap = np.log1p(MARKETS["brewing"][2021]) - step - a.market_path[brewing, 0]
    assert gb[brewing] - ga[brewing] == pytest.approx(u["market_growth_persistence"] * gap,
                                                      abs=1e-12)
    assert gb[cosmetics] - ga[cosmetics] == pytest.approx(
        np.log1p(MARKETS["cosmetics"][2022]) - a.market_path[cosmetics, 1], abs=1e-12)


def test_a_hand_written_market_block_is_checked():
    scn = with_data_until(load("plan"), 2022)
    for key, value, msg in (("brewing", {"2023": 0.1}, "must be a year in 2021-2022"),
                            ("brewing", {"2021": -1.5}, "growth rate above -1"),
                            ("rice", {"2021": 0.1}, "must map clusters among")):
        bad = json.loads(json.dumps(scn))
        bad["exogenous"]["market_growth"][key] = value
        with pytest.raises(ScenarioError, match=msg):
            derive(bad, {})
