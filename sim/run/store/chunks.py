"""Chunk files, the durable record of a batch: writing, listing, checking, consolidating.

Finished replicates are buffered and flushed as numbered chunks (``_chunks/rep-*``,
``traj-*``, ``fail-*``); the replicate chunk is written last, so it marks its replicates
done. The consolidated tables are rebuilt from the chunks sorted by replicate.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pandas as pd

from sim.run.store.io import (
    TMP_PREFIX,
    StoreError,
    _annotate,
    _atomic,
    atomic_parquet,
    release_free_memory,
)
from sim.run.store.schema import (
    FAILURE_FIELDS,
    replicate_fields,
    trajectory_fields,
    units_metadata,
)

CHUNKS = "_chunks"          # chunk folder; '_' makes dataset readers skip it
LEGACY_CHUNKS = "chunks"    # where folders written before kept them (moved on resume)
CORRUPT = "corrupt"         # under CHUNKS: unreadable chunks set aside (never read again)
_CHUNK_NAME = re.compile(r"^(rep|traj|fail)-(\d+)\.parquet$")


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


def _read_chunk(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """One chunk file; :class:`StoreError` naming it when it is not readable Parquet."""
    try:
        return pd.read_parquet(path, columns=columns)
    except (ValueError, OSError) as e:  # pyarrow's ArrowInvalid is a ValueError
        raise StoreError(f"{path}: not a readable results chunk ({_why(e)})") from None


def _why(e: BaseException) -> str:
    return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}".rstrip(": ")


def _read_chunks(folder: Path, prefix: str) -> pd.DataFrame:
    files = [p for _, p in chunk_files(folder, prefix)]
    if not files:
        return pd.DataFrame()
    return pd.concat([_read_chunk(f) for f in files], ignore_index=True)


def check_chunks(folder: Path) -> None:
    """Set unreadable chunks aside, then say which (call with the folder's lock held).

    Each chunk's footer and replicate column are read. An unreadable replicate or
    trajectory chunk is moved to ``_chunks/corrupt/`` with its partner of the same number,
    so its replicates count as not done and the next run computes them again; an
    unreadable failure chunk is moved alone (its replicates are retried anyway). Nothing
    else changes: the manifest and the other chunks are as they were.

    Raises:
        StoreError: naming the unreadable files and where they went, when there were any.
    """
    folder = Path(folder)
    bad: list[tuple[str, int, Path, str]] = []
    for kind in ("rep", "traj", "fail"):
        for i, p in chunk_files(folder, kind):
            try:
                pd.read_parquet(p, columns=["replicate"])
            except (ValueError, OSError) as e:
                bad.append((kind, i, p, _why(e)))
    if not bad:
        return
    aside = folder / CHUNKS / CORRUPT
    aside.mkdir(parents=True, exist_ok=True)
    for kind, i, p, _ in bad:
        group = [p] if kind == "fail" else [p.with_name(f"{k}-{i:06d}.parquet")
                                            for k in ("rep", "traj")]
        for q in group:
            if q.is_file():
                os.replace(q, _free_name(aside, q.name))
    kind, i, p, why = bad[0]
    more = f" (and {len(bad) - 1} more: {', '.join(b[2].name for b in bad[1:])})" \
        if len(bad) > 1 else ""
    raise StoreError(f"{p}: not a readable results chunk ({why}){more}; moved to {aside}, "
                     "the batch is otherwise unchanged: run the same command again to "
                     "compute its replicates again")


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/name.N`` for the first N not taken."""
    path, n = folder / name, 1
    while path.exists():
        path, n = folder / f"{name}.{n}", n + 1
    return path


def done_indices(folder: Path) -> tuple[set[int], set[int]]:
    """Replicate indices already stored: (succeeded, failed).

    A trajectory chunk without its replicate chunk (killed between the two writes) does not
    count; its replicates are run again and the orphan is ignored.
    """
    ok: set[int] = set()
    for _, f in chunk_files(folder, "rep"):
        ok |= set(_read_chunk(f, columns=["replicate"])["replicate"].tolist())
    failed: set[int] = set()
    for _, f in chunk_files(folder, "fail"):
        failed |= set(_read_chunk(f, columns=["replicate"])["replicate"].tolist())
    return ok, failed - ok


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


