"""A backtest's vintage reads no row after its origin (issue #21, item 4).

Every test here works on copies of the shipped data files (``data/observed/shanxi.csv`` and
``national_markets.csv``) with rows planted after the origin: absurd values in years the
files do not hold. Whatever the backtest conditions on or calibrates with (the exogenous
series, the reported market growth, the observed state it re-anchors on, the calibration's
rows, the naive forecasts) must be the same with and without them, and so must the forecast,
bit for bit.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim.analysis import backtest as bt
from sim.analysis.observed import read_observed, until
from sim.config import exogenous
from sim.config.observed import DEFAULT_OBSERVED, parse_observed
from sim.config.scenario import load
from tests._shared import HPA

# a row of each kind the backtest could read: exogenous series, state it re-anchors on,
# calibration rows of free metrics
PLANT_SHANXI = ("national_rural_income", "rural_income", "rural_income_wage",
                "rural_income_transfer", "processing_output", "agri_output",
                "top_firm_revenue_brewing", "grain", "primary_va", "leading_firms")
PLANT_MARKETS = tuple(exogenous.MARKETS.values())


def _plant(src, dst, origin: int, metrics, value: float):
    """``src`` copied to ``dst`` with, per metric, a row in its first missing year after
    ``origin``; returns the planted (metric, year)s."""
    have = parse_observed(src)
    text = src.read_text(encoding="utf-8").rstrip("\n") + "\n"
    planted = []
    for m in metrics:
        years = set(have[have["metric"] == m]["year"])
        y = next(y for y in range(origin + 1, 2100) if y not in years)
        text += f"{m},{y},{value},,planted after the origin,S,\n"
        planted.append((m, y))
    dst.write_text(text, encoding="utf-8")
    return planted


@pytest.fixture
def files(tmp_path):
    """Clean copies of the shipped files and, per origin, planted copies."""
    clean = tmp_path / "shanxi.csv"
    clean.write_text(DEFAULT_OBSERVED.read_text(encoding="utf-8"), encoding="utf-8")
    markets = tmp_path / "national_markets.csv"
    markets.write_text(exogenous.MARKETS_FILE.read_text(encoding="utf-8"), encoding="utf-8")

    def planted(origin):
        d = tmp_path / f"planted-{origin}"
        d.mkdir(exist_ok=True)
        rows = _plant(clean, d / "shanxi.csv", origin, PLANT_SHANXI, 1e6)
        rows += _plant(markets, d / "national_markets.csv", origin, PLANT_MARKETS, 0.9)
        return d / "shanxi.csv", d / "national_markets.csv", rows

    return clean, markets, planted


@pytest.mark.parametrize("origin", [2020, 2021, 2022, 2023, 2024])
def test_planted_later_rows_change_nothing_the_backtest_conditions_on(files, monkeypatch,
                                                                      origin):
    """Scenario (series, market growth, state), calibration rows and naive forecasts."""
    clean, markets, planted = files
    p_obs, p_markets, rows = planted(origin)
    base = load("plan")
    got = {}
    for name, obs_file, mk in (("clean", clean, markets), ("planted", p_obs, p_markets)):
        monkeypatch.setattr(exogenous, "MARKETS_FILE", mk)
        obs = read_observed(obs_file)
        # the backtest's own order: cut first, then build from the cut; and the functions
        # themselves cut again when handed every row
        train = until(obs, origin)
        scn = bt.origin_scenario(base, obs, origin, "obs.csv")
        assert scn == bt.origin_scenario(base, train, origin, "obs.csv")
        used, _ = bt.statistics(obs, origin, scn.get("data_until"))
        years = list(range(origin + 1, 2026))
        got[name] = (_without_file(scn), used.drop(columns="line").to_dict("list"),
                     {m: bt.naive(train, m, years) for m in sorted(set(train["metric"]))},
                     bt.anchored_at(scn, origin))
        if name == "planted":     # the plant is not vacuous: later rows are in the file
            assert len(obs) == len(read_observed(clean)) + len(PLANT_SHANXI)
            assert {(m, y) for m, y in rows} <= set(zip(
                pd.concat([obs, parse_observed(p_markets)])["metric"],
                pd.concat([obs, parse_observed(p_markets)])["year"], strict=True))
            if origin < 2025:     # and a cut-off after the origin would read them
                later = exogenous.market_growth(2025, "test")
                assert any(later[c].get(str(y)) == 0.9 for c, mt in exogenous.MARKETS.items()
                           for m, y in rows if m == mt)
    assert got["clean"] == got["planted"]
    scn = got["clean"][0]
    if origin == 2020:
        assert "data_until" not in scn and exogenous.KEY not in scn
    else:
        block = scn[exogenous.KEY]
        assert block["data_until"] == origin
        assert max(int(y) for y in block["series"]["national_rural_income"]) == origin
        assert all(int(y) <= origin for y in block["state"])
        assert all(int(y) <= origin for g in block["market_growth"].values() for y in g)


def _without_file(scn):
    """The scenario without the markets file's path (the copies sit in different folders)."""
    if exogenous.KEY not in scn:
        return scn
    return {**scn, exogenous.KEY: {k: v for k, v in scn[exogenous.KEY].items()
                                   if k != "markets_file"}}


