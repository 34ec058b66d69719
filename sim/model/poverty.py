"""Households of the 58 formerly poor counties: consolidating poverty alleviation (plan Ch.4).

A flag on the farmer population marks the households of the 58 counties that left poverty by
2020 (36 national and 22 provincial poverty counties). Each city's flagged share of rural
households is its share of those counties among its 117 counties and districts, times the
size ratio ``formerly_poor_county_size_ratio``; the rows are drawn from their own stream.

Flagged households earn through the model's mechanisms (land, contracts, processing jobs,
cooperative dividends, the off-farm wage, the provincial transfer). Three things differ:

* off-farm work: a flagged household's surplus labour earns the off-farm wage only while it
  holds off-farm work (``employed``). Work is found at ``poor_offfarm_hire_rate`` in 2020,
  a rate that grows with the openings (``poor_offfarm_job_growth``), and lost at the rate
  that holds the 2020 share employed at rest (draws from the stream ``poverty:<year>``).
  Processing jobs come from the firms' hiring in the model (``farmers.job``).
* the 2020 level and structure: the 2020 share in off-farm work gives the sourced wage
  income; operating income is the model's, scaled by a factor fixed in 2020, and property
  income the model's plus a per-person amount fixed in 2020 (indexed like the model's own
  per-person property income);
  a per-person transfer closes the rest. Together they give the sourced 2020 ratio to the
  provincial income and the 2018 poverty-area structure; afterwards the model's wages,
  prices, land, jobs and transfers move them.
* poverty-specific transfers: PV poverty-alleviation income (``pv_income_yi``, a share
  reaching households) and the other support above the provincial transfer, scaled by the
  lever ``poverty_support_kept``. The PV payout is station revenue, not budget money: the
  lever can cut it (less paid out to households) but not raise it above the 2020 payout
  rule; the other support's change from its 2020 level is budget money and goes to the
  fiscal item ``poverty_support``.

Nothing here feeds back into the rest of the model (household incomes drive no decision), and
the module draws only from its own streams, so the other outcomes are unchanged.
"""

from __future__ import annotations

import numpy as np

from sim.model import equations as eq
from sim.model import national, plan
from sim.model.rng import stream

# The 58 formerly poor counties by city (国定 + 省定), http://akigo.cn/ebd4774e4250207251.html
POOR_COUNTIES = {"taiyuan": 2, "datong": 6, "shuozhou": 3, "xinzhou": 11, "yangquan": 0,
                 "lvliang": 10, "jinzhong": 4, "changzhi": 5, "jincheng": 2, "linfen": 10,
                 "yuncheng": 5}
# County-level divisions by city (2020 administrative division); they sum to the plan's 117
# counties (Ch.2: 全省117个县(市、区)).
COUNTIES = {"taiyuan": 10, "datong": 10, "shuozhou": 6, "xinzhou": 14, "yangquan": 5,
            "lvliang": 13, "jinzhong": 11, "changzhi": 12, "jincheng": 6, "linfen": 17,
            "yuncheng": 13}
SOURCES = ("wage", "operating", "property", "transfer")


def city_shares(size_ratio: float) -> np.ndarray:
    """Share of each city's rural households living in a formerly poor county."""
    return np.array([min(1.0, size_ratio * POOR_COUNTIES[k] / COUNTIES[k])
                     for k in plan.CITY_KEYS])


