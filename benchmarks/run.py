"""Benchmarks: vectorised vs per-object farmer logic, and Monte Carlo throughput.

Usage: python benchmarks/run.py [--sizes 10000 100000] [--replicates 40] [--out results/bench]

Writes ``<out>/benchmarks.csv`` and prints the table. Ratios are measured in the same run,
on this machine; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

import mesa
import numpy as np

from sim.api import sample_uncertainties
from sim.farmers import STATE, FarmerPopulation, ReferenceFarmers
from sim.model import ClusterModel
from sim.scenario import load


def farmer_round(pop, env, draws):
    """One annual round of the farmer rules: land sides, link choices, incomes."""
    pop.land_sides(env)
    pop.link_choices(env, *draws)
    pop.incomes(env)


def bench_farmers(n: int, repeat: int = 3) -> dict:
    scn = load("plan")
    m = ClusterModel(scn, sample_uncertainties(scn, 0), 0, households_per_agent=1000)
    src = m.farmers.state()
    idx = np.random.default_rng(0).integers(0, len(src["city"]), n)
    cols = {k: v[idx] for k, v in src.items()}
    m.farmers = FarmerPopulation(**cols)
    env = m.env()
    draws = [np.random.default_rng(i).random(n) for i in range(3)]
    vec = FarmerPopulation(**cols)
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        farmer_round(vec, env, draws)
        t.append(time.perf_counter() - t0)
    t_vec = min(t)
    ref = ReferenceFarmers(mesa.Model(rng=0), **{k: cols[k] for k in STATE})
    t0 = time.perf_counter()
    farmer_round(ref, env, draws)
    t_ref = time.perf_counter() - t0
    return {"benchmark": "farmer_round", "size": n, "vectorised_s": t_vec,
            "reference_s": t_ref, "agent_steps_per_s_vectorised": n / t_vec,
            "agent_steps_per_s_reference": n / t_ref, "ratio": t_ref / t_vec}


def bench_throughput(replicates: int, workers: int) -> list[dict]:
    from sim.runner import EXECUTORS
    scn = load("plan")
    from sim.rng import replicate_seeds
    tasks = list(enumerate(replicate_seeds(1, replicates)))
    rows = []
    base = None
    for backend, w in (("serial", 1), ("processes", workers), ("dask", workers)):
        t0 = time.perf_counter()
        n = sum(1 for _ in EXECUTORS[backend](tasks, scn, None, w, None))
        dt = time.perf_counter() - t0
        rate = n / dt
        base = base or rate
        rows.append({"benchmark": f"replicates_{backend}", "size": w, "seconds": dt,
                     "replicates_per_s": rate, "efficiency_vs_serial": rate / base / w})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--replicates", type=int, default=40)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", default="results/bench")
    a = ap.parse_args()
    rows = [bench_farmers(n) for n in a.sizes]
    rows += bench_throughput(a.replicates, a.workers)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    keys = sorted({k for r in rows for k in r})
    with open(out / "benchmarks.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    for r in rows:
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()})


if __name__ == "__main__":
    main()
