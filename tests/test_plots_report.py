"""Plots, sweeps and the report from small stored batches (headless)."""

import base64
from html.parser import HTMLParser

import matplotlib
import pytest

matplotlib.use("Agg")
from matplotlib.ft2font import FT2Font  # noqa: E402

from sim.analysis.montecarlo import run as run_montecarlo  # noqa: E402
from sim.analysis.sweep import load_sweep, prepare_sweep, run_sweep  # noqa: E402
from sim.config.experiment import load_experiment  # noqa: E402
from sim.config.scenario import ScenarioError, load  # noqa: E402
from sim.model import plan  # noqa: E402
from sim.present.plots import (
    cjk_font_path,
    plot_compare,
    plot_distributions,
    plot_fan,
    plot_sweep,  # noqa: E402
    plot_targets,
    setup_fonts,
)
from sim.run.batch import prepare  # noqa: E402
from sim.run.evaluators import Evaluator  # noqa: E402
from sim.run.store import load_results  # noqa: E402

HPA = 8000


def _batch(folder, name="plan", n=6, seed=4):
    scn = load(name)
    m = prepare(folder, scn, name, n, seed, HPA, resume=False)
    run_montecarlo(folder, m, Evaluator(progress=False))
    return load_results(folder)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    return _batch(tmp_path_factory.mktemp("b") / "plan")


@pytest.fixture(scope="module")
def batch_b(tmp_path_factory):
    return _batch(tmp_path_factory.mktemp("b") / "nn", "no_new_policy")


def _texts(fig):
    out = []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_yticklabels() + ax.texts]
        leg = ax.get_legend()
        if leg:
            out += [t.get_text() for t in leg.get_texts()]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    return out


def test_targets_figure(batch):
    setup_fonts("en")
    fig = plot_targets(batch)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "Ten clusters: total output" in labels
    assert len(labels) == sum(batch["summary"]["group"].isin(
        ["cluster_output", "province", "platforms"]))
    assert ax.get_xlim()[0] < 0 < 1 < ax.get_xlim()[1]
    assert "scenario plan" in ax.get_title() and "6 replicates" in ax.get_title() \
        and "seed 4" in ax.get_title()


def test_distributions_have_ten_panels_with_target_lines(batch):
    setup_fonts("en")
    fig = plot_distributions(batch)
    assert len(fig.axes) == 10
    for ax, c in zip(fig.axes, plan.CLUSTERS, strict=True):
        xs = [line.get_xdata()[0] for line in ax.get_lines()]
        assert c.target_output_yi_yuan in xs  # the target line
        assert any(t.get_text().startswith("P=") for t in ax.texts)


def test_fan_has_plan_path_and_income_panel(batch):
    setup_fonts("en")
    fig = plot_fan(batch)
    assert len(fig.axes) == 12
    total = fig.axes[10]
    path = [ln for ln in total.get_lines() if ln.get_linestyle() == "--"][0]
    assert path.get_ydata()[-1] == pytest.approx(plan.TOTAL_OUTPUT_TARGET_YI)
    assert path.get_ydata()[0] == pytest.approx(plan.TOTAL_OUTPUT_2020_YI)
    assert plan.TOTAL_OUTPUT_2020_YI == pytest.approx(850.7, abs=0.05)  # plan-targets.md
    legend = [t.get_text() for t in fig.axes[11].get_legend().get_texts()]
    assert any("national" in t for t in legend)


def test_chinese_labels_have_glyphs_in_the_font_used(batch):
    name = setup_fonts("zh")
    assert matplotlib.rcParams["font.family"][0] == name
    font = FT2Font(str(cjk_font_path()))
    charmap = font.get_charmap()
    figs = [plot_targets(batch, "zh"), plot_distributions(batch, "zh"), plot_fan(batch, "zh")]
    chars = {ch for f in figs for t in _texts(f) for ch in t if ord(ch) > 0x2E80}
    assert len(chars) > 30  # really Chinese labels
    missing = [ch for ch in chars if ord(ch) not in charmap]
    assert not missing
    assert "酿品" in _texts(figs[1])


