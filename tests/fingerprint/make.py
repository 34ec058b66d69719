"""Record (or check) the fingerprint of a few small batches: the regression pin.

A fingerprint is a SHA-256 per table (replicates, trajectories, summary) over the exact
values (``pandas.util.hash_pandas_object``) and the column names, so a refactoring that
claims "results unchanged" can be checked bit for bit. Run from the repository root:

    python tests/fingerprint/make.py            # print the fingerprints
    python tests/fingerprint/make.py --write    # record them in fingerprint.json

A deliberate model change re-records them in the same commit and says why.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
FILE = HERE / "fingerprint.json"
CASES = {"plan": ("plan", 4, 20211), "no_new_policy": ("no_new_policy", 3, 7),
         "downside": ("downside", 3, 99)}


def table_hash(df: pd.DataFrame) -> str:
    """SHA-256 of a table's column names and exact values, in row order."""
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
    import numpy
    fp = {"numpy": numpy.__version__, **fingerprints()}
    if "--write" in sys.argv:
        FILE.write_text(json.dumps(fp, indent=2) + "\n")
    print(json.dumps(fp, indent=2))
