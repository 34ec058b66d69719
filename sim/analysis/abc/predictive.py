"""Prior and posterior predictive checks of the observed metrics."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.run.store import atomic_parquet


def predictive_check(base: dict, folder: Path, used: pd.DataFrame, n: int, seed: int,
                     hpa: int, evaluator=None) -> pd.DataFrame:
    """Prior and posterior predictive quantiles of the observed metrics (predictive.parquet).

    ``n`` replicates of each (seeds from ``seed``), on ``evaluator`` (None: serially).
    """
    from sim.run.posterior import attach
    metrics = list(dict.fromkeys(used["metric"]))
    post_scn = attach(base, folder)
    rows = []
    for label, scn in (("prior", base), ("posterior", post_scn)):
        traj = simulate_metrics(scn, metrics, n, seed, hpa, evaluator=evaluator)
        q = traj.groupby(["metric", "year"])["value"].quantile([0.05, 0.25, 0.5, 0.75, 0.95])
        q = q.unstack().reset_index()
        q.columns = ["metric", "year", "q05", "q25", "q50", "q75", "q95"]
        q.insert(0, "predictive", label)
        rows.append(q)
    table = pd.concat(rows, ignore_index=True)
    atomic_parquet(table, Path(folder) / "predictive.parquet")
    return table


def simulate_metrics(scn: dict, metrics: list[str], n: int, seed: int, hpa: int,
                     backend: str = "serial", workers: int = 1,
                     scheduler: str | None = None, evaluator=None) -> pd.DataFrame:
    """``n`` replicates of ``scn`` (seeds from ``seed``): long table replicate, metric, year.

    On ``evaluator`` when given, else on a new one of ``backend``.
    """
    from sim.model.rng import replicate_seeds
    from sim.run.evaluators import Evaluator
    seeds = replicate_seeds(seed, n)
    tasks = [(i, seeds[i]) for i in range(n)]
    if evaluator is None:
        with Evaluator(backend, workers, scheduler, hpa, progress=False) as ev:
            results = ev.run_all(tasks, scn)
    else:
        results = evaluator.run_all(tasks, scn)
    out = []
    for res in results:
        for y, row in res["trajectory"].items():
            out += [(res["index"], m, int(y), float(row[m])) for m in metrics]
    df = pd.DataFrame(out, columns=["replicate", "metric", "year", "value"])
    return df.sort_values(["replicate", "metric", "year"]).reset_index(drop=True)
