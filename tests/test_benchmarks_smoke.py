import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_benchmark_script_runs(tmp_path):
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick",
                        "--workers", "1", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "benchmarks.csv").read_text()
    assert "farmer_round" in text and "throughput_dask" in text and "batch_serial" in text
