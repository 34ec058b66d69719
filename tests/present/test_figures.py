"""Figures say what they show (#12, item 13): factor axes with units, heatmap layout and
colour bar, English legends in English, PRIM titles not clipped, compare as B − A."""

import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sim.analysis.montecarlo import run as run_montecarlo  # noqa: E402
from sim.analysis.stats import compare  # noqa: E402
from sim.analysis.sweep import load_sweep, prepare_sweep, run_sweep  # noqa: E402
from sim.config.experiment import load_experiment  # noqa: E402
from sim.config.scenario import load  # noqa: E402
from sim.present import plots  # noqa: E402
from sim.present.analysis_figures import plot_trajectory  # noqa: E402
from sim.present.plots import factor_label, plot_compare, plot_sweep, setup_fonts  # noqa: E402
from sim.run.batch import prepare  # noqa: E402
from sim.run.evaluators import Evaluator  # noqa: E402
from sim.run.store import load_results  # noqa: E402
from tests._shared import HPA  # noqa: E402

CJK = re.compile(r"[\u3400-\u9fff]")


def _batch(folder, name, n=6, seed=4):
    m = prepare(folder, load(name), name, n, seed, HPA, resume=False)
    run_montecarlo(folder, m, Evaluator(progress=False))
    return load_results(folder)


def _sweep(folder, factors: str):
    exp_file = folder.parent / f"{folder.name}.yaml"
    exp_file.write_text(f"name: {folder.name}\nscenario: plan\nreplicates: 3\nseed: 2\n"
                        f"design:\n  type: grid\n  factors:\n{factors}")
    exp = load_experiment(str(exp_file))
    m = prepare_sweep(folder, exp, 3, HPA, resume=False)
    run_sweep(folder, exp, m, Evaluator(progress=False))
    return load_sweep(folder)


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    d = tmp_path_factory.mktemp("fig")
    return {"a": _batch(d / "nn", "no_new_policy"), "b": _batch(d / "plan", "plan"),
            "dirs": (d / "nn", d / "plan")}


@pytest.fixture(scope="module")
def sweep1(tmp_path_factory):
    return _sweep(tmp_path_factory.mktemp("sw1") / "one",
                  "    levers.cold_chain_new_capacity_wan_t: [0, 12]\n")


@pytest.fixture(scope="module")
def sweep2(tmp_path_factory):
    return _sweep(tmp_path_factory.mktemp("sw2") / "two",
                  "    levers.capital_subsidy_rate: [0.0, 0.4]\n"
                  "    levers.brand_fund_yi_yuan: [0.0, 2.0]\n")


def test_factor_labels_come_from_the_declaration():
    assert factor_label("levers.cold_chain_new_capacity_wan_t") == \
        "Subsidised cold-storage programme offered at each platform per year (万吨/yr)"
    assert factor_label("levers.brand_fund_yi_yuan.dairy") == \
        "Marketing fund per cluster; raises market-share gain, dairy (亿元/yr)"
    assert factor_label("uncertainties.hurdle_rate").endswith("(1/yr)")
    zh = factor_label("levers.cold_chain_new_capacity_wan_t", "zh")
    assert zh == "各平台每年补助新建冷库规模（万吨/年）"  # the name in Chinese, not the code
    assert factor_label("settings.replicates") == "settings.replicates"  # nothing declared


def test_one_factor_sweep_axis_has_description_and_unit(sweep1):
    setup_fonts("en")
    fig = plot_sweep(sweep1)
    ax = fig.axes[0]
    assert "(万吨/yr)" in ax.get_xlabel()
    assert "Subsidised cold-storage programme" in ax.get_xlabel()
    assert "levers." not in ax.get_xlabel()
    plt.close(fig)


def test_english_sweep_legend_is_english(sweep1):
    setup_fonts("en")
    fig = plot_sweep(sweep1, targets=["tier_fruit_champion", "tier_cosmetics_flagship",
                                      "cold_chain_new"])
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert len(legend) == 3
    assert not [x for x in legend if CJK.search(x)], legend
    assert "Fruit (fresh and dried): 1 firm(s) ≥ 3 bn yuan" in legend
    assert "Cosmetics: 2 firm(s) ≥ 100M yuan" in legend
    plt.close(fig)
    setup_fonts("zh")
    fig = plot_sweep(sweep1, "zh", targets=["tier_fruit_champion"])
    assert "亿" in fig.axes[0].get_legend().get_texts()[0].get_text()  # Chinese keeps 亿
    plt.close(fig)


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_heatmaps_labels_clear_of_other_panels_and_colour_bar_label(sweep2):
    setup_fonts("en")
    targets = list(sweep2["summary"]["target"].unique()[:5])
    fig = plot_sweep(sweep2, targets=targets)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    panels = [a for a in fig.axes if a.images]
    assert len(panels) == 5
    bars = [a for a in fig.axes if not a.images and a.get_visible() and a.get_ylabel()]
    assert [b.get_ylabel() for b in bars] == ["P(target met)"]
    for ax in panels:
        assert "(share of capex)" in ax.get_xlabel()
        for label in (ax.xaxis.label, ax.yaxis.label, ax.title):
            if not label.get_text():
                continue
            box = label.get_window_extent(r)
            for other in panels:
                if other is not ax:
                    assert not _overlaps(box, other.get_window_extent(r)), label.get_text()
    ylabels = [a.get_ylabel() for a in panels if a.get_ylabel()]
    assert ylabels and all("亿元/yr" in y for y in ylabels)
    assert len(ylabels) == 2  # one per row (3 columns): shared axes, no repeated labels
    plt.close(fig)