def test_compare_figure(batch, batch_b):
    setup_fonts("en")
    fig = plot_compare(batch, batch_b)
    leg = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert leg == ["plan", "no_new_policy"]


EXP = """name: tiny
scenario: plan
replicates: 3
seed: 2
design:
  type: grid
  factors:
    levers.capital_subsidy_rate: [0.0, 0.4]
    levers.brand_fund_yi_yuan: [0.0, 2.0]
"""


def test_sweep_runs_resumes_and_plots(tmp_path):
    f = tmp_path / "tiny.yaml"
    f.write_text(EXP)
    exp = load_experiment(str(f))
    assert len(exp["points"]) == 4
    folder = tmp_path / "out"
    m = prepare_sweep(folder, exp, 3, HPA, resume=False)
    s = run_sweep(folder, exp, m, Evaluator(progress=False))
    assert len(s) == 4 * s["target"].nunique()
    # common random numbers: every point's replicate seeds are the same
    seeds = {tuple(load_results(folder / "points" / p["id"])["replicates"]["seed"])
             for p in exp["points"]}
    assert len(seeds) == 1
    m2 = prepare_sweep(folder, exp, 3, HPA, resume=True)
    s2 = run_sweep(folder, exp, m2, Evaluator(progress=False))
    assert s2.equals(s)
    setup_fonts("en")
    fig = plot_sweep(load_sweep(folder), targets=["output_total", "investment"])
    assert len([a for a in fig.axes if a.images]) == 2  # one heatmap per target


@pytest.mark.parametrize("text,msg", [
    ("design: {type: grd, factors: {levers.capital_subsidy_rate: [0.1]}}", "did you mean 'grid'"),
    ("design: {type: grid, factors: {levers.capital_subsidy_rate: 0.1}}", "list of values"),
    ("design: {type: grid, factors: {levers.capital_subsidy_rate: [9]}}", "out of range"),
    ("design: {type: grid, factors: {levers.capital_subsidy_rat: [0.1]}}", "did you mean"),
    ("design: {type: lhs, factors: {levers.capital_subsidy_rate: {low: 0, high: 1}}}",
     "needs n"),
    ("design: {type: lhs, n: 4, factors: {levers.capital_subsidy_rate: {low: 1, high: 0}}}",
     "above high"),
    ("replicates: -3\ndesign: {type: grid, factors: {levers.capital_subsidy_rate: [0.1]}}",
     "whole number"),
    ("scenario: nope\ndesign: {type: grid, factors: {levers.capital_subsidy_rate: [0.1]}}",
     "no such scenario"),
])
def test_experiment_validation(tmp_path, text, msg):
    f = tmp_path / "e.yaml"
    f.write_text(text)
    with pytest.raises(ScenarioError, match=msg):
        load_experiment(str(f))


def test_shipped_experiments_load():
    from sim.config.experiment import shipped_experiments
    names = shipped_experiments()
    assert {"cold_chain", "capital_subsidy", "land_service", "subsidy_x_brand"} <= set(names)
    for n in names:
        assert load_experiment(n)["points"]


class _Imgs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.srcs.append(dict(attrs)["src"])


def test_report_is_self_contained_html(tmp_path):
    from sim.present.report import write_report
    folder = tmp_path / "r"
    _batch(folder)
    path = write_report(folder, tmp_path / "report.html")
    text = path.read_text(encoding="utf-8")
    p = _Imgs()
    p.feed(text)
    assert text.startswith("<!DOCTYPE html>") and "</html>" in text
    assert len(p.srcs) == 3
    for src in p.srcs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "output_total" in text and "root_seed" in text and "capital_subsidy_rate" in text
    assert "http://" not in text and "https://" not in text  # nothing fetched when opened
