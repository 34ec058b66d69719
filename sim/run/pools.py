"""Worker processes of the evaluators: the forkserver, process pools and local Dask clusters.

How workers start (a forkserver that has imported the model once), how they end with the
main process however it dies, and how a pool or cluster is stopped at once on an
interruption (docs/architecture.md, "No orphans").
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor


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


def mp_context(preload: tuple[str, ...] = ()):
    """A forkserver that has imported the model once, where the platform has one.

    Explicit because importing ``mesa`` sets the global start method to ``spawn`` (its
    batch runner does), which would re-import everything in every worker. ``preload``:
    further modules the forkserver imports (no effect once it runs).
    """
    import multiprocessing as mp
    if "forkserver" in mp.get_all_start_methods():
        from sim.run._forkserver_preload import MAIN_PID_ENV
        os.environ[MAIN_PID_ENV] = str(os.getpid())  # read by the forkserver's guard
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.run._forkserver_preload", *preload])
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


def start_dask(workers: int, scheduler: str | None):
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
    # Calls cancelled unstarted (speculative calls of imap_ordered no longer needed) are
    # logged by each worker as a warning, which says nothing wrong.
    env["DASK_LOGGING"] = '{"distributed.worker.state_machine": "error"}'  # merged
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    return Client(cluster), cluster, workers


def terminate_pool(pool: ProcessPoolExecutor) -> None:
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


def cancel_dask(client, cluster) -> None:
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
