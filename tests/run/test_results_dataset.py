"""The results folder as a data set: pyarrow.dataset and duckdb read the tables directly,
with each column's unit and description in the schema (issue #12, item 11)."""

import json

import pyarrow.dataset as ds
import pytest

from sim.analysis.montecarlo import run_scenario
from sim.model.outcomes import METRIC_BY_NAME, TARGET_BY_NAME
from sim.model.params import UNCERTAINTIES


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "plan"
    run_scenario("plan", out, replicates=3, seed=5, households_per_agent=8000)
    return out


def meta(field):
    return {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}


def test_pyarrow_dataset_reads_replicates_with_units(folder):
    d = ds.dataset(folder / "replicates.parquet")
    t = d.to_table()
    assert t.num_rows == 3 and t.column("replicate").to_pylist() == [0, 1, 2]
    assert meta(d.schema.field("out.output_total")) == {
        "unit": METRIC_BY_NAME["output_total"].unit,
        "description": "2025 value: Ten clusters: total output"}
    p = next(u for u in UNCERTAINTIES if u.per)
    key = f"in.{p.name}.{p.keys[0]}"
    assert meta(d.schema.field(key))["unit"] == p.unit
    assert p.description in meta(d.schema.field(key))["description"]
    t_ = TARGET_BY_NAME["output_total"]
    assert f">= {t_.threshold:g} {t_.unit}" in meta(d.schema.field("met.output_total"))[
        "description"]
    assert "text" in meta(d.schema.field("seed"))["description"]
    # every column is described
    assert all(meta(f).get("description") for f in d.schema)


def test_pyarrow_dataset_reads_trajectories_with_units(folder):
    d = ds.dataset(folder / "trajectories.parquet")
    t = d.to_table(filter=ds.field("metric") == "output_total")
    assert sorted(set(t.column("year").to_pylist())) == list(range(2020, 2026))
    value = meta(d.schema.field("value"))
    units = json.loads(value["units_by_metric"])
    assert units["output_total"] == "亿元" and units.keys() == METRIC_BY_NAME.keys()
    assert meta(d.schema.field("year"))["unit"] == "year"


def test_the_folder_lists_only_its_tables_as_parquet(folder):
    """Chunks live in _chunks/ (skipped by dataset discovery); manifest.json is JSON, so a
    whole-folder dataset needs exclude_invalid_files (docs/results-schema.md)."""
    d = ds.dataset(folder, format="parquet", exclude_invalid_files=True)
    names = sorted(p.rsplit("/", 1)[1] for p in d.files)
    assert names == ["failures.parquet", "replicates.parquet", "summary.parquet",
                     "trajectories.parquet"]
    assert (folder / "_chunks").is_dir()


def test_duckdb_reads_replicates_and_trajectories_with_units(folder):
    duckdb = pytest.importorskip("duckdb")  # in the test extra; skipped only where absent
    con = duckdb.connect()
    rep, traj = str(folder / "replicates.parquet"), str(folder / "trajectories.parquet")
    n, total = con.execute(f"SELECT count(*), sum(\"out.output_total\") FROM '{rep}'").fetchone()
    assert n == 3 and total > 0
    rows = con.execute(f"SELECT count(DISTINCT replicate), count(DISTINCT year) FROM '{traj}' "
                       "WHERE metric = 'output_total'").fetchone()
    assert rows == (3, 6)
    kv = dict(con.execute(f"SELECT decode(key), decode(value) FROM parquet_kv_metadata('{rep}')")
              .fetchall())
    assert json.loads(kv["clustersim.units"])["out.output_total"] == "亿元"
    assert json.loads(kv["clustersim.descriptions"])["replicate"].startswith("replicate index")
    kv = dict(con.execute(f"SELECT decode(key), decode(value) FROM parquet_kv_metadata('{traj}')")
              .fetchall())
    assert json.loads(kv["clustersim.units"])["year"] == "year"
