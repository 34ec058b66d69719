"""Folders and commands (#22, item 7): one exit rule for outputs that cannot be written,
commands given a sweep or sensitivity folder, unpaired compares, the experiments list, CSV
export and one progress bar over a sweep.

In-process through ``sim.cli.main.main`` on small batches (4 replicates, 1:8000 scale).
Read-only folders are simulated by making the write raise (as root, permissions do not stop
writes).
"""

import errno
import json
import os

import pandas as pd
import pytest
import yaml

from sim.cli.main import main

SMALL = ["--households-per-agent", "8000", "--quiet", "--workers", "1"]


def _two_point_experiment(folder):
    f = folder / "two.yaml"
    f.write_text(yaml.safe_dump({
        "name": "two", "description": "Two capital-subsidy rates.", "scenario": "plan",
        "replicates": 2, "design": {"type": "grid",
                                    "factors": {"levers.capital_subsidy_rate": [0.1, 0.3]}}}))
    return f


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A batch (default seed), a batch with --seed 7, a sweep and a sensitivity folder."""
    d = tmp_path_factory.mktemp("folders")
    out = {"plan": d / "plan", "seed7": d / "seed7", "sweep": d / "sweep",
           "morris": d / "morris"}
    assert main(["run", "-n", "4", "--out", str(out["plan"]), *SMALL]) == 0
    assert main(["run", "-n", "4", "--seed", "7", "--out", str(out["seed7"]), *SMALL]) == 0
    assert main(["sweep", str(_two_point_experiment(d)), "--out", str(out["sweep"]),
                 *SMALL]) == 0
    from sim.model.params import UNCERTAINTIES
    two = d / "two-factors.yaml"  # every uncertainty pinned but two: 6 Morris runs at r = 2
    two.write_text(yaml.safe_dump({"name": "two", "extends": "plan", "uncertainties": {
        p.name: p.default for p in UNCERTAINTIES
        if p.name not in ("hurdle_rate", "shanxi_share_gain")}}))
    assert main(["sensitivity", str(two), "--method", "morris", "--n", "2", "--no-levers",
                 "--out", str(out["morris"]), *SMALL]) == 0
    return out


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    o = capsys.readouterr()
    return code, o.out, o.err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("clustersim: error: "), err
    return lines[0]


# ------------------------------------------------------------ outputs that cannot be written
def _refuse(monkeypatch, code: int):
    """Every figure, report and workbook write fails with ``code``."""
    import matplotlib.figure

    import sim.run.store

    def fail(*a, **k):
        raise OSError(code, os.strerror(code), "somewhere")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", fail)
    monkeypatch.setattr(sim.run.store, "atomic_write_bytes", fail)


@pytest.mark.parametrize("command,what,default", [
    ("plot", "the figures", "figures"), ("report", "the report", ""),
    ("export", "the workbook", "")])
def test_a_read_only_output_folder_is_exit_2_naming_it(folders, capsys, monkeypatch,
                                                       command, what, default):
    _refuse(monkeypatch, errno.EROFS)
    code, _, err = run(capsys, command, folders["plan"])
    assert code == 2
    where = folders["plan"] / default if default else folders["plan"]
    assert one_line(err) == (f"clustersim: error: --out {where}: cannot write {what} there "
                             "(Read-only file system); choose another --out")


@pytest.mark.parametrize("command,what", [
    ("plot", "the figures"), ("report", "the report"), ("export", "the workbook")])
def test_a_full_disk_is_exit_3_naming_the_folder(folders, capsys, monkeypatch, command,
                                                 what):
    _refuse(monkeypatch, errno.ENOSPC)
    out = folders["plan"].parent / f"out-{command}"
    out.mkdir(exist_ok=True)
    target = out if command == "plot" else out / ("r.html" if command == "report"
                                                   else "r.xlsx")
    code, _, err = run(capsys, command, folders["plan"], "--out", target)
    assert code == 3
    assert one_line(err).startswith(f"clustersim: error: {out}: {what} could not be "
                                    "written (No space left on device)")


# ------------------------------------------------------------ a sweep or sensitivity folder
def test_show_on_a_sweep_prints_its_table(folders, capsys):
    code, out, err = run(capsys, "show", folders["sweep"])
    assert code == 0, err
    assert "experiment two: 2 points x 2 replicates" in out
    assert "P(met) [95% CI] per point" in out
    assert "capital_subsidy_rate=0.1" in out and "capital_subsidy_rate=0.3" in out


def test_show_on_a_sensitivity_folder_prints_its_ranking(folders, capsys):
    code, out, _ = run(capsys, "show", folders["morris"])
    assert code == 0
    assert out.startswith("morris: 2 factors, 6 runs")
    assert "  hurdle_rate " in out and "  shanxi_share_gain " in out and "mu*" in out
    assert out.strip().splitlines()[-1].startswith("not worth reading: Morris r = 2")


@pytest.mark.parametrize("command", ["report", "export", "plot", "discover", "compare"])
def test_batch_commands_name_a_sensitivity_folder_and_what_reads_it(folders, capsys,
                                                                    command):
    extra = [folders["plan"]] if command == "compare" else []
    code, _, err = run(capsys, command, *extra, folders["morris"])
    assert code == 2
    line = one_line(err)
    assert (f"{folders['morris']}: a sensitivity folder (from `clustersim sensitivity`), "
            "not a Monte Carlo batch (from `clustersim run`); "
            f"`clustersim show {folders['morris']}` prints its ranked factors") in line


def test_report_on_a_sweep_names_it_and_its_points(folders, capsys):
    code, _, err = run(capsys, "report", folders["sweep"])
    assert code == 2
    assert f"{folders['sweep']}: a sweep folder (from `clustersim sweep`)" in one_line(err)
    assert f"{folders['sweep']}/points/" in err


# ------------------------------------------------------------ compare
def test_compare_warns_when_the_seeds_differ(folders, capsys):
    code, out, err = run(capsys, "compare", folders["seed7"], folders["plan"])
    assert code == 0
    assert "unpaired" in out
    assert err.startswith("clustersim: warning: the batches' root seeds differ ("
                          f"{folders['seed7']}: 7, {folders['plan']}: ")
    assert "run both with the same --seed" in err
    code, out, err = run(capsys, "compare", folders["plan"], folders["plan"])
    assert code == 0 and err == "" and "paired by replicate" in out


def test_compare_warns_when_the_scales_differ(folders, capsys, tmp_path):
    coarse = tmp_path / "coarse"
    assert main(["run", "-n", "4", "--out", str(coarse), "--households-per-agent", "16000",
                 "--quiet", "--workers", "1"]) == 0
    code, out, err = run(capsys, "compare", coarse, folders["plan"])
    assert code == 0 and "paired by replicate" in out
    assert err.startswith("clustersim: warning: the batches' scales (households per "
                          f"simulated household) differ ({coarse}: 16000, {folders['plan']}: "
                          "8000)")


# ------------------------------------------------------------ new commands
def test_experiments_lists_the_shipped_designs(capsys):
    code, out, _ = run(capsys, "experiments")
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("cold_chain "))
    assert "[grid, 6 points x 100 replicates, on plan; cold_chain_new_capacity_wan_t]" in line
    assert "lever_lhs" in out and "subsidy_x_brand" in out
    assert "clustersim sweep NAME" in out


def test_export_csv_writes_one_file_per_table(folders, capsys):
    code, out, err = run(capsys, "export", folders["plan"], "--format", "csv")
    assert code == 0, err
    csv = folders["plan"] / "csv"
    assert out.split() == [str(csv / f"{n}.csv") for n in
                           ("summary", "replicates", "trajectories", "yearly_quantiles")]
    for name in ("summary", "replicates", "trajectories"):
        stored = pd.read_parquet(folders["plan"] / f"{name}.parquet")
        back = pd.read_csv(csv / f"{name}.csv", encoding="utf-8-sig")
        assert list(back.columns) == list(stored.columns)
        num = stored.select_dtypes("number").columns
        pd.testing.assert_frame_equal(back[num], stored[num], check_dtype=False,
                                      rtol=1e-15, atol=0)
    assert (csv / "summary.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM, for Excel


def test_sweep_shows_one_progress_bar_over_all_points(tmp_path, capsys):
    out = tmp_path / "sw"
    argv = ["sweep", str(_two_point_experiment(tmp_path)), "--out", str(out),
            "--households-per-agent", "8000", "--workers", "1"]
    code, _, err = run(capsys, *argv)
    assert code == 0, err
    bars = err.replace("\r", "\n")
    assert "two (2 points)" in bars and "4/4" in bars
    assert "2/2" not in bars  # no bar per point
    # resumed with more replicates: the bar starts at what is stored
    code, _, err = run(capsys, *argv, "--replicates", "3", "--resume")
    assert code == 0, err
    assert "4/6" in err.replace("\r", "\n") and "6/6" in err.replace("\r", "\n")
    assert json.loads((out / "sweep.json").read_text())["status"] == "complete"


def test_discover_without_a_box_says_what_to_try(folders, capsys, monkeypatch):
    import sim.analysis.discover
    monkeypatch.setattr(sim.analysis.discover, "discover",
                        lambda *a, **k: {"boxes": [], "missed": 2, "n": 4})
    code, out, _ = run(capsys, "discover", folders["plan"], "--target", "output_total")
    assert code == 0
    assert ("no PRIM box: no box of conditions reaches density 0.8 (the share of its "
            "replicates that miss the target; 50% of all replicates miss it); try a lower "
            f"--threshold, e.g. clustersim discover {folders['plan']} --target output_total "
            "--threshold 0.6, or a batch with more replicates") in out


def test_check_history_with_only_unknown_metrics_exits_2(folders, capsys, tmp_path):
    f = tmp_path / "mine.csv"
    f.write_text("metric,year,value,unit\ngdp,2021,2.3,万亿元\nrural_incme,2021,15000,元\n",
                 encoding="utf-8")
    code, _, err = run(capsys, "check-history", folders["plan"], f)
    assert code == 2
    line = one_line(err)
    assert line.startswith(f"clustersim: error: {f}: no row to check: the model records none "
                           "of its metrics ('gdp', 'rural_incme' (did you mean "
                           "'rural_income'?)); allowed are the model's ")
    assert "output_total" in line and not (folders["plan"] / "history").exists()
