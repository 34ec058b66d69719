"""The variance decomposition by kind of cause (sim.analysis.causes, #20 item 4).

The synthetic outcomes have known variance shares; tolerances are about three standard
errors of an R² estimated from the sample size used (SE ~ 2 R² (1 - R²) / sqrt(n) at most
0.5 / sqrt(n), i.e. ~0.011 at n = 2000): 0.03.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis import causes
from sim.analysis.causes import CHANCE, KINDS, decompose, decompose_one, kind_of, shapley

TOL = 0.03
N = 2000


def _x(rng, n=N, **cols):
    return pd.DataFrame({f"in.{c}": rng.uniform(lo, hi, n) for c, (lo, hi) in cols.items()})


def test_every_declared_uncertainty_and_bridge_has_a_kind():
    assert causes.unclassified() == []
    assert kind_of("in.national_demand_growth.brewing") == "markets"
    assert kind_of("in.bridge_cluster_coverage") == "bridges"
    with pytest.raises(KeyError, match="KIND_OF"):
        kind_of("in.not_a_parameter")


def test_shapley_values_of_a_hand_worked_game():
    # v(a)=0.2, v(b)=0.3, v(ab)=0.7: a gets (0.2 + 0.4)/2, b (0.3 + 0.5)/2
    v = {frozenset(): 0.0, frozenset("a"): 0.2, frozenset("b"): 0.3, frozenset("ab"): 0.7}
    phi = shapley(v, ["a", "b"])
    assert phi == pytest.approx({"a": 0.3, "b": 0.4})
    assert sum(phi.values()) == pytest.approx(v[frozenset("ab")])


def test_additive_shares_are_recovered():
    rng = np.random.default_rng(1)
    x = _x(rng, national_demand_growth=(0, 1), national_rural_income_growth=(0, 1),
           hurdle_rate=(0, 1))
    # log outcome = 2 m + 1 g + 0 h + noise: variances 4/12, 1/12, 0 and noise 1/12
    noise = rng.normal(0, np.sqrt(1 / 12), N)
    y = np.exp(2 * x["in.national_demand_growth"] + x["in.national_rural_income_growth"]
               + noise)
    r = decompose_one(x, y)
    total = 6 / 12
    assert r["log"]
    assert r["markets"] == pytest.approx(4 / 12 / total, abs=TOL)
    assert r["macro"] == pytest.approx(1 / 12 / total, abs=TOL)
    assert r["behaviour"] == pytest.approx(0, abs=TOL)
    assert r[CHANCE] == pytest.approx(1 / 12 / total, abs=TOL)
    assert sum(r[k] for k in KINDS + (CHANCE,)) == pytest.approx(1.0)
    assert r["top_input"] == "national_demand_growth"
    assert r["top_share"] == pytest.approx(4 / 12 / total, abs=TOL)


def test_a_product_of_two_kinds_is_split_evenly():
    rng = np.random.default_rng(2)
    x = _x(rng, shanxi_share_gain=(1, 2), capital_output_ratio=(1, 2))
    r = decompose_one(x, x["in.shanxi_share_gain"] * x["in.capital_output_ratio"])
    assert r["markets"] == pytest.approx(0.5, abs=TOL)
    assert r["behaviour"] == pytest.approx(0.5, abs=TOL)
    assert r[CHANCE] == pytest.approx(0, abs=TOL)


def test_an_outcome_that_can_be_negative_is_decomposed_on_its_level():
    rng = np.random.default_rng(3)
    x = _x(rng, grain_trend=(-1, 1))
    r = decompose_one(x, x["in.grain_trend"] + rng.normal(0, np.sqrt(1 / 3), N))
    assert not r["log"]
    assert r["macro"] == pytest.approx(0.5, abs=TOL)


def test_no_shares_without_enough_replicates_or_spread():
    rng = np.random.default_rng(4)
    x = _x(rng, n=40, hurdle_rate=(0, 1), entry_rate=(0, 1))
    assert decompose_one(x.head(20), np.ones(20) + rng.random(20))["reason"] \
        == "fewer than 30 replicates"
    r = decompose_one(x, np.ones(40))
    assert r["reason"] == "no spread" and np.isnan(r["markets"])
    wide = _x(rng, n=40, **{n: (0, 1) for n in list(causes.KIND_OF)[:25]})
    assert decompose_one(wide, np.exp(rng.random(40)))["reason"] == "fewer than 50 replicates"


def _reps(n, seed=5):
    rng = np.random.default_rng(seed)
    reps = _x(rng, n=n, national_demand_growth=(0, 1))
    reps["seed"] = rng.integers(0, 2**62, n)
    reps["out.output_total"] = np.exp(reps["in.national_demand_growth"] * 0.3)
    return reps


def test_the_bridge_is_a_cause_only_in_views_that_know_it():
    reps = _reps(600)
    summary = pd.DataFrame({"target": ["output_total"], "group": ["cluster_output"]})
    known = decompose(reps, summary, 2024).iloc[0]
    assert known["bridges"] > 0.05   # the factor's spread is comparable to the market's
    assert known["bridges"] + known["markets"] == pytest.approx(1, abs=TOL)
    ex_ante = decompose(reps, summary, None).iloc[0]   # the 2021 vintage: model basis
    assert ex_ante["bridges"] == 0 and ex_ante["markets"] == pytest.approx(1, abs=TOL)


def test_causes_command_prints_the_table_and_writes_csv(tmp_path, capsys):
    from sim.analysis.montecarlo import run as run_montecarlo
    from sim.cli.main import main
    from sim.config.scenario import load
    from sim.run.batch import prepare
    from sim.run.evaluators import Evaluator
    from tests._shared import HPA
    folder = tmp_path / "plan"
    run_montecarlo(folder, prepare(folder, load("plan"), "plan", 3, 7, HPA, resume=False),
                   Evaluator(progress=False))
    assert main(["causes", str(folder), "--csv", str(tmp_path / "c.csv")]) == 0
    out = capsys.readouterr().out
    assert "ex-ante view" in out and "3 replicates" in out
    assert "output_total" in out and "fewer than" in out   # three replicates: no shares
    table = pd.read_csv(tmp_path / "c.csv")
    assert set(KINDS) <= set(table.columns) and "output_total" in set(table["target"])
    assert main(["causes", str(tmp_path / "missing")]) == 2
    assert "no such results folder" in capsys.readouterr().err


@pytest.mark.parametrize("until", [None, 2024])
def test_market_shocks_are_the_models_own_draws(until):
    # the yearly market shocks are recomputed from the seed as the model draws them, in the
    # ex-ante view and with reported years (which replace their year's draw)
    from sim.analysis.causes import market_shocks
    from sim.config.scenario import load, with_data_until
    from sim.model import plan
    from sim.run.replicate import build_model, model_inputs
    from tests._shared import HPA
    scn = load("plan") if until is None else with_data_until(load("plan"), until)
    rows = []
    for seed in (11, 12):
        u = model_inputs(scn, seed, HPA)["uncertainties"]
        row = {"seed": seed}
        for name, v in u.items():
            if np.ndim(v):
                row.update({f"in.{name}.{k}": float(x)
                            for k, x in zip(plan.CLUSTER_KEYS, v, strict=True)})
            else:
                row[f"in.{name}"] = float(v)
        rows.append(row)
        m = build_model(scn, seed, HPA)
        want = (m.market_path - np.asarray(u["national_demand_growth"])[:, None]).sum(axis=1)
        row["want"] = want
    reps = pd.DataFrame(rows)
    got = market_shocks(reps, scn.get("exogenous"))
    for i, r in reps.iterrows():
        assert got.loc[i, [f"in.market_shocks.{k}" for k in plan.CLUSTER_KEYS]].to_numpy() \
            == pytest.approx(r["want"], abs=1e-12)
    assert "in.market_shocks.other_processing" in got.columns
    assert kind_of("in.market_shocks.brewing") == "markets"
