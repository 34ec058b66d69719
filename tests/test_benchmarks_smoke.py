import csv
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # runs benchmarks/run.py as a process

REPO = Path(__file__).resolve().parent.parent


def test_benchmark_script_runs(tmp_path):
    # the project's own tree as the baseline: the comparison runs end to end (the ratio's
    # value is a measurement, not asserted here; docs/performance.md reports it)
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick",
                        "--workers", "1", "--out", str(tmp_path), "--baseline", str(REPO)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "benchmarks.csv").read_text()
    assert "farmer_round" in text and "throughput_dask" in text and "batch_serial" in text
    rows = list(csv.DictReader(text.splitlines()))
    vs = [row for row in rows if row["benchmark"] == "replicate_vs_baseline"]
    assert len(vs) == 1 and float(vs[0]["seconds"]) > 0 and float(vs[0]["baseline_s"]) > 0
    assert float(vs[0]["ratio"]) == float(vs[0]["seconds"]) / float(vs[0]["baseline_s"])


def test_benchmark_refuses_a_baseline_that_is_not_a_checkout(tmp_path):
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick",
                        "--out", str(tmp_path), "--baseline", str(tmp_path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and str(tmp_path) in r.stderr and "sim/__init__.py" in r.stderr
    assert not (tmp_path / "benchmarks.csv").exists()
