"""Figures of the analyses (backtest, PRIM, history check, optimiser, sensitivity).

The analyses in ``sim.analysis`` return data; these functions draw it. Each returns a
Matplotlib figure (``plot_backtest`` writes one file per metric and returns the paths).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from sim.analysis.backtest import LAST_YEAR, Z90  # noqa: E402
from sim.analysis.optimize import frontier  # noqa: E402
from sim.analysis.sensitivity import ranked  # noqa: E402
from sim.model.outcomes import METRIC_BY_NAME  # noqa: E402
from sim.present.i18n import PLOT, unit_text  # noqa: E402


def plot_backtest(observed: pd.DataFrame, forecasts: dict, folder: Path) -> list[Path]:
    """One figure per scored metric: a panel per origin with the forecasts and the data."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    metrics = sorted(set(observed["metric"]))
    origins = sorted(forecasts)
    for m in metrics:
        o = observed[observed["metric"] == m]
        if not ((o["year"] > min(origins)) & (o["year"] <= LAST_YEAR)).any():
            continue
        fig, axes = plt.subplots(1, len(origins), figsize=(4.6 * len(origins), 3.4),
                                 squeeze=False, sharey=True)
        for ax, origin in zip(axes[0], origins, strict=True):
            fc = forecasts[origin]
            d = fc["model"][fc["model"]["metric"] == m]
            q = d.groupby("year")["value"].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
            ax.fill_between(q.index, q[0.05], q[0.95], color="tab:blue", alpha=0.2,
                            label="model 90%")
            ax.fill_between(q.index, q[0.25], q[0.75], color="tab:blue", alpha=0.35,
                            label="model 50%")
            ax.plot(q.index, q[0.5], color="tab:blue", lw=1.2)
            nv = fc["naive"].get(m)
            for f, style in (("trend", "--"), ("last_growth", ":")):
                if nv and nv[f]:
                    yrs = sorted(nv[f])
                    qs = np.array([np.exp(nv[f][y][0] + np.array([-Z90, 0, Z90]) * nv[f][y][1])
                                   for y in yrs])
                    ax.plot(yrs, qs[:, 1], style, color="0.2", lw=1, label=f"{f} median")
                    ax.plot(yrs, qs[:, 0], style, color="0.6", lw=0.8)
                    ax.plot(yrs, qs[:, 2], style, color="0.6", lw=0.8)
            tr = o[o["year"] <= origin]
            ho = o[o["year"] > origin]
            ax.plot(tr["year"], tr["value"], "o", color="black", ms=4, label="known at origin")
            ax.plot(ho["year"], ho["value"], "o", mfc="none", color="tab:red", ms=5,
                    label="held out")
            ax.axvline(origin + 0.5, color="0.5", lw=0.8)
            ax.set_title(f"{m} · origin {origin}", fontsize=9)
            ax.tick_params(labelsize=7)
            ax.legend(fontsize=6, loc="upper left")
        fig.tight_layout()
        path = folder / f"backtest-{m}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        files.append(path)
    return files


def plot_trajectory(boxes: list[dict], title: str):
    """Peeling trajectories: coverage against density, coloured by restricted dimensions."""
    k = max(len(boxes), 1)
    fig, axes = plt.subplots(1, k, figsize=(5.5 * k, 4.8), squeeze=False,
                             layout="constrained")
    for k, (ax, b) in enumerate(zip(axes[0], boxes, strict=False)):
        t = b["trajectory"]
        sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18)
        ax.plot(t["coverage"], t["density"], color="0.7", lw=0.8, zorder=0)
        ch = t.loc[b["chosen"]]
        ax.scatter([ch["coverage"]], [ch["density"]], s=120, facecolors="none",
                   edgecolors="red", label="chosen box")
        ax.set_xlabel("coverage")
        ax.set_ylabel("density")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"box {k + 1}", fontsize=9)
        ax.legend(fontsize=7, loc="lower left")
        cb = fig.colorbar(sc, ax=ax, label="restricted dimensions")
        cb.locator = MaxNLocator(integer=True)
        cb.update_ticks()
    # Wrapped to the figure's width (about 11 characters per inch at 10 pt), never clipped.
    fig.suptitle(textwrap.fill(title, int(fig.get_figwidth() * 11)), fontsize=10)
    return fig


