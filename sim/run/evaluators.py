"""Evaluators: run replicate tasks on one backend (serial, processes or Dask).

Batches, sweeps, sensitivity analysis and the optimiser all hand their tasks to one
:class:`Evaluator` (a context manager, like EMA Workbench's), which owns the worker pool,
the progress bar and the failure policy: a replicate that raises comes back as data
(index, seed, error, traceback) and is counted, never as an exception; each caller decides
what a failure means for its result.

Each replicate is computed from its own seed, so results do not depend on the backend, the
number of workers or the order in which replicates finish.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from sim.run.pools import (
    cancel_dask,
    mp_context,
    start_dask,
    terminate_pool,
    watch_main_process,
)

BACKENDS = ("serial", "processes", "dask")
INJECT_ENV = "CLUSTERSIM_INJECT_FAILURE"  # test hook: comma-separated replicate indices


class RunsFailed(RuntimeError):
    """Raised by :meth:`Evaluator.run_all` when a caller needs every run and some failed."""


def run_one(index: int, seed: int, scenario: dict, households_per_agent: int | None) -> dict:
    """Run one replicate in a worker; failures come back as data, never as exceptions."""
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


def run_chunk(chunk: list[tuple], households_per_agent: int | None) -> list[dict]:
    """Run several replicates in one worker call (fewer round trips than one per task)."""
    return [run_one(i, s, scn, households_per_agent) for i, s, scn in chunk]


def _task(t, scenario):
    """(index, seed, scenario) of a task given as (index, seed) or (index, seed, scenario)."""
    return (t[0], t[1], t[2] if len(t) > 2 else scenario)


def _chunks(tasks, scenario, workers: int) -> list[list[tuple]]:
    """Group tasks so each worker gets about eight calls, each of at most 16 replicates."""
    full = [_task(t, scenario) for t in tasks]
    size = max(1, min(16, len(full) // (8 * max(workers, 1))))
    return [full[i:i + size] for i in range(0, len(full), size)]


class Evaluator:
    """Runs replicate tasks on a backend; use as a context manager.

    Args:
        backend: ``serial``, ``processes`` or ``dask``.
        workers: Parallel workers (processes or local Dask workers).
        scheduler: Address of an existing Dask scheduler (``dask`` only).
        households_per_agent: Scale passed to every replicate (None: the scenario's).
        progress: Show a progress bar.
        preload: Modules the process backend's forkserver imports besides the model.

    The worker pool (or Dask cluster) starts at the first call and is reused until the
    evaluator is closed, so a sweep or an optimiser's rounds pay for it once.
    """

    def __init__(self, backend: str = "serial", workers: int = 1, scheduler: str | None = None,
                 households_per_agent: int | None = None, progress: bool = True,
                 preload: tuple[str, ...] = ()):
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        self.backend, self.workers, self.scheduler = backend, int(workers), scheduler
        self.households_per_agent = households_per_agent
        self.progress = progress
        self.preload = tuple(preload)
        self.failed = 0
        self._used_workers = 0
        self._pool = self._client = self._cluster = None

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc) -> None:
        self.close(cancel=exc[0] is not None)

    def close(self, cancel: bool = False) -> None:
        """Stop the workers.

        With ``cancel`` (an interruption), queued work is dropped and running workers are
        terminated rather than waited for, so no process of the batch outlives it.
        """
        if self._pool is not None:
            pool, self._pool = self._pool, None
            if cancel:
                terminate_pool(pool)
            else:
                pool.shutdown(wait=True)
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if cancel and (client is not None or cluster is not None):
            cancel_dask(client, cluster)
            return
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def describe(self) -> dict:
        """Backend, workers and scheduler as used, for manifests.

        ``workers`` is the number of worker processes actually started (Dask: the workers
        the scheduler had); before any work it is the number asked for.
        """
        workers = 1 if self.backend == "serial" else self.workers
        if self._used_workers:
            workers = self._used_workers
        return {"backend": self.backend, "workers": workers, "scheduler": self.scheduler}

    # ------------------------------------------------------------------ backends
    def _serial(self, tasks, scenario) -> Iterator[dict]:
        for t in tasks:
            i, s, scn = _task(t, scenario)
            yield run_one(i, s, scn, self.households_per_agent)

    def start(self) -> Evaluator:
        """Start the worker pool (or Dask client) now rather than at the first call."""
        if self.backend == "processes":
            self._process_pool()
        elif self.backend == "dask":
            self.dask_client()
        return self

    def _process_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers,
                                             mp_context=mp_context(self.preload),
                                             initializer=watch_main_process,
                                             initargs=(os.getpid(),))
        return self._pool

    def dask_client(self):
        """The Dask client of this evaluator (``dask`` backend), started at the first call."""
        if self._client is None:
            self._client, self._cluster, self.workers = start_dask(self.workers,
                                                                    self.scheduler)
        return self._client

    def _processes(self, tasks, scenario) -> Iterator[dict]:
        ex, hpa = self._process_pool(), self.households_per_agent
        pending = set()
        try:
            for c in _chunks(tasks, scenario, self.workers):
                pending.add(ex.submit(run_chunk, c, hpa))
                if len(pending) >= 2 * self.workers:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for f in done:
                        yield from f.result()
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    yield from f.result()
            self._used_workers = max(self._used_workers, len(getattr(ex, "_processes", None)
                                                             or {}) or self.workers)
        except BaseException:
            for f in pending:
                f.cancel()
            self.close(cancel=True)
            raise

    def _dask(self, tasks, scenario) -> Iterator[dict]:
        from dask.distributed import as_completed
        client, hpa = self.dask_client(), self.households_per_agent
        self._used_workers = max(self._used_workers,
                                 len(client.scheduler_info().get("workers", {})))
        it = iter(_chunks(tasks, scenario, self.workers))
        ac = as_completed()

        def submit(c):
            ac.add(client.submit(run_chunk, c, hpa, pure=False))

        for _ in range(2 * max(self.workers, 1)):
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

    # ------------------------------------------------------------------ interface
    def map(self, tasks: Iterable[tuple], scenario: dict | None = None, desc: str = "",
            unit: str = "run", total: int | None = None, initial: int = 0) -> Iterator[dict]:
        """Run tasks, yielding each result as it finishes (completion order).

        Args:
            tasks: ``(index, seed)`` (run ``scenario``) or ``(index, seed, scenario)``.
            scenario: The scenario of tasks that do not carry their own.
            desc: Progress-bar label.
            unit: Progress-bar unit.
            total: Progress-bar total (default: ``initial`` + the tasks).
            initial: Progress-bar starting count (a resumed batch).
        """
        tasks = list(tasks)
        bar = None
        if self.progress and tasks:
            from tqdm import tqdm
            # Results come in bursts (a worker returns a chunk) after a start-up: the first
            # rate shown is over a tenth of the tasks or a few bursts (miniters), never one
            # result, and tqdm's monitor must not reset that (maxinterval).
            bar = tqdm(total=total if total is not None else initial + len(tasks),
                       initial=initial, unit=unit, desc=desc or None, dynamic_ncols=True,
                       miniters=max(1, min(len(tasks) // 10, 64 * self.workers)),
                       maxinterval=float("inf"))
        run = {"serial": self._serial, "processes": self._processes, "dask": self._dask}
        failed_here = 0
        try:
            for res in run[self.backend](tasks, scenario):
                if "error" in res:
                    failed_here += 1
                    self.failed += 1
                if bar is not None:
                    bar.update(1)
                    if failed_here:
                        bar.set_postfix(failed=failed_here)
                yield res
        finally:
            if bar is not None:
                bar.close()

    def imap_ordered(self, fn: Callable, calls: Iterable[tuple],
                     on_done: Callable[[object], None] | None = None) -> Iterator:
        """``fn(*args)`` for each ``args`` of ``calls``, yielded in the order of ``calls``.

        Up to two calls per worker run ahead of the one awaited; ``on_done`` hears of each
        result as it arrives (in completion order). Closing the iterator early (the caller
        has what it needs) cancels the calls not yet started. ``calls`` may be endless.
        Exceptions of ``fn`` are raised here: unlike :meth:`map`, this runs any function.
        """
        if self.backend == "serial":
            for args in calls:
                res = fn(*args)
                if on_done is not None:
                    on_done(res)
                yield res
            return
        submit, wait_any = self._submitter()
        it, pending, ready = iter(calls), {}, {}
        sent = given = 0
        try:
            while True:
                while len(pending) < 2 * max(self.workers, 1):
                    args = next(it, None)
                    if args is None:
                        break
                    pending[submit(fn, *args)] = sent
                    sent += 1
                if given in ready:
                    yield ready.pop(given)
                    given += 1
                    continue
                if not pending:
                    return
                for f in wait_any(list(pending)):
                    ready[pending.pop(f)] = res = f.result()
                    if on_done is not None:
                        on_done(res)
        finally:
            for f in pending:
                f.cancel()

    def _submitter(self) -> tuple[Callable, Callable]:
        """(submit(fn, *args) -> future, wait_any(futures) -> the finished ones)."""
        if self.backend == "processes":
            ex = self._process_pool()
            self._used_workers = max(self._used_workers, self.workers)
            return ex.submit, lambda fs: wait(fs, return_when=FIRST_COMPLETED).done
        from dask.distributed import wait as dask_wait
        client = self.dask_client()
        self._used_workers = max(self._used_workers,
                                 len(client.scheduler_info().get("workers", {})))
        return (lambda fn, *a: client.submit(fn, *a, pure=False),
                lambda fs: dask_wait(fs, return_when="FIRST_COMPLETED").done)

    def run_all(self, tasks: Iterable[tuple], scenario: dict | None = None, desc: str = "",
                unit: str = "run") -> list[dict]:
        """Run tasks and return every result in task-index order; raise if any failed."""
        results = sorted(self.map(tasks, scenario, desc, unit), key=lambda r: r["index"])
        bad = [r for r in results if "error" in r]
        if bad:
            raise RunsFailed(f"{len(bad)} of {len(results)} runs failed; first: "
                             f"{bad[0]['error']}")
        return results
