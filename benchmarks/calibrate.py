"""Cost of ``clustersim calibrate`` (and optionally ``backtest``) with default settings.

Usage::

    python benchmarks/calibrate.py                        # data/observed/shanxi.csv if present
    python benchmarks/calibrate.py --observed FILE        # another observed file
    python benchmarks/calibrate.py --backtest             # also the default backtest
    python benchmarks/calibrate.py --quick                # tiny settings: a smoke test

Without an observed file it simulates one: a plan replicate (seed 424242, 1:1000) recorded
for the metrics the issue lists, 2020-2024, written to ``<out>/simulated_observed.csv`` and
marked as simulated. That measures cost only; it says nothing about fit to real data.

Writes ``<out>/calibrate-benchmark.json`` and prints it. The load average at start and end
is recorded: on a shared machine, other work slows every figure. With ``--backend serial``
the CPU seconds of this process are the whole cost, whatever else the machine is doing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from sim.analysis.calibrate import DEFAULTS, calibrate
from sim.analysis.observed import read_observed, write_observed
from sim.config.scenario import load
from sim.run.replicate import run_replicate

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "data" / "observed" / "shanxi.csv"
SIMULATED_METRICS = {  # metric: quality, shaped like issue #10's list
    "rural_income": "S", "rural_income_wage": "S", "rural_income_operating": "S",
    "rural_income_transfer": "S", "national_rural_income": "S", "processing_output": "M",
    "output_total": "M", "output_brewing": "S", "primary_va": "S", "agri_output": "S",
    "grain": "S", "cold_chain_total": "W", "land_transferred_share": "W", "coops": "M",
    "volume_platforms": "W"}


def simulated_observed(path: Path) -> Path:
    """A plan replicate's trajectory as an observed file (cost measurement only)."""
    r = run_replicate(load("plan"), 424242, households_per_agent=1000)
    rows = [{"metric": m, "year": y, "value": round(r["trajectory"][y][m], 4), "quality": q,
             "source": "SIMULATED: plan replicate, seed 424242, 1:1000 (benchmark input)"}
            for m, q in SIMULATED_METRICS.items() for y in range(2020, 2025)]
    write_observed(pd.DataFrame(rows), path,
                   "SIMULATED by benchmarks/calibrate.py - not observations")
    return path


def replicate_seconds(hpa: int, n: int = 20) -> float:
    """Mean seconds of one replicate at the scale (after one warm-up)."""
    scn = load("plan")
    run_replicate(scn, 0, households_per_agent=hpa)
    t = time.perf_counter()
    for s in range(1, n + 1):
        run_replicate(scn, s, households_per_agent=hpa)
    return (time.perf_counter() - t) / n


def cpu_seconds() -> float:
    """User + system CPU seconds of this process (all work when the backend is serial)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    """Run the measurements and write the JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--observed", default=None)
    p.add_argument("--out", default="results/bench-calibrate")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--backend", default=None, choices=("serial", "processes", "dask"))
    p.add_argument("--backtest", action="store_true")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    obs_path = Path(a.observed) if a.observed else (
        SHIPPED if SHIPPED.is_file() else simulated_observed(out / "simulated_observed.csv"))
    obs = read_observed(obs_path)
    backend = a.backend or ("processes" if a.workers > 1 else "serial")
    hpa = DEFAULTS["households_per_agent"]
    small = {"population": 12, "generations": 1, "screen_n": 16, "max_params": 2,
             "predictive": 4} if a.quick else {}
    shown = {("screen" if k == "screen_n" else k): v for k, v in small.items()}
    rec: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
                 "machine": f"{platform.processor() or platform.machine()}, "
                            f"{os.cpu_count()} cores",
                 "load_average_start": os.getloadavg()[0], "observed": str(obs_path),
                 "rows": len(obs), "backend": backend, "workers": a.workers,
                 "households_per_agent": hpa, "settings": {**DEFAULTS, **shown}}
    rec["replicate_seconds"] = round(replicate_seconds(hpa, 3 if a.quick else 20), 4)
    folder = out / "calibration"
    if folder.exists():
        import shutil
        shutil.rmtree(folder)
    t, cpu = time.perf_counter(), cpu_seconds()
    res = calibrate(load("plan"), obs, int(obs["year"].max()), folder, backend=backend,
                    workers=a.workers, progress=True, source=str(obs_path), **small)
    rec["calibrate_seconds"] = round(time.perf_counter() - t, 1)
    rec["calibrate_cpu_seconds_this_process"] = round(cpu_seconds() - cpu, 1)
    m = res["manifest"]
    rec.update({"simulations": m["simulations"], "generations": m["generations_done"],
                "stopped": m["stopped"], "final_epsilon": m["final_epsilon"],
                "factors": [f["name"] for f in m["factors"]],
                "rows_used": len(m["rows_used"])})
    if a.backtest:
        from sim.analysis.backtest import DEFAULT_ORIGINS, backtest
        bfolder = out / "backtest"
        if bfolder.exists():
            import shutil
            shutil.rmtree(bfolder)
        cal = {k: v for k, v in small.items() if k != "predictive"}
        t = time.perf_counter()
        bt = backtest(load("plan"), obs, list(DEFAULT_ORIGINS), bfolder, backend=backend,
                      workers=a.workers, progress=True, calibration=cal,
                      replicates=20 if a.quick else 200, source=str(obs_path))
        rec["backtest_seconds"] = round(time.perf_counter() - t, 1)
        rec["backtest_scored_rows"] = bt["manifest"]["scored_rows"]
    rec["load_average_end"] = os.getloadavg()[0]
    (out / "calibrate-benchmark.json").write_text(json.dumps(rec, indent=1))
    print(json.dumps(rec, indent=1))


if __name__ == "__main__":
    main()