def plot_history(traj: pd.DataFrame, obs: pd.DataFrame, title: str, lang: str = "en"):
    """Fan chart per observed metric with the observations marked (labels with units)."""
    t = PLOT[lang]
    metrics = [m for m in dict.fromkeys(obs["metric"]) if m in set(traj["metric"])]
    ncol = min(3, max(len(metrics), 1))
    nrow = max(1, -(-len(metrics) // ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.2 * ncol, 3.8 * nrow), squeeze=False)
    for ax in axes.flat[len(metrics):]:
        ax.set_visible(False)
    for ax, m in zip(axes.flat, metrics, strict=False):
        d = traj[traj["metric"] == m].pivot(index="replicate", columns="year", values="value")
        q = d.quantile([0.05, 0.25, 0.5, 0.75, 0.95])
        yrs = q.columns.to_numpy()
        ax.fill_between(yrs, q.loc[0.05], q.loc[0.95], alpha=0.2, color="tab:blue",
                        label=t["model90"])
        ax.fill_between(yrs, q.loc[0.25], q.loc[0.75], alpha=0.4, color="tab:blue",
                        label=t["model50"])
        ax.plot(yrs, q.loc[0.5], color="tab:blue",
                label=t["model_median"])
        o = obs[obs["metric"] == m]
        ax.plot(o["year"], o["value"], "o", color="tab:red",
                label=t["observed"])
        meta = METRIC_BY_NAME.get(m)
        label = (meta.label_zh if lang == "zh" else meta.label_en) if meta else m
        ax.set_title(f"{label}\n({m})", fontsize=9)
        if meta:
            ax.set_ylabel(unit_text(meta.unit, lang), fontsize=8)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_frontier(table: pd.DataFrame, result: dict, title: str):
    """Cost against P(met) for every candidate, with the frontier and the answer."""
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.scatter(table["cost_yi"], table["p_met"], s=14, color="0.6", label="candidates")
    fr = frontier(table)
    ax.plot(fr["cost_yi"], fr["p_met"], "-o", color="tab:blue", ms=4, label="frontier")
    p = table.iloc[0]
    ax.scatter([p["cost_yi"]], [p["p_met"]], marker="s", s=60, color="tab:orange",
               label="plan package", zorder=3)
    if result["chosen"]:
        c = result["chosen"]
        ax.errorbar([c["cost_yi"]], [c["p_met"]], yerr=[[c["p_met"] - c["p_lo"]],
                                                        [c["p_hi"] - c["p_met"]]],
                    fmt="*", ms=14, color="tab:red", label="cheapest reaching target", zorder=4)
    ax.axhline(result["probability"], color="tab:red", ls="--", lw=0.8)
    ax.set_xlabel("fiscal cost 2021-2025, 亿元")
    ax.set_ylabel(f"P({result['target']} met)")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_ranked(idx: pd.DataFrame, outcomes: list[str], title: str, k: int = 10):
    """Ranked bars with intervals, one panel per outcome."""
    sobol = "ST" in idx
    fig, axes = plt.subplots(1, len(outcomes), figsize=(5.2 * len(outcomes), 0.33 * k + 1.8),
                             squeeze=False)
    for ax, out in zip(axes[0], outcomes, strict=True):
        g = ranked(idx, out, k).iloc[::-1]
        y = np.arange(len(g))
        if sobol:
            ax.barh(y + 0.2, g["ST"], 0.4, xerr=g["ST_conf"], label="total (ST)",
                    color="tab:blue", capsize=2)
            ax.barh(y - 0.2, g["S1"], 0.4, xerr=g["S1_conf"], label="first order (S1)",
                    color="tab:orange", capsize=2)
        else:
            ax.barh(y, g["mu_star"], 0.6, xerr=g["mu_star_conf"], label="mu*",
                    color="tab:blue", capsize=2)
            ax.plot(g["sigma"], y, "k|", ms=10, label="sigma")
        ax.set_yticks(y, g["factor"], fontsize=7)
        ax.set_title(out, fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
