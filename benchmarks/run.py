"""Benchmarks for docs/performance.md: every figure measured in one run, where it runs.

Usage::

    python benchmarks/run.py                 # everything (about 10 minutes on 2 cores)
    python benchmarks/run.py --quick         # small sizes, for a smoke test
    python benchmarks/run.py --baseline DIR  # also: default replicate against a baseline tree

Writes ``<out>/benchmarks.csv`` (one row per measurement), ``<out>/scaling.png`` (log-log
cost against households and replicates) and prints the table. Ratios compare runs made in
this same invocation. Nothing here is asserted; see docs/performance.md for the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import mesa
import numpy as np

from sim.config.scenario import load
from sim.model.farmers import STATE, FarmerPopulation, ReferenceFarmers
from sim.run.replicate import build_model

TOTAL_HOUSEHOLDS = 4_670_000  # rural households the model represents at 1:1 (docs/ODD.md)


def farmer_round(pop, env, draws) -> None:
    """One annual round of the farmer rules: land sides, link choices, incomes."""
    pop.land_sides(env)
    pop.link_choices(env, *draws)
    pop.incomes(env)


def bench_farmers(n: int, repeat: int = 3) -> dict:
    """Vectorised vs per-object Mesa reference on the same n households and draws."""
    scn = load("plan")
    m = build_model(scn, 0, households_per_agent=250)
    src = m.farmers.state()
    idx = np.random.default_rng(0).integers(0, len(src["city"]), n)
    cols = {k: v[idx] for k, v in src.items()}
    m.farmers = FarmerPopulation(**cols)
    m.dividend = np.zeros(n)
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
    return {"benchmark": "farmer_round", "size": n, "seconds": t_vec, "reference_s": t_ref,
            "agent_steps_per_s": n / t_vec, "reference_agent_steps_per_s": n / t_ref,
            "ratio": t_ref / t_vec}


PEAK = """
def peak_mib():
    # VmHWM is this process's own high-water mark; ru_maxrss would include the parent's,
    # since Linux carries it across fork and exec.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

CHILD = PEAK + """
import json, sys, time
from sim.run.replicate import run_replicate
from sim.config.scenario import load
scn = load("plan")
hpa = int(sys.argv[1])
t0 = time.perf_counter()
r = run_replicate(scn, 1, households_per_agent=hpa)
dt = time.perf_counter() - t0
print(json.dumps({"seconds": dt, "peak_mib": peak_mib()}))
"""


def bench_replicate(hpa: int, label: str) -> dict:
    """One replicate in a fresh process: wall time and peak resident memory."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(hpa)], capture_output=True,
                         text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    households = int(round(TOTAL_HOUSEHOLDS / hpa))
    return {"benchmark": f"replicate_{label}", "size": households, "hpa": hpa, **r}


SERIES_CHILD = """
import json, sys, time
from sim import run_replicate
from sim.config.scenario import load
hpa, n = int(sys.argv[1]), int(sys.argv[2])
scn = load("plan")
run_replicate(scn, 0, households_per_agent=hpa)  # warm-up: imports, caches, allocator
t0 = time.perf_counter()
for seed in range(1, n + 1):
    run_replicate(scn, seed, households_per_agent=hpa)
