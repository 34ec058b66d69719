"""The land-rental market: one uniform-price market per city, cleared once a year.

Offers (households renting out) and bids (productive households and cooperatives renting
in) come with a reservation price and a quantity. Participation is a binary logit on the
whole gain (price difference × quantity, less a fixed cost per contract, in yuan), so each
city's expected supply rises and
expected demand falls in the rent; the rent is the price that balances them (Illinois regula falsi).
Realised participation is then drawn, and the long side is rationed pro rata, so the land
rented out equals the land rented in exactly.
"""

from __future__ import annotations

import numpy as np

from sim.model import equations as eq

RENT_MAX_YUAN = 5000.0


def clear(city: np.ndarray, n_cities: int, weight: np.ndarray, r_offer: np.ndarray,
          q_offer: np.ndarray, wtp: np.ndarray, q_bid: np.ndarray, sensitivity: float,
          u_offer: np.ndarray, u_bid: np.ndarray, iterations: int = 30,
          tolerance: float = 1e-10, deal: np.ndarray | None = None,
          fixed_offer=0.0, fixed_bid=0.0):
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
        iterations: Most root-finding steps (Illinois regula falsi, per city).
        tolerance: Stop when |supply - demand| is below this share of land offered.
        deal: ``interleave(city, n_cities)``, if the caller keeps it: the same result,
            faster (None: the rows as given, no extra memory).
        fixed_offer: Fixed cost of a contract to an offerer, yuan per unit (scalar or one
            per participant): subtracted from the gain in its participation choice.
        fixed_bid: The same for a bidder.

    Returns:
        ``(rent per city, land out per unit, land in per unit)``.
    """
    # Given ``deal``, participants are taken in its order: each city's rows keep their
    # order, so every per-city sum below adds the same terms in the same order as over the
    # rows as given (bit for bit), but consecutive terms fall in different cities and the
    # sums no longer wait on each other (the households come sorted by city).
    if deal is None:  # the rows as given
        o, b = np.flatnonzero(q_offer > 0), np.flatnonzero(q_bid > 0)
    else:
        o = np.compress((q_offer > 0)[deal], deal)  # each offers or bids, rarely both
        b = np.compress((q_bid > 0)[deal], deal)
    co = city[o].astype(np.intp, copy=False)
    cb = city[b].astype(np.intp, copy=False)
    qo, qb, ro, wb = q_offer[o], q_bid[b], r_offer[o], wtp[b]
    fo = np.broadcast_to(np.asarray(fixed_offer, float), city.shape)[o]
    fb = np.broadcast_to(np.asarray(fixed_bid, float), city.shape)[b]
    wq_o, wq_b = weight[o] * qo, weight[b] * qb
    buf_o, buf_b = np.empty(len(o)), np.empty(len(b))

    def excess(rent):
        """Expected land offered minus land wanted per city at a rent per city."""
        g = np.subtract(np.take(rent, co), ro, out=buf_o)
        g *= qo
        g -= fo
        p = eq.choice_probability(g, sensitivity, in_place=True)
        supply = np.bincount(co, np.multiply(p, wq_o, out=p), minlength=n_cities)
        g = np.subtract(wb, np.take(rent, cb), out=buf_b)
        g *= qb
        g -= fb
        p = eq.choice_probability(g, sensitivity, in_place=True)
        demand = np.bincount(cb, np.multiply(p, wq_b, out=p), minlength=n_cities)
        return supply - demand

    scale = np.maximum(np.bincount(co, wq_o, minlength=n_cities), 1e-12)
    rent = _illinois(excess, n_cities, scale, iterations, tolerance)
    # realised participation: only offerers can offer, only bidders bid
    offers, bids = np.zeros(len(city), bool), np.zeros(len(city), bool)
    offers[o] = u_offer[o] < eq.choice_probability((np.take(rent, co) - ro) * qo - fo,
                                                   sensitivity)
    bids[b] = u_bid[b] < eq.choice_probability((wb - np.take(rent, cb)) * qb - fb, sensitivity)
    # (the rows left out add only zeros)
    s_real = np.bincount(co, wq_o * offers[o], minlength=n_cities)
    d_real = np.bincount(cb, wq_b * bids[b], minlength=n_cities)
    traded = np.minimum(s_real, d_real)
    with np.errstate(invalid="ignore", divide="ignore"):
        f_out = np.where(s_real > 0, traded / s_real, 0.0)
        f_in = np.where(d_real > 0, traded / d_real, 0.0)
    land_out = q_offer * offers * f_out[city]
    land_in = q_bid * bids * f_in[city]
    return rent, land_out, land_in


def interleave(group: np.ndarray, n_groups: int) -> np.ndarray:
    """A permutation of the rows that deals them out group by group, each group's in order.

    The first row of every group (groups in index order), then the second of every group
    that has one, and so on. Sums per group over the permuted rows (``np.bincount``) add
    the same terms in the same order as over the rows as given, so they are equal bit for
    bit; but where the rows come sorted by group, consecutive additions no longer fall on
    the same sum and need not wait for each other (several times faster).
    """
    group = np.asarray(group)
    n = len(group)
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=n_groups)
    rank = np.empty(n, np.intp)
    rank[order] = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)
    # rank x n_groups + group is ascending within each group: a merge of n_groups runs
    return np.argsort(rank * n_groups + group, kind="stable")


def _illinois(excess, n_cities: int, scale: np.ndarray, iterations: int,
              tolerance: float) -> np.ndarray:
    """Rent per city where ``excess`` (increasing in rent) crosses zero; Illinois regula falsi."""
    lo = np.zeros(n_cities)
    hi = np.full(n_cities, RENT_MAX_YUAN)
    f_lo, f_hi = excess(lo), excess(hi)
    rent = np.where(f_lo >= 0, lo, np.where(f_hi <= 0, hi, 0.5 * (lo + hi)))
    open_ = (f_lo < 0) & (f_hi > 0)
    side = np.zeros(n_cities, int)
    for _ in range(iterations):
        if not open_.any():
            break
        x = np.where(open_, (lo * f_hi - hi * f_lo) / np.where(open_, f_hi - f_lo, 1.0), rent)
        fx = excess(x)
        rent = np.where(open_, x, rent)
        up = open_ & (fx > 0)
        down = open_ & (fx <= 0)
        f_lo = np.where(up & (side == 1), 0.5 * f_lo, f_lo)
        f_hi = np.where(down & (side == -1), 0.5 * f_hi, f_hi)
        hi, f_hi = np.where(up, x, hi), np.where(up, fx, f_hi)
        lo, f_lo = np.where(down, x, lo), np.where(down, fx, f_lo)
        side = np.where(up, 1, np.where(down, -1, side))
        open_ &= (np.abs(fx) > tolerance * scale) & (hi - lo > 1e-6)
    return rent
