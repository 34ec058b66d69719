"""The scorecard's reliability plot, in English or Chinese.

Forecast P(met) (binned) against the share of those targets the reported data show met,
one series per vintage, over the targets already settled; the diagonal is perfect
reliability. With no target settled the figure says so instead of plotting nothing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.analysis.scorecard import reliability
from sim.present.plots import plt, setup_fonts

T = {
    "en": {"title": "Reliability of P(met) over the settled targets",
           "x": "forecast P(met) (bin mean)", "y": "share met (reported)",
           "diag": "perfect reliability", "vintage": "vintage {v}",
           "none": "no target settled yet:\nevery 2025 outcome is 'not yet known'",
           "n": "{n} settled"},
    "zh": {"title": "已有结果目标的达标概率可靠性",
           "x": "预测达标概率（分箱均值）", "y": "实际达标比例（公布数据）",
           "diag": "完全可靠", "vintage": "{v}年视角",
           "none": "尚无已公布结果的目标：\n2025年结果均为“尚未公布”",
           "n": "已有结果 {n} 项"},
}


def reliability_plot(pairs: pd.DataFrame, path: str | Path, lang: str = "en",
                     bins: int = 5) -> Path:
    """Write the reliability plot of ``pairs`` (scorecard pairs) to ``path``."""
    if lang not in T:
        raise ValueError(f"lang must be one of {', '.join(T)}, got {lang!r}")
    setup_fonts(lang)
    t = T[lang]
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label=t["diag"])
    if pairs.empty:
        ax.text(0.5, 0.5, t["none"], ha="center", va="center", fontsize=11,
                transform=ax.transAxes)
    for v, d in pairs.groupby("vintage", sort=True):
        r = reliability(d["p"], d["outcome"], bins)
        ax.plot(r["p_mean"], r["observed"], marker="o",
                label=f"{t['vintage'].format(v=v)} ({t['n'].format(n=len(d))})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(t["x"])
    ax.set_ylabel(t["y"])
    ax.set_title(t["title"], fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
