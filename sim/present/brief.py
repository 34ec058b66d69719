"""The brief that opens the report: what is likely met, what would change it, and why.

It also says what the answer is conditioned on.

Everything it says is read from the batch: the P(met) bands and 5–95% ranges of the
summary, the targets' flags, the scenario's ``data_until`` or posterior, and, given a
second batch (``report --against``), the differences whose 95% interval excludes zero.
"""

from __future__ import annotations

import html

import pandas as pd

from sim.model.outcomes import (
    FLAG_INPUT,
    FLAG_LEVER,
    FLAG_MET_2020,
    FLAG_MET_2020_SOME,
    FLAG_UNREACHABLE,
    FLAG_WEAK,
    HEADLINE_GROUPS,
)
from sim.present.i18n import BRIEF, target_label

NEAR = 0.85  # a "closest miss": the 95th percentile is at least this share of the target

# Flags and the brief's sentence for each, in the order the brief gives them.
_FLAG_KEYS = ((FLAG_LEVER, "lever"), (FLAG_UNREACHABLE, "unreachable"),
              (FLAG_MET_2020, "met2020"), (FLAG_MET_2020_SOME, "met2020"),
              (FLAG_INPUT, "input"), (FLAG_WEAK, "weak"))


def facts(res: dict, against: tuple[str, dict] | None = None) -> dict:
    """What the brief says, as data: lists of headline target names per statement."""
    s = res["summary"]
    s = s[s["group"].isin(HEADLINE_GROUPS)]
    p = s["p_met"]
    flag = s["flag"] if "flag" in s.columns else pd.Series([None] * len(s), index=s.index)
    unflagged = ~flag.apply(lambda f: isinstance(f, str))
    out = {
        "n": len(s),
        "likely": s[p >= 0.5].sort_values("p_met", ascending=False),
        "open": s[(p >= 0.1) & (p < 0.5)].sort_values("p_met", ascending=False),
        "unlikely": s[p < 0.1],
        # beyond the uncertain ones: the target inside the range of outcomes, decided by the
        # agents under the uncertain conditions
        "reach": s[(s["q05"] < s["threshold"]) & (s["threshold"] <= s["q95"]) & unflagged
                   & (p < 0.9) & ((p >= 0.5) | (p < 0.1))],
        "near": s[(p < 0.1) & (s["q95"] < s["threshold"]) & unflagged
                  & (s["q95"] >= NEAR * s["threshold"]) & (s["threshold"] > 0)],
        "flags": {key: s[flag.isin([f for f, k in _FLAG_KEYS if k == key])]
                  for key in dict.fromkeys(k for _, k in _FLAG_KEYS)},
        "against": None,
    }
    if against is not None:
        from sim.analysis.stats import compare
        table, _ = compare(against[1], res)
        table = table[table["group"].isin(HEADLINE_GROUPS)]
        out["against"] = {"name": against[0],
                          "up": table[table["lo"] > 0].sort_values("diff", ascending=False),
                          "down": table[table["hi"] < 0].sort_values("diff")}
    return out


def conditioning(manifest: dict, lang: str) -> str:
    """What the answer is conditioned on: observed data (data_until) and the uncertainty."""
    b = BRIEF[lang]
    scn = manifest.get("scenario", {})
    parts = []
    until = scn.get("data_until")
    if until is not None:
        block = scn.get("exogenous") or {}
        file = block.get("file") or block.get("source") or "data/observed/shanxi.csv"
        parts.append(b["data_until"].format(year=until, file=file))
    else:
        parts.append(b["ex_ante"])
    post = scn.get("posterior")
    if post:
        parts.append(b["posterior"].format(obs=post.get("observed") or post.get("source", "?"),
                                           until=post.get("until", "?")))
    else:
        parts.append(b["prior"])
    return ("；" if lang == "zh" else "; ").join(parts)


def _names(rows: pd.DataFrame, lang: str, with_p: bool = True, limit: int = 12) -> str:
    sep = "、" if lang == "zh" else "; "
    items = [html.escape(target_label(r.target, lang))
             + (f" <span class=n>({r.p_met:.2f})</span>" if with_p else "")
             for r in rows.head(limit).itertuples()]
    more = len(rows) - limit
    if more > 0:
        items.append(f"… (+{more})")
    return sep.join(items)


def brief_html(res: dict, lang: str, against: tuple[str, dict] | None = None) -> str:
    """The brief as HTML: a heading and a few short paragraphs and lists."""
    b = BRIEF[lang]
    f = facts(res, against)
    m = res["manifest"]
    first = b["of"].format(n=f["n"], likely=len(f["likely"]), open=len(f["open"]),
                           unlikely=len(f["unlikely"]))
    met = [b["likely"].format(items=_names(f["likely"], lang)) if len(f["likely"])
           else b["none_likely"]]
    flagged = sum(f["likely"]["target"].isin(rows["target"]).sum()
                  for rows in f["flags"].values())
    if flagged:
        met[0] += " " + b["likely_flagged"].format(k=int(flagged))
    if len(f["open"]):
        met.append(b["open"].format(items=_names(f["open"], lang)))
    change = []
    if len(f["reach"]):
        change.append(b["reach"].format(items=_names(f["reach"], lang)))
    if len(f["near"]):
        change.append(b["near"].format(items=_names(f["near"], lang, with_p=False)))
    for key, rows in f["flags"].items():
        if len(rows):
            change.append(b[key].format(items=_names(rows, lang)))
    a = f["against"]
    if a is not None:
        if len(a["up"]) or len(a["down"]):
            change.append(b["against"].format(
                other=f"<code>{html.escape(a['name'])}</code>",
                up=_diffs(a["up"], lang) or b["none"], down=_diffs(a["down"], lang) or b["none"]))
        else:
            change.append(b["against_none"].format(other=f"<code>{html.escape(a['name'])}</code>"))
    li = "".join(f"<li>{x}</li>" for x in met + change)
    cond = html.escape(b["data"].format(what=conditioning(m, lang)))
    runs = html.escape(b["runs"].format(done=m.get("done"), seed=m.get("root_seed")))
    return (f'<section id="brief"><h2>{html.escape(b["head"])}</h2>'
            f"<p><b>{html.escape(first)}</b></p><ul>{li}</ul>"
            f"<p>{cond} {runs}</p><p>{html.escape(b['model'])}</p></section>")


def _diffs(rows: pd.DataFrame, lang: str) -> str:
    sep = "、" if lang == "zh" else "; "
    return sep.join(f"{html.escape(target_label(r.target, lang))} "
                    f"<span class=n>({r.diff:+.2f})</span>" for r in rows.head(8).itertuples())
