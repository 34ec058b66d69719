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
