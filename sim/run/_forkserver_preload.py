"""What the batch's forkserver imports before it forks workers (``set_forkserver_preload``).

The forkserver imports the model once, so every worker forked from it starts warm. That
import takes a second or two, and many more on a loaded machine; the forkserver notices
that the batch's main process has gone (its pipe closes) only after it. A batch killed in
that window would leave the forkserver behind for as long as the import takes, so a guard
thread watches the main process meanwhile (its PID comes in ``CLUSTERSIM_MAIN_PID``, as the
main process may be gone before this runs) and ends the forkserver when it has gone. The
thread is stopped before the import returns: the forkserver forks with no other thread.

A worker forked just as its batch was interrupted can fail to start (the main process has
removed the semaphores it needs); once the main process has gone that is expected, and the
workers' exception hook says nothing.

Imported only in the forkserver (``sim.run.pools.mp_context``).
"""

from __future__ import annotations

import os
import sys
import threading
import time

MAIN_PID_ENV = "CLUSTERSIM_MAIN_PID"
# Test hook: seconds the preload takes longer (tests/run/test_faults.py kills a batch meanwhile).
DELAY_ENV = "CLUSTERSIM_TEST_PRELOAD_DELAY"

_main = int(os.environ.get(MAIN_PID_ENV) or os.getppid())
_stop = threading.Event()


def _main_gone() -> bool:
    """Whether the batch's main process has ended (or is a zombie)."""
    try:
        os.kill(_main, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{_main}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def _guard() -> None:
    while not _stop.is_set():
        if os.getppid() != _main or _main_gone():
            os._exit(0)
        _stop.wait(0.1)


def _quiet_when_orphaned(exc_type, exc, tb, _default=sys.excepthook) -> None:
    if not _main_gone():
        _default(exc_type, exc, tb)


_thread = threading.Thread(target=_guard, name="clustersim-forkserver-guard", daemon=True)
_thread.start()
try:
    time.sleep(float(os.environ.get(DELAY_ENV) or 0))
    import sim.run.replicate  # noqa: F401  (the preload itself)
finally:
    _stop.set()
    _thread.join()
sys.excepthook = _quiet_when_orphaned  # in the forkserver, inherited by its workers
