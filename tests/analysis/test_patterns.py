"""``clustersim patterns``: agent-level patterns against the model's 5-95% band."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.analysis import patterns as pt
from sim.cli.main import main

TINY = ["-n", "2", "--households-per-agent", "20000", "--seed", "7", "-q"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One tiny run of the command on the shipped data (2 replicates, 1:20000)."""
    out = tmp_path_factory.mktemp("patterns")
    code = main(["patterns", *TINY, "--out", str(out)])
    return code, out


def _copy_with(tmp_path, pattern: str, value: float):
    """A copy of the shipped patterns file with one pattern's published value moved."""
    pats = pt.load_patterns()
    pats.loc[pats["pattern"] == pattern, "value"] = value
    path = tmp_path / "patterns.csv"
    pats.to_csv(path, index=False)
    return path


def test_command_runs_and_saves_one_row_per_pattern(run, capsys):
    code, out = run
    assert code == 0
    table = pd.read_csv(out / "patterns.csv")
    shipped = pt.load_patterns()
    assert list(table["pattern"]) == list(shipped["pattern"])
    assert set(table["verdict"]) <= {"inside", "outside"}
    assert (table["replicates"] == 2).all()
    assert (table["model_p5"] <= table["model_median"]).all()
    assert (table["model_median"] <= table["model_p95"]).all()
    values = pd.read_csv(out / "model_values.csv")
    assert sorted(values["year"].unique()) == list(range(2020, 2026))
    # the printed table has a line per pattern with its verdict
    code = main(["patterns", "--values", str(out / "model_values.csv")])
    printed = capsys.readouterr().out
    assert code == 0
    for r in table.itertuples():
        line = next(x for x in printed.splitlines() if x.startswith(r.pattern + " "))
        assert line.split()[-1] == r.verdict


def test_planted_pattern_flips_its_verdict(run, tmp_path):
    """A published value at the model's median is inside; moved far away, outside."""
    _, out = run
    table = pd.read_csv(out / "patterns.csv")
    row = table[table["pattern"] == "households_renting_out"].iloc[0]
    values = str(out / "model_values.csv")
    for planted, verdict in ((row.model_median, "inside"), (row.model_p95 * 10 + 1, "outside"),
                             (row.model_p5 - 1, "outside")):
        path = _copy_with(tmp_path, "households_renting_out", planted)
        folder = tmp_path / verdict
        assert main(["patterns", "--values", values, "--patterns", str(path),
                     "--out", str(folder)]) == 0
        got = pd.read_csv(folder / "patterns.csv").set_index("pattern")["verdict"]
        assert got["households_renting_out"] == verdict
        # the other rows keep the verdicts of the shipped file
        other = table.set_index("pattern")["verdict"].drop("households_renting_out")
        assert (got.drop("households_renting_out") == other).all()


def test_every_pattern_has_a_source_a_year_and_a_known_quantity():
    pats = pt.load_patterns()
    assert len(pats) >= 8
    for r in pats.itertuples():
        assert "http" in r.source, r.pattern
        assert 2000 <= r.year <= 2025, r.pattern
        assert r.quality in pt.QUALITIES
        assert r.quantity in pt.QUANTITIES
        assert r.definition.strip()


def test_band_is_the_5_to_95_percent_quantiles():
    values = pd.DataFrame({"seed": range(101), "year": 2021, "quantity": "cooperatives",
                           "value": [float(i) for i in range(101)]})
    pats = pd.DataFrame([{"pattern": p, "quantity": "cooperatives", "year": 2021, "value": v,
                          "unit": "count", "definition": "d", "source": "s http://x",
                          "quality": "S"} for p, v in (("lo_in", 5.0), ("lo_out", 4.9),
                                                       ("hi_in", 95.0), ("hi_out", 95.1))])
    t = pt.compare(pats, values).set_index("pattern")
    assert t.loc["lo_in", "model_p5"] == pytest.approx(5.0)
    assert t.loc["hi_in", "model_p95"] == pytest.approx(95.0)
    assert list(t["verdict"]) == ["inside", "outside", "inside", "outside"]


def test_years_outside_the_run_compare_in_the_nearest_model_year():
    assert pt.model_year(2016) == 2020
    assert pt.model_year(2023) == 2023
    assert pt.model_year(2030) == 2025


def test_unknown_quantity_is_a_usage_error_naming_file_and_allowed(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    pats = pt.load_patterns()
    pats.loc[0, "quantity"] = "households_rentng_out"
    pats.to_csv(path, index=False)
    assert main(["patterns", "--patterns", str(path), *TINY]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "households_rentng_out" in err
    assert "households_renting_out_share" in err  # the allowed values are listed


def test_docs_table_has_a_row_per_shipped_pattern_with_a_verdict():
    from sim.config.files import SOURCE_ROOT
    doc = (SOURCE_ROOT / "docs" / "patterns.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip().strip("`"): line.split("|")[6].strip()
            for line in doc.splitlines() if line.startswith("| `")}
    for p in pt.load_patterns()["pattern"]:
        assert rows.get(p) in ("inside", "outside"), f"docs/patterns.md lacks a row for {p}"


def test_out_is_checked_before_the_run_and_bad_values_are_usage_errors(run, tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    assert main(["patterns", *TINY, "--out", str(a_file)]) == 2
    err = capsys.readouterr().err
    assert "is a file" in err and "replicate" not in err   # refused before any replicate ran
    _, out = run
    bad = tmp_path / "bad.csv"
    v = pd.read_csv(out / "model_values.csv").astype({"value": object})
    v.loc[0, "value"] = "about 40%"
    v.to_csv(bad, index=False)
    assert main(["patterns", "--values", str(bad)]) == 2
    assert "column value: not a number" in capsys.readouterr().err
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("种子,年份\n1,2020\n".encode("gbk"))
    assert main(["patterns", "--values", str(gbk)]) == 2
    assert "cannot read" in capsys.readouterr().err
