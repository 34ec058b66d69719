"""Monte Carlo batches: replicates over seeds, run by an evaluator into the results store.

Each replicate is independent and computed from its own seed
(``SeedSequence(root).spawn``), so the tables do not depend on the backend, the number of
workers, or the order in which replicates finish. Finished replicates are streamed to the
store in chunks; nothing is held in memory beyond a chunk and the in-flight futures.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from sim import __version__
from sim.model.rng import replicate_seeds
from sim.run.evaluators import Evaluator
from sim.run.store import (
    ChunkWriter,
    consolidate,
    done_indices,
    git_commit,
    read_manifest,
    write_manifest,
)


class BatchError(ValueError):
    """A batch cannot start as asked (bad folder, mismatching resume); nothing was written."""


def batch_key(scenario: dict, root_seed: int, hpa: int) -> dict:
    """What must match for two runs to be the same batch."""
    return {"scenario": scenario, "root_seed": int(root_seed), "households_per_agent": hpa}


def prepare(folder: Path, scenario: dict, source: str, replicates: int, root_seed: int,
            hpa: int, resume: bool) -> dict:
    """Check the output folder and return the manifest to run with (nothing written yet)."""
    existing = read_manifest(folder)
    key = batch_key(scenario, root_seed, hpa)
    if existing is None:
        if folder.exists() and any(folder.iterdir()):
            raise BatchError(f"{folder}: the folder is not empty and holds no batch; "
                             "choose another --out")
        return {"name": scenario["name"], "source": source, **key,
                "replicates": replicates, "status": "new"}
    old = {k: existing.get(k) for k in key}
    if old != key:
        diff = [k for k in key if old[k] != key[k]]
        raise BatchError(f"{folder}: holds a different batch ({', '.join(diff)} differ); "
                         "choose another --out")
    if not resume:
        raise BatchError(f"{folder}: already holds this batch (status {existing['status']}); "
                         "pass --resume to continue or extend it, or choose another --out")
    existing["replicates"] = max(int(existing["replicates"]), replicates)
    return existing


def run_batch(folder: Path, manifest: dict, evaluator: Evaluator,
              flush_every: int = 25) -> dict:
    """Run (or finish) a batch into ``folder``; returns the stored tables.

    Returns ``{"replicates", "failures", "manifest"}`` (trajectories are streamed to
    ``trajectories.parquet``). The probability summary is an analysis of these tables:
    :func:`sim.analysis.montecarlo.run` adds it.

    Raises:
        KeyboardInterrupt: after saving what finished and marking the batch interrupted.
    """
    n = int(manifest["replicates"])
    seeds = replicate_seeds(manifest["root_seed"], n)
    folder.mkdir(parents=True, exist_ok=True)
    ok, _failed = done_indices(folder) if (folder / "chunks").is_dir() else (set(), set())
    todo = [(i, seeds[i]) for i in range(n) if i not in ok]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    used = evaluator.describe()
    manifest.update({
        "replicate_seeds": [str(s) for s in seeds], "package_version": __version__,
        "git_commit": git_commit(), "backend": used["backend"], "workers": used["workers"],
        "started": manifest.get("started") or now, "resumed": manifest.get("status") not in (
            None, "new"), "status": "running", "finished": None,
    })
    write_manifest(folder, manifest)
    writer = ChunkWriter(folder, flush_every=flush_every)
    t0 = time.perf_counter()
    try:
        for res in evaluator.map(todo, manifest["scenario"], desc=manifest["name"], unit="rep",
                                 total=n, initial=n - len(todo)):
            writer.add(res)
        writer.flush()
    except BaseException:
        writer.flush()
        manifest.update(status="interrupted",
                        finished=datetime.now(UTC).isoformat(timespec="seconds"))
        ok, failed = done_indices(folder)
        manifest.update(done=len(ok), failed=len(failed))
        write_manifest(folder, manifest)
        raise
    tables = consolidate(folder, n)
    elapsed = time.perf_counter() - t0
    manifest.update(status="complete" if len(tables["failures"]) == 0 else "complete_with_failures",
                    finished=datetime.now(UTC).isoformat(timespec="seconds"),
                    done=len(tables["replicates"]), failed=len(tables["failures"]),
                    seconds_this_run=round(elapsed, 3), replicates_run=len(todo))
    write_manifest(folder, manifest)
    tables["manifest"] = manifest
    return tables
