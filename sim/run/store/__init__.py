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
    _chunks/corrupt/        chunks found unreadable, set aside (their replicates run again)
    .lock                   while a run writes the batch: its PID and host

Chunks are the durable record: a batch killed at any point resumes from them, and the
consolidated tables are rebuilt from them sorted by replicate index, so they are identical
whatever the backend, the number of workers or the interruptions. Their folder starts with
``_`` and temporaries with ``.``, which Parquet readers (pyarrow.dataset, Spark, duckdb's
hive reader) skip. Folders written before that kept chunks in ``chunks/``; a run that
resumes one moves them.

Modules: :mod:`~sim.run.store.io` (atomic writes, strict reads),
:mod:`~sim.run.store.lock` (one writer), :mod:`~sim.run.store.chunks` (the durable
record and the consolidated tables), :mod:`~sim.run.store.manifest` (the manifest,
loading a folder), :mod:`~sim.run.store.schema` (column units and descriptions).
"""

from sim.run.store.chunks import (
    CHUNKS,
    LEGACY_CHUNKS,
    ChunkWriter,
    check_chunks,
    chunk_files,
    consolidate,
    done_indices,
    open_chunks,
    rows_from_results,
)
from sim.run.store.io import (
    TMP_PREFIX,
    WRITE_DELAY_ENV,
    StoreError,
    atomic_parquet,
    atomic_write_bytes,
    git_commit,
    read_table,
    release_free_memory,
)
from sim.run.store.lock import LOCK, BatchLock, LockedError
from sim.run.store.manifest import (
    MANIFEST,
    SWEEP_MANIFEST,
    TABLES,
    load_batch,
    load_results,
    read_manifest,
    write_manifest,
)
from sim.run.store.schema import (
    FAILURE_FIELDS,
    SEED_NOTE,
    replicate_fields,
    trajectory_fields,
    units_metadata,
)

__all__ = [
    "CHUNKS", "FAILURE_FIELDS", "LEGACY_CHUNKS", "LOCK", "MANIFEST", "SEED_NOTE", "SWEEP_MANIFEST",
    "TABLES",
    "TMP_PREFIX", "WRITE_DELAY_ENV", "BatchLock", "ChunkWriter", "LockedError",
    "StoreError", "atomic_parquet", "atomic_write_bytes", "check_chunks", "chunk_files",
    "consolidate", "done_indices", "git_commit", "load_batch", "load_results",
    "open_chunks", "read_manifest", "read_table", "release_free_memory",
    "replicate_fields", "rows_from_results", "trajectory_fields", "units_metadata",
    "write_manifest",
]
