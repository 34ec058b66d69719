"""The model's equations as pure numpy functions.

Each function works on scalars and on arrays alike, so the vectorised farmer population and
the per-object reference agents call the very same code. Tests check each one against
hand-computed values (``tests/model/test_equations.py``). Units are in the argument names.
"""

from __future__ import annotations

import numpy as np


def logistic(x):
    """The logistic function 1 / (1 + e^-x), overflow-safe."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


def choice_probability(gain_yuan, sensitivity_per_1000, in_place: bool = False):
    """Probability of choosing an option worth ``gain_yuan`` more than the alternative.

    A binary logit: ``sensitivity_per_1000`` is the logit slope per 1000 yuan of gain.
    ``in_place``: ``gain_yuan`` is a float64 array and is overwritten with the
    probabilities, without temporaries (hot loops); the same operations as ``logistic``,
    bit for bit (``0.5 × (x / 1000)`` is ``x / 2000`` exactly: halving is exact).
    """
    if not in_place:
        return logistic(np.asarray(gain_yuan, dtype=float) * sensitivity_per_1000 / 1000.0)
    g = gain_yuan
    g *= sensitivity_per_1000
    g /= 2000.0
    np.tanh(g, out=g)
    g += 1.0
    g *= 0.5
    return g


def off_farm_labour(land_operated_mu, max_mu_per_labourer, labourers, job_labourers):
    """Labourers left for off-farm work: those the farm and a processing job do not take.

    The farm takes ``land / max_mu_per_labourer`` labourers (at most all of them).
    """
    farm = np.minimum(land_operated_mu / max_mu_per_labourer, labourers)
    return np.maximum(labourers - farm - job_labourers, 0.0)


def training_gain(wage_yuan, skill, skill_premium, off_farm_labourers, labourers,
                  time_cost_share):
    """Net gain (yuan) to a household of sending its untrained labour to a training course.

    Training is free of fees; the trainees lose ``time_cost_share`` of a labourer-year's
    untrained off-farm wage while they attend (time off work, farm or off-farm). Once
    trained, the household's off-farm labour earns ``skill_premium`` more on the part of it
    that was untrained. One year's gain is set against the one-off cost, as the other
    annual choices weigh one year's income gain (a myopic household).
    """
    untrained = 1.0 - np.asarray(skill, dtype=float)
    return wage_yuan * untrained * (skill_premium * off_farm_labourers
                                    - time_cost_share * labourers)


def farm_net_return_per_mu(productivity, revenue_yuan_per_mu, cost_yuan_per_mu, price_index,
                           yield_factor, coop_member, coop_cost_cut, contract,
                           contract_premium, subsidy_yuan_per_mu):
    """Net return of one mu operated for a year (yuan).

    Revenue = productivity × base revenue × price × yield factor × (1 + premium if under
    contract); cost = base cost × (1 - cooperative cost cut if a member); the per-mu
    producer subsidy goes to contracted (cluster-linked) land.
    """
    revenue = (productivity * revenue_yuan_per_mu * price_index * yield_factor
               * (1.0 + contract_premium * contract))
    cost = cost_yuan_per_mu * (1.0 - coop_cost_cut * coop_member)
    return revenue - cost + subsidy_yuan_per_mu * contract


def offfarm_return_per_mu(wage_yuan_per_labourer, max_mu_per_labourer):
    """Wage a household can earn off-farm with the labour one mu of farming takes."""
    return wage_yuan_per_labourer / max_mu_per_labourer


def reservation_rent(net_return_per_mu, offfarm_per_mu, transaction_cost):
    """Lowest rent (yuan/mu) at which renting the land out beats farming it.

    Renting out frees the labour the land took; the owner bears the transaction cost.
    """
    return net_return_per_mu - offfarm_per_mu + transaction_cost


def willingness_to_pay(net_return_per_mu, offfarm_per_mu, transaction_cost):
    """Highest rent (yuan/mu) at which renting more land in pays."""
    return net_return_per_mu - offfarm_per_mu - transaction_cost


def transaction_cost(base_yuan_per_mu, service_coverage, service_cost_cut):
    """Land-transfer transaction cost where the service system covers a share of villages."""
    return base_yuan_per_mu * (1.0 - service_coverage * service_cost_cut)


def spoilage(coverage, spoilage_2020, coverage_2020, elasticity):
    """Spoilage share of perishables at a cold-chain coverage; falls as coverage rises."""
    s = spoilage_2020 * np.exp(-elasticity * (np.asarray(coverage, float) - coverage_2020))
    return np.clip(s, 0.0, 0.95)


def share_gain(base, brand_effect, brand_fund_yi, output_yi, cold_effect, coverage_gain,
               passthrough, cost_cut):
    """Annual market-share growth of a cluster's firms (1/yr).

    ``base`` is the share gain without new policy; marketing funds add
    ``brand_effect × log(1 + fund / 1% of output)``; perishable clusters gain
    ``cold_effect × coverage gain``; part of the subsidy-driven unit-cost cut is passed into
    prices (``passthrough × cost_cut``).
    """
    brand = brand_effect * np.log1p(brand_fund_yi / np.maximum(0.01 * output_yi, 1e-9))
    return base + brand + cold_effect * coverage_gain + passthrough * cost_cut


def investment_return(margin, capital_output_ratio, capital_subsidy_rate):
    """Annual return on the firm's own money for one yuan of added capacity."""
    return margin / (capital_output_ratio * (1.0 - capital_subsidy_rate))


