"""What the farms harvest this year: households' and cooperatives' produce (2020 yuan).

A rule shared by the raw-material market (``sim.model.rawmaterial``, the supply side) and
the platforms (``sim.model.platforms``, the produce sold off the farm); it reads the
households' land and productivity, the cooperatives' land, and the year's yields.
"""

from __future__ import annotations

import numpy as np


def household_harvest(m) -> np.ndarray:
    """Each household's harvest (2020 yuan per real household; 0 outside the clusters)."""
    f = m.farmers
    # yield by (city, cluster) slot, 0 outside the clusters (one lookup, not two)
    slot_yield = np.zeros((len(m.yield_city), len(m.cluster_yield) + 1))
    slot_yield[:, 1:] = np.outer(m.yield_city, m.cluster_yield)
    return (f.productivity * m.accounts.revenue0 * f.land_operated
            * np.take(slot_yield.ravel(), m.household_slot))


def coop_harvest(m) -> np.ndarray:
    """Each cooperative's harvest from the land it farms (2020 yuan)."""
    prod = m.const["coop_land_productivity"] * m.accounts.revenue0
    if not m.coops:
        return np.zeros(0)
    city, cluster = np.array([(c.city, c.cluster) for c in m.coops]).T
    return (np.array([c.land_mu for c in m.coops], float) * prod * m.yield_city[city]
            * m.cluster_yield[cluster])
