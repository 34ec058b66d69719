"""The results store: a folder per batch with a manifest and Parquet tables.

Layout of ``results/<name>/`` (docs/results-schema.md describes every column)::

    manifest.json           scenario as resolved, seeds, versions, git commit, times, status
    replicates.parquet      one row per replicate: sampled inputs, 2025 outcomes, met flags
    trajectories.parquet    replicate, year, metric, value
    summary.parquet         per target: P(met) with Wilson interval, outcome quantiles
    failures.parquet        failed replicates
    _chunks/rep-*.parquet   replicate rows as they finish (atomic writes)
    _chunks/traj-*.parquet  replicate-year trajectories (long format), same chunks
    _chunks/fail-*.parquet  failed replicates: seed, error, traceback
    .lock                   while a run writes the batch: its PID and host

Chunks are the durable record: a batch killed at any point resumes from them, and the
consolidated tables are rebuilt from them sorted by replicate index, so they are identical
whatever the backend, the number of workers or the interruptions. Their folder starts with
``_`` and temporaries with ``.``, which Parquet readers (pyarrow.dataset, Spark, duckdb's
hive reader) skip. Folders written before that kept chunks in ``chunks/``; a run that
resumes one moves them.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

try:
    import fcntl
except ImportError:  # not POSIX: the lock falls back to checking the owner's PID
    fcntl = None

MANIFEST = "manifest.json"
CHUNKS = "_chunks"          # chunk folder; '_' makes dataset readers skip it
LEGACY_CHUNKS = "chunks"    # where folders written before kept them (moved on resume)
LOCK = ".lock"
TMP_PREFIX = ".tmp-"
# Test hook: seconds to wait between writing a temporary and renaming it into place, so a
# scripted kill can land in the middle of a write (tests/test_faults.py).
WRITE_DELAY_ENV = "CLUSTERSIM_TEST_WRITE_DELAY"
_CHUNK_NAME = re.compile(r"^(rep|traj|fail)-(\d+)\.parquet$")


class StoreError(ValueError):
    """A results file cannot be read (corrupt, truncated or not ours); names the file."""


class LockedError(RuntimeError):
    """Another run that is still alive is writing the results folder."""


def release_free_memory() -> None:
    """Hand freed heap memory back to the OS (glibc only; elsewhere a no-op).

    Writing chunks leaves glibc's heap fragmented: Python-level memory stays flat (checked
    with tracemalloc) but resident memory crept up ~70 KB per replicate until trimmed.
    """
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _file_mode() -> int:
    """The mode an ordinary new file gets here (mkstemp would make it owner-only)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def _atomic(path: Path, suffix: str = ""):
    """Yield a temporary path beside ``path`` that replaces it atomically on success.

    Readers see the old or the new file, never a part; on failure the temporary is removed.
    A process killed mid-write leaves a ``.tmp-*`` file, which every reader ignores and the
    next run that takes the folder's lock removes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TMP_PREFIX, suffix=suffix)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, _file_mode())
        delay = os.environ.get(WRITE_DELAY_ENV)
        if delay:
            time.sleep(float(delay))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file atomically (flushed to disk before it replaces the old one)."""
    with _atomic(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_parquet(df: pd.DataFrame, path: Path, fields: dict | None = None,
                   extra: dict[str, str] | None = None) -> None:
    """Write a DataFrame to Parquet atomically.

    Args:
        df: The table.
        path: Where it goes.
        fields: Column name -> ``{"unit": ..., "description": ...}``, stored as Arrow field
            metadata (pyarrow readers see it in ``schema.field(name).metadata``).
        extra: Further key-value metadata of the file (duckdb: ``parquet_kv_metadata``).
    """
    if not fields and not extra:
        with _atomic(path, ".parquet") as tmp:
            df.to_parquet(tmp, index=False)
        return
    import pyarrow as pa
    import pyarrow.parquet as pq
    table = _annotate(pa.Table.from_pandas(df, preserve_index=False), fields or {},
                      extra or {})
    with _atomic(path, ".parquet") as tmp:
        pq.write_table(table, tmp)


def _annotate(table, fields: dict, extra: dict[str, str]):
    """The table with field metadata and key-value metadata added (values untouched)."""
    import pyarrow as pa
    schema = pa.schema(
        [f.with_metadata({k.encode(): str(v).encode() for k, v in fields[f.name].items()})
         if f.name in fields else f for f in table.schema],
        metadata={**(table.schema.metadata or {}),
                  **{k.encode(): v.encode() for k, v in extra.items()}})
    return pa.Table.from_arrays(table.columns, schema=schema)


def write_manifest(folder: Path, manifest: dict) -> None:
    """Write ``manifest.json`` atomically; on a full disk, in place if it fits.

    The atomic write needs room for a second copy. When the disk is full (the moment a
    batch must still record that it was interrupted) and the new manifest fits in the
    blocks the old one holds, it is rewritten in place, which needs no new blocks; a
    reader could then see a half-written file only if the process died mid-write.
    """
    path = Path(folder) / MANIFEST
    data = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
    try:
        atomic_write_bytes(path, data)
    except OSError as e:
        if e.errno != errno.ENOSPC or not path.is_file() \
                or len(data) > path.stat().st_blocks * 512:
            raise
        with open(path, "r+b") as fh:
            fh.write(data)
            fh.truncate()
            fh.flush()
            os.fsync(fh.fileno())


def read_manifest(folder: Path) -> dict | None:
    """The folder's manifest, or None when there is none.

    Raises:
        StoreError: the manifest is not a readable JSON object.
    """
    p = Path(folder) / MANIFEST
    if not p.is_file():
        return None
    try:
        m = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, OSError) as e:  # JSONDecodeError and UnicodeDecodeError
        raise StoreError(f"{p}: not a readable manifest ({type(e).__name__}: {e})") from None
    if not isinstance(m, dict):
        raise StoreError(f"{p}: not a readable manifest (a JSON {type(m).__name__}, "
                         "not an object)")
    return m


