"""Monte Carlo batches: replicates over seeds, on serial, process or Dask backends.

Each replicate is independent and computed from its own seed
(``SeedSequence(root).spawn``), so the tables do not depend on the backend, the number of
workers, or the order in which replicates finish. Finished replicates are streamed to the
store in chunks; nothing is held in memory beyond a chunk and the in-flight futures.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from datetime import UTC, datetime
from pathlib import Path

from sim import __version__
from sim.model.rng import replicate_seeds
from sim.run.store import (
    ChunkWriter,
    consolidate,
    done_indices,
    git_commit,
    read_manifest,
    write_manifest,
)

BACKENDS = ("serial", "processes", "dask")
INJECT_ENV = "CLUSTERSIM_INJECT_FAILURE"  # test hook: comma-separated replicate indices


class BatchError(ValueError):
    """A batch cannot start as asked (bad folder, mismatching resume); nothing was written."""


def run_one(index: int, seed: int, scenario: dict, households_per_agent: int | None) -> dict:
    """Run one replicate in a worker; failures come back as data, never as exceptions.

    ``scenario`` may be replaced per task: executors pass a task's third element, when it
    has one, as its scenario (sensitivity analysis runs a scenario per sample).
    """
    try:
        inject = os.environ.get(INJECT_ENV, "")
        if inject and str(index) in inject.split(","):
            raise RuntimeError(f"injected failure for replicate {index} ({INJECT_ENV})")
        from sim.run.replicate import run_replicate
        r = run_replicate(scenario, seed, households_per_agent=households_per_agent)
        r["index"] = index
        return r
    except Exception as e:  # noqa: BLE001 - recorded, the batch carries on
        return {"index": index, "seed": seed, "error": f"{type(e).__name__}: {e}",
                "traceback": traceback.format_exc()}


def _task(t, scenario):
    """(index, seed, scenario) of a task given as (index, seed) or (index, seed, scenario)."""
    return (t[0], t[1], t[2] if len(t) > 2 else scenario)


def _serial(tasks, scenario, hpa, workers, scheduler) -> Iterator[dict]:
    for t in tasks:
        i, s, scn = _task(t, scenario)
        yield run_one(i, s, scn, hpa)


def run_chunk(chunk: list[tuple], hpa: int | None) -> list[dict]:
    """Run several replicates in one worker call (fewer round trips than one per task)."""
    return [run_one(i, s, scn, hpa) for i, s, scn in chunk]


def _chunks(tasks, scenario, workers: int) -> list[list[tuple]]:
    """Group tasks so each worker gets about eight calls, each of at most 16 replicates."""
    full = [_task(t, scenario) for t in tasks]
    size = max(1, min(16, len(full) // (8 * max(workers, 1))))
    return [full[i:i + size] for i in range(0, len(full), size)]


def _mp_context():
    """A forkserver that has imported the model once, where the platform has one.

    Explicit because importing ``mesa`` sets the global start method to ``spawn`` (its
    batch runner does), which would re-import everything in every worker.
    """
    import multiprocessing as mp
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.run.replicate"])
        return ctx
    return mp.get_context("spawn")


def _processes(tasks, scenario, hpa, workers, scheduler) -> Iterator[dict]:
    chunks = _chunks(tasks, scenario, workers)
    with ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context()) as ex:
        pending = set()
        try:
            for c in chunks:
                pending.add(ex.submit(run_chunk, c, hpa))
                if len(pending) >= 2 * workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for f in done:
                        yield from f.result()
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    yield from f.result()
        except BaseException:
            for f in pending:
                f.cancel()
            ex.shutdown(wait=False, cancel_futures=True)
            raise


def _dask(tasks, scenario, hpa, workers, scheduler) -> Iterator[dict]:
    from dask.distributed import Client, LocalCluster, as_completed  # heavy: import lazily

    cluster = None
    if scheduler:
        client = Client(scheduler)
        workers = max(workers, len(client.scheduler_info().get("workers", {})) or 1)
    else:
        import dask
        # Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in workers, which switches off glibc's
        # adaptive mmap threshold: every large numpy array is then mmapped and unmapped,
        # and a replicate ran 2-3x slower here. Our workers keep the default allocator.
        env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {})
        env.pop("MALLOC_TRIM_THRESHOLD_", None)
        with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
        client = Client(cluster)
    try:
        it = iter(_chunks(tasks, scenario, workers))
        ac = as_completed()

        def submit(c):
            ac.add(client.submit(run_chunk, c, hpa, pure=False))

        for _ in range(2 * max(workers, 1)):
            nxt = next(it, None)
            if nxt is None:
                break
            submit(nxt)
        for fut in ac:
            yield from fut.result()
            fut.release()
            nxt = next(it, None)
            if nxt is not None:
                submit(nxt)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


EXECUTORS: dict[str, Callable] = {"serial": _serial, "processes": _processes, "dask": _dask}


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


def run_batch(folder: Path, manifest: dict, backend: str = "processes", workers: int = 1,
              scheduler: str | None = None, progress: bool = True,
              flush_every: int = 25) -> dict:
    """Run (or finish) a batch into ``folder``; returns the consolidated tables.

    Raises:
        KeyboardInterrupt: after saving what finished and marking the batch interrupted.
    """
    n = int(manifest["replicates"])
    seeds = replicate_seeds(manifest["root_seed"], n)
    folder.mkdir(parents=True, exist_ok=True)
    ok, _failed = done_indices(folder) if (folder / "chunks").is_dir() else (set(), set())
    todo = [(i, seeds[i]) for i in range(n) if i not in ok]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    manifest.update({
        "replicate_seeds": [str(s) for s in seeds], "package_version": __version__,
        "git_commit": git_commit(), "backend": backend, "workers": workers,
        "started": manifest.get("started") or now, "resumed": manifest.get("status") not in (
            None, "new"), "status": "running", "finished": None,
    })
    write_manifest(folder, manifest)
    writer = ChunkWriter(folder, flush_every=flush_every)
    bar = None
    if progress and todo:
        from tqdm import tqdm
        bar = tqdm(total=n, initial=n - len(todo), unit="rep", desc=manifest["name"],
                   dynamic_ncols=True)
    failed_now = 0
    t0 = time.perf_counter()
    try:
        for res in EXECUTORS[backend](todo, manifest["scenario"],
                                      manifest["households_per_agent"], workers, scheduler):
            writer.add(res)
            failed_now += "error" in res
            if bar is not None:
                bar.update(1)
                bar.set_postfix(failed=failed_now)
        writer.flush()
    except BaseException:
        writer.flush()
        manifest.update(status="interrupted",
                        finished=datetime.now(UTC).isoformat(timespec="seconds"))
        ok, failed = done_indices(folder)
        manifest.update(done=len(ok), failed=len(failed))
        write_manifest(folder, manifest)
        raise
    finally:
        if bar is not None:
            bar.close()
    tables = consolidate(folder, n)
    elapsed = time.perf_counter() - t0
    manifest.update(status="complete" if len(tables["failures"]) == 0 else "complete_with_failures",
                    finished=datetime.now(UTC).isoformat(timespec="seconds"),
                    done=len(tables["replicates"]), failed=len(tables["failures"]),
                    seconds_this_run=round(elapsed, 3), replicates_run=len(todo))
    write_manifest(folder, manifest)
    tables["manifest"] = manifest
    return tables
