"""Farmer households: the decision rules, vectorised and per object.

:class:`FarmerPopulation` holds every household as columns of numpy arrays; each row is a
super-individual standing for ``weight`` real households, so one code path serves 1:1 and
1:1000 scales. :class:`ReferenceFarmers` implements the same rules as one Mesa agent per
household (:class:`FarmerAgent`), looping in Python. Both call the same functions of
``sim.model.equations`` and read the same random draws, so on a small population they agree to
rounding; tests check that and the benchmark reports the speed ratio.

The rules each year (the model calls them in this order):

1. ``land_sides``: a household whose labour works mainly off the farm (``offfarm``) states
   the rent at which it would rent its land out (reservation rent); a farming household, if
   productive with spare labour, the most it would pay to rent more in (willingness to pay),
   with quantities. The land market (``sim.model.land``) clears per city; a fixed cost per
   contract enters each side's participation choice.
2. ``link_choices``: given the options open to it, a household decides whether to join its
   cluster's cooperative, apply for a firm contract and apply for a processing job (binary
   logit on the income gain; a contract also carries a non-monetary cost, calibrated to the
   2020 take-up, ``sim.model.contracts.contract_cost``). Firms then ration contracts and
   jobs (``sim.model.model``).
3. ``incomes``: income by source (wage, operating, property, transfer) and the part that
   comes from cluster linkage.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from sim.model import equations as eq

STATE = ("city", "cluster", "weight", "persons", "labourers", "land_own", "productivity",
         "skill", "coop", "contract", "job", "land_out", "land_in", "offfarm")


@dataclass
class Env:
    """What a household sees in a year: prices, policy and its local markets.

    Per-household arrays (or scalars broadcasting to them).
    """

    price_index: np.ndarray
    yield_factor: np.ndarray
    wage_yuan: np.ndarray  # off-farm wage per labourer-year
    firm_wage_yuan: np.ndarray  # processing-job wage per labourer-year
    revenue_yuan_per_mu: float
    cost_yuan_per_mu: np.ndarray
    contract_premium: np.ndarray  # premium on the harvest × the share contracts cover
    subsidy_yuan_per_mu: float
    coop_cost_cut: float
    transaction_cost: np.ndarray
    rent_yuan_per_mu: np.ndarray
    coop_open: np.ndarray  # a cooperative exists in the household's city and cluster
    contract_open: np.ndarray  # firms in its cluster contract in its city
    job_open: np.ndarray  # processing jobs are offered in its city
    expected_dividend_yuan: np.ndarray
    skill_premium: float
    max_mu_per_labourer: float
    sensitivity: float
    transfer_yuan_per_person: float
    other_operating_yuan_per_person: float
    other_property_yuan_per_person: float
    contract_cost_yuan: np.ndarray = 0.0  # non-monetary cost of a contract (calibrated)


class FarmerPopulation:
    """All households as arrays (the production implementation)."""

    def __init__(self, **cols: np.ndarray):
        for k in STATE:
            setattr(self, k, np.asarray(cols[k]).copy())
        self.n = len(self.city)
        self._operated()

    # ---- state -----------------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        """A copy of every state column."""
        return {k: np.asarray(getattr(self, k)).copy() for k in STATE}

    @property
    def land_operated(self) -> np.ndarray:
        """Land the household farms itself (own - out + in), mu (read-only)."""
        return self._land_operated

    def _operated(self) -> None:
        # kept, not recomputed at every read (read ~40 times a year); only apply_land
        # changes rentals, and land owned does not change
        op = self.land_own - self.land_out + self.land_in
        op.flags.writeable = False
        self._land_operated = op

    def _net_per_mu(self, env: Env) -> np.ndarray:
        return eq.farm_net_return_per_mu(
            self.productivity, env.revenue_yuan_per_mu, env.cost_yuan_per_mu,
            env.price_index, env.yield_factor, self.coop >= 0, env.coop_cost_cut,
            self.contract, env.contract_premium, env.subsidy_yuan_per_mu)

    def _wage(self, env: Env) -> np.ndarray:
        return env.wage_yuan * (1.0 + env.skill_premium * self.skill)

    # ---- 1. land ---------------------------------------------------------------
    def land_sides(self, env: Env):
        """Reservation rents and bids: (r_offer, q_offer, wtp, q_bid) per household (mu)."""
        net = self._net_per_mu(env)
        off = eq.offfarm_return_per_mu(self._wage(env), env.max_mu_per_labourer)
        r = eq.reservation_rent(net, off, env.transaction_cost)
        wtp = eq.willingness_to_pay(net, off, env.transaction_cost)
        spare = np.minimum(np.maximum(env.max_mu_per_labourer * self.labourers
                                      - self.land_own, 0.0), self.land_own)
        # Off-farm households may rent their land out (their labour is away: Kung 2002,
        # Deininger & Jin 2005); productive farming households bid to at most double
        # their farm; the other farming households keep their land as it is.
        offfarm = self.offfarm.astype(bool)
        q_offer = np.where(offfarm, self.land_own, 0.0)
        q_bid = np.where(~offfarm & (self.productivity >= 1.0), spare, 0.0)
        return r, q_offer, wtp, q_bid

    def apply_land(self, land_out: np.ndarray, land_in: np.ndarray) -> None:
        """Record this year's rental contracts."""
        self.land_out = np.asarray(land_out, float).copy()
        self.land_in = np.asarray(land_in, float).copy()
        self._operated()

    # ---- 2. links ----------------------------------------------------------------
    def contract_gain_parts(self, env: Env):
        """A contract's gain as ``premium × a + b`` (yuan/yr): revenue and subsidy on the farm."""
        op = self.land_operated
        a = self.productivity * env.revenue_yuan_per_mu * env.price_index * env.yield_factor * op
        return a, env.subsidy_yuan_per_mu * op

    def link_gains(self, env: Env):
        """Income gains (yuan/yr) of joining the coop, taking a contract, taking a job."""
        op = self.land_operated
        g_coop = env.coop_cost_cut * env.cost_yuan_per_mu * op + env.expected_dividend_yuan
        a, b = self.contract_gain_parts(env)
        g_contract = env.contract_premium * a + b
        g_job = env.firm_wage_yuan - self._wage(env)
        return g_coop, g_contract, g_job

    def link_choices(self, env: Env, u_coop, u_contract, u_job):
        """Binary logit choices against uniform draws: (join coop, apply contract, apply job)."""
        g_coop, g_contract, g_job = self.link_gains(env)
        supplier = self.cluster >= 0
        join = supplier & env.coop_open & (u_coop < eq.choice_probability(g_coop,
                                                                          env.sensitivity))
        apply_c = supplier & env.contract_open & (u_contract < eq.choice_probability(
            g_contract - env.contract_cost_yuan, env.sensitivity))
        apply_j = env.job_open & (u_job < eq.choice_probability(g_job, env.sensitivity))
        return join, apply_c, apply_j

    def set_skill(self, skill) -> None:
        """Record each household's trained share of labourers."""
        self.skill = np.asarray(skill, float).copy()

    def set_links(self, coop, contract, job) -> None:
        """Record cooperative ids (-1 none), contracts (bool) and job labourers."""
        self.coop = np.asarray(coop).copy()
        self.contract = np.asarray(contract).copy()
        self.job = np.asarray(job, float).copy()

    # ---- 3. incomes ------------------------------------------------------------
    def incomes(self, env: Env) -> dict[str, np.ndarray]:
        """Income by source per household (yuan/yr), with its cluster-linkage part."""
        op = self.land_operated
        net = self._net_per_mu(env)
        wage = self._wage(env)
        off_labour = eq.off_farm_labour(op, env.max_mu_per_labourer, self.labourers, self.job)
        base = (self.productivity * env.revenue_yuan_per_mu * env.price_index
                * env.yield_factor)
        contract_part = (env.contract_premium * base + env.subsidy_yuan_per_mu) * op \
            * self.contract
        job_part = self.job * np.maximum(env.firm_wage_yuan - wage, 0.0)
        rent_in_paid = self.land_in * env.rent_yuan_per_mu
        rent_received = self.land_out * env.rent_yuan_per_mu
        operating = (op * net - rent_in_paid - env.subsidy_yuan_per_mu * op * self.contract
                     + env.other_operating_yuan_per_person * self.persons)
        wage_inc = off_labour * wage + self.job * env.firm_wage_yuan
        property_inc = rent_received + env.other_property_yuan_per_person * self.persons
        transfer = (env.transfer_yuan_per_person * self.persons
                    + env.subsidy_yuan_per_mu * op * self.contract)
        return {"operating": operating, "wage": wage_inc, "property": property_inc,
                "transfer": transfer, "link_contract": contract_part, "link_job": job_part}


