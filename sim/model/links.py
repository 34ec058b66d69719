"""Links between households and processors: cooperative membership, contracts, jobs.

:class:`Links` owns what persists of the links from year to year: each household's taste for
a contract's obligations (one draw, kept), the contracted volume per unit of planned output
(``contract_ratio``, calibrated in 2020), the non-monetary cost of a contract per cluster
(calibrated so that 2020's take-up is the assumed share), the cover households foresee for
a contract this year and each city's processing jobs by cluster. Its rule
:meth:`Links.assign` runs the year's choices: households choose coop / contract / job
(``FarmerPopulation.link_choices``), firms ration contracts (coop members and current holders
first) and jobs (skilled first); the result is written to the population
(``set_links``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.model import contracts, plan
from sim.model import equations as eq
from sim.model.farmers import Env, FarmerPopulation
from sim.model.rng import stream

NC, NK = len(plan.CITIES), len(plan.CLUSTERS)


def _population(f) -> FarmerPopulation:
    """The vectorised population of ``f`` (the reference agents' state, if they are)."""
    return f if isinstance(f, FarmerPopulation) else FarmerPopulation(**f.state())


class Links:
    """The links' persistent state and the yearly rule that sets them.

    Args:
        seed: The replicate's seed (streams ``links:contract-taste``, ``links:{year}``).
        n_households: Simulated households.
        const: Resolved constants.
        uncertain: The replicate's sampled uncertainties.
    """

    def __init__(self, seed: int, n_households: int, const: dict, uncertain: dict):
        self.seed, self.const, self.uncertain = seed, const, uncertain
        self.contract_taste = stream(seed, "links:contract-taste").random(
            n_households, dtype=np.float32)
        u = self.contract_taste.astype(float)
        with np.errstate(divide="ignore"):
            self.contract_taste_logit = np.log(u) - np.log1p(-u)  # contracts.expected_cover
        self.contract_ratio: np.ndarray | None = None  # contracted volume / planned output
        self.contract_cost = np.zeros(NK)  # non-monetary cost of a contract, yuan/yr
        self.cover_expected: np.ndarray | None = None  # cover foreseen this year
        self.job_share_ck: np.ndarray | None = None  # a city's processing jobs by cluster

    def link_env(self, env: Env, cluster: np.ndarray) -> Env:
        """``env`` plus the non-monetary cost of a contract, read by the link choices only.

        (Kept out of ``ClusterModel.env`` to spare a household column during the land
        market.)
        """
        env.contract_cost_yuan = np.where(cluster >= 0,
                                          self.contract_cost[np.maximum(cluster, 0)], 0.0)
        return env

    def foresee_cover(self, env: Env, f, supply: np.ndarray, out_k: np.ndarray,
                      purchases: dict) -> None:
        """Set ``env``'s contract premium at the cover this year's contracts will get.

        What processors buy locally this year does not depend on who holds a contract and
        is known when contracts are signed (Q1, with the production plans), so households
        weigh a contract at the share of their harvest it will take this year
        (``contracts.expected_cover``), not at last year's share: with last year's, a
        year of low cover drew few applicants, so the next had high cover and many, and
        contract take-up swung in a two-year cycle (a cobweb) where contracts outgrow
        local purchases.
        """
        cl = f.cluster
        k = np.maximum(cl, 0)
        premium = np.where(cl >= 0, self.uncertain["contract_premium"], 0.0)
        # the gain is premium x cover x a + g_zero
        a, g_zero = _population(f).contract_gain_parts(env)
        g_full = premium * a + g_zero
        ratio = self.contract_ratio if self.contract_ratio is not None else np.full(NK, np.inf)
        harvest = f.weight * purchases["h"] / 1e8  # this year's, as the market has it
        self.cover_expected = contracts.expected_cover(
            g_zero, g_full, np.broadcast_to(env.contract_cost_yuan, (f.n,)),
            self.contract_taste_logit, k,
            (cl >= 0) & env.contract_open, harvest, f.weight * supply, ratio * out_k * 1e8,
            purchases["local"], self.uncertain["adoption_sensitivity"])
        self.weigh_at_cover(env, cl)

    def weigh_at_cover(self, env: Env, cluster: np.ndarray) -> None:
        """Households weigh a contract's premium at the foreseen cover of their cluster."""
        premium = np.where(cluster >= 0, self.uncertain["contract_premium"], 0.0)
        env.contract_premium = premium * self.cover_expected[np.maximum(cluster, 0)]

    def jobs(self, f, firms, apply_j: np.ndarray, prio: np.ndarray) -> np.ndarray:
        """Processing jobs: each city's firms hire local rural labour, skilled first.

        Sets ``job_share_ck`` (each city's jobs by cluster); returns each household's jobs.
        """
        alive = firms.alive
        emp_ck = np.zeros((NC, NK))
        np.add.at(emp_ck, (firms.city[alive], firms.cluster[alive]),
                  firms.output[alive] * 1e4 / self.const["output_per_worker_wan_yuan"])
        slots = self.const["local_hire_share"] * emp_ck.sum(axis=1)
        self.job_share_ck = emp_ck / np.maximum(emp_ck.sum(axis=1, keepdims=True), 1e-9)
        return eq.ration(f.city, NC, f.weight, apply_j.astype(float), slots, -(f.skill + prio))

    def assign(self, year: int, f, env_fn: Callable[[], Env], coops: list, firms,
               revenue0: float, purchases: dict, city_sums: Callable,
               calibrate: bool = False) -> None:
        """Coop membership, firm contracts and processing jobs for the year.

        Args:
            year: The year (draws from ``links:{year}``).
            f: The household population (its links are set).
            env_fn: What households see now (``ClusterModel.env``; called again after the
                2020 contract cost is calibrated).
            coops: The cooperatives (one per (city, cluster) slot at most).
            firms: The firm table (employment by city and cluster).
            revenue0: Farm revenue per mu at 2020 prices and mean productivity.
            purchases: This year's ``rawmaterial.local_purchases`` (what processors buy
                from Shanxi's farms, and the harvest), which sets the cover contracts get.
            city_sums: Per-city sums over the households (``HouseholdIndex.city_sums``).
            calibrate: A 2020 spin-up pass (sets the contract cost and offer).
        """
        env = self.link_env(env_fn(), f.cluster)
        rng = stream(self.seed, f"links:{year}")
        u_coop, u_job = rng.random(f.n), rng.random(f.n)
        prio = rng.random(f.n)
        # Households differ persistently in how much they mind a contract's obligations: one
        # draw each, kept across years, so the same households keep their contracts while
        # the gain holds (take-up moves with gains, not with a yearly redraw).
        u_con = self.contract_taste
        supply = (f.productivity * revenue0 * f.land_operated)
        # the offer follows this year's production plan, as the raw material bought does
        # (``rawmaterial.need``); the output of the quarter before lags it a year, and in
        # the spin-up equals it, so an offer calibrated in 2020 then stood still in 2021
        out_k = purchases["planned"]  # rawmaterial.planned_by_cluster (firms unchanged since)
        if calibrate and self.cover_expected is not None:
            # a later spin-up pass: the contract cost is recalibrated below at the last
            # pass's cover and the cover then foreseen at the new cost (one fixed point)
            self.weigh_at_cover(env, f.cluster)
        else:
            self.foresee_cover(env, f, supply, out_k, purchases)
        join, apply_c, apply_j = f.link_choices(env, u_coop, u_con, u_job)
        # Cooperative membership: the coop of the household's city and cluster.
        table = np.full((NC, NK), -1)
        for c in coops:
            table[c.city, c.cluster] = c.coop_id
        cl = f.cluster
        ids = np.where(join & (cl >= 0), table[f.city, np.maximum(cl, 0)], -1)
        job = self.jobs(f, firms, apply_j, prio)
        need_persons = None
        if calibrate:
            apply_c, need_persons = self._calibrate_2020(
                f, env, env_fn, (u_coop, u_con, u_job), job, ids, prio, supply, out_k,
                purchases, city_sums)
        contract = self._contracts(f, apply_c, ids, prio, supply, out_k, need_persons)
        f.set_links(ids, contract, job)

    def _calibrate_2020(self, f, env: Env, env_fn: Callable[[], Env], draws: tuple,
                        job: np.ndarray, ids: np.ndarray, prio: np.ndarray,
                        supply: np.ndarray, out_k: np.ndarray, purchases: dict,
                        city_sums: Callable) -> tuple[np.ndarray, np.ndarray]:
        """Set the 2020 contract cost (and, first, the offer).

        Returns who applies for a contract, and the persons each cluster's contracts must
        link. The contracted volume is set so that linked farmers are the assumed share of each
        cluster's 2025 target (docs/ODD.md, initialisation). The first spin-up pass guesses
        it from persons; later passes correct it (:meth:`_contracts`) under the same
        value-based rule every later year uses, so 2021 continues 2020.
        """
        cl = f.cluster
        goal = self.uncertain["linked_2020_fraction"] * np.array(
            [c.farmers_target_wan for c in plan.CLUSTERS]) * 1e4
        # persons in processing jobs per cluster: each city's jobs split by its clusters'
        # shares of employment
        job_persons = city_sums(f.weight * job) @ self.job_share_ck
        need_persons = np.maximum(goal - job_persons, 0.0)
        # Households sign with a logit on the gain less a non-monetary cost of the
        # contract, set so that the expected signers are the 2020 count; firms then
        # contract the volume those signers farm, so in 2020 both sides balance.
        self.contract_cost = contracts.contract_cost(
            _population(f).link_gains(env)[1], np.maximum(cl, 0), f.weight * f.labourers,
            (cl >= 0) & env.contract_open, need_persons,
            self.uncertain["adoption_sensitivity"])
        env = self.link_env(env_fn(), cl)
        self.foresee_cover(env, f, supply, out_k, purchases)
        apply_c = f.link_choices(env, *draws)[1]
        if self.contract_ratio is None:
            first = eq.ration(np.maximum(cl, 0), NK, f.weight * f.labourers,
                              apply_c.astype(float), need_persons,
                              -((ids >= 0) + prio)) > 0
            vol = np.bincount(np.maximum(cl, 0), f.weight * supply * first, minlength=NK)
            self.contract_ratio = vol / np.maximum(out_k, 1e-9) / 1e8
        return apply_c, need_persons

    def _contracts(self, f, apply_c: np.ndarray, ids: np.ndarray, prio: np.ndarray,
                   supply: np.ndarray, out_k: np.ndarray,
                   need_persons: np.ndarray | None) -> np.ndarray:
        """Firms contract a volume of local raw material; coop members and holders first.

        ``need_persons`` (2020 only): the offer is corrected so that the contracts link
        these persons per cluster, and the 2020 contracts are the ones the corrected offer
        gives, so 2021 (same offer, holders first) continues them instead of jumping to
        the correction.
        """
        cl = f.cluster
        keep = f.contract.astype(float)

        def offered(ratio):
            return eq.ration(np.maximum(cl, 0), NK, f.weight * supply, apply_c.astype(float),
                             ratio * out_k * 1e8, -((ids >= 0) + keep + prio)) > 0
        contract = offered(self.contract_ratio)
        if need_persons is not None:
            achieved = np.bincount(np.maximum(cl, 0), f.weight * f.labourers * contract
                                   * (cl >= 0), minlength=NK)
            self.contract_ratio = self.contract_ratio * np.where(
                achieved > 0, need_persons / np.maximum(achieved, 1e-9), 1.0)
            contract = offered(self.contract_ratio)
        return contract & (cl >= 0)
