"""The land-rental market: one uniform-price market per city, cleared once a year.

Offers (households renting out) and bids (productive households and cooperatives renting
in) come with a reservation price and a quantity. Participation is a binary logit on the
whole gain (price difference × quantity, in yuan), so each city's expected supply rises and
expected demand falls in the rent; the rent is the price that balances them (bisection).
Realised participation is then drawn, and the long side is rationed pro rata, so the land
rented out equals the land rented in exactly.
"""

from __future__ import annotations

import numpy as np

from sim import equations as eq

RENT_MAX_YUAN = 5000.0


def clear(city: np.ndarray, n_cities: int, weight: np.ndarray, r_offer: np.ndarray,
          q_offer: np.ndarray, wtp: np.ndarray, q_bid: np.ndarray, sensitivity: float,
          u_offer: np.ndarray, u_bid: np.ndarray, iterations: int = 22):
    """Clear every city's market.

    Args:
        city: City index of each participant.
        n_cities: Number of cities.
        weight: Real units each participant stands for.
        r_offer: Reservation rent of each participant's offer (yuan/mu).
        q_offer: Land offered per unit (mu); 0 for pure bidders.
        wtp: Willingness to pay for land (yuan/mu).
        q_bid: Land wanted per unit (mu); 0 for pure offerers.
        sensitivity: Logit slope per 1000 yuan.
        u_offer: Uniform draws deciding realised offers.
        u_bid: Uniform draws deciding realised bids.
        iterations: Bisection steps (22 bracket 0-5000 yuan to 0.002 yuan).

    Returns:
        ``(rent per city, land out per unit, land in per unit)``.
    """
    lo = np.zeros(n_cities)
    hi = np.full(n_cities, RENT_MAX_YUAN)
    wq_o = weight * q_offer
    wq_b = weight * q_bid
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        r = mid[city]
        supply = np.bincount(city, wq_o * eq.choice_probability((r - r_offer) * q_offer,
                                                                 sensitivity),
                             minlength=n_cities)
        demand = np.bincount(city, wq_b * eq.choice_probability((wtp - r) * q_bid, sensitivity),
                             minlength=n_cities)
        excess = supply > demand
        hi = np.where(excess, mid, hi)
        lo = np.where(excess, lo, mid)
    rent = 0.5 * (lo + hi)
    r = rent[city]
    offers = u_offer < eq.choice_probability((r - r_offer) * q_offer, sensitivity)
    bids = u_bid < eq.choice_probability((wtp - r) * q_bid, sensitivity)
    s_real = np.bincount(city, wq_o * offers, minlength=n_cities)
    d_real = np.bincount(city, wq_b * bids, minlength=n_cities)
    traded = np.minimum(s_real, d_real)
    with np.errstate(invalid="ignore", divide="ignore"):
        f_out = np.where(s_real > 0, traded / s_real, 0.0)
        f_in = np.where(d_real > 0, traded / d_real, 0.0)
    land_out = q_offer * offers * f_out[city]
    land_in = q_bid * bids * f_in[city]
    return rent, land_out, land_in
