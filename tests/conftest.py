import pytest

from sim.config.scenario import load


@pytest.fixture(scope="session")
def plan_scn():
    return load("plan")


@pytest.fixture(scope="session")
def noplan_scn():
    return load("no_new_policy")
