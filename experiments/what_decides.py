"""Variance decomposition of the headline 2025 outcomes, before and after a model change.

Reads the ``indices.parquet`` of ``clustersim sensitivity --method sobol --no-levers`` runs
and prints, per outcome, the share of variance explained by first-order effects
(sum of S1, each clipped at 0), the interaction share (1 - that), and the factors with the
largest total effect ST, each with its provenance class (sourced / plan / assumption /
calibrated) from the parameter declarations. Markdown, for docs/ODD.md.

    python experiments/what_decides.py DIR [DIR ...]

Run it with the package version that produced the folder on the path (provenance classes
come from that version's declarations), e.g. ``PYTHONPATH=<old worktree>`` for a "before".
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from sim.model.params import BY_NAME


def provenance_class(factor: str) -> str:
    """'calibrated', 'assumption', 'plan' or 'sourced' from the factor's declaration.

    A per-key factor (``national_demand_growth.meat``) is classed by the provenance sentence
    that lists its key before a colon ("meat, fruit: assumption ..."), if there is one.
    """
    name, _, key = factor.partition(".")
    p = BY_NAME.get(name)
    if p is None:
        return "?"
    text = p.provenance.lower()
    for sentence in text.split(". ") if key else ():
        head, colon, rest = sentence.partition(":")
        if colon and key in (k.strip() for k in head.split(",")):
            text = rest.strip()
            break
    if text.startswith("calibrated"):
        return "calibrated"
    if text.startswith("assumption"):
        return "assumption"
    if "plan ch" in text[:20]:
        return "plan"
    return "sourced"


def summary(folder: Path, top: int) -> pd.DataFrame:
    """One row per outcome: first-order share, interaction share, top factors by ST."""
    idx = pd.read_parquet(folder / "indices.parquet")
    rows = []
    for out, g in idx.groupby("outcome", sort=False):
        g = g.sort_values("ST", ascending=False)
        s1 = float(g["S1"].clip(lower=0).sum())
        ass = float(g.loc[[provenance_class(f) == "assumption" for f in g["factor"]],
                          "ST"].clip(lower=0).sum() / max(g["ST"].clip(lower=0).sum(), 1e-12))
        rows.append({"outcome": out, "first_order": min(s1, 1.0),
                     "interactions": max(0.0, 1.0 - s1), "assumption_share_of_ST": ass,
                     "top": "; ".join(f"{r.factor} ({provenance_class(r.factor)}) "
                                      f"{r.ST:.2f}±{r.ST_conf:.2f}"
                                      for r in g.head(top).itertuples())})
    return pd.DataFrame(rows)


def main() -> None:
    """Print the table of each folder."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", type=Path, nargs="+")
    p.add_argument("--top", type=int, default=3)
    a = p.parse_args()
    for folder in a.folders:
        m = json.loads((folder / "manifest.json").read_text())
        print(f"\n{folder} (N = {m['n']}, {len(m['factors'])} factors, "
              f"{m['runs']} runs, seed {m['root_seed']})\n")
        print("| outcome | Σ S1 | interactions | assumptions' share of Σ ST | largest ST (±95%) |")
        print("|---|---|---|---|---|")
        for r in summary(folder, a.top).itertuples():
            print(f"| `{r.outcome}` | {r.first_order:.2f} | {r.interactions:.2f} | "
                  f"{r.assumption_share_of_ST:.2f} | {r.top} |")


if __name__ == "__main__":
    main()