class FarmerAgent(mesa.Agent):
    """One household as a Mesa agent: the per-object reference of the same rules.

    Args:
        model: The Mesa model the agent belongs to.
        row: The household's state, one scalar per column of ``STATE``.
    """

    def __init__(self, model: mesa.Model, row: dict):
        super().__init__(model)
        for k in STATE:
            setattr(self, k, row[k])

    def _env(self, env: Env, i: int) -> dict:
        def at(x):
            return x[i] if np.ndim(x) else x
        return {f: at(getattr(env, f)) for f in env.__dataclass_fields__}

    def net_per_mu(self, e: dict) -> float:
        """Net return per mu at this household's status."""
        return float(eq.farm_net_return_per_mu(
            self.productivity, e["revenue_yuan_per_mu"], e["cost_yuan_per_mu"],
            e["price_index"], e["yield_factor"], self.coop >= 0, e["coop_cost_cut"],
            self.contract, e["contract_premium"], e["subsidy_yuan_per_mu"]))

    def wage(self, e: dict) -> float:
        """Off-farm wage per labourer including the skill premium."""
        return e["wage_yuan"] * (1.0 + e["skill_premium"] * self.skill)

    def land_side(self, e: dict):
        """(reservation rent, offered mu, willingness to pay, bid mu)."""
        net = self.net_per_mu(e)
        off = float(eq.offfarm_return_per_mu(self.wage(e), e["max_mu_per_labourer"]))
        r = float(eq.reservation_rent(net, off, e["transaction_cost"]))
        wtp = float(eq.willingness_to_pay(net, off, e["transaction_cost"]))
        if self.offfarm:
            return r, self.land_own, wtp, 0.0
        if self.productivity >= 1.0:
            spare = max(e["max_mu_per_labourer"] * self.labourers - self.land_own, 0.0)
            return r, 0.0, wtp, min(spare, self.land_own)
        return r, 0.0, wtp, 0.0

    def link_choice(self, e: dict, u_coop: float, u_contract: float, u_job: float):
        """(join coop, apply contract, apply job)."""
        op = self.land_own - self.land_out + self.land_in
        base = self.productivity * e["revenue_yuan_per_mu"] * e["price_index"] \
            * e["yield_factor"]
        g_coop = e["coop_cost_cut"] * e["cost_yuan_per_mu"] * op + e["expected_dividend_yuan"]
        g_contract = e["contract_premium"] * (base * op) + e["subsidy_yuan_per_mu"] * op
        g_job = e["firm_wage_yuan"] - self.wage(e)
        s = e["sensitivity"]
        supplier = self.cluster >= 0
        join = bool(supplier and e["coop_open"] and u_coop < eq.choice_probability(g_coop, s))
        apply_c = bool(supplier and e["contract_open"] and u_contract
                       < eq.choice_probability(g_contract - e["contract_cost_yuan"], s))
        apply_j = bool(e["job_open"] and u_job < eq.choice_probability(g_job, s))
        return join, apply_c, apply_j

    def income(self, e: dict) -> dict[str, float]:
        """Income by source (yuan/yr)."""
        op = self.land_own - self.land_out + self.land_in
        net = self.net_per_mu(e)
        wage = self.wage(e)
        off_labour = float(eq.off_farm_labour(op, e["max_mu_per_labourer"], self.labourers,
                                              self.job))
        base = self.productivity * e["revenue_yuan_per_mu"] * e["price_index"] \
            * e["yield_factor"]
        sub = e["subsidy_yuan_per_mu"] * op * self.contract
        rent = e["rent_yuan_per_mu"]
        return {
            "operating": op * net - self.land_in * rent - sub
            + e["other_operating_yuan_per_person"] * self.persons,
            "wage": off_labour * wage + self.job * e["firm_wage_yuan"],
            "property": self.land_out * rent + e["other_property_yuan_per_person"] * self.persons,
            "transfer": e["transfer_yuan_per_person"] * self.persons + sub,
            "link_contract": (e["contract_premium"] * base + e["subsidy_yuan_per_mu"]) * op
            * self.contract,
            "link_job": self.job * max(e["firm_wage_yuan"] - wage, 0.0),
        }


