"""Record (or check) the fingerprint of a few small batches: the regression pin.

A fingerprint is a SHA-256 per table (replicates, trajectories, summary) over the exact
values (``pandas.util.hash_pandas_object``) and the column names, so a refactoring that
claims "results unchanged" can be checked bit for bit. Run from the repository root:

    python tests/fingerprint/make.py            # print the fingerprints
    python tests/fingerprint/make.py --write    # record them in fingerprint.json

A deliberate model change re-records them in the same commit and says why, under each
supported Python (the file holds one entry per Python minor version: Python 3.12's built-in
``sum`` of floats is compensated, 3.11's is not, so a few outcomes differ in the last bits).

Floating-point results depend on the machine as well as the code: numpy picks its SIMD
kernels (``exp``, ``log``, sums) by the processor's features at run time, and OpenBLAS its
kernels by the processor's type, and the kernels round differently. The fingerprint is
therefore computed with both pinned (``PINNED_ENV``: numpy's x86-64-v2 baseline kernels,
OpenBLAS's Haswell kernels), which every x86-64 machine of the last decade can run, so the
recorded hashes hold on any of them. This script re-executes itself with that environment
when it is not already set, since numpy reads it once at import.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILE = HERE / "fingerprint.json"
CASES = {"plan": ("plan", 4, 20211), "no_new_policy": ("no_new_policy", 3, 7),
         "downside": ("downside", 3, 99)}
# numpy: switch off the dispatch above the x86-64-v2 baseline; OpenBLAS: one kernel family.
PINNED_ENV = {"NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
              "OPENBLAS_CORETYPE": "Haswell"}


def pinned() -> bool:
    """Whether this process runs with the pinned kernels."""
    return all(os.environ.get(k) == v for k, v in PINNED_ENV.items())


def supported() -> str | None:
    """Why the pin cannot hold on this machine, or None where it can."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return f"the pinned kernels are x86-64 ones; this machine is {platform.machine()}"
    return None


def python_key() -> str:
    """The fingerprint file's entry for the running Python, e.g. ``python3.11``."""
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def table_hash(df) -> str:
    """SHA-256 of a table's column names and exact values, in row order."""
    import pandas as pd
    h = hashlib.sha256("\x1f".join(map(str, df.columns)).encode("utf-8"))
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def fingerprints() -> dict:
    """Run each case serially into a temporary folder and hash its tables."""
    from sim.analysis.montecarlo import run_scenario
    from sim.run.store import load_results
    out = {}
    for name, (scenario, n, seed) in CASES.items():
        with tempfile.TemporaryDirectory() as d:
            run_scenario(scenario, Path(d) / name, replicates=n, seed=seed)
            tables = load_results(Path(d) / name)
            out[name] = {t: table_hash(tables[t]) for t in
                         ("replicates", "trajectories", "summary")}
    return out


if __name__ == "__main__":
    if not pinned():
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **PINNED_ENV})
    import numpy
    fp = {"numpy": numpy.__version__, **fingerprints()}
    if "--write" in sys.argv:
        recorded = json.loads(FILE.read_text()) if FILE.exists() else {}
        if recorded.get("numpy") not in (None, fp["numpy"]):
            sys.exit(f"{FILE} was recorded with numpy {recorded['numpy']}: install the "
                     "versions of constraints.txt, or re-record every Python's entry")
        recorded["numpy"] = fp.pop("numpy")
        recorded[python_key()] = fp
        FILE.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
    print(json.dumps(fp, indent=2))
