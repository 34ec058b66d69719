"""docs/tutorial.ipynb runs top to bottom in a fresh folder (#22, item 6).

Executed with nbclient in a Python kernel whose ``sim`` is this source tree; its outputs
are checked where the tutorial makes a claim: the run prints the probability table, the
compare is paired, the sweep's pivot has one row per swept value.
"""

import os
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # executes the notebook in a Jupyter kernel process

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "docs" / "tutorial.ipynb"


def _text(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":
            parts.append(o["text"])
        elif "data" in o:
            parts.append(o["data"].get("text/plain", ""))
    return "".join(parts)


def test_tutorial_runs_and_says_what_it_claims(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit the notebook without outputs"
    t0 = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    seconds = time.perf_counter() - t0
    code = [(c.source, _text(c)) for c in nb.cells if c.cell_type == "code"]

    def output(containing: str) -> str:
        return next(text for src, text in code if containing in src)

    run = output('clustersim("show results/tutorial/plan")')
    assert "scenario plan: 12 replicates" in run and "P(met)" in run
    assert "Ten clusters: total output" in run
    assert (tmp_path / "results" / "tutorial" / "plan" / "summary.parquet").is_file()
    assert "p_met" in output("plan = load_results")
    compare = output("clustersim(\"compare")
    assert "paired by replicate" in compare and "warning" not in compare
    pivot = output("from sim.analysis.sweep").strip().splitlines()
    assert pivot[1].startswith("factor.levers.cold_chain_new_capacity_wan_t")
    # one row per cold-chain level of experiments/cold_chain.yaml
    assert [float(x.split()[0]) for x in pivot[2:]] == [0, 1.5, 3, 6, 9, 12]
    assert "clustersim dashboard" in nb.cells[-1].source
    print(f"tutorial executed in {seconds:.0f} s")
