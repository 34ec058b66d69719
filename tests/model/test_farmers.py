import numpy as np
import pytest

from sim.run.replicate import build_model


def _run(scn, seed, reference):
    m = build_model(scn, seed, households_per_agent=20000,
                     reference_farmers=reference)
    m.run()
    return m


def test_vectorised_farmers_agree_with_per_object_reference(plan_scn):
    vec = _run(plan_scn, 11, False)
    ref = _run(plan_scn, 11, True)
    assert ref.farmers.n == vec.farmers.n > 200
    sv, sr = vec.farmers.state(), ref.farmers.state()
    for k in sv:
        np.testing.assert_allclose(sr[k].astype(float), sv[k].astype(float), rtol=1e-9,
                                   atol=1e-9, err_msg=k)
    for year, row in vec.record.rows.items():
        for metric, v in row.items():
            assert ref.record.rows[year][metric] == pytest.approx(v, rel=1e-9, abs=1e-9), \
                (year, metric)
    # the reference really is one Mesa agent per household
    from sim.model.farmers import FarmerAgent
    assert len(ref.agents_by_type[FarmerAgent]) == ref.farmers.n


def test_incomes_equal_sum_of_sources(plan_scn):
    m = _run(plan_scn, 3, False)
    inc = m.income
    f = m.farmers
    total = inc["wage"] + inc["operating"] + inc["property"] + inc["transfer"]
    per_capita = np.sum(f.weight * total) / np.sum(f.weight * f.persons)
    assert m.record.rows[2025]["rural_income"] == pytest.approx(per_capita, rel=1e-12)
    parts = sum(m.record.rows[2025][f"rural_income_{s}"]
                for s in ("wage", "operating", "property", "transfer"))
    assert parts == pytest.approx(m.record.rows[2025]["rural_income"], rel=1e-12)
    # linkage income is part of the sources, never more than the whole
    assert np.all(inc["link_contract"] <= np.abs(total) + 1e-6)
