"""Figures from stored results, with English or Chinese labels.

Kinds: targets, distributions, fan charts, sweeps and comparisons; plots read only results,
they never run the model.

Chinese labels use Noto Sans CJK SC shipped inside the ``mplfonts`` wheel (a declared
dependency), registered with Matplotlib by file path, so no system font is needed.
"""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from sim.model import plan  # noqa: E402
from sim.model.outcomes import HEADLINE_GROUPS  # noqa: E402
from sim.present.i18n import (  # noqa: E402
    PLOT,
    cluster_label,
    factor_label,  # noqa: F401 - the axis label of a swept factor, re-exported
    target_label,
)

KINDS = ("targets", "distributions", "fan", "sweep", "compare")
FORMATS = ("png", "svg", "pdf")
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"

T = PLOT


def cjk_font_path() -> Path:
    """Path of the bundled CJK font (inside the installed ``mplfonts`` package)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the mplfonts package (a dependency) is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "fonts" / CJK_FONT_FILE


def setup_fonts(lang: str) -> str | None:
    """Register the bundled CJK font; returns its family name.

    Chinese labels use it first; English labels use DejaVu Sans with the CJK font as the
    per-glyph fallback (units such as 亿元 stay readable).
    """
    matplotlib.rcParams["axes.unicode_minus"] = False
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.family"] = ([name, "DejaVu Sans"] if lang == "zh"
                                          else ["DejaVu Sans", name])
    return name


_label = target_label
_cluster_label = cluster_label


def _subtitle(m: dict, lang: str) -> str:
    t = T[lang]
    n = m.get("done", m.get("replicates"))
    return f"{t['scenario']} {m['name']} · {n} {t['replicates']} · {t['seed']} {m['root_seed']}"


def plot_targets(res: dict, lang: str = "en", all_targets: bool = False):
    """Headline figure: P(met) with Wilson intervals for every (headline) target."""
    t = T[lang]
    s = res["summary"]
    if not all_targets:
        s = s[s["group"].isin(HEADLINE_GROUPS)]
    s = s.iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.28 * len(s) + 1.6))
    y = np.arange(len(s))
    ax.errorbar(s["p_met"], y, xerr=[s["p_met"] - s["p_lo"], s["p_hi"] - s["p_met"]],
                fmt="o", color="tab:blue", ecolor="tab:gray", capsize=2, ms=4)
    ax.set_yticks(y, [_label(x, lang) for x in s["target"]], fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    ax.axvline(0.5, color="0.8", lw=0.8, zorder=0)
    ax.set_xlabel(t["p_met"])
    ax.set_title(f"{t['targets_title']}\n{_subtitle(res['manifest'], lang)}", fontsize=10)
    ax.grid(axis="x", color="0.92")
    fig.tight_layout()
    return fig


def plot_distributions(res: dict, lang: str = "en"):
    """Small multiples of each cluster's 2025 output with the target line and P(met)."""
    t = T[lang]
    reps = res["replicates"]
    s = res["summary"].set_index("target")
    fig, axes = plt.subplots(2, 5, figsize=(15, 6))
    for ax, c in zip(axes.flat, plan.CLUSTERS, strict=True):
        v = reps[f"out.output_{c.key}"].to_numpy(float)
        ax.hist(v, bins=20, color="tab:blue", alpha=0.75)
        ax.axvline(c.target_output_yi_yuan, color="tab:red", lw=1.5, label=t["target"])
        row = s.loc[f"output_{c.key}"]
        ax.set_title(_cluster_label(c.key, lang), fontsize=10)
        ax.text(0.97, 0.95, f"P={row['p_met']:.2f}\n[{row['p_lo']:.2f}, {row['p_hi']:.2f}]",
                transform=ax.transAxes, ha="right", va="top", fontsize=8,
                bbox=dict(boxstyle="round", fc="white", ec="0.8"))
        ax.set_xlabel(t["output2025"], fontsize=8)
        ax.tick_params(labelsize=7)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # replicates are counted
    axes.flat[0].set_ylabel(t["count"])
    axes.flat[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"{t['dist_title']} — {_subtitle(res['manifest'], lang)}", fontsize=11)
    fig.tight_layout()
    return fig


def _bands(traj: pd.DataFrame, metric: str) -> pd.DataFrame:
    d = traj[traj["metric"] == metric].pivot(index="replicate", columns="year", values="value")
    q = d.quantile([0.05, 0.25, 0.5, 0.75, 0.95])
    return q


def _fan(ax, q, color="tab:blue", label_median=None, t=None):
    years = q.columns.to_numpy()
    ax.fill_between(years, q.loc[0.05], q.loc[0.95], color=color, alpha=0.18,
                    label=t["band90"] if t else None)
    ax.fill_between(years, q.loc[0.25], q.loc[0.75], color=color, alpha=0.35,
                    label=t["band50"] if t else None)
    ax.plot(years, q.loc[0.5], color=color, lw=1.8, label=label_median)