def git_commit() -> str | None:
    """The source tree's git commit, when it is a checkout."""
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


# ---------------------------------------------------------------------- the lock
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


# ---------------------------------------------------------------------- chunks
def chunk_files(folder: Path, kind: str) -> list[tuple[int, Path]]:
    """``(chunk number, path)`` of a kind of chunk (rep, traj, fail), by number.

    Only files named ``KIND-NUMBER.parquet`` count: temporaries of a killed write
    (``.tmp-*``) never do. Reads ``_chunks/`` and a not yet moved ``chunks/``.
    """
    out = []
    for d in (Path(folder) / CHUNKS, Path(folder) / LEGACY_CHUNKS):
        if d.is_dir():
            for p in d.iterdir():
                m = _CHUNK_NAME.match(p.name)
                if m and m.group(1) == kind:
                    out.append((int(m.group(2)), p))
    return sorted(out)


def open_chunks(folder: Path) -> Path:
    """Make the chunk folder ready to write (call with the folder's lock held).

    Moves the chunks of a folder written before they lived in ``_chunks/``, removes the
    temporaries of writes that were killed, and removes trajectory chunks whose replicate
    chunk was never written (their replicates are not done and run again).
    """
    folder = Path(folder)
    new, old = folder / CHUNKS, folder / LEGACY_CHUNKS
    if old.is_dir():
        if not new.exists():
            os.rename(old, new)
        else:  # both exist: renumber the old ones after the new ones, rep last
            nxt = 1 + max((i for k in ("rep", "traj", "fail") for i, _ in chunk_files(new, k)),
                          default=-1)
            ids = sorted({int(m.group(2)) for p in old.iterdir()
                          if (m := _CHUNK_NAME.match(p.name))})
            for offset, cid in enumerate(ids):
                for kind in ("fail", "traj", "rep"):
                    src = old / f"{kind}-{cid:06d}.parquet"
                    if src.is_file():
                        os.rename(src, new / f"{kind}-{nxt + offset:06d}.parquet")
            for p in old.iterdir():
                p.unlink()
            old.rmdir()
    new.mkdir(parents=True, exist_ok=True)
    for d in (folder, new):
        for p in d.glob(f"{TMP_PREFIX}*"):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
    reps = {i for i, _ in chunk_files(folder, "rep")}
    for i, p in chunk_files(folder, "traj"):
        if i not in reps:
            p.unlink()
    return new


class ChunkWriter:
    """Buffers finished replicates and flushes them as numbered chunk files."""

    def __init__(self, folder: Path, flush_every: int = 25):
        self.dir = Path(folder) / CHUNKS
        self.dir.mkdir(parents=True, exist_ok=True)
        self.flush_every = flush_every
        self.buffer: list[dict] = []
        self.failures: list[dict] = []
        existing = [i for k in ("rep", "traj", "fail") for i, _ in chunk_files(folder, k)]
        self.next_id = max(existing, default=-1) + 1

    def add(self, result: dict) -> None:
        """Add one worker result (success or failure)."""
        (self.failures if "error" in result else self.buffer).append(result)
        if len(self.buffer) + len(self.failures) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Write buffered results; the replicate chunk is written last so it marks them done.

        The buffer is emptied only once every file is written, so a failed write (a full
        disk) can be retried.
        """
        cid = f"{self.next_id:06d}"
        if self.failures:
            df = pd.DataFrame([{"replicate": f["index"], "seed": str(f["seed"]),
                                "error": f["error"], "traceback": f["traceback"]}
                               for f in self.failures])
            atomic_parquet(df, self.dir / f"fail-{cid}.parquet")
        if self.buffer:
            reps, traj = rows_from_results(self.buffer)
            atomic_parquet(traj, self.dir / f"traj-{cid}.parquet")
            atomic_parquet(reps, self.dir / f"rep-{cid}.parquet")
        if self.buffer or self.failures:
            self.next_id += 1
        self.buffer, self.failures = [], []
        release_free_memory()


def rows_from_results(results: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replicate rows and long trajectory rows from worker results."""
    reps, traj = [], []
    for r in results:
        row = {"replicate": r["index"], "seed": str(r["seed"])}
        row.update({f"in.{k}": v for k, v in r["inputs"].items()})
        row.update({f"out.{k}": v for k, v in r["outcomes"].items()})
        row.update({f"met.{k}": v for k, v in r["met"].items()})
        reps.append(row)
        for year, metrics in r["trajectory"].items():
            for k, v in metrics.items():
                traj.append((r["index"], int(year), k, v))
    return (pd.DataFrame(reps),
            pd.DataFrame(traj, columns=["replicate", "year", "metric", "value"]))


