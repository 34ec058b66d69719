"""Figures of a calibration folder: posterior vs prior, and the predictive fans."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.abc.statistics import START_YEAR, weighted_quantile


def draw_stored(folder: str | Path) -> list[Path]:
    """:func:`draw` the posterior of a stored calibration folder (manifest and tables)."""
    import json
    folder = Path(folder)
    res = {"manifest": json.loads((folder / "manifest.json").read_text(encoding="utf-8")),
           "posterior": pd.read_parquet(folder / "posterior.parquet"),
           "generations": pd.read_parquet(folder / "generations.parquet")}
    return draw(folder, res)


def draw(folder: str | Path, res: dict, observed: pd.DataFrame | None = None,
         replicates: int | None = None) -> list[Path]:
    """Write ``posterior.png`` (and ``predictive.png`` when ``res`` has a predictive table).

    ``res``: what ``sim.analysis.abc.calibrate`` returns; ``observed``: the observations
    drawn on the predictive fans; ``replicates``: how many each fan has (for the title).
    Returns the files written.
    """
    import matplotlib.pyplot as plt
    folder = Path(folder)
    m, post, gens = res["manifest"], res["posterior"], res["generations"]
    fig = plot_posterior(post, m["factors"], f"posterior vs prior · {len(m['rows_used'])} "
                         f"observations · {len(gens[gens['t'] >= 0])} generations")
    files = [folder / "posterior.png"]
    fig.savefig(files[0], dpi=110)
    plt.close(fig)
    table = res.get("predictive")
    if table is not None:
        metrics = list(dict.fromkeys(r["metric"] for r in m["rows_used"]))
        n = "" if replicates is None else f"{replicates} "
        fig = plot_predictive(table, observed if observed is not None else
                              pd.DataFrame(columns=["metric", "year", "value"]), metrics,
                              f"prior and posterior predictive · {n}replicates each")
        files.append(folder / "predictive.png")
        fig.savefig(files[1], dpi=110)
        plt.close(fig)
    return files


def _panels(n: int, width: float, height: float):
    """A figure with ``n`` panels, at most four a row (headless)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cols = min(4, n)
    rows = -(-n // cols)
    return plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)


def plot_posterior(post: pd.DataFrame, facs: list[dict], title: str):
    """One panel per factor: the uniform prior and the weighted posterior histogram."""
    fig, axes = _panels(len(facs), 3.4, 2.6)
    for ax, f in zip(axes.flat, facs, strict=False):
        lo, hi = f["low"], f["high"]
        ax.hist(post[f["name"]], bins=np.linspace(lo, hi, 21), weights=post["weight"],
                density=True, color="tab:blue", alpha=0.7, label="posterior")
        ax.plot([lo, lo, hi, hi], [0, 1 / (hi - lo), 1 / (hi - lo), 0], color="0.3",
                lw=1.2, label="prior")
        q05, q50, q95 = weighted_quantile(post[f["name"]], post["weight"], [0.05, 0.5, 0.95])
        ax.axvline(q50, color="tab:red", lw=1)
        ax.axvspan(q05, q95, color="tab:red", alpha=0.08)
        ax.set_title(f["name"], fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(facs):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig



def plot_predictive(table: pd.DataFrame, observed: pd.DataFrame, metrics: list[str],
                    title: str):
    """Fan per metric: prior 90% band, posterior 50%/90% bands, the observations."""
    fig, axes = _panels(len(metrics), 3.8, 2.9)
    for ax, m in zip(axes.flat, metrics, strict=False):
        pr = table[(table["predictive"] == "prior") & (table["metric"] == m)]
        po = table[(table["predictive"] == "posterior") & (table["metric"] == m)]
        ax.fill_between(pr["year"], pr["q05"], pr["q95"], color="0.6", alpha=0.25,
                        label="prior 90%")
        ax.fill_between(po["year"], po["q05"], po["q95"], color="tab:blue", alpha=0.25,
                        label="posterior 90%")
        ax.fill_between(po["year"], po["q25"], po["q75"], color="tab:blue", alpha=0.4,
                        label="posterior 50%")
        o = observed[(observed["metric"] == m) & (observed["year"] >= START_YEAR)]
        ax.plot(o["year"], o["value"], "o", color="tab:red", ms=4, label="observed")
        ax.set_title(m, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(metrics):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