def required_return(hurdle_rate, interest_subsidy_pp):
    """Return a firm requires: its hurdle, lowered by the interest subsidy."""
    return hurdle_rate - interest_subsidy_pp / 100.0


def invest_share(expected_return, required, softness):
    """Share of its capacity gap a firm closes this year (a smooth hurdle rule)."""
    return logistic((np.asarray(expected_return, float) - required) / softness)


def coop_surplus(sales_handled_yuan, margin, land_operated_mu, land_net_yuan_per_mu,
                 rent_paid_yuan, fixed_cost_yuan, grant_yuan):
    """A cooperative's distributable surplus for a year (may be negative)."""
    return (sales_handled_yuan * margin + land_operated_mu * land_net_yuan_per_mu
            - rent_paid_yuan - fixed_cost_yuan + grant_yuan)


def dividends(surplus_yuan, payout_share, basis, group):
    """Each row's dividend: the payout share of its group's positive surplus, by ``basis``.

    ``surplus_yuan`` has one value per group (cooperative), ``basis`` and ``group`` one per
    member row; the rows of a group with a positive surplus sum to ``payout_share ×
    surplus`` when their basis sums to more than zero (else nothing is paid).
    """
    surplus = np.atleast_1d(np.asarray(surplus_yuan, dtype=float))
    basis = np.asarray(basis, dtype=float)
    group = np.asarray(group)
    pool = payout_share * np.maximum(surplus, 0.0)
    total = np.bincount(group, basis, minlength=len(surplus))[group]
    return np.where(total > 0, pool[group] * basis / np.where(total > 0, total, 1.0), 0.0)


def ration(group: np.ndarray, n_groups: int, size: np.ndarray, applies: np.ndarray,
           capacity: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """Fill each group's capacity with applicants in priority order (lowest first).

    Returns each row's filled share in [0, 1]; the marginal row is filled in part so that
    ``sum(size × share)`` per group equals ``min(capacity, sum of applicants' size)``.

    Group by group, only the applicants that can be reached are sorted: the lowest
    priorities are selected (``argpartition``, linear time) until their size covers the
    capacity, and only those are put in order. Where capacity is scarce (jobs: a few
    percent of the households that apply) this replaces a sort of every applicant.
    """
    out = np.zeros(len(group))
    idx = np.flatnonzero((applies > 0) & (size > 0))
    if idx.size == 0:
        return out
    g_idx = group[idx]
    grouped = g_idx.size < 2 or bool(np.all(g_idx[:-1] <= g_idx[1:]))  # households by city
    by_group = None if grouped else np.argsort(
        g_idx.astype(np.int16) if n_groups <= np.iinfo(np.int16).max else g_idx, kind="stable")
    bounds = np.searchsorted(g_idx if grouped else g_idx[by_group],
                             np.arange(n_groups + 1)).tolist()
    cap = np.broadcast_to(np.asarray(capacity, float), (n_groups,)).tolist()
    for gi in range(n_groups):
        b0, b1 = bounds[gi], bounds[gi + 1]
        if b1 == b0 or cap[gi] <= 0:
            continue
        rows = idx[b0:b1] if grouped else idx[by_group[b0:b1]]
        s = size[rows] * applies[rows]
        total = s.sum()
        if total <= cap[gi] * (1 - 1e-12):  # room for every applicant
            out[rows] = 1.0
            continue
        pr = priority[rows]
        # the k lowest priorities, k grown until their size covers the capacity
        k = min(rows.size, int(cap[gi] / (total / rows.size) * 1.1) + 16)  # total/n: s.mean()
        while True:
            pick = (np.argpartition(pr, k - 1)[:k] if k < rows.size
                    else np.arange(rows.size))
            if k == rows.size or s[pick].sum() >= cap[gi]:
                break
            k = min(rows.size, 2 * k)
        pick = pick[np.argsort(pr[pick], kind="stable")]
        sp = s[pick]
        before = np.cumsum(sp) - sp
        out[rows[pick]] = np.clip((cap[gi] - before) / sp, 0.0, 1.0)
    return out


def mean_one(hit, loss, probability):
    """A shock factor with mean 1: ``1 - loss`` when hit, scaled by ``1 - probability·loss``.

    With ``hit`` drawn with ``probability``, ``E[factor] = 1``: the baseline is the average
    year, so a shock-free year sits slightly above it.
    """
    return np.where(hit, 1.0 - loss, 1.0) / (1.0 - probability * loss)


def covid_rebound(shortfall, year, base_year=2020):
    """Level factor of a channel COVID-19 held below its trend in the base year (2020).

    2020's level sat ``shortfall`` below the trend path; the gap closes in 2021 and stays
    closed, so the paths from 2021 on are the 2020-anchored trend paths × 1/(1 − shortfall)
    and 2020 itself is untouched: 1 in ``base_year`` and before, 1/(1 − shortfall) after.
    """
    return np.where(np.asarray(year) > base_year, 1.0 / (1.0 - shortfall), 1.0)