print(json.dumps({"seconds": (time.perf_counter() - t0) / n}))
"""


def bench_against_baseline(baseline: Path, hpa: int, replicates: int, rounds: int) -> dict:
    """Cost of a replicate here against a baseline source tree, in the same run.

    ``baseline`` is a checkout of the commit the goal is stated against (for example
    ``git worktree add /tmp/base fcb26cd``). Each round runs ``replicates`` replicates
    after a warm-up in a fresh process per tree, the two trees alternating, so load on
    the machine falls on both; the ratio is of the median per-replicate times.
    """
    times: dict[str, list[float]] = {"baseline": [], "current": []}
    here = Path(__file__).resolve().parents[1]
    for _ in range(rounds):
        for name, tree in (("baseline", baseline), ("current", here)):
            env = dict(os.environ, PYTHONPATH=str(tree))
            out = subprocess.run([sys.executable, "-c", SERIES_CHILD, str(hpa),
                                  str(replicates)], capture_output=True, text=True,
                                 check=True, cwd=tree, env=env)
            times[name].append(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])
    base, cur = float(np.median(times["baseline"])), float(np.median(times["current"]))
    return {"benchmark": "replicate_vs_baseline", "size": int(round(TOTAL_HOUSEHOLDS / hpa)),
            "hpa": hpa, "seconds": cur, "baseline_s": base, "ratio": cur / base,
            "rounds": rounds, "replicates": replicates,
            "baseline_tree": str(baseline)}


def bench_throughput(replicates: int, workers: int) -> list[dict]:
    """Replicates per second on each backend; parallel efficiency against serial."""
    from sim.model.rng import replicate_seeds
    from sim.run.evaluators import Evaluator
    scn = load("plan")
    tasks = list(enumerate(replicate_seeds(1, replicates)))
    rows, base = [], None
    for backend, w in (("serial", 1), ("processes", workers), ("dask", workers)):
        t0 = time.perf_counter()
        with Evaluator(backend, w, progress=False) as ev:
            n = sum(1 for _ in ev.map(tasks, scn))
        dt = time.perf_counter() - t0
        rate = n / dt
        base = base or rate
        rows.append({"benchmark": f"throughput_{backend}", "size": n, "workers": w,
                     "seconds": dt, "replicates_per_s": rate,
                     "efficiency_vs_serial": rate / (base * w)})
    return rows


BATCH_CHILD = PEAK + """
import sys, time
from pathlib import Path
from sim.analysis.montecarlo import run
from sim.run.batch import prepare
from sim.run.evaluators import Evaluator
from sim.config.scenario import load
n, out = int(sys.argv[1]), Path(sys.argv[2])
scn = load("plan")
m = prepare(out, scn, "plan", n, 3, 1000, resume=False)
t0 = time.perf_counter()
run(out, m, Evaluator(progress=False))
print(time.perf_counter() - t0, peak_mib())
"""


def bench_batch_memory(sizes: list[int], tmp: Path) -> list[dict]:
    """Peak memory of a serial batch against its number of replicates (streamed store)."""
    import shutil
    rows = []
    for n in sizes:
        out = tmp / f"batch{n}"
        shutil.rmtree(out, ignore_errors=True)
        r = subprocess.run([sys.executable, "-c", BATCH_CHILD, str(n), str(out)],
                           capture_output=True, text=True, check=True)
        dt, mib = map(float, r.stdout.split()[-2:])
        rows.append({"benchmark": "batch_serial_1to1000", "size": n, "seconds": dt,
                     "peak_mib": mib})
    return rows


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    sc = sorted((r for r in rows if r["benchmark"].startswith("replicate_scale")),
                key=lambda r: r["size"])
    if sc:
        x = np.array([r["size"] for r in sc])
        y = np.array([r["seconds"] for r in sc])
        a.loglog(x, y, "o-", label="one replicate (20 quarters)")
        a.loglog(x, y[0] * x / x[0], ":", color="0.6", label="linear from the smallest")
        a.set_xlabel("simulated households")
        a.set_ylabel("wall time, s")
        a.legend(fontsize=8)
        a.set_title("Cost against households")
    bm = sorted((r for r in rows if r["benchmark"] == "batch_serial_1to1000"),
                key=lambda r: r["size"])
    if bm:
        x = np.array([r["size"] for r in bm])
        b.loglog(x, [r["seconds"] for r in bm], "o-", label="wall time, s")
        b.loglog(x, [r["peak_mib"] for r in bm], "s-", label="peak memory, MiB")
        b.set_xlabel("replicates (serial, 1 agent : 1000 households)")
        b.legend(fontsize=8)
        b.set_title("Cost against replicates")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", default="results/bench")
    ap.add_argument("--baseline", type=Path, metavar="DIR",
                    help="a checkout of the baseline commit (docs/performance.md names it): "
                    "time the default replicate there and here, alternating, and report "
                    "the ratio")
    a = ap.parse_args()
    if a.baseline is not None and not (a.baseline / "sim" / "__init__.py").is_file():
        ap.error(f"--baseline {a.baseline}: no sim/__init__.py there; give a checkout of "
                 "the project (git worktree add DIR COMMIT)")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    if a.quick:
        farmer_sizes, hpas, reps, batch_sizes = [300], [20000], 2, [2, 4]
    else:
        farmer_sizes = [10_000, 100_000, 1_000_000]
        hpas = [467, 156, 47, 16, 5, 2]  # 10k, 30k, 100k, 300k, 1M, 2.3M households
        reps, batch_sizes = 400, [25, 50, 100, 200, 400]
    # The per-object reference holds a million Mesa agents: measure it last, so processes
    # forked for the other benchmarks start from a small parent.
    rows = [bench_replicate(250 if not a.quick else 20000, "default")]
    if not a.quick:
        rows.append(bench_replicate(1, "1to1"))
    rows += [bench_replicate(h, "scale") for h in hpas]
    if a.baseline is not None:
        rows += [bench_against_baseline(a.baseline.resolve(), h, 3 if a.quick else 30,
                                        1 if a.quick else 2)
                 for h in ((20000,) if a.quick else (250, 1000))]
    rows += bench_throughput(reps, a.workers)
    rows += bench_batch_memory(batch_sizes, out)
    rows += [bench_farmers(n) for n in farmer_sizes]
    keys = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with open(out / "benchmarks.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    plot(rows, out / "scaling.png")
    for r in rows:
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()})
    print(f"wrote {out / 'benchmarks.csv'} and {out / 'scaling.png'}")


if __name__ == "__main__":
    main()
