"""The dashboard's emulator (sim.analysis.emulator) and the agents' snapshots."""

import numpy as np
import pandas as pd
import pytest

from sim.analysis import emulator as E
from sim.analysis.stats import wilson_interval
from sim.config.scenario import lever_arrays, load
from sim.model.outcomes import TARGETS

SCALE = 50_000  # coarse: the tests check the machinery, not the model's answer


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("emulator")
    em = E.build(root, load("plan"), "vintage2021", runs=16, scale=SCALE, bar=False)
    return root, em


def test_logistic_fit_is_scikit_learns():
    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(3)
    x = rng.random((200, len(E.LEVER_NAMES)))
    f = E.features(E.lever_bounds()[:, 0] + x * np.diff(E.lever_bounds(), axis=1)[:, 0])
    ys = np.column_stack([(rng.random(200) < 1 / (1 + np.exp(-(3 * x[:, 0] - 1.5)))),
                          (rng.random(200) < 0.3)]).astype(float)
    w, cov = E._fit_logistic(f, ys, c=1.0)
    for j in range(ys.shape[1]):
        m = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(f, ys[:, j])
        np.testing.assert_allclose(w[j, :-1], m.coef_[0], atol=1e-5)
        np.testing.assert_allclose(w[j, -1], m.intercept_[0], atol=1e-5)
    assert np.all(np.linalg.eigvalsh(cov) > 0)  # a covariance: positive definite


def test_ridge_fit_is_scikit_learns():
    from sklearn.linear_model import Ridge
    rng = np.random.default_rng(4)
    f = rng.random((50, 6))
    y = f @ rng.normal(size=(6, 3)) + rng.normal(size=(50, 3))
    w, b = E._fit_ridge(f, y, alpha=2.0)
    m = Ridge(alpha=2.0).fit(f, y)
    np.testing.assert_allclose(w, m.coef_.T, atol=1e-10)
    np.testing.assert_allclose(b, m.intercept_, atol=1e-10)


def test_one_class_target_gets_the_wilson_interval():
    f = np.random.default_rng(5).random((40, 4))
    w, cov = E._fit_logistic(f, np.zeros(40), c=1.0)
    lo, hi = wilson_interval(0, 40)
    z, sd = w[0, -1], np.sqrt(cov[0, -1, -1])
    p_hi = 1 / (1 + np.exp(-(z + E.Z95 * sd)))
    assert p_hi == pytest.approx(hi, rel=1e-6)
    assert not w[0, :-1].any()


def test_cross_validation_sees_a_real_signal_and_no_false_one():
    rng = np.random.default_rng(6)
    n = 300
    x = rng.random((n, len(E.LEVER_NAMES)))
    f = np.hstack([x, x * x])
    signal = (rng.random(n) < 1 / (1 + np.exp(-(8 * x[:, 0] - 4)))).astype(float)
    noise = (rng.random(n) < 0.4).astype(float)
    out = np.repeat(x[:, :1] * 10 + rng.normal(size=(n, 1)), len(E.YEARS_ALL), axis=1)
    h = E.cross_validate(f, np.column_stack([signal, noise]), out, ["s", "n"], ["m"],
                         1.0, 1.0, 5, 1)
    s, z = h["per_target"]["s"], h["per_target"]["n"]
    assert s["brier"] < 0.75 * s["brier_constant"]      # the lever's effect is learnt
    assert z["brier"] > 0.98 * z["brier_constant"]      # nothing to learn: no gain claimed
    assert 0.85 <= h["per_metric"]["m"]["coverage90"] <= 0.95
    assert h["per_metric"]["m"]["r2"] > 0.8


def test_at_point_keeps_unmoved_schedules_and_sets_moved_levers_flat():
    plan = load("plan")
    pt = E.lever_point(plan)
    assert pt["land_service_coverage"] == pytest.approx(0.6)  # mean of 0.4 ... 0.8
    assert E.at_point(plan, pt) is plan
    moved = E.at_point(plan, {**pt, "capital_subsidy_rate": 0.3})
    arr = lever_arrays(moved)
    assert np.all(arr["capital_subsidy_rate"] == 0.3)
    np.testing.assert_array_equal(arr["land_service_coverage"],
                                  lever_arrays(plan)["land_service_coverage"])


