"""The manifest of a results folder, and loading a folder's consolidated tables."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pandas as pd

from sim.run.store.io import StoreError, atomic_write_bytes, read_table

MANIFEST = "manifest.json"
TABLES = ("replicates", "trajectories", "summary", "failures")
SWEEP_MANIFEST = "sweep.json"   # a sweep's folder (sim.analysis.sweep) holds this instead


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
        raise StoreError(f"{p}: unreadable manifest ({type(e).__name__}: {e})") from None
    if not isinstance(m, dict):
        raise StoreError(f"{p}: unreadable manifest (a JSON {type(m).__name__}, "
                         "not an object)")
    return m


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
    for name in TABLES:
        p = folder / f"{name}.parquet"
        out[name] = read_table(p) if p.is_file() else pd.DataFrame()
    return out


def load_batch(folder: str | os.PathLike) -> dict:
    """A finished batch: what :func:`load_results` returns, checked for use.

    Raises:
        StoreError: naming the folder or file, when the folder is missing, not a results
            folder (a sweep's folder says which point to give), its manifest or a table is
            unreadable, or the batch has no consolidated results yet.
    """
    folder = Path(folder)
    if not folder.exists():
        raise StoreError(f"{folder}: no such results folder")
    if not folder.is_dir():
        raise StoreError(f"{folder}: not a folder (give a results folder, e.g. results/plan)")
    if not (folder / MANIFEST).is_file():
        if (folder / SWEEP_MANIFEST).is_file():
            raise StoreError(f"{folder}: a sweep folder; give one point's folder "
                             f"({folder / 'points' / 'p000'})")
        raise StoreError(f"{folder}: not a results folder (no {MANIFEST})")
    res = load_results(folder)
    if "scenario" not in res["manifest"]:
        raise StoreError(f"{folder / MANIFEST}: not a batch manifest (no 'scenario')")
    if res["summary"].empty:
        raise StoreError(f"{folder}: the batch has no consolidated results yet (status "
                         f"{res['manifest'].get('status')}; run it to completion, or "
                         "--resume it)")
    return res
