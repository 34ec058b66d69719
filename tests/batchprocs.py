"""Helpers for tests that start, signal and watch ``clustersim`` processes.

Each command is started in its own session, so every process it creates (forkserver, pool
workers, resource tracker, Dask workers) shares its process-group id, which survives the
death of the main process: "no process of the batch remains" means no live process in /proc
has that group id (a zombie waiting for a reaper has ended and does not count).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

CLEANUP_BOUND = 5.0  # seconds within which no process of a killed batch may remain (#12)


def start(*args, env=None, cwd=None) -> subprocess.Popen:
    """``python -m sim ARGS`` in a new session, output captured."""
    e = dict(os.environ, MPLBACKEND="Agg")
    e.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "sim", *map(str, args)], cwd=cwd, env=e,
                            start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def live_in_group(pgid: int) -> list[tuple[int, str]]:
    """Live processes (pid, command line) whose process group is ``pgid``."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            fields = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid or fields[0] in ("Z", "X"):
                continue
            cmd = Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        out.append((int(d), cmd[:120]))
    return out


def wait_gone(pgid: int, since: float, bound: float = CLEANUP_BOUND) -> list[tuple[int, str]]:
    """Poll until no process of the group lives or ``bound`` seconds after ``since`` passed.

    Returns what is still alive at the deadline (empty when all are gone).
    """
    while True:
        left = live_in_group(pgid)
        if not left or time.monotonic() - since > bound:
            return left
        time.sleep(0.02)


def reap(p: subprocess.Popen, timeout: float = CLEANUP_BOUND) -> tuple[int | None, str]:
    """Wait for the main process (at most ``timeout`` s); its exit status and stderr."""
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, ""
    return p.returncode, err


def kill_group(pgid: int) -> None:
    """Clean up after a failed test: SIGKILL whatever is left of the group."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def wait_for(cond, p: subprocess.Popen, timeout: float = 120.0, step: float = 0.005) -> bool:
    """Poll ``cond()`` until it holds (True) or the process ended or time ran out (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        if p.poll() is not None:
            return False
        time.sleep(step)
    return False


def tables(folder) -> dict[str, pd.DataFrame]:
    """The three tables the fingerprint pins."""
    return {n: pd.read_parquet(Path(folder) / f"{n}.parquet")
            for n in ("replicates", "trajectories", "summary")}


def assert_same_tables(a, b) -> None:
    """Bit-identical tables."""
    for name in ("replicates", "trajectories", "summary"):
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)
