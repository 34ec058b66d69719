"""Training of high-quality farmers (plan Ch.3 §5): who applies, who is trained.

:class:`Training` owns the count trained since 2021 and the yearly log of places, applicants
and places filled; its rule :meth:`Training.train` fills the year's places (the lever
``training_places_wan``, delivered) and raises the skill of the households trained.
"""

from __future__ import annotations

import numpy as np

from sim.model import equations as eq
from sim.model.rng import stream


class Training:
    """Training places filled by the households that apply.

    Args:
        seed: The replicate's seed (draws from the stream ``training:{year}``).
        const: Resolved constants (``max_mu_per_labourer``, ``skill_premium``,
            ``training_time_cost_share``).
        sensitivity: The households' ``adoption_sensitivity`` (logit scale).
    """

    def __init__(self, seed: int, const: dict, sensitivity: float):
        self.seed, self.const, self.sensitivity = seed, const, sensitivity
        self.trained_wan = 0.0  # filled since 2021, 万人
        self.log: dict[int, dict[str, float]] = {}  # year: places, applicants, filled

    def applicants(self, farmers, wage: float, year: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Who applies for training this year: (applies, untrained labourers, tie-break).

        Each household applies for its untrained labour with a binary logit on the net
        gain (``eq.training_gain``: the skill premium on its off-farm labour, less the
        wage forgone while training), one draw per household from the stream
        ``training:{year}`` (a second draw per household from it breaks ties in the
        rationing). Off-farm labour is last year's (the land market and links of
        this year come after training in the schedule).
        """
        f, c = farmers, self.const
        off = eq.off_farm_labour(f.land_operated, c["max_mu_per_labourer"], f.labourers, f.job)
        gain = eq.training_gain(wage, f.skill, c["skill_premium"], off, f.labourers,
                                c["training_time_cost_share"])
        rng = stream(self.seed, f"training:{year}")
        u, tie = rng.random(f.n), rng.random(f.n)
        applies = u < eq.choice_probability(gain, self.sensitivity)
        return applies, f.weight * f.labourers * (1.0 - f.skill), tie

    def train(self, farmers, wage: float, year: int, places: float) -> float:
        """Fill the year's training places with applicants; returns the places filled.

        Households decide whether to apply (:meth:`applicants`); places are rationed
        among applicants least-skilled first, ties broken at random, so each place reaches
        a labourer not yet trained (the plan counts persons trained). Places no one applies
        for stay unfilled. The households that train are the ones whose skill rises: the
        filled share of each one's untrained labour becomes trained, so the labourers newly
        trained (weighted) sum to the places filled.
        """
        f = farmers
        applies, size, tie = self.applicants(f, wage, year)
        share = eq.ration(np.zeros(f.n, np.int16), 1, size, applies.astype(float),
                          np.array([places]), f.skill + 1e-9 * tie)
        filled = float(np.sum(size * share))
        self.log[year] = {"places": places, "filled": filled,
                          "applicants": float(np.sum(size * applies))}
        if filled > 0:
            f.set_skill(f.skill + (1.0 - f.skill) * share)
        self.trained_wan += filled / 1e4
        return filled