def plot_fan(res: dict, lang: str = "en"):
    """2020-2025 fan charts per cluster and in total against the plan's path; rural income."""
    t = T[lang]
    traj = res["trajectories"]
    fig, axes = plt.subplots(3, 4, figsize=(15, 10))
    years = np.arange(plan.BASE_YEAR, plan.TARGET_YEAR + 1)
    panels = [(c.key, c.implied_output_2020_yi_yuan, c.target_output_yi_yuan,
               _cluster_label(c.key, lang)) for c in plan.CLUSTERS]
    panels.append(("total", plan.TOTAL_OUTPUT_2020_YI, plan.TOTAL_OUTPUT_TARGET_YI, t["total"]))
    for ax, (key, base, target, title) in zip(axes.flat, panels, strict=False):
        metric = f"output_{key}"
        _fan(ax, _bands(traj, metric), label_median=t["median"], t=t)
        path = base * (target / base) ** ((years - plan.BASE_YEAR) / 5)
        ax.plot(years, path, "--", color="tab:red", lw=1.2, label=t["plan_path"])
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(t["yi"], fontsize=8)
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=7, loc="upper left")
    ax = axes.flat[11]
    _fan(ax, _bands(traj, "rural_income"), label_median=t["shanxi"], t=None)
    _fan(ax, _bands(traj, "national_rural_income"), color="tab:orange",
         label_median=t["national"])
    ax.set_title(t["rural_income"], fontsize=10)
    ax.set_ylabel(t["yuan"], fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"{t['fan_title']} — {_subtitle(res['manifest'], lang)}", fontsize=11)
    fig.tight_layout()
    return fig


def plot_sweep(sw: dict, lang: str = "en", targets: list[str] | None = None):
    """P(met) against the swept value (one factor), heatmaps (two), or per point (other)."""
    from sim.analysis.sweep import varying_targets
    t = T[lang]
    s = sw["summary"]
    m = sw["manifest"]
    factors = m["factors"]
    targets = targets or varying_targets(s)
    title = (f"{t['sweep_title']} — {m['name']} · {m['replicates']} {t['replicates']}"
             f" · {t['seed']} {m['root_seed']}")
    if m["design"] == "grid" and len(factors) == 1:
        f = f"factor.{factors[0]}"
        fig, ax = plt.subplots(figsize=(9, 5.5))
        for i, tg in enumerate(targets):
            g = s[s["target"] == tg].sort_values(f)
            color = f"C{i}"
            ax.plot(g[f], g["p_met"], "o-", color=color, label=_label(tg, lang))
            ax.fill_between(g[f], g["p_lo"], g["p_hi"], color=color, alpha=0.15)
        ax.set_xlabel(textwrap.fill(factor_label(factors[0], lang), 80))
        ax.set_ylabel(t["p_met"])
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.grid(color="0.92")
        fig.tight_layout()
        return fig
    if m["design"] == "grid" and len(factors) == 2:
        fx, fy = (f"factor.{x}" for x in factors)
        k = len(targets)
        ncol = min(k, 3)
        nrow = -(-k // ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.9 * ncol + 1.4, 3.6 * nrow + 1.0),
                                 squeeze=False, sharex=True, sharey=True, layout="constrained")
        for j, (ax, tg) in enumerate(zip(axes.flat, targets, strict=False)):
            g = s[s["target"] == tg].pivot(index=fy, columns=fx, values="p_met")
            im = ax.imshow(g.to_numpy(), origin="lower", vmin=0, vmax=1, cmap="viridis",
                           aspect="auto")
            ax.set_xticks(range(g.shape[1]), [f"{v:g}" for v in g.columns], fontsize=7)
            ax.set_yticks(range(g.shape[0]), [f"{v:g}" for v in g.index], fontsize=7)
            ax.tick_params(labelbottom=True)
            for (i, jj), v in np.ndenumerate(g.to_numpy()):
                ax.text(jj, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if v < 0.6 else "black")
            # Shared axes: the y label on the left column only, clear of the next panel.
            ax.set_xlabel(textwrap.fill(factor_label(factors[0], lang), 40), fontsize=8)
            if j % ncol == 0:
                ax.set_ylabel(textwrap.fill(factor_label(factors[1], lang), 30), fontsize=8)
            ax.set_title(textwrap.fill(_label(tg, lang), 40), fontsize=9)
        for ax in axes.flat[k:]:
            ax.set_visible(False)
        fig.colorbar(im, ax=axes.ravel().tolist(), label=t["p_met_cbar"], shrink=0.8)
        fig.suptitle(title, fontsize=10)
        return fig
    fig, ax = plt.subplots(figsize=(10, 0.3 * s["point"].nunique() + 2))
    pts = sorted(s["point"].unique())
    for i, tg in enumerate(targets):
        g = s[s["target"] == tg].set_index("point").loc[pts]
        y = np.arange(len(pts)) + (i - len(targets) / 2) * 0.1
        ax.errorbar(g["p_met"], y, xerr=[g["p_met"] - g["p_lo"], g["p_hi"] - g["p_met"]],
                    fmt="o", ms=3, color=f"C{i}", label=_label(tg, lang))
    names = s.drop_duplicates("point").set_index("point").loc[pts, "point_name"]
    ax.set_yticks(range(len(pts)), names, fontsize=7)
    ax.set_xlabel(t["p_met"])
    ax.set_xlim(-0.02, 1.02)
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_compare(ra: dict, rb: dict, lang: str = "en"):
    """B against A, as ``clustersim compare A B``: P(met) of each, and B − A with its interval.

    ``ra`` is A (the baseline), ``rb`` is B; the right panel is the paired (same root seed)
    or Newcombe difference that ``clustersim compare`` prints, for the headline targets.
    """
    from sim.analysis.stats import compare
    t = T[lang]
    sa = ra["summary"][ra["summary"]["group"].isin(HEADLINE_GROUPS)].iloc[::-1]
    sb = rb["summary"].set_index("target").loc[sa["target"]].reset_index()
    diff, paired = compare(ra, rb)
    d = diff.set_index("target").loc[sa["target"]]
    fig, (ax, axd) = plt.subplots(1, 2, figsize=(12, 0.3 * len(sa) + 2.2), sharey=True,
                                  gridspec_kw={"width_ratios": [3, 2]}, layout="constrained")
    y = np.arange(len(sa))
    name_a, name_b = ra["manifest"]["name"], rb["manifest"]["name"]
    for s, off, label, color in ((sa, -0.17, f"A: {name_a} ({t['baseline']})", "tab:gray"),
                                 (sb, 0.17, f"B: {name_b}", "tab:blue")):
        ax.errorbar(s["p_met"].to_numpy(), y + off,
                    xerr=[s["p_met"] - s["p_lo"], s["p_hi"] - s["p_met"]], fmt="o", ms=4,
                    color=color, capsize=2, label=label)
    ax.set_yticks(y, [_label(x, lang) for x in sa["target"]], fontsize=8)
    ax.set_ylim(-0.7, len(sa) - 0.3)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel(t["p_met"])
    # Legends above the panels, outside the data: any row may have its points anywhere.
    ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.01), ncols=2,
              frameon=False, borderaxespad=0)
    ax.grid(axis="x", color="0.92")
    dv = d["diff"].to_numpy(float)
    axd.errorbar(dv, y, xerr=[dv - d["lo"].to_numpy(float), d["hi"].to_numpy(float) - dv],
                 fmt="o", ms=4, color="tab:purple", capsize=2,
                 label=f"B − A: {name_b} − {name_a}")
    axd.axvline(0, color="0.5", lw=0.8)
    axd.set_xlabel(f"{t['diff']}\n{t['paired'] if paired else t['unpaired']}", fontsize=9)
    axd.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0, 1.01), frameon=False,
               borderaxespad=0)
    axd.grid(axis="x", color="0.92")
    fig.suptitle(f"{t['compare_title']}\nA: {_subtitle(ra['manifest'], lang)}\n"
                 f"B: {_subtitle(rb['manifest'], lang)}", fontsize=9)
    return fig


