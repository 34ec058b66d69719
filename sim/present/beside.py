"""The report's section beside another batch: P(met) there, here, and the difference.

Made for the question a user asks once a calibration exists: "given what we know now,
which 2025 targets were likely met?". ``clustersim run --posterior CAL --out POST`` and a
prior run with the same root seed, then ``clustersim report POST --against PRIOR``: each
target's P(met) under the declared (prior) ranges beside the one under the posterior, with
the difference and its 95% interval. With the same root seed the two batches are paired by
replicate (the posterior draw has its own random stream, so every other draw is common) and
the interval comes from the paired differences; otherwise Newcombe's interval
(:func:`sim.analysis.stats.compare`).
"""

from __future__ import annotations

import html

import pandas as pd

from sim.analysis.stats import compare
from sim.present.i18n import BESIDE, target_label

T = BESIDE


def batch_label(manifest: dict, lang: str = "en") -> str:
    """What a batch drew its uncertainties from: the prior ranges or a named posterior."""
    post = manifest.get("scenario", {}).get("posterior")
    if not post:
        return T[lang]["prior"]
    return T[lang]["posterior"].format(obs=post.get("observed") or post.get("source", "?"),
                                       until=post.get("until", "?"))


def beside_table(here: dict, other: dict) -> tuple[pd.DataFrame, bool]:
    """Per target: P(met) in ``other`` (``p_a``) and ``here`` (``p_b``), here − other."""
    return compare(other, here)


def beside_section(here: dict, other: dict, other_name: str, lang: str, table_html) -> str:
    """The section as HTML, its table rendered by ``table_html`` as the report does.

    ``table_html(rows, head, nums=...)``: ``nums`` are the columns of values (no wrapping).
    """
    t = T[lang]
    table, paired = beside_table(here, other)
    rows = [[f"<code>{html.escape(r.target)}</code>", html.escape(target_label(r.target, lang)),
             f"{r.p_a:.2f}", f"{r.p_b:.2f}", f"{r.diff:+.2f}", f"[{r.lo:+.2f}, {r.hi:+.2f}]"]
            for r in table.itertuples()]
    intro = t["intro"].format(here=batch_label(here["manifest"], lang), other=other_name,
                              there=batch_label(other["manifest"], lang),
                              how=t["paired" if paired else "unpaired"])
    return (f"<h2>{html.escape(t['head'].format(other=other_name))}</h2>"
            f"<p>{html.escape(intro)}</p>{table_html(rows, t['cols'], nums=(2, 3, 4, 5))}")