class ReferenceFarmers:
    """The same interface as :class:`FarmerPopulation`, one Mesa agent per household."""

    def __init__(self, model: mesa.Model, **cols: np.ndarray):
        n = len(cols["city"])
        self.agents = [FarmerAgent(model, {k: np.asarray(cols[k])[i].item() for k in STATE})
                       for i in range(n)]
        self.n = n

    def state(self) -> dict[str, np.ndarray]:
        """Every state column assembled from the agents."""
        return {k: np.array([getattr(a, k) for a in self.agents]) for k in STATE}

    def __getattr__(self, name):
        if name in STATE:
            return np.array([getattr(a, name) for a in self.__dict__["agents"]])
        raise AttributeError(name)

    @property
    def land_operated(self) -> np.ndarray:
        """Land each household farms itself, mu."""
        return np.array([a.land_own - a.land_out + a.land_in for a in self.agents])

    def land_sides(self, env: Env):
        """As :meth:`FarmerPopulation.land_sides`, agent by agent."""
        rows = [a.land_side(a._env(env, i)) for i, a in enumerate(self.agents)]
        return tuple(np.array(c, dtype=float) for c in zip(*rows, strict=True))

    def apply_land(self, land_out, land_in) -> None:
        """Record rental contracts on each agent."""
        for a, o, i in zip(self.agents, land_out, land_in, strict=True):
            a.land_out, a.land_in = float(o), float(i)

    def link_choices(self, env: Env, u_coop, u_contract, u_job):
        """As :meth:`FarmerPopulation.link_choices`, agent by agent."""
        rows = [a.link_choice(a._env(env, i), u_coop[i], u_contract[i], u_job[i])
                for i, a in enumerate(self.agents)]
        return tuple(np.array(c, dtype=bool) for c in zip(*rows, strict=True))

    def set_skill(self, skill) -> None:
        """Record each agent's trained share of labourers."""
        for a, s in zip(self.agents, skill, strict=True):
            a.skill = float(s)

    def set_links(self, coop, contract, job) -> None:
        """Record links on each agent."""
        for a, c, k, j in zip(self.agents, coop, contract, job, strict=True):
            a.coop, a.contract, a.job = int(c), bool(k), float(j)

    def incomes(self, env: Env) -> dict[str, np.ndarray]:
        """As :meth:`FarmerPopulation.incomes`, agent by agent."""
        rows = [a.income(a._env(env, i)) for i, a in enumerate(self.agents)]
        return {k: np.array([r[k] for r in rows]) for k in rows[0]}
