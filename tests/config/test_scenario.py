"""Scenario validation, including property-based tests of malformed input."""

import string

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config.scenario import ScenarioError, apply_overrides, load, uncertainty_ranges, validate
from sim.model.params import LEVERS, PARAMS, UNCERTAINTIES

SECTIONS = ["levers", "uncertainties", "constants", "settings", "name", "extends", "junk"]
NAMES = [p.name for p in LEVERS + UNCERTAINTIES] + ["bogus", "capital_subsidy"]

values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(string.printable, max_size=8),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(
        st.sampled_from(["brewing", "low", "high", "x", "fruit_export"]), inner, max_size=3),
    max_leaves=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(SECTIONS),
                       st.dictionaries(st.sampled_from(NAMES), values, max_size=3) | values,
                       max_size=4))
def test_malformed_scenarios_raise_scenario_error_only(data):
    try:
        out = validate(data, "gen.yaml")
    except ScenarioError as e:
        assert str(e).startswith("gen.yaml: ")
        return
    # whatever validates resolves to finite arrays
    for lo, hi in uncertainty_ranges(out).values():
        assert np.all(np.isfinite(lo)) and np.all(lo <= hi)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_yaml_text_never_crashes(tmp_path_factory, text):
    f = tmp_path_factory.mktemp("y") / "s.yaml"
    f.write_text(text, encoding="utf-8")
    try:
        load(str(f))
    except ScenarioError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.ascii_letters + "._=-0123456789[]{}: ", max_size=40))
def test_arbitrary_set_overrides_never_crash(item):
    try:
        validate(apply_overrides({"name": "x"}, [item]), "--set")
    except ScenarioError:
        pass


def test_yaml_is_parsed_safely(tmp_path):
    f = tmp_path / "evil.yaml"
    f.write_text("name: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ScenarioError, match="malformed YAML"):
        load(str(f))


def test_extends_merges_and_overrides():
    s = load("cold_chain_push")
    assert s["levers"]["cold_chain_new_capacity_wan_t"]["fruit_export"] == 12
    assert s["levers"]["land_service_coverage"] == [0.4, 0.5, 0.6, 0.7, 0.8]  # from plan
    assert s["name"] == "cold_chain_push"


def test_every_shipped_scenario_loads_and_runs():
    from sim.config.scenario import shipped_scenarios
    from sim.run.replicate import run_replicate
    names = shipped_scenarios()
    assert len(names) >= 6
    for name in names:
        r = run_replicate(load(name), 1, households_per_agent=8000)
        assert np.isfinite(r["outcomes"]["output_total"])


def test_pinned_and_narrowed_uncertainties():
    s = load("plan", ["uncertainties.policy_delivery=0.9",
                      "uncertainties.hurdle_rate={low: 0.1, high: 0.11}"])
    r = uncertainty_ranges(s)
    assert r["policy_delivery"][0] == r["policy_delivery"][1] == 0.9
    assert r["hurdle_rate"][0] == 0.1 and r["hurdle_rate"][1] == 0.11
    assert yaml.safe_load("{low: 1}") == {"low": 1}


def test_parameter_docs_are_current():
    from sim.present.docs import DOC, parameters_markdown
    assert DOC.read_text(encoding="utf-8") == parameters_markdown(), \
        "docs/parameters.md is stale: run python -m sim.present.docs"


def test_every_declaration_has_its_default_inside_its_range_and_a_provenance():
    """One check for all parameters (levers, uncertainties, constants), per key and year."""
    for p in PARAMS:
        assert p.provenance.strip(), p.name
        for key in (p.keys or (None,)):
            d = p.default[key] if key is not None and isinstance(p.default, dict) else p.default
            lo = p.low[key] if isinstance(p.low, dict) else p.low
            hi = p.high[key] if isinstance(p.high, dict) else p.high
            for v in (d if isinstance(d, (list, tuple)) else (d,)):
                assert lo <= v <= hi, (p.name, key, v, lo, hi)
