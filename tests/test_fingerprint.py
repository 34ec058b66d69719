"""Regression pin: small batches give bit-identical tables to the recorded fingerprint.

The fingerprint (tests/fingerprint/fingerprint.json) is a hash per results table of three
small batches; a refactoring must leave it unchanged. A deliberate model change re-records it
(`python tests/fingerprint/make.py --write`) in the same commit and says why.

The batches run in a subprocess with numpy's and OpenBLAS's kernels pinned
(``make.PINNED_ENV``), so the hashes do not depend on which processor runs them. They do
depend on numpy's release and on Python's (3.12's built-in ``sum`` of floats is
compensated; the file holds an entry per Python minor version): CI installs the versions in
constraints.txt, with the recorded numpy on both Pythons. Under CI a different numpy is a
failure, so the pin cannot vanish unnoticed; elsewhere the test is skipped with the reason.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "fingerprint"
REPO = HERE.parent.parent


def _make():
    sys.path.insert(0, str(HERE))
    try:
        import make
    finally:
        sys.path.remove(str(HERE))
    return make


def test_tables_are_bit_identical_to_the_recorded_fingerprint():
    import numpy as np
    make = _make()
    file = json.loads((HERE / "fingerprint.json").read_text())
    recorded = file["numpy"]
    want = file.get(make.python_key())
    why = make.supported()
    if why is None and want is None:
        why = f"no fingerprint recorded for {make.python_key()}"
    if why is None and np.__version__ != recorded:
        why = (f"fingerprint recorded with numpy {recorded}, this is {np.__version__} "
               "(install with -c constraints.txt)")
    if why is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the regression pin cannot run in CI: {why}")
        pytest.skip(why)
    env = {**os.environ, **make.PINNED_ENV,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                                                      os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(HERE / "make.py")], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout)
    assert got.pop("numpy") == recorded
    assert got == want


def test_the_pinned_environment_is_in_force_in_the_subprocess():
    # the pin works only if numpy reads it: a disabled feature must show as not in use
    make = _make()
    if make.supported() is not None:
        pytest.skip(make.supported())
    code = ("from numpy._core._multiarray_umath import __cpu_features__ as f; "
            "print(sum(bool(f.get(k)) for k in ('X86_V3', 'X86_V4')))")
    env = {**os.environ, **make.PINNED_ENV}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"


def test_table_hash_sees_a_one_ulp_change():
    import numpy as np
    import pandas as pd
    make = _make()
    df = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    df2 = df.copy()
    df2.loc[1, "a"] = np.nextafter(2.0, 3.0)
    assert make.table_hash(df) != make.table_hash(df2)
    assert make.table_hash(df) == make.table_hash(df.copy())