def _read_chunks(folder: Path, prefix: str) -> pd.DataFrame:
    files = [p for _, p in chunk_files(folder, prefix)]
    if not files:
        return pd.DataFrame()
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def done_indices(folder: Path) -> tuple[set[int], set[int]]:
    """Replicate indices already stored: (succeeded, failed).

    A trajectory chunk without its replicate chunk (killed between the two writes) does not
    count; its replicates are run again and the orphan is ignored.
    """
    ok: set[int] = set()
    for _, f in chunk_files(folder, "rep"):
        ok |= set(pd.read_parquet(f, columns=["replicate"])["replicate"].tolist())
    failed: set[int] = set()
    for _, f in chunk_files(folder, "fail"):
        failed |= set(pd.read_parquet(f, columns=["replicate"])["replicate"].tolist())
    return ok, failed - ok


# ---------------------------------------------------------------------- units and descriptions
SEED_NOTE = ("the replicate's seed, a decimal integer in [0, 2**63) stored as text "
             "(docs/results-schema.md says why)")


def replicate_fields() -> dict[str, dict[str, str]]:
    """Unit and description of every column the replicate table can have.

    From the declarations: ``sim.model.params`` (sampled uncertainties, ``in.*``),
    ``sim.model.outcomes.METRICS`` (``out.*``) and ``TARGETS`` (``met.*``).
    """
    from sim.model.outcomes import METRICS, TARGETS
    from sim.model.params import UNCERTAINTIES
    f = {"replicate": {"unit": "", "description": "replicate index i: its seed is child i of "
                       "SeedSequence(root_seed).spawn (manifest.json)"},
         "seed": {"unit": "", "description": SEED_NOTE}}
    for p in UNCERTAINTIES:
        desc = f"sampled uncertainty: {p.description}".rstrip(": ")
        if p.per:
            for k in p.keys:
                f[f"in.{p.name}.{k}"] = {"unit": p.unit, "description": f"{desc} ({p.per} {k})"}
        else:
            f[f"in.{p.name}"] = {"unit": p.unit, "description": desc}
    for m in METRICS:
        f[f"out.{m.name}"] = {"unit": m.unit, "description": "2025 value: " + m.label_en
                              + (f" ({m.description})" if m.description else "")}
    for t in TARGETS:
        f[f"met.{t.name}"] = {"unit": "", "description":
                              f"target met: 2025 {t.metric} >= {t.threshold:g} {t.unit} "
                              f"({t.label_en}; plan {t.section})"}
    return f


def trajectory_fields() -> dict[str, dict[str, str]]:
    """Unit and description of the trajectory table's columns (value: unit per metric)."""
    from sim.model.outcomes import METRICS
    return {"replicate": {"unit": "", "description": "replicate index (replicates.parquet)"},
            "year": {"unit": "year", "description": "calendar year; 2020 is the start state"},
            "metric": {"unit": "", "description": "metric name; its unit is in "
                       "units_by_metric of the value column and docs/results-schema.md"},
            "value": {"unit": "per metric (see units_by_metric)",
                      "description": "the metric's value at the end of the year",
                      "units_by_metric": json.dumps({m.name: m.unit for m in METRICS},
                                                    ensure_ascii=False)}}


FAILURE_FIELDS = {
    "replicate": {"unit": "", "description": "replicate index"},
    "seed": {"unit": "", "description": SEED_NOTE},
    "error": {"unit": "", "description": "exception type and message"},
    "traceback": {"unit": "", "description": "the worker's traceback"}}


def units_metadata(fields: dict[str, dict[str, str]], columns) -> dict[str, str]:
    """File-level key-value metadata naming every column's unit and description.

    For readers that do not see Arrow field metadata (duckdb's ``parquet_kv_metadata``).
    """
    cols = [c for c in columns if c in fields]
    return {"clustersim.units": json.dumps({c: fields[c]["unit"] for c in cols},
                                           ensure_ascii=False),
            "clustersim.descriptions": json.dumps({c: fields[c]["description"] for c in cols},
                                                  ensure_ascii=False),
            "clustersim.schema": "docs/results-schema.md"}


