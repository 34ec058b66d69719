"""Sweeps: run every point of an experiment into the results store, resumably."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sim.analysis.montecarlo import run as run_montecarlo
from sim.run.batch import BatchError, prepare
from sim.run.evaluators import Evaluator
from sim.run.store import SWEEP_MANIFEST, atomic_parquet, atomic_write_bytes


def sweep_key(exp: dict, replicates: int, hpa: int) -> dict:
    """What must match for a sweep folder to be resumed."""
    return {"name": exp["name"], "design": exp["design"], "factors": exp["factors"],
            "points": [{"id": p["id"], "name": p["name"], "values": p["values"]}
                       for p in exp["points"]],
            "root_seed": exp["seed"], "households_per_agent": hpa}


def prepare_sweep(folder: Path, exp: dict, replicates: int, hpa: int, resume: bool) -> dict:
    """Check the sweep folder; returns the sweep manifest (nothing written)."""
    key = sweep_key(exp, replicates, hpa)
    path = folder / SWEEP_MANIFEST
    if path.is_file():
        old = json.loads(path.read_text(encoding="utf-8"))
        if {k: old.get(k) for k in key} != key:
            raise BatchError(f"{folder}: holds a different sweep; choose another --out")
        if not resume:
            raise BatchError(f"{folder}: already holds this sweep; pass --resume to continue "
                             "or extend it, or choose another --out")
        old["replicates"] = max(int(old["replicates"]), replicates)
        return old
    if folder.exists() and any(folder.iterdir()):
        raise BatchError(f"{folder}: the folder is not empty and holds no sweep; choose "
                         "another --out")
    return {**key, "source": exp["source"], "scenario": exp["scenario"],
            "replicates": replicates}


class _Counted:
    """An evaluator whose results also advance the sweep's one progress bar.

    Every other attribute is the wrapped evaluator's; its own per-call bar is off while
    the sweep runs, so the terminal shows one bar over all points' replicates, whose rate
    and ETA are the sweep's.
    """

    def __init__(self, evaluator: Evaluator, bar):
        self._evaluator = evaluator
        self._bar = bar

    def map(self, *args, **kwargs):
        for res in self._evaluator.map(*args, **kwargs):
            self._bar.update(1)
            if "error" in res:
                self._bar.set_postfix(failed=self._evaluator.failed)
            yield res

    def __getattr__(self, name):
        return getattr(self._evaluator, name)


def _stored(point_folder: Path, replicates: int) -> int:
    """Replicates a point's folder already holds (done or failed), at most ``replicates``."""
    from sim.run.store import StoreError, read_manifest
    try:
        m = read_manifest(point_folder) or {}
    except (OSError, StoreError, ValueError):
        return 0
    return min(int(m.get("done", 0)) + int(m.get("failed", 0)), replicates)


def run_sweep(folder: Path, exp: dict, manifest: dict, evaluator: Evaluator) -> pd.DataFrame:
    """Run every point; returns the long summary (point × target).

    With the evaluator's progress on, one bar counts every point's replicates (those a
    resumed sweep already holds count as done), so its estimate is the whole sweep's.
    """
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / SWEEP_MANIFEST,
                       json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"))
    n = int(manifest["replicates"])
    bar, ev = None, evaluator
    if evaluator.progress:
        from tqdm import tqdm
        done = sum(_stored(folder / "points" / pt["id"], n) for pt in exp["points"])
        bar = tqdm(total=n * len(exp["points"]), initial=done, unit="rep",
                   desc=f"{exp['name']} ({len(exp['points'])} points)", dynamic_ncols=True,
                   maxinterval=float("inf"))
        evaluator.progress = False
        ev = _Counted(evaluator, bar)
    try:
        frames = _run_points(folder, exp, manifest, ev, bar)
    finally:
        if bar is not None:
            bar.close()
            evaluator.progress = True
    summary = pd.concat(frames, ignore_index=True)
    atomic_parquet(summary, folder / "sweep_summary.parquet")
    manifest["status"] = "complete"
    atomic_write_bytes(folder / SWEEP_MANIFEST,
                       json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"))
    return summary


def _run_points(folder: Path, exp: dict, manifest: dict, evaluator, bar) -> list:
    frames = []
    for pt in exp["points"]:
        pf = folder / "points" / pt["id"]
        if bar is not None:
            bar.set_postfix_str(f"point {pt['id']}: {pt['name']}"[:60])
        m = prepare(pf, pt["scenario"], exp["source"], manifest["replicates"],
                    manifest["root_seed"], manifest["households_per_agent"], resume=True)
        m["point"] = {"id": pt["id"], "name": pt["name"], "values": pt["values"]}
        tables = run_montecarlo(pf, m, evaluator)
        s = tables["summary"].copy()
        s.insert(0, "point", pt["id"])
        s.insert(1, "point_name", pt["name"])
        for k in exp["factors"]:
            v = pt["values"].get(k)
            s[f"factor.{k}"] = v if isinstance(v, int | float) else str(v)
        frames.append(s)
    return frames


def load_sweep(folder: str | Path) -> dict:
    """Load a sweep folder: its manifest and long summary."""
    folder = Path(folder)
    path = folder / SWEEP_MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: no {SWEEP_MANIFEST}; not a sweep folder")
    out = {"manifest": json.loads(path.read_text(encoding="utf-8"))}
    s = folder / "sweep_summary.parquet"
    out["summary"] = pd.read_parquet(s) if s.is_file() else pd.DataFrame()
    return out


def varying_targets(summary: pd.DataFrame, k: int = 6) -> list[str]:
    """The targets whose P(met) varies most across points (ties: plan order)."""
    spread = summary.groupby("target", sort=False)["p_met"].agg(lambda x: x.max() - x.min())
    ordered = spread.sort_values(ascending=False, kind="stable")
    top = [t for t in ordered.index[:k] if ordered[t] > 0]
    return top or ["output_total"]
