"""The results store: a folder per batch with a manifest and Parquet tables.

Layout of ``results/<name>/``::

    manifest.json          scenario as resolved, seeds, version, git commit, times, status
    chunks/rep-*.parquet   replicate rows as they finish (atomic writes)
    chunks/traj-*.parquet  replicate-year trajectories (long format), same chunks
    chunks/fail-*.parquet  failed replicates: seed, error, traceback
    replicates.parquet     one row per replicate: sampled inputs, 2025 outcomes, met flags
    trajectories.parquet   replicate, year, metric, value
    summary.parquet        per target: P(met) with Wilson interval, outcome quantiles
    failures.parquet       failed replicates

Chunks are the durable record: a batch killed at any point resumes from them, and the
consolidated tables are rebuilt from them sorted by replicate index, so they are identical
whatever the backend, the number of workers or the interruptions.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

MANIFEST = "manifest.json"


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
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, _file_mode())
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


def atomic_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write a DataFrame to Parquet atomically."""
    with _atomic(path, ".parquet") as tmp:
        df.to_parquet(tmp, index=False)


def write_manifest(folder: Path, manifest: dict) -> None:
    """Write ``manifest.json`` atomically."""
    atomic_write_bytes(folder / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False)
                       .encode("utf-8"))


def read_manifest(folder: Path) -> dict | None:
    """The folder's manifest, or None when there is none."""
    p = Path(folder) / MANIFEST
    if not p.is_file():
        return None
    return json.loads(p.read_text(encoding="utf-8"))


def git_commit() -> str | None:
    """The source tree's git commit, when it is a checkout."""
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


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


class ChunkWriter:
    """Buffers finished replicates and flushes them as numbered chunk files."""

    def __init__(self, folder: Path, flush_every: int = 25):
        self.dir = Path(folder) / "chunks"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.flush_every = flush_every
        self.buffer: list[dict] = []
        self.failures: list[dict] = []
        existing = [int(p.stem.split("-")[1]) for p in self.dir.glob("*-*.parquet")]
        self.next_id = max(existing, default=-1) + 1

    def add(self, result: dict) -> None:
        """Add one worker result (success or failure)."""
        (self.failures if "error" in result else self.buffer).append(result)
        if len(self.buffer) + len(self.failures) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Write buffered results; the replicate chunk is written last so it marks them done."""
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


def _read_chunks(folder: Path, prefix: str) -> pd.DataFrame:
    files = sorted((Path(folder) / "chunks").glob(f"{prefix}-*.parquet"))
    if not files:
        return pd.DataFrame()
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def done_indices(folder: Path) -> tuple[set[int], set[int]]:
    """Replicate indices already stored: (succeeded, failed).

    A trajectory chunk without its replicate chunk (killed between the two writes) does not
    count; its replicates are run again and the orphan is ignored.
    """
    ok: set[int] = set()
    for f in sorted((Path(folder) / "chunks").glob("rep-*.parquet")):
        ok |= set(pd.read_parquet(f, columns=["replicate"])["replicate"].tolist())
    failed: set[int] = set()
    for f in sorted((Path(folder) / "chunks").glob("fail-*.parquet")):
        failed |= set(pd.read_parquet(f, columns=["replicate"])["replicate"].tolist())
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
    schema = pa.schema([("replicate", pa.int64()), ("year", pa.int64()),
                        ("metric", pa.string()), ("value", pa.float64())])
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
            writer.write_table(pa.Table.from_pandas(df[schema.names], schema=schema,
                                                    preserve_index=False))
            del df, parts
            release_free_memory()
        if not ids:
            writer.write_table(schema.empty_table())


def consolidate(folder: Path, n_replicates: int) -> dict[str, pd.DataFrame]:
    """Build the consolidated tables from the chunks (sorted, de-duplicated).

    Trajectories are streamed to ``trajectories.parquet`` and not returned (load them with
    :func:`load_results`); the replicate table (one row per replicate) is held in memory.
    """
    folder = Path(folder)
    reps = _read_chunks(folder, "rep")
    valid_chunks = {p.stem.split("-")[1] for p in (folder / "chunks").glob("rep-*.parquet")}
    traj_files = [p for p in sorted((folder / "chunks").glob("traj-*.parquet"))
                  if p.stem.split("-")[1] in valid_chunks]
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
    atomic_parquet(reps, folder / "replicates.parquet")
    atomic_parquet(fails, folder / "failures.parquet")
    return {"replicates": reps, "failures": fails}


def load_results(folder: str | os.PathLike) -> dict:
    """Load a results folder: manifest and the consolidated tables as DataFrames."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest is None:
        raise FileNotFoundError(f"{folder}: no {MANIFEST}; not a results folder")
    out: dict = {"manifest": manifest}
    for name in ("replicates", "trajectories", "summary", "failures"):
        p = folder / f"{name}.parquet"
        out[name] = pd.read_parquet(p) if p.is_file() else pd.DataFrame()
    return out