def test_scenarios_that_differ_only_in_levers_share_an_emulator():
    key = E.family_key(load("plan"), "vintage2021", 100)
    assert E.family_key(load("no_new_policy"), "vintage2021", 100) == key
    assert E.family_key(load("downside"), "vintage2021", 100) != key
    assert E.family_key(load("plan"), "data2024", 100) != key
    assert E.family_key(load("plan"), "vintage2021", 200) != key
    with pytest.raises(ValueError, match="conditioning must be one of"):
        E.conditioned(load("plan"), "2019")


def test_built_emulator_round_trips_and_answers_in_its_ranges(tiny):
    root, em = tiny
    again = E.cached(root, load("no_new_policy"), "vintage2021", SCALE)  # same family
    assert again is not None
    pt = E.lever_point(load("plan"))
    a, b = em.p_met(pt), again.p_met(pt)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.target) == [t.name for t in TARGETS]
    assert ((a.lo <= a.p + 1e-12) & (a.p <= a.hi + 1e-12)).all()
    assert ((a.lo >= 0) & (a.hi <= 1)).all()
    design = pd.read_parquet(E.cache_dir(root, load("plan"), "vintage2021", SCALE)
                             / "design.parquet")
    assert len(design) == 16 and design["seed"].is_unique
    lo, hi = E.lever_bounds().T
    x = design[list(E.LEVER_NAMES)].to_numpy()
    assert np.all((x >= lo) & (x <= hi))
    fan = em.fan(pt, "output_total")
    assert list(fan.year) == list(E.YEARS_ALL)
    assert (fan.q05 <= fan.q50).all() and (fan.q50 <= fan.q95).all()
    d = E.difference(em, pt, em, pt)
    assert np.allclose(d["diff"], 0) and np.allclose(d.lo, 0) and np.allclose(d.hi, 0)
    # the stored held-out error is what the page shows
    h = em.heldout
    assert h["runs"] == 16 and set(h["per_target"]) == {t.name for t in TARGETS}


def test_an_old_or_foreign_emulator_is_refused(tiny, tmp_path):
    import json
    import shutil
    root, _ = tiny
    src = E.cache_dir(root, load("plan"), "vintage2021", SCALE)
    dst = tmp_path / "em"
    shutil.copytree(src, dst)
    info = json.loads((dst / "emulator.json").read_text())
    info["levers"] = info["levers"][:-1]
    (dst / "emulator.json").write_text(json.dumps(info))
    with pytest.raises(ValueError, match="rebuild with clustersim dashboard --build"):
        E.Emulator.load(dst)


def test_agent_snapshots_step_through_the_quarters():
    from sim.model.model import ClusterModel
    from sim.present.dashboard.agents import run_snapshots, snapshot
    from sim.run.replicate import build_model
    snaps = run_snapshots(load("plan"), seed=1, scale=SCALE)
    assert [s["quarter"] for s in snaps[:3]] == ["2020", "2021Q1", "2021Q2"]
    assert snaps[-1]["quarter"] == "2025Q4" and len(snaps) == 21
    m: ClusterModel = build_model(load("plan"), 1, SCALE)
    s = snapshot(m)
    firms = [a for cls, ags in m.agents_by_type.items() if cls.__name__ == "Firm" for a in ags]
    assert s["firm_n"].sum() == len(firms)
    assert s["firm_out"].sum() == pytest.approx(sum(f.output_yi_yuan for f in firms))
    from sim.model import plan
    rural = sum(c.population_wan_2020 * (1 - c.urbanisation_2020) * 1e4 for c in plan.CITIES)
    assert s["households"]["households"].sum() == pytest.approx(
        rural / m.const["persons_per_household"])
    assert len(s["platforms"]) == 5
    # the state moves: land is rented out and firms change by the end
    assert snaps[-1]["households"]["land_out_mu"].sum() > 0
    assert not np.array_equal(snaps[0]["firm_out"], snaps[-1]["firm_out"])
