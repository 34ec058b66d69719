"""Trading platforms (plan Ch.5 §3): the Mesa agent, initialisation and cold-chain coverage."""

from __future__ import annotations

import mesa
import numpy as np

from sim.model import equations as eq
from sim.model import plan
from sim.model.params import BY_NAME, expand

NC, NK, NP = len(plan.CITIES), len(plan.CLUSTERS), len(plan.PLATFORMS)


class Platform(mesa.Agent):
    """A trading platform (Ch.5 §3): trade capacity, cold-chain storage, fees.

    Args:
        model: The model.
        index: Platform index in ``sim.model.plan.PLATFORMS``.
        volume_2020_wan_t: Trade volume in 2020.
        capacity_wan_t: Trade capacity in 2020.
        cold_wan_t: Cold-chain storage in 2020.
        unit_value_yuan_per_t: Value per tonne traded at 2020 prices.
        cold_coverage_2020: Share of perishable throughput with cold storage in 2020.
    """

    def __init__(self, model: mesa.Model, index: int, volume_2020_wan_t: float,
                 capacity_wan_t: float, cold_wan_t: float, unit_value_yuan_per_t: float,
                 cold_coverage_2020: float):
        super().__init__(model)
        self.index = index
        self.volume_2020_wan_t = volume_2020_wan_t
        self.capacity_wan_t = capacity_wan_t
        self.cold_wan_t = cold_wan_t
        self.cold_2020_wan_t = cold_wan_t
        self.unit_value_yuan_per_t = unit_value_yuan_per_t
        self.cold_coverage_2020 = cold_coverage_2020
        self.volume_wan_t = volume_2020_wan_t
        self.value_yi_yuan = volume_2020_wan_t * unit_value_yuan_per_t / 1e4
        self.fees_yi_yuan = 0.0
        self.spoilage = 0.0

    def coverage(self, throughput_index: float) -> float:
        """Share of perishable throughput with cold storage (capped at 1)."""
        return float(min(1.0, self.cold_coverage_2020 * (self.cold_wan_t / self.cold_2020_wan_t)
                         / max(throughput_index, 1e-9)))

    def add_cold_storage(self, wan_t: float) -> None:
        """Commission new cold-chain storage."""
        self.cold_wan_t += wan_t

    def trade(self, demand_index: float, price_index: float, spoilage_2020: float,
              spoilage_elasticity: float, fee_rate: float, capex_yuan_per_t: float) -> None:
        """One year of trade: volume, value, spoilage, fees and capacity reinvestment.

        Args:
            demand_index: Output of the clusters it serves relative to 2020.
            price_index: Price index of what it trades.
            spoilage_2020: Spoilage at 2020 coverage.
            spoilage_elasticity: How fast spoilage falls with coverage.
            fee_rate: Fee on value traded.
            capex_yuan_per_t: Investment per tonne of annual capacity.
        """
        wanted = self.volume_2020_wan_t * demand_index
        self.volume_wan_t = min(wanted, self.capacity_wan_t)
        cov = self.coverage(self.volume_wan_t / self.volume_2020_wan_t)
        self.spoilage = float(eq.spoilage(cov, spoilage_2020, self.cold_coverage_2020,
                                          spoilage_elasticity))
        keep = (1.0 - self.spoilage) / (1.0 - spoilage_2020)
        self.value_yi_yuan = (self.volume_wan_t * self.unit_value_yuan_per_t * price_index
                              * keep / 1e4)
        self.fees_yi_yuan = fee_rate * self.value_yi_yuan
        # Half the fees are reinvested in trade capacity; capacity also follows demand
        # pressure, as the plan's platform build-out intends.
        self.capacity_wan_t += 0.5 * self.fees_yi_yuan * 1e8 / capex_yuan_per_t / 1e4


def init_platforms(m) -> None:
    """The five platforms at their 2020 volume, capacity and cold storage."""
    # 2020 storage split across platforms like the plan's own build-out schedule (the
    # declared default), so the 2020 state does not depend on a scenario's future levers.
    schedule = BY_NAME["cold_chain_new_capacity_wan_t"]
    cold_share = expand(schedule, schedule.default).sum(axis=1)
    cold_share = cold_share / cold_share.sum() if cold_share.sum() > 0 else np.full(NP, 1 / NP)
    m.platforms = []
    for i, p in enumerate(plan.PLATFORMS):
        v0 = m.uncertain["platform_2020_fraction"] * p.target_volume_wan_t
        unit = ((p.target_value_yi_yuan * 1e4 / p.target_volume_wan_t)
                if p.target_value_yi_yuan else m.const["grain_unit_value_yuan_per_t"])
        m.platforms.append(Platform(
            m, i, v0, v0 * m.const["platform_capacity_headroom"],
            m.uncertain["cold_chain_2020_wan_t"] * cold_share[i], unit,
            m.const["cold_coverage_2020"]))
    m.cold_2020_wan_t = sum(p.cold_wan_t for p in m.platforms)


def cluster_coverage(m) -> np.ndarray:
    """Cold-chain coverage seen by each cluster: mean over the platforms serving it."""
    cov = np.full(NK, m.const["cold_coverage_2020"])
    for ki, c in enumerate(plan.CLUSTERS):
        ps = [p for p in m.platforms if c.key in plan.PLATFORMS[p.index].clusters]
        if ps:
            cov[ki] = np.mean([p.coverage(p.volume_wan_t / p.volume_2020_wan_t)
                               for p in ps])
    return cov


def trade_all(m) -> None:
    """Q4: each platform trades the output of the clusters it serves."""
    out_idx = m.output_q / m.base_output
    for p in m.platforms:
        served = [plan.CLUSTER_KEYS.index(k) for k in plan.PLATFORMS[p.index].clusters]
        w = m.base_output[served]
        p.trade(float(np.sum(out_idx[served] * w) / w.sum()),
                float(np.mean(m.price[served])), m.const["spoilage_2020"],
                m.const["spoilage_elasticity"], m.const["platform_fee_rate"],
                m.const["platform_capex_yuan_per_t"])
