"""The Monte Carlo batch as users know it: run (resumable), then the P(met) summary.

:mod:`sim.run.batch` runs replicates into the store; this module adds the statistics a
batch is read by (``summary.parquet``: P(met) per target with its Wilson interval) and the
``--until-ci`` rule, which doubles a batch until every interval is narrow enough.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.analysis.stats import summarise
from sim.model.outcomes import TARGETS
from sim.model.plan import BASE_YEAR
from sim.model.rng import DEFAULT_SEED
from sim.run.batch import prepare, run_batch
from sim.run.evaluators import Evaluator
from sim.run.store import BatchLock, atomic_parquet, units_metadata

SUMMARY_FIELDS = {
    "target": {"unit": "", "description": "target name (sim.model.outcomes.TARGETS)"},
    "group": {"unit": "", "description": "group of targets the tables print together"},
    "metric": {"unit": "", "description": "the metric the target reads (replicates: out.METRIC)"},
    "label_en": {"unit": "", "description": "the target in English"},
    "label_zh": {"unit": "", "description": "the target in Chinese"},
    "unit": {"unit": "", "description": "unit of threshold, median, q05 and q95"},
    "section": {"unit": "", "description": "where the plan sets the target"},
    "threshold": {"unit": "see unit column", "description": "met when 2025 metric >= this"},
    "n": {"unit": "replicates", "description": "replicates the row is computed from"},
    "met": {"unit": "replicates", "description": "replicates that met the target"},
    "p_met": {"unit": "probability", "description": "share of replicates that met the target"},
    "p_lo": {"unit": "probability", "description": "95% Wilson interval of p_met, low end"},
    "p_hi": {"unit": "probability", "description": "95% Wilson interval of p_met, high end"},
    "median": {"unit": "see unit column", "description": "median of the 2025 metric"},
    "q05": {"unit": "see unit column", "description": "5% quantile of the 2025 metric"},
    "q95": {"unit": "see unit column", "description": "95% quantile of the 2025 metric"},
}


def write_summary(folder: Path, summary: pd.DataFrame) -> None:
    """Write ``summary.parquet`` with its columns described."""
    atomic_parquet(summary, Path(folder) / "summary.parquet", SUMMARY_FIELDS,
                   units_metadata(SUMMARY_FIELDS, summary.columns))


def widest_half_width(summary: pd.DataFrame) -> float:
    """The largest 95% half-width of P(met) over the targets."""
    return float(((summary["p_hi"] - summary["p_lo"]) / 2).max())


def start_rows(folder: Path) -> pd.DataFrame | None:
    """The 2020 rows of a batch's trajectories (for the "already met in 2020" flags)."""
    path = Path(folder) / "trajectories.parquet"
    if not path.is_file():
        return None
    metrics = sorted({t.metric for t in TARGETS})
    return pd.read_parquet(path, filters=[("year", "==", BASE_YEAR), ("metric", "in", metrics)])


def run(folder: Path, manifest: dict, evaluator: Evaluator, flush_every: int = 25,
        until_ci: float | None = None, max_replicates: int = 20000,
        on_stop: Callable[[float, int, bool], None] | None = None,
        note: Callable[[str], None] | None = None) -> dict:
    """Run (or finish) a batch and write its summary; returns the tables and manifest.

    With ``until_ci``, the batch is doubled (same seeds, resumed) until every target's 95%
    half-width is at most ``until_ci`` or ``max_replicates`` is reached; ``on_stop`` is
    told (widest half-width, replicates, whether the goal was reached). The folder stays
    locked throughout (``note`` hears of a stale lock taken over); the summary is written
    before the batch is marked complete.
    """
    folder = Path(folder)
    with BatchLock(folder, note=note):
        return _run(folder, manifest, evaluator, flush_every, until_ci, max_replicates,
                    on_stop)


def _run(folder, manifest, evaluator, flush_every, until_ci, max_replicates, on_stop) -> dict:
    def finish(tables: dict) -> None:
        tables["summary"] = summarise(tables["replicates"], start_rows(folder))
        write_summary(folder, tables["summary"])

    while True:
        tables = run_batch(folder, manifest, evaluator, flush_every=flush_every,
                           finish=finish)
        if until_ci is None:
            return tables
        widest = widest_half_width(tables["summary"])
        n_now = int(tables["manifest"]["replicates"])
        if widest <= until_ci or n_now >= max_replicates:
            if on_stop is not None:
                on_stop(widest, n_now, widest <= until_ci)
            return tables
        m = tables["manifest"]
        manifest = prepare(folder, m["scenario"], m["source"], min(2 * n_now, max_replicates),
                           m["root_seed"], m["households_per_agent"], resume=True)


def run_scenario(scenario: dict | str, folder: str | Path, replicates: int | None = None,
                 seed: int = DEFAULT_SEED, evaluator: Evaluator | None = None,
                 households_per_agent: int | None = None, resume: bool = False) -> dict:
    """Library shortcut: load a scenario, run a batch into ``folder``, return the tables."""
    from sim.config.scenario import load
    scn = load(scenario) if isinstance(scenario, str) else scenario
    n = replicates or scn["settings"]["replicates"]
    hpa = households_per_agent or scn["settings"]["households_per_agent"]
    manifest = prepare(Path(folder), scn, scenario if isinstance(scenario, str) else
                       scn["name"], n, seed, hpa, resume)
    with evaluator or Evaluator(progress=False) as ev:
        return run(Path(folder), manifest, ev)
