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

import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

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


def _process_gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie waiting to be reaped has ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def _die_with_parent() -> None:
    """Linux: have the kernel kill this process when its parent dies (PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def watch_main_process(main_pid: int, interval: float = 0.25) -> None:
    """In a worker: exit at once when the batch's main process or the worker's parent ends.

    A worker blocked on its task queue, or busy with a replicate, would otherwise outlive a
    main process killed with SIGKILL (the queue's write end is held by the workers too, so
    they never see it close). Two guards: the kernel's parent-death signal (the parent is
    the forkserver, which exits when the main process's pipe to it closes) and a daemon
    thread that checks both PIDs every ``interval`` seconds.
    """
    parent = os.getppid()
    _die_with_parent()

    def watch() -> None:
        while True:
            if os.getppid() != parent or _process_gone(main_pid):
                os._exit(1)
            time.sleep(interval)

    threading.Thread(target=watch, name="clustersim-watch-main", daemon=True).start()


def _mp_context():
    """A forkserver that has imported the model once, where the platform has one.

    Explicit because importing ``mesa`` sets the global start method to ``spawn`` (its
    batch runner does), which would re-import everything in every worker.
    """
    import multiprocessing as mp
    if "forkserver" in mp.get_all_start_methods():
        from sim.run._forkserver_preload import MAIN_PID_ENV
        os.environ[MAIN_PID_ENV] = str(os.getpid())  # read by the forkserver's guard
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.run._forkserver_preload"])  # sim.run.replicate
        return ctx
    return mp.get_context("spawn")


def _stop_forkserver() -> None:
    """Kill the forkserver this process started, so it forks no worker any more.

    Interrupted while starting a worker (waiting for its PID from a forkserver still
    importing the model), the pool never registers that worker; without its forkserver it
    is never forked. Not reaped here: multiprocessing reaps it and starts a new one when a
    later pool needs it.
    """
    try:
        from multiprocessing import forkserver
        pid = forkserver._forkserver._forkserver_pid  # private: no public handle exists
    except (ImportError, AttributeError):
        return
    if pid and not _process_gone(pid):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _start_dask(workers: int, scheduler: str | None):
    """(client, cluster or None, workers): connect to ``scheduler`` or start a local cluster."""
    from dask.distributed import Client, LocalCluster  # heavy: import lazily
    if scheduler:
        client = Client(scheduler)
        return client, None, max(workers, len(client.scheduler_info().get("workers", {})) or 1)
    import dask
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in workers, which switches off glibc's
    # adaptive mmap threshold: every large numpy array is then mmapped and unmapped,
    # and a replicate ran 2-3x slower here. Our workers keep the default allocator.
    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {})
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    return Client(cluster), cluster, workers


def _terminate_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a process pool now: stop its forkserver, terminate and reap its workers.

    A worker terminated while sending a result leaves half a message in the result pipe,
    and the pool's manager thread would wait for the rest forever (and with it the
    interpreter's exit). Once the workers are gone the main process holds the pipe's only
    write end; closing it ends that wait (end of file: the pool is marked broken).
    """
    _stop_forkserver()
    procs = list((getattr(pool, "_processes", None) or {}).values())
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)  # before shutdown
    for p in procs:
        if p.is_alive():
            p.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        p.join(timeout=2)
        if p.is_alive():
            p.kill()
            p.join(timeout=1)
    if writer is not None:
        with contextlib.suppress(OSError):
            writer.close()


def _cancel_dask(client, cluster) -> None:
    """Stop a Dask client and the local cluster we started, now.

    A graceful close waits for the replicates running in the workers (and, timed out,
    is tried again at exit for up to 10 s), so the local workers are killed first; the
    close that follows has nothing left to wait for. A remote cluster (--scheduler) is not
    ours to stop: only our client disconnects. Warnings of the teardown are not shown.
    """
    import logging
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    if cluster is not None:
        for nanny in list(getattr(cluster, "workers", {}).values()):
            pid = getattr(getattr(getattr(nanny, "process", None), "process", None), "pid", None)
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
    for thing in (client, cluster):
        if thing is not None:
            with contextlib.suppress(Exception):
                thing.close(timeout=2)


class Evaluator:
    """Runs replicate tasks on a backend; use as a context manager.

    Args:
        backend: ``serial``, ``processes`` or ``dask``.
        workers: Parallel workers (processes or local Dask workers).
        scheduler: Address of an existing Dask scheduler (``dask`` only).
        households_per_agent: Scale passed to every replicate (None: the scenario's).
        progress: Show a progress bar.

    The worker pool (or Dask cluster) starts at the first call and is reused until the
    evaluator is closed, so a sweep or an optimiser's rounds pay for it once.
    """

    def __init__(self, backend: str = "serial", workers: int = 1, scheduler: str | None = None,
                 households_per_agent: int | None = None, progress: bool = True):
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        self.backend, self.workers, self.scheduler = backend, int(workers), scheduler
        self.households_per_agent = households_per_agent
        self.progress = progress
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
                _terminate_pool(pool)
            else:
                pool.shutdown(wait=True)
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if cancel and (client is not None or cluster is not None):
            _cancel_dask(client, cluster)
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

    def _processes(self, tasks, scenario) -> Iterator[dict]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_mp_context(),
                                             initializer=watch_main_process,
                                             initargs=(os.getpid(),))
        ex, hpa = self._pool, self.households_per_agent
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
        if self._client is None:
            self._client, self._cluster, self.workers = _start_dask(self.workers,
                                                                    self.scheduler)
        client, hpa = self._client, self.households_per_agent
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

    def run_all(self, tasks: Iterable[tuple], scenario: dict | None = None, desc: str = "",
                unit: str = "run") -> list[dict]:
        """Run tasks and return every result in task-index order; raise if any failed."""
        results = sorted(self.map(tasks, scenario, desc, unit), key=lambda r: r["index"])
        bad = [r for r in results if "error" in r]
        if bad:
            raise RunsFailed(f"{len(bad)} of {len(results)} runs failed; first: "
                             f"{bad[0]['error']}")
        return results
