"""Atomic file writes and strict reads of the results folder's files.

Every file is written to a ``.tmp-*`` temporary beside it and renamed into place, so a
reader sees the old or the new file, never a part; a killed write's temporary is ignored
by every reader and removed by the next run that takes the folder's lock.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd

TMP_PREFIX = ".tmp-"
# Test hook: seconds to wait between writing a temporary and renaming it into place, so a
# scripted kill can land in the middle of a write (tests/run/test_faults.py).
WRITE_DELAY_ENV = "CLUSTERSIM_TEST_WRITE_DELAY"


class StoreError(ValueError):
    """A results file cannot be read (corrupt, truncated or not ours); names the file."""


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


def read_table(path: Path) -> pd.DataFrame:
    """One Parquet table.

    Raises:
        StoreError: the file is not readable Parquet (truncated, corrupt, not Parquet).
    """
    try:
        return pd.read_parquet(path)
    except (ValueError, OSError) as e:  # pyarrow's ArrowInvalid is a ValueError
        raise StoreError(f"{path}: not a readable Parquet table ({type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else ''})") from None


def git_commit() -> str | None:
    """The source tree's git commit, when it is a checkout."""
    root = Path(__file__).resolve().parents[3]
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None

