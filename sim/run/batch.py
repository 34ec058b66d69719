"""Monte Carlo batches: replicates over seeds, run by an evaluator into the results store.

Each replicate is independent and computed from its own seed
(``SeedSequence(root).spawn``), so the tables do not depend on the backend, the number of
workers, or the order in which replicates finish. Finished replicates are streamed to the
store in chunks; nothing is held in memory beyond a chunk and the in-flight futures.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sim.config.version import __version__
from sim.model.rng import replicate_seeds
from sim.run.evaluators import Evaluator
from sim.run.store import (
    LOCK,
    TMP_PREFIX,
    BatchLock,
    ChunkWriter,
    StoreError,
    check_chunks,
    consolidate,
    done_indices,
    git_commit,
    open_chunks,
    read_manifest,
    write_manifest,
)

COMPLETE = ("complete", "complete_with_failures")


class BatchError(ValueError):
    """A batch cannot start as asked (bad folder, mismatching resume); nothing was written."""


def batch_key(scenario: dict, root_seed: int, hpa: int) -> dict:
    """What must match for two runs to be the same batch.

    Not the backend nor the number of workers: every replicate is computed from its own
    seed, so they do not change the results.
    """
    return {"scenario": scenario, "root_seed": int(root_seed), "households_per_agent": hpa}


def software_versions() -> dict:
    """Python and the libraries whose versions can change results, as recorded."""
    from importlib.metadata import PackageNotFoundError, version
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for dist in ("numpy", "pandas", "pyarrow", "mesa", "scipy", "dask", "distributed"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


def _holds_nothing(folder: Path) -> bool:
    """Whether the folder holds no batch and nothing else of anyone's.

    True when it is absent, empty, or holds only what a first run killed before its
    manifest leaves: the lock file, temporaries, an empty chunk folder.
    """
    if not folder.exists():
        return True
    for p in folder.iterdir():
        if p.name == LOCK or p.name.startswith(TMP_PREFIX):
            continue
        if p.is_dir() and p.name in ("_chunks", "chunks") and not any(
                not q.name.startswith(TMP_PREFIX) for q in p.iterdir()):
            continue
        return False
    return True


def prepare(folder: Path, scenario: dict, source: str, replicates: int, root_seed: int,
            hpa: int, resume: bool) -> dict:
    """Check the output folder and return the manifest to run with (nothing written yet).

    The same batch (scenario, root seed and scale; backend and workers do not matter) may
    be run again: a complete batch is extended when more replicates are asked for, and
    otherwise has nothing to do (see :func:`nothing_to_do`). A batch that did not finish
    continues only with ``resume``. A different batch is refused.

    Raises:
        BatchError: the folder holds something else, or an unfinished batch without
            ``resume``, or its manifest is unreadable.
    """
    if folder.exists() and not folder.is_dir():
        raise BatchError(f"{folder}: exists and is not a folder; choose another --out")
    try:
        existing = read_manifest(folder)
    except StoreError as e:
        raise BatchError(f"{e}; choose another --out, or remove the folder") from None
    key = batch_key(scenario, root_seed, hpa)
    if existing is None:
        if not _holds_nothing(folder):
            raise BatchError(f"{folder}: the folder is not empty and holds no batch; "
                             "choose another --out")
        return {"name": scenario["name"], "source": source, **key,
                "replicates": replicates, "status": "new"}
    old = {k: existing.get(k) for k in key}
    if old != key:
        diff = [k for k in key if old[k] != key[k]]
        raise BatchError(f"{folder}: holds a different batch ({', '.join(diff)} differ); "
                         "choose another --out")
    if existing.get("status") not in COMPLETE and not resume:
        raise BatchError(f"{folder}: holds this batch unfinished (status "
                         f"{existing.get('status')}, {existing.get('done', 0)} of "
                         f"{existing.get('replicates')} replicates); pass --resume to "
                         "continue it, or choose another --out")
    existing["replicates"] = max(int(existing["replicates"]), replicates)
    return existing


def settle_interrupted(folder: Path) -> None:
    """Mark a manifest left "running" as "interrupted" (call with the folder's lock held).

    For an interruption that came outside a run's own handling (between taking the lock
    and starting, say).
    """
    try:
        m = read_manifest(folder)
    except StoreError:
        return
    if m is not None and m.get("status") == "running":
        m.update(status="interrupted", finished=_now())
        write_manifest(folder, m)


def nothing_to_do(manifest: dict, replicates: int, resume: bool) -> bool:
    """Whether a prepared batch is already complete as asked: no replicate to run.

    True for a complete batch holding at least ``replicates``, and for one complete with
    failures unless ``resume`` asks to retry them.
    """
    status = manifest.get("status")
    if status not in COMPLETE or int(manifest.get("done", 0)) + int(
            manifest.get("failed", 0)) < replicates:
        return False
    return status == "complete" or not resume


def run_batch(folder: Path, manifest: dict, evaluator: Evaluator, flush_every: int = 25,
              finish: Callable[[dict], None] | None = None,
              note: Callable[[str], None] | None = None) -> dict:
    """Run (or finish) a batch into ``folder``; returns the stored tables.

    Returns ``{"replicates", "failures", "manifest"}`` (trajectories are streamed to
    ``trajectories.parquet``). The probability summary is an analysis of these tables:
    :func:`sim.analysis.montecarlo.run` adds it through ``finish``, which is called with
    the tables before the batch is marked complete. The folder is locked while it runs
    (:class:`~sim.run.store.BatchLock`; ``note`` hears of a stale lock taken over).

    Raises:
        KeyboardInterrupt: after saving what finished and marking the batch interrupted.
        OSError: (a full disk) likewise, with the error in the manifest.
        LockedError: another live run is writing the folder; nothing was written.
    """
    with BatchLock(folder, note=note):
        return _run_locked(folder, manifest, evaluator, flush_every, finish)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _run_locked(folder: Path, manifest: dict, evaluator: Evaluator, flush_every: int,
                finish: Callable[[dict], None] | None) -> dict:
    open_chunks(folder)
    check_chunks(folder)  # an unreadable chunk: set aside and said before anything changes
    n = int(manifest["replicates"])
    seeds = replicate_seeds(manifest["root_seed"], n)
    resumed = manifest.get("status") not in (None, "new")
    this_run = {"started": _now(), "argv": sys.argv[1:], "replicates": n}
    manifest.update({
        "replicate_seeds": [str(s) for s in seeds], "package_version": __version__,
        "git_commit": git_commit(), "versions": software_versions(),
        "started": manifest.get("started") or this_run["started"], "resumed": resumed,
        "status": "running", "finished": None,
    })
    manifest.pop("error", None)
    manifest.pop("error_while_saving", None)
    manifest.setdefault("runs", []).append(this_run)
    todo: list = []
    writer: ChunkWriter | None = None
    t0 = time.perf_counter()

    def record_use() -> None:
        used = evaluator.describe()
        this_run.update(replicates_run=len(todo), backend=used["backend"],
                        workers=used["workers"])
        if todo:  # the backend that computed replicates (unchanged when none ran)
            manifest.update(backend=used["backend"], workers=used["workers"])
        manifest.setdefault("backend", used["backend"])
        manifest.setdefault("workers", used["workers"])

    try:
        write_manifest(folder, manifest)
        ok, _failed = done_indices(folder)
        todo = [(i, seeds[i]) for i in range(n) if i not in ok]
        writer = ChunkWriter(folder, flush_every=flush_every)
        for res in evaluator.map(todo, manifest["scenario"], desc=manifest["name"], unit="rep",
                                 total=n, initial=n - len(todo)):
            writer.add(res)
        writer.flush()
        tables = consolidate(folder, n)
        if finish is not None:
            finish(tables)
    except BaseException as e:
        _mark_interrupted(folder, manifest, writer, e, record_use, this_run)
        raise
    record_use()
    elapsed = time.perf_counter() - t0
    status = "complete" if len(tables["failures"]) == 0 else "complete_with_failures"
    manifest.update(status=status, finished=_now(), done=len(tables["replicates"]),
                    failed=len(tables["failures"]), seconds_this_run=round(elapsed, 3),
                    replicates_run=len(todo))
    this_run.update(status=status, finished=manifest["finished"])
    write_manifest(folder, manifest)
    tables["manifest"] = manifest
    return tables


def _mark_interrupted(folder: Path, manifest: dict, writer: ChunkWriter | None,
                      error: BaseException,
                      record_use: Callable[[], None], this_run: dict) -> None:
    """Save what finished and mark the batch interrupted, as far as the disk allows.

    A second failure here (the disk is still full) must not hide the first one, so it is
    recorded, not raised; the chunks already written stay the durable record.
    """
    problems = []
    try:
        if writer is not None:
            writer.flush()
    except (OSError, KeyboardInterrupt) as e2:
        problems.append(f"unsaved replicates will run again on resume ({e2})")
    try:
        record_use()
        ok, failed = done_indices(folder)
        manifest.update(done=len(ok), failed=len(failed))
    except (OSError, ValueError) as e2:  # unreadable chunk: counts stay as they were
        problems.append(str(e2))
    manifest.update(status="interrupted", finished=_now())
    if not isinstance(error, KeyboardInterrupt):
        manifest["error"] = f"{type(error).__name__}: {error}"
    if problems:
        manifest["error_while_saving"] = "; ".join(problems)
    this_run.update(status="interrupted", finished=manifest["finished"])
    try:
        write_manifest(folder, manifest)
    except OSError as e2:
        error.add_note(f"the manifest could not be marked interrupted: {e2}")