def save(fig, path: Path) -> Path:
    """Save and close a figure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)
    return path


def make_plots(folder: str | Path, kinds: list[str] | None = None, lang: str = "en",
               fmt: str = "png", out: str | Path | None = None,
               against: str | Path | None = None) -> list[Path]:
    """Draw the asked kinds of figure for a batch or sweep folder; returns the files."""
    from sim.analysis.sweep import SWEEP_MANIFEST, load_sweep
    from sim.run.store import load_results
    folder = Path(folder)
    setup_fonts(lang)
    out = Path(out) if out else folder / "figures"
    is_sweep = (folder / SWEEP_MANIFEST).is_file()
    if kinds is None:
        kinds = ["sweep"] if is_sweep else (["targets", "distributions", "fan"]
                                            + (["compare"] if against else []))
    files = []
    for kind in kinds:
        name = out / f"{kind}_{lang}.{fmt}"
        if kind == "sweep":
            if not is_sweep:
                raise ValueError(f"{folder}: not a sweep folder (kind sweep needs one)")
            files.append(save(plot_sweep(load_sweep(folder), lang), name))
            continue
        if is_sweep:
            raise ValueError(f"{folder}: a sweep folder; plot a point's folder "
                             f"({folder}/points/p000) for kind {kind}")
        res = load_results(folder)
        if kind == "compare":
            if against is None:
                raise ValueError("kind compare needs --against DIR")
            # As `clustersim compare A B`: --against is A (the baseline), this folder is B.
            files.append(save(plot_compare(load_results(against), res, lang), name))
        else:
            fn = {"targets": plot_targets, "distributions": plot_distributions,
                  "fan": plot_fan}[kind]
            files.append(save(fn(res, lang), name))
    return files