def test_prim_title_is_not_clipped():
    traj = pd.DataFrame({"coverage": [1.0, 0.9, 0.8], "density": [0.5, 0.7, 0.9],
                         "mass": [1.0, 0.6, 0.4], "res_dim": [0, 1, 2]})
    box = {"trajectory": traj, "chosen": 1}
    title = ("PRIM peeling trajectory: Beverages (medicinal tea, juices): output missed · "
             "plan · 30 replicates")
    fig = plot_trajectory([box], title)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    t = fig._suptitle
    assert t.get_text().replace("\n", " ") == title
    fb, tb = fig.bbox, t.get_window_extent(r)
    assert fb.x0 <= tb.x0 and tb.x1 <= fb.x1 and tb.y1 <= fb.y1, (tb, fb)
    plt.close(fig)


def test_compare_is_b_minus_a_like_the_command(batches):
    setup_fonts("en")
    a, b = batches["a"], batches["b"]
    fig = plot_compare(a, b)
    ax, axd = fig.axes[:2]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["A: no_new_policy (baseline)", "B: plan"]
    assert [t.get_text() for t in axd.get_legend().get_texts()] == \
        ["B − A: plan − no_new_policy"]
    assert "B minus A" in axd.get_xlabel()
    want = compare(a, b)[0].set_index("target")["diff"]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    points = axd.containers[0].lines[0]  # the errorbar's data line: y = row of each label
    assert np.allclose(points.get_ydata(), np.arange(len(labels)))
    shown = dict(zip(labels, np.asarray(points.get_xdata(), float), strict=True))
    heads = a["summary"][a["summary"]["group"].isin(plots.HEADLINE_GROUPS)]["target"]
    assert len(heads) == len(labels)
    for tgt in heads:
        assert shown[plots._label(tgt, "en")] == pytest.approx(want[tgt]), tgt
    assert any(want[t] != 0 for t in heads)  # the check has something to compare
    plt.close(fig)


def test_make_plots_puts_against_as_a(batches, tmp_path, monkeypatch):
    nn, pl = batches["dirs"]
    seen = {}

    def spy(ra, rb, lang="en"):
        seen["a"], seen["b"] = ra["manifest"]["name"], rb["manifest"]["name"]
        return plt.figure()

    monkeypatch.setattr(plots, "plot_compare", spy)
    # README: clustersim plot results/plan --kind compare --against results/no_new_policy,
    # and clustersim compare results/no_new_policy results/plan (A = no_new_policy)
    plots.make_plots(pl, ["compare"], out=tmp_path, against=nn)
    assert seen == {"a": "no_new_policy", "b": "plan"}


# ------------------------------------------------------------ defects of #22 (figures)
def _points_under_legends(fig) -> list[tuple[str, float, float]]:
    """Data points (marker positions) drawn where a legend of the figure covers them."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = [ax.get_legend().get_window_extent(r) for ax in fig.axes if ax.get_legend()]
    boxes += [lg.get_window_extent(r) for lg in fig.legends]
    hidden = []
    for ax in fig.axes:
        for line in ax.lines:
            if line.get_marker() in (None, "None", "", " "):
                continue
            xy = ax.transData.transform(np.column_stack(
                [np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)]))
            for b in boxes:
                for x, y in xy:
                    if b.x0 <= x <= b.x1 and b.y0 <= y <= b.y1:
                        hidden.append((line.get_label(), x, y))
    return hidden


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_compare_legend_hides_no_point(batches, lang):
    """#22: the legend sat on the "no large-scale return to poverty" row (P near 1)."""
    setup_fonts(lang)
    fig = plot_compare(batches["a"], batches["b"], lang)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    row = labels.index(plots._label("no_return_to_poverty", lang))
    p = [line for line in ax.lines if line.get_marker() == "o"]
    assert p and any(line.get_xdata()[row] > 0.6 for line in p)  # where the legend sat
    assert _points_under_legends(fig) == []
    plt.close(fig)


def test_zh_sweep_axis_names_the_factor_in_chinese(sweep1):
    """#22: the zh sweep axis showed the code name cold_chain_new_capacity_wan_t."""
    setup_fonts("zh")
    fig = plot_sweep(sweep1, "zh")
    xlabel = fig.axes[0].get_xlabel()
    assert "cold_chain" not in xlabel and not re.search(r"[a-z]+_[a-z]+", xlabel), xlabel
    assert CJK.search(xlabel) and "万吨/年" in xlabel
    plt.close(fig)


def test_histograms_count_replicates_in_whole_numbers(batches):
    """#22: the histograms' count axes showed fractional replicates (0.5, 1.5, ...)."""
    setup_fonts("en")
    fig = plots.plot_distributions(batches["b"], "en")
    fig.canvas.draw()
    for ax in fig.axes:
        lo, hi = ax.get_ylim()
        ticks = [v for v in ax.get_yticks() if lo <= v <= hi]
        assert len(ticks) >= 2, ticks
        assert all(float(v).is_integer() for v in ticks), (ax.get_title(), ticks)
    plt.close(fig)
