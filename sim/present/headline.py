"""The report's opening: P(met) on the reported basis and what decides each headline answer.

The probabilities come from :func:`sim.analysis.scorecard.reported_summary` (bridged targets
on the basis the province reports, the model basis beside them), the shares from
:func:`sim.analysis.causes.decompose` over the batch's own replicates.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd

from sim.analysis.causes import CHANCE, KINDS, decompose
from sim.analysis.scorecard import manifest_view, reported_summary
from sim.model.outcomes import HEADLINE_GROUPS
from sim.present.i18n import HEADLINE, flag_text, param_label, target_label
from sim.present.tables import quantity

T = HEADLINE
COLOURS = {"macro": "#7f8fa6", "markets": "#e1812c", "behaviour": "#3a923a",
           "levers": "#9372b2", "initial": "#845b53", "bridges": "#d684bd", CHANCE: "#d9d9d9"}


def prose(text: str) -> str:
    """Text as HTML, with `command` spans set as code (in any language)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def data_until(res: dict) -> int | None:
    """The batch's view: the last year of published data it is conditioned on."""
    return manifest_view(res["manifest"]).get("data_until")


def reported_basis(res: dict) -> pd.DataFrame:
    """The batch's summary with P(met), interval, quantiles and flag on the reported basis.

    ``p_met_model`` and ``flag_model`` keep the model basis; targets without a bridge read
    the same on both.
    """
    s = res["summary"].copy()
    rs = reported_summary(res["replicates"], s, data_until(res)).set_index("target")
    s["p_met_model"] = s["p_met"]
    s["flag_model"] = s["flag"] if "flag" in s.columns else None
    for col in ("p_met", "p_lo", "p_hi", "median", "q05", "q95"):
        s[col] = s["target"].map(rs[col])
    s["flag"] = s["target"].map(rs["flag"]).replace("", None)
    s["met"] = (s["p_met"] * s["n"]).round().astype(int)
    return s


def causes(res: dict) -> pd.DataFrame:
    """The variance decomposition of the headline targets (:mod:`sim.analysis.causes`)."""
    return decompose(res["replicates"], res["summary"], data_until(res),
                     exogenous=res["manifest"].get("scenario", {}).get("exogenous"))


def _flag(f) -> str:
    return f if isinstance(f, str) else ""


def _bar(r, lang: str) -> str:
    """An inline stacked bar of the shares, with the numbers beside it."""
    t = T[lang]
    if r.reason:
        key = ("no_shares" if r.reason == "no spread" else
               "few" if r.reason.startswith("fewer") else "no_input")
        return html.escape(t[key])
    parts, text = [], []
    for k in KINDS + (CHANCE,):
        v = float(getattr(r, k))
        if v <= 0:
            continue
        parts.append(f'<span title="{html.escape(t["kinds"][k])} {100 * v:.0f}%" '
                     f'style="display:inline-block;height:10px;width:{100 * v:.1f}px;'
                     f'background:{COLOURS[k]}"></span>')
        if v >= 0.05:
            text.append(f"{html.escape(t['kinds'][k])} {100 * v:.0f}")
    sep = "，" if lang == "zh" else ", "
    return (f'<span style="display:inline-block;width:100px;white-space:nowrap">'
            f'{"".join(parts)}</span> {sep.join(text)}')


def _top(r, lang: str) -> str:
    if r.reason or not r.top_input:
        return ""
    name = r.top_input
    label = param_label(name.split(".")[0], lang) if lang == "zh" else ""
    shown = f"{html.escape(label)} <code>{html.escape(name)}</code>" if label else \
        f"<code>{html.escape(name)}</code>"
    return f"{shown} ({100 * r.top_share:.0f})"


def headline_section(res: dict, rep: pd.DataFrame, table: pd.DataFrame, lang: str,
                     table_html, fig_png) -> str:
    """The opening section as HTML.

    ``rep``: :func:`reported_basis`; ``table``: :func:`causes`; ``table_html(rows, head,
    nums=...)`` and ``fig_png(fig)`` render as the report does.
    """
    t = T[lang]
    s = rep[rep["group"].isin(HEADLINE_GROUPS)].set_index("target")
    by = table.set_index("target")
    rows = []
    for target in s.index:
        r = s.loc[target]
        same = (np.isclose(r["p_met_model"], r["p_met"])
                and _flag(r["flag_model"]) == _flag(r["flag"]))
        model = t["same"] if same else f"{r['p_met_model']:.2f}"
        c = by.loc[target] if target in by.index else None
        rows.append([html.escape(target_label(target, lang)),
                     html.escape(f"≥ {quantity(r['threshold'], r['unit'], lang=lang)}"),
                     f"<b>{r['p_met']:.2f}</b>", f"[{r['p_lo']:.2f}, {r['p_hi']:.2f}]",
                     model, html.escape(flag_text(r["flag"], lang)),
                     _bar(c, lang) if c is not None else "",
                     _top(c, lang) if c is not None else ""])
    fig = causes_figure(table, lang)
    img = (f'<figure><img alt="{html.escape(t["alt_fig"])}" src="data:image/png;base64,'
           f'{fig_png(fig)}"><figcaption>{html.escape(t["cap_fig"])}</figcaption></figure>')
    return (f'<section id="headline"><h2>{html.escape(t["head"])}</h2>'
            f"<p>{prose(t['intro'])}</p>"
            f"{table_html(rows, t['cols'], nums=(2, 3, 4))}{img}</section>")


def causes_figure(table: pd.DataFrame, lang: str = "en"):
    """Stacked horizontal bars: each headline outcome's variance by kind of cause."""
    import matplotlib.pyplot as plt
    t = T[lang]
    d = table[table["reason"] == ""].iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.26 * len(d) + 1.8))
    y = np.arange(len(d))
    left = np.zeros(len(d))
    for k in KINDS + (CHANCE,):
        v = d[k].to_numpy(float)
        ax.barh(y, v, left=left, color=COLOURS[k], label=t["kinds"][k], height=0.75)
        left += v
    ax.set_yticks(y, [target_label(x, lang) for x in d["target"]], fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel(t["fig_x"])
    ax.set_title(t["fig_title"], fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig
