"""A self-contained HTML report of a batch.

Scenario, levers, probabilities, figures, failures and provenance, with the figures
embedded so the file can be mailed as it is.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import numpy as np

from sim.config.scenario import lever_arrays
from sim.model.params import LEVERS


def _fig_png(fig) -> str:
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _table(rows: list[list[str]], head: list[str]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _levers(scn: dict) -> list[list[str]]:
    arrs = lever_arrays(scn)
    rows = []
    for p in LEVERS:
        a = arrs[p.name]
        given = p.name in scn["levers"]
        if np.allclose(a, a.flat[0]):
            val = f"{a.flat[0]:g}"
        elif p.per and p.by_year:
            val = "; ".join(f"{k}: " + "/".join(f"{x:g}" for x in row)
                            for k, row in zip(p.keys, a, strict=True))
        else:
            val = "/".join(f"{x:g}" for x in np.ravel(a))
        rows.append([f"<code>{p.name}</code>", html.escape(val), html.escape(p.unit),
                     "scenario" if given else "default", html.escape(p.provenance)])
    return rows


def write_report(folder: str | Path, out: str | Path | None = None, lang: str = "en") -> Path:
    """Write ``report.html`` for a batch folder; returns its path."""
    from sim.present.plots import plot_distributions, plot_fan, plot_targets, setup_fonts
    from sim.run.store import load_results
    folder = Path(folder)
    res = load_results(folder)
    if res["summary"].empty:
        raise ValueError(f"{folder}: the batch has no consolidated results yet")
    m = res["manifest"]
    setup_fonts(lang)
    figs = [("targets", plot_targets(res, lang)), ("distributions", plot_distributions(res, lang)),
            ("fan", plot_fan(res, lang))]
    imgs = "".join(f'<figure><img alt="{k}" src="data:image/png;base64,{_fig_png(f)}">'
                   f"</figure>" for k, f in figs)
    s = res["summary"]
    prob = _table([[html.escape(r.target), html.escape(r.label_zh if lang == "zh" else r.label_en),
                    f"≥ {r.threshold:g} {html.escape(r.unit)}", html.escape(r.section),
                    f"{r.p_met:.2f}", f"[{r.p_lo:.2f}, {r.p_hi:.2f}]", f"{r.median:.4g}",
                    f"{r.q05:.4g} – {r.q95:.4g}"] for r in s.itertuples()],
                  ["target", "label", "2025 target", "plan", "P(met)", "95% CI", "median",
                   "5–95%"])
    fails = res["failures"]
    fail_html = ("<p>None.</p>" if fails.empty else _table(
        [[str(r.replicate), html.escape(str(r.seed)), html.escape(r.error)]
         for r in fails.itertuples()], ["replicate", "seed", "error"]))
    prov = {k: m.get(k) for k in ("name", "source", "root_seed", "replicates", "done", "failed",
                                  "households_per_agent", "package_version", "git_commit",
                                  "backend", "workers", "started", "finished", "status")}
    scn = m["scenario"]
    unc = json.dumps(scn["uncertainties"], ensure_ascii=False, indent=1) if scn[
        "uncertainties"] else "declared ranges (docs/parameters.md)"
    title = f"clustersim report: {m['name']}"
    doc = f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;font-size:13px;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:3px 6px;vertical-align:top}}th{{background:#f2f2f2}}
img{{max-width:100%}}code{{font-size:12px}}pre{{background:#f7f7f7;padding:8px}}</style>
</head><body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(scn.get('description', ''))}</p>
<p><b>{m.get('done')}</b> replicates (root seed {m['root_seed']}, {m.get('failed', 0)} failed),
one simulated household per {m['households_per_agent']} rural households. Probabilities are
the share of replicates meeting each 2025 target, with 95% Wilson intervals.</p>
<h2>Figures</h2>{imgs}
<h2>Probability of meeting each 2025 target</h2>{prob}
<h2>Scenario levers</h2>{_table(_levers(scn), ["lever", "value", "unit", "from", "provenance"])}
<h2>Uncertainty overrides</h2><pre>{html.escape(unc)}</pre>
<h2>Failures</h2>{fail_html}
<h2>Provenance</h2><pre>{html.escape(json.dumps(prov, indent=1, ensure_ascii=False))}</pre>
<p>Model description: docs/ODD.md; parameters and sources: docs/parameters.md.</p>
</body></html>
"""
    path = Path(out) if out else folder / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc, encoding="utf-8")
    return path
