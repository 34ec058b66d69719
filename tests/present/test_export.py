"""clustersim export: the Excel workbook of a batch, read back with openpyxl."""

import re
import shutil

import numpy as np
import pandas as pd
import pytest

openpyxl = pytest.importorskip("openpyxl")  # in the test extra

from sim.analysis.montecarlo import run as run_montecarlo  # noqa: E402
from sim.cli.main import main  # noqa: E402
from sim.config.scenario import load  # noqa: E402
from sim.model import plan  # noqa: E402
from sim.present.export import H, export_workbook  # noqa: E402
from sim.run.batch import prepare  # noqa: E402
from sim.run.evaluators import Evaluator  # noqa: E402
from tests._shared import HPA  # noqa: E402

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("x") / "plan"
    m = prepare(folder, load("plan"), "plan", 5, 3, HPA, resume=False)
    run_montecarlo(folder, m, Evaluator(progress=False))
    return folder


@pytest.fixture(scope="module")
def books(folder):
    out = {}
    for lang in ("en", "zh"):
        path = export_workbook(folder, folder / f"results_{lang}.xlsx", lang)
        out[lang] = openpyxl.load_workbook(path, read_only=True)
    return out


def _rows(ws):
    rows = list(ws.iter_rows(values_only=True))
    return list(rows[0]), [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_summary_sheet_matches_summary_parquet(folder, books, lang):
    wb = books[lang]
    assert wb.sheetnames == list(H[lang]["sheets"])
    head, rows = _rows(wb[H[lang]["sheets"][0]])
    assert head == H[lang]["summary"]
    s = pd.read_parquet(folder / "summary.parquet")
    assert len(rows) == len(s) > 90
    h = H[lang]["summary"]
    cols = {"target": h[0], "threshold": h[2], "p_met": h[5], "p_lo": h[6], "p_hi": h[7],
            "median": h[8], "q05": h[9], "q95": h[10], "n": h[11], "met": h[12]}
    for r, (_, want) in zip(rows, s.iterrows(), strict=True):
        assert r[cols["target"]] == want["target"]
        for col, name in cols.items():
            if col != "target":
                assert r[name] == pytest.approx(want[col], rel=1e-14, abs=1e-300), (
                    want["target"], col)
        label = want["label_zh"] if lang == "zh" else want["label_en"]
        assert r[h[1]] == label
    units = {r[h[3]] for r in rows}
    assert "亿元" in units and ("家" in units if lang == "zh" else "firms" in units)


def test_yearly_sheet_holds_quantiles_of_every_metric(folder, books):
    _, rows = _rows(books["en"]["yearly"])
    traj = pd.read_parquet(folder / "trajectories.parquet")
    assert {(r["metric"], r["year"]) for r in rows} == set(
        zip(traj["metric"], traj["year"], strict=True))
    by = {(r["metric"], r["year"]): r for r in rows}
    for metric in ("output_total", "rural_income", "volume_platforms"):
        for year in (2020, 2023, 2025):
            v = traj[(traj.metric == metric) & (traj.year == year)]["value"].to_numpy()
            r = by[(metric, year)]
            for q, col in zip((5, 25, 50, 75, 95), ("q05", "q25", "q50", "q75", "q95"),
                              strict=True):
                assert r[col] == pytest.approx(np.percentile(v, q), rel=1e-14)
            assert r["mean"] == pytest.approx(v.mean(), rel=1e-14)
            assert r["replicates"] == 5
    assert by[("output_total", 2025)]["unit"] == "亿元"
    assert by[("rural_income", 2025)]["unit"] == "元/人"
    assert by[("output_total", 2025)]["indicator"] == "Ten clusters: total output"
    _, zh = _rows(books["zh"]["逐年分位数"])
    assert {r["指标代码"]: r["指标"] for r in zh}["output_total"] == "十大集群总产值"


def test_levers_and_manifest_sheets(books):
    head, rows = _rows(books["en"]["levers"])
    years = [str(y) for y in plan.YEARS]
    assert head[2:7] == years
    cap = [r for r in rows if r["lever"] == "capital_subsidy_rate"]
    assert [r["for"] for r in cap] == list(plan.CLUSTER_KEYS)
    assert all(r[y] == 0.15 and r["set by"] == "default" for r in cap for y in years)
    land = [r for r in rows if r["lever"] == "land_service_coverage"]
    assert [land[0][y] for y in years] == [0.4, 0.5, 0.6, 0.7, 0.8]  # plan.yaml's path
    assert land[0]["set by"] == "scenario" and "Ch.3 §4" in land[0]["source"]
    assert all(r["source"] and "docs/" not in r["source"] for r in rows)
    _, zh = _rows(books["zh"]["政策杠杆"])
    assert {r["分项"] for r in zh if r["政策杠杆"] == "cold_chain_new_capacity_wan_t"} == {
        p.zh for p in plan.PLATFORMS}
    _, man = _rows(books["en"]["manifest"])
    man = {r["item"]: r["value"] for r in man}
    assert man["scenario"] == "plan" and man["root seed"] == 3
    assert man["replicates done"] == 5 and man["status"] == "complete"
    _, man_zh = _rows(books["zh"]["运行信息"])
    assert {r["项目"]: r["内容"] for r in man_zh}["状态"] == "已完成"


def test_zh_headers_are_chinese(books):
    for ws in books["zh"].worksheets:
        head = next(ws.iter_rows(values_only=True))
        for h in head:
            assert CJK.search(h) or re.fullmatch(r"\d{4}年", h), h
            assert not re.search(r"[A-Za-z]{2,}", h), h


def test_cli_export_writes_default_file(folder, tmp_path, capsys):
    f = tmp_path / "plan"
    shutil.copytree(folder, f)
    assert main(["export", str(f), "--lang", "zh"]) == 0
    assert capsys.readouterr().out.strip() == str(f / "results.xlsx")
    wb = openpyxl.load_workbook(f / "results.xlsx", read_only=True)
    assert wb.sheetnames[0] == "目标汇总"
    assert not list(f.glob(".tmp-*"))  # the atomic write left nothing behind


def _bad(tmp_path, folder, what):
    f = tmp_path / "plan"
    if what == "missing":
        return [str(tmp_path / "nope")], "nope: no such results folder"
    if what == "empty":
        f.mkdir()
        return [str(f)], "not a results folder (no manifest.json)"
    shutil.copytree(folder, f)
    if what == "corrupt_summary":
        (f / "summary.parquet").write_bytes(b"not parquet")
        return [str(f)], "summary.parquet: not a readable Parquet table"
    if what == "corrupt_manifest":
        (f / "manifest.json").write_text("{", encoding="utf-8")
        return [str(f)], "manifest.json: unreadable manifest"
    if what == "out_is_folder":
        return [str(f), "--out", str(tmp_path)], "is a folder"
    if what == "out_not_xlsx":
        return [str(f), "--out", str(tmp_path / "r.csv")], "must end in .xlsx"
    raise AssertionError(what)


@pytest.mark.parametrize("what", ["missing", "empty", "corrupt_summary", "corrupt_manifest",
                                  "out_is_folder", "out_not_xlsx"])
def test_cli_export_bad_input_exits_2_with_one_line(folder, tmp_path, capsys, what):
    args, msg = _bad(tmp_path, folder, what)
    assert main(["export", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("clustersim: error: "), err
    assert msg in err
    assert "Traceback" not in err


def test_cli_report_bad_input_exits_2_naming_the_file(folder, tmp_path, capsys):
    args, msg = _bad(tmp_path, folder, "corrupt_summary")
    assert main(["report", *args]) == 2
    err = capsys.readouterr().err
    assert msg in err and err.count("\n") == 1
