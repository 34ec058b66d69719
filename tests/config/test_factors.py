"""The factor space (issue #23 item 5): one element spelling, lever meanings, the EMA boundary."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config.factors import (
    factor_values,
    factors,
    from_keyword,
    keyword,
    scaled_levers,
)
from sim.config.scenario import derive, lever_arrays, load


def test_an_unset_by_year_lever_keeps_its_path_through_the_ema_adapter(monkeypatch):
    """EMA sets one uncertainty; the plan's rising land-service path must not be flattened."""
    pytest.importorskip("ema_workbench")
    import sim.run.replicate as rep
    from sim.analysis.ema import ema_model
    from sim.model.outcomes import HEADLINE_METRICS
    base = load("plan")
    path = lever_arrays(base)["land_service_coverage"]
    assert np.ptp(path) > 0                          # a by-year path, not a constant
    seen = []

    def fake_replicate(scn, seed, households_per_agent=None):
        seen.append(scn)
        return {"outcomes": dict.fromkeys(HEADLINE_METRICS, 0.0)}

    monkeypatch.setattr(rep, "run_replicate", fake_replicate)
    model = ema_model(base, households_per_agent=8000)
    unc = next(iter(model.uncertainties))
    model.function(**{unc.name: 0.5 * (unc.lower_bound + unc.upper_bound)})
    np.testing.assert_array_equal(lever_arrays(seen[0])["land_service_coverage"], path)
    # a lever EMA does set is one value for every year
    model.function(land_service_coverage=0.3)
    np.testing.assert_array_equal(lever_arrays(seen[1])["land_service_coverage"],
                                  np.full_like(path, 0.3))


def test_element_names_are_name_dot_key_with_keywords_only_at_the_boundary():
    facs = factors(load("plan"))
    names = {f["name"] for f in facs}
    assert "national_demand_growth.brewing" in names
    assert not any("__" in n for n in names)
    for n in names:
        assert from_keyword(keyword(n)) == n
    assert keyword("national_demand_growth.brewing") == "national_demand_growth__brewing"


def test_a_lever_is_declared_a_value_or_a_multiplier():
    base = load("plan")
    value = {f["name"]: f for f in factors(base) if f["kind"] == "lever"}
    mult = {f["name"]: f for f in factors(base, lever_mode="multiplier")
            if f["kind"] == "lever"}
    f_v, f_m = value["land_service_coverage"], mult["land_service_coverage"]
    assert f_v["mode"] == "value" and f_m["mode"] == "multiplier"
    assert (f_m["low"], f_m["high"]) == (0.0, 3.0)
    path = lever_arrays(base)["land_service_coverage"]
    as_value = derive(base, factor_values([f_v], [0.5]))
    np.testing.assert_array_equal(lever_arrays(as_value)["land_service_coverage"],
                                  np.full_like(path, 0.5))
    as_mult = derive(base, factor_values([f_m], [0.5], base))
    np.testing.assert_allclose(lever_arrays(as_mult)["land_service_coverage"], path * 0.5)
    assert factor_values([f_m], [0.5], base) == scaled_levers(base, {
        "land_service_coverage": 0.5})
    assert factor_values([f_v, f_m], [None, None]) == {}       # unset: nothing written
    with pytest.raises(ValueError, match="base scenario"):
        factor_values([f_m], [0.5])
    with pytest.raises(ValueError, match="lever_mode"):
        factors(base, lever_mode="share")
