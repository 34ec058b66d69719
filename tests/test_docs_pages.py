"""Generated docs pages: docs/cli.md lists every subcommand and option; docs/make_results.py
writes a results page from a named folder."""

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli.main import parser

REPO = Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location("make_cli", REPO / "docs" / "make_cli.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    return _generator()._subparsers(parser())


def test_cli_doc_has_a_section_per_subcommand_with_its_options():
    doc = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    subs = _subcommands()
    assert len(subs) >= 14  # run, sweep, ..., export: the parser was read
    for name, sp in subs.items():
        assert f"## `clustersim {name}`" in doc, f"docs/cli.md has no section for {name}"
        section = doc.split(f"## `clustersim {name}`", 1)[1].split("\n## ", 1)[0]
        for action in sp._actions:
            for opt in action.option_strings:
                assert opt in section, f"docs/cli.md: {name} lacks {opt} (run docs/make_cli.py)"


def test_cli_doc_generator_is_deterministic_and_machine_free():
    gen = _generator()
    text = gen.cli_markdown()
    assert text == gen.cli_markdown()
    assert "all cores, " not in text  # the core count of this machine is not written down
    for name in _subcommands():
        assert f"## `clustersim {name}`" in text


@pytest.mark.integration
def test_results_page_is_written_from_the_named_folder(tmp_path):
    from sim.model.outcomes import TARGETS

    out = tmp_path / "results" / "small"
    r = subprocess.run([sys.executable, "-m", "sim", "run", "plan", "-n", "4",
                        "--households-per-agent", "8000", "--quiet", "--workers", "1",
                        "--out", str(out)], cwd=tmp_path, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    spec = importlib.util.spec_from_file_location("make_results",
                                                  REPO / "docs" / "make_results.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    page = tmp_path / "results.md"
    assert mod.main([str(out), "--out", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    main_table, reported = text.split("## On the province's reported basis")
    reported, causes = reported.split("## What decides each headline answer")
    rows = [ln for ln in main_table.splitlines() if ln.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == [t.name for t in TARGETS]
    from sim.model.outcomes import HEADLINE_GROUPS
    from sim.model.reported import BRIDGES
    bridged = [ln.split("`")[1] for ln in reported.splitlines() if ln.startswith("| `")]
    assert bridged == [b.target for b in BRIDGES]
    # the decomposition: a row per headline target; four replicates are too few for shares
    decided = [ln for ln in causes.splitlines() if ln.startswith("| `")]
    assert [ln.split("`")[1] for ln in decided] == [t.name for t in TARGETS
                                                   if t.group in HEADLINE_GROUPS]
    assert all("fewer than" in ln for ln in decided)
    assert "4 replicates (0 failed)" in text
    assert "clustersim run plan -n 4" in text  # the command as recorded in the manifest
    assert "| nan |" not in text and "prior: uncertainties from their declared ranges" in text


def _backtest_generator():
    spec = importlib.util.spec_from_file_location("make_backtest",
                                                  REPO / "docs" / "make_backtest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_backtest_page_is_written_from_the_named_folder(tmp_path):
    """docs/make_backtest.py rewrites only its part of the page, from the folder's tables."""
    from sim.cli.main import main
    mod = _backtest_generator()
    folder = tmp_path / "bt"
    assert main(["backtest", "--origin", "2020", "-n", "4", "--households-per-agent", "8000",
                 "--workers", "1", "-q", "--out", str(folder)]) == 0
    page = tmp_path / "backtest.md"
    page.write_text(f"# hand\n\nbefore\n\n{mod.BEGIN}\nold\n{mod.END}\n\nafter\n",
                    encoding="utf-8")
    assert mod.main([str(folder), "--out", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# hand\n\nbefore\n\n") and text.endswith("\n\nafter\n")
    assert "\nold\n" not in text
    gen = text.split(mod.BEGIN)[1].split(mod.END)[0]
    assert "### Origin 2020" in gen and "4 replicates per forecast" in gen
    for g in ("| anchored |", "| exogenous |", "| free |"):
        assert g in gen
    assert "| `agri_output` | free |" in gen and "| `grain` | free |" in gen
    assert "Bar on the free group" in gen and "no calibration" in gen
    assert "| nan" not in gen


def test_backtest_page_names_the_command_its_tables_come_from():
    mod = _backtest_generator()
    text = (REPO / "docs" / "backtest.md").read_text(encoding="utf-8")
    assert text.count(mod.BEGIN) == text.count(mod.END) == 1
    gen = text.split(mod.BEGIN)[1].split(mod.END)[0]
    assert "python docs/make_backtest.py --run" in gen
    assert "clustersim backtest " + " ".join(mod.ARGS) in gen
    assert "### Origin 2020" in gen and "### Origin 2021" in gen
