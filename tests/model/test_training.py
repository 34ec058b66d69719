"""Farmer training (plan Ch.3 §5; issue #9 item 7): households decide who trains.

Places offered (lever × delivery) are filled by households that apply (a logit on the
wage gain of training against the wage forgone while training) and are rationed least-skilled
first; the households that train are the ones whose skill rises.
"""

import numpy as np
import pytest

from sim.config.scenario import derive, load
from sim.model import equations as eq
from sim.model import plan
from sim.run.replicate import build_model
from tests._shared import HPA_MEDIUM as HPA

YEAR = plan.YEARS[0]


@pytest.fixture(scope="module")
def model():
    return build_model(load("plan"), 3, households_per_agent=HPA)


def test_training_gain_by_hand():
    # 20,000 yuan wage, untrained, 15% premium on 1 off-farm labourer of 2, 4% time cost
    assert eq.training_gain(20000.0, 0.0, 0.15, 1.0, 2.0, 0.04) == pytest.approx(
        20000 * (0.15 * 1 - 0.04 * 2))
    # a fully trained household gains nothing from training again
    assert eq.training_gain(20000.0, 1.0, 0.15, 1.0, 2.0, 0.04) == 0.0


def _train(model, places):
    f = model.farmers
    skill0 = f.skill.copy()
    applies, size, _ = model.training.applicants(model.farmers, model.accounts.wage, YEAR)
    filled = model.training.train(model.farmers, model.accounts.wage, YEAR, places)
    rise = f.skill - skill0
    f.set_skill(skill0)  # leave the shared model as it was
    return filled, rise, applies, size


def test_trained_never_exceed_places_or_applicants(model):
    for places in (0.0, 1e3, 5e4, 2e5, 1e12):
        filled, _, applies, size = _train(model, places)
        applicants = float(np.sum(size * applies))
        assert filled <= places * (1 + 1e-12)
        assert filled == pytest.approx(min(places, applicants), rel=1e-9, abs=1e-6)
    # places no one applies for stay unfilled
    assert _train(model, 1e12)[0] < 1e12


def test_more_places_never_lower_trained(model):
    got = [_train(model, p)[0] for p in np.linspace(0, 4e5, 9)]
    assert all(b >= a for a, b in zip(got, got[1:], strict=False))


def test_trained_households_are_the_ones_whose_skill_rose(model):
    f = model.farmers
    filled, rise, applies, size = _train(model, 5e4)
    assert filled > 0
    assert np.all(rise >= 0)
    assert np.all(applies[rise > 0])  # only applicants train
    # conservation: labourers newly trained (weighted) = places filled
    assert float(np.sum(f.weight * f.labourers * rise)) == pytest.approx(filled, rel=1e-9)
    # least-skilled first: all at skill 0 in 2021, so the trained are whole households
    # (but for the marginal one)
    assert np.sum((rise > 0) & (rise < 1)) <= 1


def test_higher_skill_premium_raises_take_up(model):
    const = model.const
    base = const["skill_premium"]
    out = []
    for sp in (0.05, base, 0.3):
        const["skill_premium"] = sp
        # same draws (CRN)
        applies, size, _ = model.training.applicants(model.farmers, model.accounts.wage, YEAR)
        out.append(float(np.sum(size * applies)))
    const["skill_premium"] = base
    assert out[0] < out[1] < out[2]


def test_a_longer_course_lowers_take_up(model):
    const = model.const
    base = const["training_time_cost_share"]
    out = []
    for c in (0.02, 0.08):
        const["training_time_cost_share"] = c
        applies, size, _ = model.training.applicants(model.farmers, model.accounts.wage, YEAR)
        out.append(float(np.sum(size * applies)))
    const["training_time_cost_share"] = base
    assert out[1] < out[0]


def test_applicants_exceed_places_at_the_least_favourable_corner():
    # why trained_wan is still met iff the places are delivered (docs/targets.md): even with
    # the smallest premium, the longest course and the sharpest choices, far more labourers
    # apply than the lever's largest value offers
    scn = derive(load("plan"), {"constants.skill_premium": 0.05,
                                "constants.training_time_cost_share": 0.08,
                                "uncertainties.adoption_sensitivity": 2.0,
                                "levers.training_places_wan": 20.0})
    m = build_model(scn, 0, households_per_agent=HPA)
    for _ in range(plan.QUARTERS_PER_YEAR):
        m.step()
    log = m.training.log[YEAR]
    assert log["applicants"] > 5 * log["places"]
    assert log["filled"] == pytest.approx(log["places"])