def _backtest(obs, folder, origins):
    cal = {"params": ["transfer_income_growth", "grain_trend"], "screen_n": 12,
           "population": 10, "generations": 1}
    return bt.backtest(load("plan"), obs, origins, folder, replicates=6, seed=3,
                       households_per_agent=HPA, calibration=cal)


def _manifest_inputs(res, origin):
    m = res["manifest"]
    x = m["exogenous"][str(origin)]
    return (_without_file({exogenous.KEY: x}) if x else x), m["anchored"][str(origin)]


@pytest.mark.slow
def test_a_planted_later_row_leaves_the_forecasts_bit_identical(files, monkeypatch,
                                                                 tmp_path):
    """Origins 2020 and 2021 on the shipped data: the model's forecast table, the naive
    forecasts, the origin-2021 posterior and the manifest's inputs are bit-identical with
    rows planted after the origin."""
    clean, markets, planted = files
    monkeypatch.setattr(exogenous, "MARKETS_FILE", markets)
    a = _backtest(read_observed(clean), tmp_path / "clean", [2020, 2021])
    key = ["origin", "metric", "year", "forecaster"]
    for origin in (2020, 2021):
        p_obs, p_markets, rows = planted(origin)
        monkeypatch.setattr(exogenous, "MARKETS_FILE", p_markets)
        b = _backtest(read_observed(p_obs), tmp_path / f"planted-{origin}-bt", [origin])
        fa, fb = a["forecasts"][origin], b["forecasts"][origin]
        pd.testing.assert_frame_equal(fa["model"], fb["model"], check_exact=True)
        assert fa["naive"] == fb["naive"] and fa["anchored"] == fb["anchored"]
        assert _manifest_inputs(a, origin) == _manifest_inputs(b, origin)
        # the scores of the rows both files hold are the same; the planted rows are only
        # scored
        ta = a["table"].drop(columns="line")
        ta = ta[ta["origin"] == origin].set_index(key)
        tb = b["table"].drop(columns="line").set_index(key)
        is_planted = pd.Index([(m, y) for _, m, y, _ in tb.index]).isin(rows)
        assert is_planted.any()
        pd.testing.assert_frame_equal(ta.sort_index(), tb[~is_planted].sort_index())
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "clean/origin-2021/posterior.parquet"),
        pd.read_parquet(tmp_path / "planted-2021-bt/origin-2021/posterior.parquet"),
        check_exact=True)
    # origin 2020 took nothing after 2020 (no cut-off, no calibration); origin 2021
    # re-anchored on 2021's rows only
    assert a["manifest"]["exogenous"]["2020"] is None
    assert not (tmp_path / "clean/origin-2020").exists()
    assert set(a["manifest"]["exogenous"]["2021"]["state"]) == {"2021"}


def test_a_posterior_carried_by_the_base_scenario_never_reaches_an_origin(tmp_path):
    """A posterior (fitted to some data, perhaps every year) in the scenario handed to the
    backtest is dropped at every origin: origin 2020 draws from the declared ranges, a later
    origin from its own calibration. The origin-2020 forecast is bit-identical with and
    without it."""
    from sim.run.posterior import KEY
    obs = read_observed(DEFAULT_OBSERVED)
    base = load("plan")
    fitted = {**base, KEY: {"source": "all data", "observed": "shanxi.csv", "until": 2024,
                            "factors": [{"name": "grain_trend", "param": "grain_trend",
                                         "key": None}],
                            "values": [[0.05]], "weights": [1.0]}}
    for origin in (2020, 2021, 2022):
        assert KEY not in bt.origin_scenario(fitted, obs, origin)
        assert bt.origin_scenario(fitted, obs, origin) == bt.origin_scenario(base, obs, origin)
    runs = [bt.backtest(scn, obs, [2020], tmp_path / name, replicates=4, seed=3,
                        households_per_agent=HPA)
            for name, scn in (("plain", base), ("fitted", fitted))]
    pd.testing.assert_frame_equal(runs[0]["forecasts"][2020]["model"],
                                  runs[1]["forecasts"][2020]["model"], check_exact=True)
