"""The lock that makes one run at a time the writer of a results folder."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: the lock falls back to checking the owner's PID
    fcntl = None

LOCK = ".lock"


class LockedError(RuntimeError):
    """Another run that is still alive is writing the results folder."""


_HELD: dict[str, dict] = {}  # resolved folder -> {"fd", "depth", "pid"}: re-entrant per process


def _pid_alive(pid: int) -> bool:
    """Whether a process with this PID runs here (a zombie does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _read_owner(fd: int) -> dict:
    try:
        data = os.pread(fd, 4096, 0)
        owner = json.loads(data.decode("utf-8")) if data.strip() else {}
        return owner if isinstance(owner, dict) else {}
    except (OSError, ValueError):
        return {}


def _owner_text(owner: dict) -> str:
    if not owner:
        return "a run (owner unknown)"
    return (f"PID {owner.get('pid')} on {owner.get('host')}, since {owner.get('since')}: "
            f"{owner.get('command', '')}").rstrip(": ")


class BatchLock:
    """The exclusive right to write a results folder, held for a run's life.

    ``folder/.lock`` holds the owner's PID, host, start time and command. The lock itself
    is an ``flock`` on that file, which the kernel releases however its owner ends
    (``kill -9`` included), so a lock file that nobody holds is stale: it is taken over and
    ``note`` is told. Where ``flock`` is unavailable, a lock whose PID no longer runs on
    this host is stale. Re-entrant within a process; the file is removed on release.

    Raises:
        LockedError: on entry, when another live run holds the folder.
        OSError: when the folder or the lock file cannot be created (read-only, a file).
    """

    def __init__(self, folder: str | os.PathLike, note=None):
        self.folder = Path(folder)
        self.note = note
        self._key = str(self.folder.resolve())

    def __enter__(self) -> BatchLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock (or count one more use of a lock this process holds)."""
        held = _HELD.get(self._key)
        if held is not None and held["pid"] == os.getpid():
            held["depth"] += 1
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / LOCK
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                self._lock(fd)
                st = os.fstat(fd)
                try:
                    cur = os.stat(path)
                except FileNotFoundError:
                    cur = None
                if cur is not None and (cur.st_dev, cur.st_ino) == (st.st_dev, st.st_ino):
                    break
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # the previous owner removed the file as we opened it: again
        previous = _read_owner(fd)
        if previous and self.note is not None:
            self.note(f"{self.folder}: took over the lock of a run that is no longer running "
                      f"({_owner_text(previous)})")
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "since": datetime.now(UTC).isoformat(timespec="seconds"),
              "command": " ".join(sys.argv)}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode("utf-8"), 0)
        _HELD[self._key] = {"fd": fd, "depth": 1, "pid": os.getpid(), "path": path}

    def _lock(self, fd: int) -> None:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                raise LockedError(self._refusal(_read_owner(fd))) from None
            except OSError as e:
                if e.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                    raise
        owner = _read_owner(fd)  # no flock here: judge by the owner's PID
        if owner and owner.get("pid") != os.getpid() and (
                owner.get("host") != socket.gethostname() or _pid_alive(int(owner["pid"]))):
            raise LockedError(self._refusal(owner))

    def _refusal(self, owner: dict) -> str:
        return (f"{self.folder}: another run is writing this batch ({_owner_text(owner)}); "
                f"wait for it to finish or stop it (lock file {self.folder / LOCK})")

    def release(self) -> None:
        """Give the lock up (the outermost release removes the lock file)."""
        held = _HELD.get(self._key)
        if held is None or held["pid"] != os.getpid():
            return
        held["depth"] -= 1
        if held["depth"] > 0:
            return
        del _HELD[self._key]
        with contextlib.suppress(OSError):
            os.unlink(held["path"])  # while still locked: a waiting opener sees the change
        os.close(held["fd"])

