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


def run_sweep(folder: Path, exp: dict, manifest: dict, evaluator: Evaluator) -> pd.DataFrame:
    """Run every point; returns the long summary (point × target)."""
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / SWEEP_MANIFEST,
                       json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"))
    frames = []
    for pt in exp["points"]:
        pf = folder / "points" / pt["id"]
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
    summary = pd.concat(frames, ignore_index=True)
    atomic_parquet(summary, folder / "sweep_summary.parquet")
    manifest["status"] = "complete"
    atomic_write_bytes(folder / SWEEP_MANIFEST,
                       json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"))
    return summary


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
