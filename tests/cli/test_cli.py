"""The CLI through its real entry point, in subprocesses."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.integration  # the CLI as a real process (python -m sim), every test

SMALL = ["--households-per-agent", "4000", "--quiet"]


def cli(*args, cwd=None, env=None, timeout=300):
    e = dict(os.environ, MPLBACKEND="Agg")
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, env=e,
                          capture_output=True, text=True, timeout=timeout)


def tables(folder):
    return {n: pd.read_parquet(Path(folder) / f"{n}.parquet")
            for n in ("replicates", "trajectories", "summary")}


def assert_same(a, b):
    for name in ("replicates", "trajectories", "summary"):
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


def test_default_run_prints_probability_table(tmp_path):
    r = cli("run", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "P(met)" in r.stdout and "Ten clusters: total output" in r.stdout
    assert "200 replicates" in r.stdout
    # a P(met) decided by construction is flagged beside it, with a footnote
    line = next(x for x in r.stdout.splitlines() if x.startswith("Primary-industry value "))
    assert line.endswith("unreachable")
    assert "flag: P(met) decided by construction" in r.stdout
    t = tables(tmp_path / "results" / "plan")
    assert len(t["replicates"]) == 200
    s = t["summary"].set_index("target")
    assert 0.0 <= s.loc["output_total", "p_met"] <= 1.0
    assert s.loc["output_total", "p_lo"] <= s.loc["output_total", "p_met"] \
        <= s.loc["output_total", "p_hi"]
    import json
    m = json.loads((tmp_path / "results" / "plan" / "manifest.json").read_text())
    assert m["status"] == "complete" and m["done"] == 200 and len(m["replicate_seeds"]) == 200


def test_same_tables_on_every_backend_and_worker_count(tmp_path):
    runs = {"serial": ["--backend", "serial", "--workers", "1"],
            "proc2": ["--backend", "processes", "--workers", "2"],
            "dask2": ["--backend", "dask", "--workers", "2"]}
    got = {}
    for name, opts in runs.items():
        out = tmp_path / name
        r = cli("run", "-n", "6", "--seed", "3", "--out", str(out), *SMALL, *opts)
        assert r.returncode == 0, r.stderr
        got[name] = tables(out)
    assert_same(got["serial"], got["proc2"])
    assert_same(got["serial"], got["dask2"])


def test_resume_after_kill_equals_uninterrupted(tmp_path):
    full = tmp_path / "full"
    r = cli("run", "-n", "16", "--seed", "9", "--out", str(full), "--workers", "1", *SMALL)
    assert r.returncode == 0, r.stderr
    part = tmp_path / "part"
    p = subprocess.Popen([sys.executable, "-m", "sim", "run", "-n", "16", "--seed", "9",
                          "--out", str(part), "--workers", "1", "--chunk-size", "2", *SMALL],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((part / "_chunks").glob("rep-*.parquet"))) < 2:
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    done = len(list((part / "_chunks").glob("rep-*.parquet")))
    assert 2 <= done < 8, "the kill should land part-way"
    r = cli("run", "-n", "16", "--seed", "9", "--out", str(part), "--resume", *SMALL)
    assert r.returncode == 0, r.stderr
    assert_same(tables(full), tables(part))
    assert tables(part)["replicates"]["replicate"].tolist() == list(range(16))


def test_failed_replicates_are_recorded_and_batch_carries_on(tmp_path):
    out = tmp_path / "f"
    r = cli("run", "-n", "5", "--out", str(out), "--workers", "1", *SMALL,
            env={"CLUSTERSIM_INJECT_FAILURE": "1,3"})
    assert r.returncode == 1
    assert "2 replicate(s) failed" in r.stderr
    fails = pd.read_parquet(out / "failures.parquet")
    assert fails["replicate"].tolist() == [1, 3]
    assert fails["error"].str.contains("injected failure").all()
    assert fails["traceback"].str.contains("Traceback").all()
    assert len(pd.read_parquet(out / "replicates.parquet")) == 3
    # resuming without the fault completes the failed ones
    r = cli("run", "-n", "5", "--out", str(out), "--resume", *SMALL)
    assert r.returncode == 0, r.stderr
    assert len(pd.read_parquet(out / "replicates.parquet")) == 5
    assert len(pd.read_parquet(out / "failures.parquet")) == 0


def test_compare_pairs_batches_with_the_same_seed(tmp_path):
    for name in ("plan", "no_new_policy"):
        r = cli("run", name, "-n", "8", "--seed", "5", "--out", str(tmp_path / name), *SMALL)
        assert r.returncode == 0, r.stderr
    r = cli("compare", str(tmp_path / "no_new_policy"), str(tmp_path / "plan"))
    assert r.returncode == 0, r.stderr
    assert "paired by replicate" in r.stdout
    assert "output_total" in r.stdout


def test_scenarios_lists_shipped(tmp_path):
    r = cli("scenarios", cwd=tmp_path)
    assert r.returncode == 0
    for name in ("plan", "no_new_policy", "cold_chain_push", "land_transfer_reform",
                 "subsidy_focus", "downside"):
        assert name in r.stdout


BAD = {
    "unknown_key": ("levers:\n  capital_subsidy_rat: 0.2\n", "did you mean 'capital_subsidy_rate'"),
    "wrong_type": ("levers:\n  capital_subsidy_rate: high\n", "must be a number"),
    "out_of_range": ("levers:\n  capital_subsidy_rate: 2.0\n", "out of range"),
    "malformed": ("levers: [1, 2\n", "malformed YAML"),
    "bad_year_list": ("levers:\n  land_service_coverage: [0.1, 0.2]\n", "needs 5 values"),
    "unknown_cluster": ("levers:\n  brand_fund_yi_yuan: {brewng: 1}\n", "did you mean 'brewing'"),
    "bad_name": ("name: ../../etc\n", "letters, digits"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_scenario_clear_error_nothing_written(tmp_path, case):
    text, msg = BAD[case]
    f = tmp_path / f"{case}.yaml"
    f.write_text(text)
    r = cli("run", str(f), "-n", "2", *SMALL, cwd=tmp_path)
    assert r.returncode == 2
    assert msg in r.stderr and str(f) in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "results").exists()


def test_other_bad_inputs(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    cases = [
        (["run", str(tmp_path / "missing.yaml")], "no such scenario file"),
        (["run", "plna"], "did you mean 'plan'"),
        (["run", str(tmp_path / "a.yaml")], "extends cycle"),
        (["run", "--set", "levers.capital_subsidy_rate"], "expected KEY=VALUE"),
        (["run", "--set", "levers.capital_subsidy_rate=abc"], "must be a number"),
        (["run", "--set", "settings.replicates=0"], "out of range"),
        (["run", "--set", "lever.x=1"], "did you mean 'levers'"),
    ]
    for args, msg in cases:
        r = cli(*args, *SMALL, cwd=tmp_path)
        assert r.returncode == 2, (args, r.stderr)
        assert msg in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    assert not (tmp_path / "results").exists()


def test_folder_holding_a_different_batch_is_refused(tmp_path):
    out = tmp_path / "o"
    assert cli("run", "-n", "2", "--out", str(out), *SMALL).returncode == 0
    before = sorted(p.name for p in out.rglob("*"))
    r = cli("run", "-n", "2", "--seed", "99", "--out", str(out), *SMALL)
    assert r.returncode == 2 and "different batch" in r.stderr
    r = cli("run", "-n", "2", "--out", str(out), *SMALL)  # the same batch: already complete
    assert r.returncode == 0 and "nothing to do" in r.stderr, r.stderr
    assert sorted(p.name for p in out.rglob("*")) == before


def test_sweep_plot_report_commands(tmp_path):
    exp = tmp_path / "e.yaml"
    exp.write_text("name: e\nscenario: plan\nreplicates: 2\ndesign:\n  type: grid\n"
                   "  factors:\n    levers.land_service_coverage: [0.2, 0.9]\n")
    r = cli("sweep", str(exp), "--out", str(tmp_path / "sw"), "--workers", "1",
            "--households-per-agent", "8000")
    assert r.returncode == 0, r.stderr
    assert "P(met)" in r.stdout and "land_service_coverage=0.2" in r.stdout
    r = cli("plot", str(tmp_path / "sw"), "--format", "svg")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "sw" / "figures" / "sweep_en.svg").is_file()
    point = tmp_path / "sw" / "points" / "p000"
    r = cli("plot", str(point), "--lang", "zh", "--kind", "targets", "--kind", "fan")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (point / "figures").iterdir()) == ["fan_zh.png",
                                                                     "targets_zh.png"]
    r = cli("report", str(point))
    assert r.returncode == 0 and (point / "report.html").is_file()
    r = cli("plot", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and "no such results folder" in r.stderr


def test_until_ci_grows_the_batch_until_intervals_are_narrow(tmp_path):
    out = tmp_path / "u"
    r = cli("run", "-n", "10", "--until-ci", "0.2", "--out", str(out), "--workers", "1",
            "--households-per-agent", "8000")
    assert r.returncode == 0, r.stderr
    s = pd.read_parquet(out / "summary.parquet")
    assert ((s["p_hi"] - s["p_lo"]) / 2).max() <= 0.2
    n = len(pd.read_parquet(out / "replicates.parquet"))
    assert n in (20, 40, 80, 160)  # doubled from 10, replicates kept (resume)
    r = cli("run", "-n", "10", "--until-ci", "0.01", "--max-replicates", "20", "--out",
            str(tmp_path / "cap"), *SMALL)
    assert r.returncode == 0 and len(pd.read_parquet(tmp_path / "cap" /
                                                     "replicates.parquet")) == 20