def _stream_trajectories(files: list[Path], keep: set[int], path: Path,
                         block: int = 200) -> None:
    """Write the trajectories of ``keep`` sorted by replicate.

    A block of replicates at a time, so memory does not grow with the size of the batch.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    ranges = []
    for f in files:
        r = pq.read_table(f, columns=["replicate"]).column(0).to_numpy()
        ranges.append((int(r.min()), int(r.max())) if len(r) else (0, -1))
    ids = sorted(keep)
    fields = trajectory_fields()
    names = ["replicate", "year", "metric", "value"]
    schema = _annotate(pa.schema([("replicate", pa.int64()), ("year", pa.int64()),
                                  ("metric", pa.string()), ("value", pa.float64())])
                       .empty_table(), fields, units_metadata(fields, names)).schema
    with _atomic(path, ".parquet") as tmp, pq.ParquetWriter(tmp, schema) as writer:
        for start in range(0, len(ids), block):
            lo, hi = ids[start], ids[min(start + block, len(ids)) - 1]
            parts = [pd.read_parquet(f, filters=[("replicate", ">=", lo),
                                                 ("replicate", "<=", hi)])
                     for f, (a, b) in zip(files, ranges, strict=True)
                     if b >= lo and a <= hi]
            df = pd.concat(parts, ignore_index=True)
            df = df[df["replicate"].isin(keep)]
            df = df.drop_duplicates(["replicate", "year", "metric"], keep="last")
            df = df.sort_values(["replicate", "year", "metric"]).reset_index(drop=True)
            writer.write_table(pa.Table.from_pandas(df[names], schema=schema,
                                                    preserve_index=False))
            del df, parts
            release_free_memory()
        if not ids:
            writer.write_table(schema.empty_table())


def consolidate(folder: Path, n_replicates: int) -> dict[str, pd.DataFrame]:
    """Build the consolidated tables from the chunks (sorted, de-duplicated).

    Trajectories are streamed to ``trajectories.parquet`` and not returned (load them with
    :func:`load_results`); the replicate table (one row per replicate) is held in memory.
    Columns carry their unit and description as Parquet field metadata.
    """
    folder = Path(folder)
    reps = _read_chunks(folder, "rep")
    valid_chunks = {i for i, _ in chunk_files(folder, "rep")}
    traj_files = [p for i, p in chunk_files(folder, "traj") if i in valid_chunks]
    fails = _read_chunks(folder, "fail")
    if len(reps):
        reps = reps[reps["replicate"] < n_replicates]
        reps = reps.drop_duplicates("replicate", keep="last").sort_values("replicate")
        reps = reps.reset_index(drop=True)
    if len(fails):
        done = set(reps["replicate"]) if len(reps) else set()
        fails = fails[~fails["replicate"].isin(done) & (fails["replicate"] < n_replicates)]
        fails = fails.drop_duplicates("replicate", keep="last").sort_values("replicate")
        fails = fails.reset_index(drop=True)
    else:
        fails = pd.DataFrame(columns=["replicate", "seed", "error", "traceback"])
    keep = set(reps["replicate"].tolist()) if len(reps) else set()
    _stream_trajectories(traj_files, keep, folder / "trajectories.parquet")
    rf = replicate_fields()
    atomic_parquet(reps, folder / "replicates.parquet", rf, units_metadata(rf, reps.columns))
    atomic_parquet(fails, folder / "failures.parquet", FAILURE_FIELDS,
                   units_metadata(FAILURE_FIELDS, fails.columns))
    return {"replicates": reps, "failures": fails}


def read_table(path: Path) -> pd.DataFrame:
    """One Parquet table.

    Raises:
        StoreError: the file is not readable Parquet (truncated, corrupt, not Parquet).
    """
    try:
        return pd.read_parquet(path)
    except (ValueError, OSError) as e:  # pyarrow's ArrowInvalid is a ValueError
        raise StoreError(f"{path}: not a readable Parquet file ({type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else ''})") from None


def load_results(folder: str | os.PathLike) -> dict:
    """Load a results folder: manifest and the consolidated tables as DataFrames.

    Raises:
        FileNotFoundError: the folder holds no manifest.
        StoreError: the manifest or a table is corrupt.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        raise FileNotFoundError(f"{folder}: no {MANIFEST}; not a results folder")
    out: dict = {"manifest": manifest}
    for name in ("replicates", "trajectories", "summary", "failures"):
        p = folder / f"{name}.parquet"
        out[name] = read_table(p) if p.is_file() else pd.DataFrame()
    return out
