"""The model through mesa.batch_run gives what run_replicate gives for the same seed."""

import inspect

import mesa
import pytest

from sim.run.replicate import BatchModel, run_replicate


def test_mesa_batch_run_matches_run_replicate():
    params = {"scenario": "plan", "households_per_agent": 8000}
    kw = {"number_processes": 1, "max_steps": 100, "display_progress": False}
    if "rng" in inspect.signature(mesa.batch_run).parameters:  # Mesa 3.5+
        res = mesa.batch_run(BatchModel, parameters=params, rng=[1, 2], **kw)
    else:  # Mesa 3.3
        res = mesa.batch_run(BatchModel, parameters={**params, "seed": [1, 2]}, iterations=1,
                             **kw)
    assert len(res) == 2
    got = sorted(r["output_total"] for r in res)
    want = sorted(run_replicate("plan", s, households_per_agent=8000)["outcomes"]
                  ["output_total"] for s in (1, 2))
    assert got == pytest.approx(want, rel=1e-12)
    assert got[0] != got[1]


def _batch(params, **kw):
    kw = {"number_processes": 1, "max_steps": 100, "display_progress": False, **kw}
    return mesa.batch_run(BatchModel, parameters=params, **kw)


def test_batch_run_sweeps_a_lever_and_an_uncertainty_by_keyword():
    params = {"households_per_agent": 8000,
              "capital_subsidy_rate": [0.0, 0.4], "hurdle_rate": 0.08}
    if "rng" in inspect.signature(mesa.batch_run).parameters:  # Mesa 3.5+
        res = _batch(params, rng=[3])
    else:  # Mesa 3.3
        res = _batch({**params, "seed": 3}, iterations=1)
    res = sorted(res, key=lambda r: r["capital_subsidy_rate"])
    assert [r["capital_subsidy_rate"] for r in res] == [0.0, 0.4]
    # same seed, more capital subsidy: investment cannot be lower (CRN, monotone lever)
    assert res[1]["investment_cum"] > res[0]["investment_cum"]
    # the keyword reached the model: equal to run_replicate with the same derived scenario
    from sim.config.scenario import derive, load
    scn = derive(load("plan"), {"levers.capital_subsidy_rate": 0.4,
                                "uncertainties.hurdle_rate": 0.08})
    want = run_replicate(scn, 3, households_per_agent=8000)["outcomes"]["output_total"]
    assert res[1]["output_total"] == pytest.approx(want, rel=1e-12)


def test_batch_run_iterations_without_seed_are_fresh():
    res = _batch({"households_per_agent": 8000}, iterations=2)
    assert len(res) == 2
    assert res[0]["output_total"] != res[1]["output_total"]


def test_batch_model_rejects_unknown_keyword():
    with pytest.raises(TypeError, match="did you mean 'hurdle_rate'"):
        BatchModel(households_per_agent=8000, seed=1, hurdel_rate=0.1)
