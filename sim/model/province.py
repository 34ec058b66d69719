"""The province's reduced-form levels: gross agricultural output, processing outside the clusters.

No agent produces these; they follow sampled trend rates from their 2020 levels
(docs/ODD.md §3.3, "Province submodels"). A scenario's cut-off year can re-anchor a level on
its observation (``sim.model.assimilate``): the factor it applies is kept in
:class:`LevelScales`, the state this module owns, and every later year reads through it.
"""

from __future__ import annotations

from sim.model import equations as eq
from sim.model import plan

OTHER_PROCESSING_2020_YI = plan.PROVINCE.processing_output_2020_yi - sum(
    c.implied_output_2020_yi_yuan for c in plan.CLUSTERS)


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


def other_processing(m, year: int) -> float:
    """Processing revenue outside the ten clusters in ``year`` (亿元).

    It sells into the same demand COVID-19 held down in 2020: its trend path closes the gap
    in 2021 as the clusters' markets do.
    """
    u = m.uncertain
    return OTHER_PROCESSING_2020_YI * m.levels.scale("processing_output") * (
        1 + u["other_processing_growth"]) ** (year - plan.BASE_YEAR) * float(
        eq.covid_rebound(u["covid_2020_shortfall"], year, plan.BASE_YEAR))
