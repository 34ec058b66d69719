"""The scorecard's reliability plot and its section of the report, in English or Chinese.

Forecast P(met) (binned) against the share of those targets the reported data show met,
one series per vintage, over the targets already settled; the diagonal is perfect
reliability. With no target settled the figure says so instead of plotting nothing.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from sim.analysis.scorecard import pairs_of, reliability, vintages
from sim.present.headline import prose
from sim.present.i18n import SCORECARD_SECTION, target_label
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
    fig = reliability_figure(pairs, lang, bins)
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def reliability_figure(pairs: pd.DataFrame, lang: str = "en", bins: int = 5):
    """The reliability plot of ``pairs`` (scorecard pairs) as a matplotlib figure."""
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
    return fig


def scorecard_section(folder: str | Path | None, lang: str, table_html, fig_png) -> str:
    """The report's scorecard section, from a ``clustersim scorecard`` folder.

    ``folder`` None or without ``scorecard.csv``: the section says how to make one.
    ``table_html(rows, head, nums=...)`` and ``fig_png(fig)`` render as the report does.
    """
    t = SCORECARD_SECTION[lang]
    head = f'<section id="scorecard"><h2>{html.escape(t["head"])}</h2>'
    card = Path(folder) / "scorecard.csv" if folder is not None else None
    if card is None or not card.exists():
        return f"{head}<p>{prose(t['none'])}</p></section>"
    table = pd.read_csv(card)
    vints = vintages(table)
    rows = [[html.escape(target_label(r["target"], lang)),
             html.escape(t["outcome"].get(r["outcome"], str(r["outcome"]))),
             html.escape(str(r["source"])) if isinstance(r["source"], str) else "",
             *[f"{r[f'p_{v}']:.2f}" if pd.notna(r[f"p_{v}"]) else "–" for v in vints]]
            for _, r in table.iterrows()]
    cols = t["cols_fixed"] + [f"P{v}" for v in vints]
    parts = [head, f"<p>{html.escape(t['intro'].format(folder=folder))}</p>",
             table_html(rows, cols, nums=tuple(range(3, 3 + len(vints))))]
    scores = Path(folder) / "scores.csv"
    sc = pd.read_csv(scores) if scores.exists() else pd.DataFrame()
    settled = sc[sc["settled"] > 0] if len(sc) else sc
    if len(settled):
        parts.append(table_html([[str(int(r.vintage)), str(int(r.settled)), f"{r.brier:.3f}",
                                  f"{r.brier_naive:.3f}", f"{r.skill:.2f}"]
                                 for r in settled.itertuples()], t["scores_cols"],
                                nums=(1, 2, 3, 4)))
    else:
        parts.append(f"<p>{html.escape(t['no_scores'])}</p>")
    fig = reliability_figure(pairs_of(table), lang)
    parts.append(f'<figure><img alt="{html.escape(t["alt_rel"])}" src="data:image/png;base64,'
                 f'{fig_png(fig)}"><figcaption>{html.escape(t["cap_rel"])}</figcaption>'
                 "</figure></section>")
    return "".join(parts)