class Poverty:
    """The formerly poor households' state and income accounts.

    Args:
        m: The model, after its 2020 calibration (``m.income`` holds the 2020 incomes).
    """

    def __init__(self, m):
        f, const = m.farmers, m.const
        rng = stream(m.seed, "init:poverty")
        share = city_shares(const["formerly_poor_county_size_ratio"])
        order = rng.permutation(f.n)  # one draw for all cities: flag the first k of each
        poor = np.zeros(f.n, bool)
        city = np.asarray(f.city)
        for c in range(len(plan.CITIES)):
            rows = order[city[order] == c]
            poor[rows[:int(round(share[c] * len(rows)))]] = True
        self.poor = poor
        # The accounts are kept for the flagged rows only (``rows``): at 1:1 scale a column
        # over all households is 37 MB, and the rest of the model never reads them.
        self.rows = np.flatnonzero(poor)
        self.w = np.asarray(f.weight)[self.rows]
        self.u_employed = rng.random(f.n)[self.rows]
        self.job_prev = np.asarray(f.job, float)[self.rows]
        self.transferred_wan = 0.0
        self.transferred_min_wan = np.inf
        self._calibrate(m)

    # ------------------------------------------------------------------ accounts
    def _parts(self, m):
        """Per flagged row, wage parts: surplus labour and its wage; processing-job wage.

        The same arithmetic as ``FarmerPopulation.incomes`` with the wages of ``m.env()``.
        """
        f, r, const = m.farmers, self.rows, m.const
        labourers, job = np.asarray(f.labourers)[r], np.asarray(f.job, float)[r]
        off = eq.off_farm_labour(f.land_operated[r], const["max_mu_per_labourer"], labourers,
                                 job)
        wage = m.accounts.wage * (1.0 + const["skill_premium"] * np.asarray(f.skill)[r])
        return off, off * wage, job * m.accounts.firm_wage()

    def _calibrate(self, m) -> None:
        """2020: off-farm employment and per-person offsets giving the sourced accounts."""
        f, const, r = m.farmers, m.const, self.rows
        inc = {s: m.income[s][r] for s in ("operating", "property", "transfer")}
        w = self.w
        self.persons = float(np.sum(w * np.asarray(f.persons)[r]))
        level = const["formerly_poor_income_ratio_2020"] * plan.PROVINCE.rural_income_2020_yuan
        shares = {"wage": const["formerly_poor_share_wage"],
                  "operating": const["formerly_poor_share_operating"],
                  "property": const["formerly_poor_share_property"]}
        shares["transfer"] = 1.0 - sum(shares.values())
        target = {s: shares[s] * level for s in SOURCES}
        _, off_wage, job_wage = self._parts(m)
        mean = lambda x: float(np.sum(w * x)) / self.persons  # noqa: E731
        # the share of surplus labour in off-farm work that gives the 2020 wage income
        self.e0 = float(np.clip((target["wage"] - mean(job_wage)) / max(mean(off_wage), 1e-9),
                                0.0, 1.0))
        self.employed = self.u_employed < self.e0
        wage_now = off_wage * self.employed + job_wage
        # the 2020 state is at rest: work lost each year equals work found at the 2020 rate
        h0 = m.uncertain["poor_offfarm_hire_rate"]
        self.separation = min(1.0, h0 * (1.0 - self.e0) / max(self.e0, 1e-9))
        self.offset = {"wage": target["wage"] - mean(wage_now)}
        # farm income keeps the model's heterogeneity, scaled to the 2020 level; property
        # income (rent received plus the per-person rest, which can be negative) can have a
        # mean near zero among the flagged rows, so it is shifted, not scaled: a ratio to a
        # near-zero mean blew up at coarse scales
        self.scale = {"operating": target["operating"] / max(mean(inc["operating"]), 1e-9)}
        self.offset["property"] = target["property"] - mean(inc["property"])
        pv0 = const["pv_income_2020_yi"] * 1e8 * const["pv_household_share"] / self.persons
        other = target["transfer"] - mean(inc["transfer"]) - pv0
        self.support_other0 = max(other, 0.0)  # poverty-specific support besides PV
        self.offset["transfer"] = min(other, 0.0)  # structural, not scaled by the lever
        self.pv0 = pv0
        self.support = 1.0
        self.pv_pp = pv0
        self.income = self._income(m, wage_now)

    def _income(self, m, wage_now) -> dict[str, np.ndarray]:
        """Income by source per household (yuan/yr) at this year's state."""
        r = self.rows
        persons = np.asarray(m.farmers.persons)[r]
        inc = {s: m.income[s][r] for s in ("operating", "property", "transfer")}
        idx_wage = m.accounts.wage / m.accounts.wage0
        # the lever scales the budget support; of the PV stations' revenue (fixed by their
        # capacity) at most all can be paid out, so the payout share is capped at its 2020 rule
        support = (self.support * self.support_other0 * m.accounts.transfer_growth
                   + min(self.support, 1.0) * self.pv_pp)
        return {"wage": wage_now + self.offset["wage"] * idx_wage * persons,
                "operating": inc["operating"] * self.scale["operating"],
                "property": inc["property"] + self.offset["property"] * idx_wage * persons,
                "transfer": inc["transfer"] + (self.offset["transfer"] * m.accounts.transfer_growth
                                               + support) * persons}

    # ------------------------------------------------------------------ yearly update
    def update(self, m, year: int) -> None:
        """End of year: off-farm work found and lost, labour transferred, support, incomes."""
        f, unc = m.farmers, m.uncertain
        off, off_wage, job_wage = self._parts(m)
        u = stream(m.seed, f"poverty:{year}").random(f.n)[self.rows]
        # off-farm openings reachable from formerly poor areas grow at poor_offfarm_job_growth
        hire = min(1.0, unc["poor_offfarm_hire_rate"]
                   * (1 + unc["poor_offfarm_job_growth"]) ** (year - plan.BASE_YEAR))
        keep = u >= self.separation
        hired = ~self.employed & (u < hire) & (off > 0)
        employed = np.where(self.employed, keep, hired)
        w = self.w
        job = np.asarray(f.job, float)[self.rows]
        job_gain = np.maximum(job - self.job_prev, 0.0)
        self.transferred_wan = float(np.sum(w * (off * hired + job_gain))) / 1e4
        self.transferred_min_wan = min(self.transferred_min_wan, self.transferred_wan)
        self.employed = employed
        self.job_prev = job
        yi = year - plan.YEARS[0]
        # support not delivered stays at its 2020 level (1)
        self.support = float(m.lever_or_2020("poverty_support_kept", yi, 1.0))
        # budget cost of support above (below: saving) its 2020 level, 亿元
        m.fiscal.charge("poverty_support", (self.support - 1.0) * self.support_other0
                        * m.accounts.transfer_growth * self.persons / 1e8)
        self.pv_pp = unc["pv_income_yi"] * 1e8 * m.const["pv_household_share"] / self.persons
        self.income = self._income(m, off_wage * employed + job_wage)

    # ------------------------------------------------------------------ outcomes
    def record(self, r: dict, m, year: int) -> None:
        """The year's poverty outcomes into the recorder row ``r``."""
        f, u = m.farmers, m.uncertain
        n = year - plan.BASE_YEAR
        w = self.w
        total = sum(self.income[s] for s in SOURCES)
        level = float(np.sum(w * total)) / self.persons
        r["poor_area_income"] = level
        for s in SOURCES:
            r[f"poor_area_income_{s}"] = float(np.sum(w * self.income[s])) / self.persons
        if n == 0:
            self.level0 = level
        g = (level / self.level0) ** (1 / max(n, 1)) - 1
        g_nat = national.rural_income_growth(m.national_levels, u["national_rural_income_growth"],
                                             year, u["covid_2020_shortfall"])  # realised since 2020
        r["poor_area_income_growth_gap"] = (g - g_nat) if n else 0.0
        line = m.const["poverty_line_yuan_2020"] * (1 + m.const["poverty_line_indexation"]) ** n
        below = total / np.asarray(f.persons)[self.rows] < line
        share = float(np.sum(w * below) / np.sum(w))
        r["poverty_return_share"] = share
        r["poverty_consolidated_share"] = 1.0 - share
        r["formerly_poor_household_share"] = float(np.sum(w) / np.sum(f.weight))
        r["poor_offfarm_employment"] = float(np.sum(w * self.employed) / np.sum(w))
        r["poor_labour_transferred_wan"] = self.transferred_wan if n else 0.0
        r["poor_labour_transferred_min_wan"] = self.transferred_min_wan if n else 0.0
        r["pv_income_yi"] = u["pv_income_yi"] if n else m.const["pv_income_2020_yi"]
