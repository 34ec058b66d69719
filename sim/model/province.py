"""The province's reduced-form level: gross agricultural output.

No agent produces it; it follows a sampled trend rate from its 2020 level
(docs/ODD.md §3.3, "Province submodels"). A scenario's cut-off year can re-anchor a level on
its observation (``sim.model.assimilate``): the factor it applies is kept in
:class:`LevelScales`, the state this module owns, and every later year reads through it.
"""

from __future__ import annotations

from sim.model import plan


class LevelScales:
    """The factor on each reduced-form level re-anchored on data (1 until anchored)."""

    def __init__(self):
        self.factor: dict[str, float] = {}

    def scale(self, metric: str) -> float:
        """The factor on ``metric``'s level."""
        return self.factor.get(metric, 1.0)

    def rescale(self, metric: str, r: float) -> None:
        """Multiply ``metric``'s level by ``r`` from now on."""
        self.factor[metric] = self.factor.get(metric, 1.0) * r


def agri_output_trend(m, year: int) -> float:
    """Gross agricultural output in ``year`` in an average weather year (亿元)."""
    u = m.uncertain
    return u["agri_output_2020_yi"] * m.levels.scale("agri_output") * (
        1 + u["agri_output_growth"]) ** (year - plan.BASE_YEAR)

