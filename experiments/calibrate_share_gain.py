"""Re-derive ``shanxi_share_gain`` in the open (no_new_policy at the 2015-2020 pace).

The value at which the no_new_policy scenario's median ten-cluster output grows at the
2015-2020 pace of processing output. The target is the plan's own history (Ch.1 §1:
processing output grew 8.2%/yr over 2015-2020, to 2186 亿), not a post-2020 observation;
post-2020 data are for ``clustersim calibrate``. Bisection on the median CAGR 2020-25 over
the same replicate seeds at every step (common random numbers), with the share gain pinned
and every other uncertainty drawn.

    python experiments/calibrate_share_gain.py            # 60 replicates, 1:1000
"""

from __future__ import annotations

import argparse

import numpy as np

from sim.config.scenario import derive, load
from sim.model.rng import replicate_seeds
from sim.run.replicate import run_replicate

TARGET_CAGR = 0.082     # plan Ch.1 §1: processing output +8.2%/yr over 2015-2020


def median_cagr(gain: float, n: int, hpa: int, seed: int) -> float:
    """Median 2020-25 CAGR of the ten-cluster output of no_new_policy at ``gain``."""
    scn = derive(load("no_new_policy"), {"uncertainties.shanxi_share_gain": gain})
    g = []
    for s in replicate_seeds(seed, n):
        t = run_replicate(scn, int(s), households_per_agent=hpa)["trajectory"]
        g.append((t[2025]["output_total"] / t[2020]["output_total"]) ** (1 / 5) - 1)
    return float(np.median(g))


def main() -> None:
    """Bisect and print each step."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=60)
    p.add_argument("--hpa", type=int, default=1000)
    p.add_argument("--seed", type=int, default=20210820)
    p.add_argument("--steps", type=int, default=8)
    a = p.parse_args()
    lo, hi = 0.0, 0.04
    print(f"target median CAGR {TARGET_CAGR:.4f} (plan Ch.1 §1, 2015-2020)")
    for _ in range(a.steps):
        mid = (lo + hi) / 2
        c = median_cagr(mid, a.n, a.hpa, a.seed)
        print(f"  shanxi_share_gain {mid:.5f}: median CAGR {c:.4f}", flush=True)
        lo, hi = (mid, hi) if c < TARGET_CAGR else (lo, mid)
    print(f"shanxi_share_gain ~ {(lo + hi) / 2:.4f}")


if __name__ == "__main__":
    main()
