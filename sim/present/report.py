"""A self-contained HTML report of a batch, in English or Chinese.

Scenario, levers, probabilities, figures, uncertain inputs, failures, how to read the
numbers and provenance. Figures and a subset of the bundled CJK font are embedded, so the
file can be mailed as it is and renders its Chinese text (and units such as 亿元 in the
English report) on a machine with no CJK font installed.
"""

from __future__ import annotations

import base64
import html
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.scenario import lever_arrays, uncertainty_ranges
from sim.model.outcomes import NOT_MODELLED
from sim.model.params import LEVERS, UNCERTAINTIES, Param
from sim.present.brief import brief_html
from sim.present.i18n import (  # noqa: F401 - FLAG_ZH, NOT_MODELLED_ZH, flag_text re-exported
    BACKEND,
    BRIEF,
    FLAG_ZH,
    MODEL_EN,
    MODEL_ZH,
    NOT_MODELLED_ZH,
    REPORT,
    SCENARIO_ZH,
    STATUS,
    flag_text,
    key_label,
    lever_note,
    param_label,
    scenario_description,
    scenario_title,
    section_text,
    unit_text,
)
from sim.present.tables import quantity, span
from sim.run.store import load_batch

FONT_FAMILY = "clustersim CJK"

T = REPORT


# ---------------------------------------------------------------------- formatting
def num(v: float) -> str:
    """A number for a table: no exponent, sensible digits."""
    if v is None or not np.isfinite(v):
        return "–"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return np.format_float_positional(float(v), precision=3, unique=False,
                                      fractional=False, trim="-")


def threshold_text(v: float) -> str:
    """A target's threshold as written in the plan (610, not 610.0)."""
    return np.format_float_positional(float(v), trim="-")


def lever_rows(scn: dict) -> list[dict]:
    """Every lever with its resolved values: name, param, array (keys?, years?), given."""
    arrs = lever_arrays(scn)
    return [{"name": p.name, "param": p, "values": arrs[p.name], "given": p.name in scn["levers"]}
            for p in LEVERS]


def _values_text(p: Param, a: np.ndarray, lang: str) -> str:
    def series(x) -> str:
        x = np.ravel(x)
        return f"{x[0]:g}" if np.allclose(x, x[0]) else "/".join(f"{v:g}" for v in x)
    if np.allclose(a, a.flat[0]):
        return f"{a.flat[0]:g}"
    if p.per:
        sep = "；" if lang == "zh" else "; "
        colon = "：" if lang == "zh" else ": "
        return sep.join(f"{key_label(p.per, k, lang)}{colon}{series(row)}"
                        for k, row in zip(p.keys, a, strict=True))
    return series(a)


def _range_text(p: Param, lo: np.ndarray, hi: np.ndarray, lang: str) -> str:
    t = T[lang]

    def one(a, b) -> str:
        a, b = float(np.ravel(a)[0]), float(np.ravel(b)[0])
        return t["pinned"].format(v=f"{a:g}") if a == b else f"{a:g} – {b:g}"
    if np.allclose(lo, lo.flat[0]) and np.allclose(hi, hi.flat[0]):
        return one(lo, hi)
    sep = "；" if lang == "zh" else "; "
    colon = "：" if lang == "zh" else ": "
    return sep.join(f"{key_label(p.per, k, lang)}{colon}{one(a, b)}"
                    for k, a, b in zip(p.keys, lo, hi, strict=True))


# ---------------------------------------------------------------------- HTML pieces
def _table(rows: list[list[str]], head: list[str], row_heads: bool = False,
           nums: tuple[int, ...] = ()) -> str:
    """An HTML table; the cells of columns ``nums`` hold values and never wrap."""
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = []
    for r in rows:
        cells = [f'<th scope="row">{r[0]}</th>' if row_heads else f"<td>{r[0]}</td>"]
        cells += [f'<td class="n">{c}</td>' if j in nums else f"<td>{c}</td>"
                  for j, c in enumerate(r[1:], 1)]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def citation(text: str) -> str:
    """A parameter's source without pointers into the source tree (``see docs/...``).

    The report and the workbook travel without the repository, so such a path would be
    a reference nobody can open.
    """
    text = re.sub(r"\s*\(see docs/[\w/#-]+(?:\.md)?\)", "", text)
    return re.sub(r"[;,]?\s*see docs/[\w/#-]+(?:\.md)?", "", text).strip()


def _src(text: str, lang: str = "") -> str:
    """A source citation or user data, kept in the language it was written in.

    ``lang`` marks it as written in that language (the English citations quoted in the
    Chinese report).
    """
    mark = f' lang="{lang}"' if lang else ""
    return f'<span class="src"{mark}>{html.escape(citation(text))}</span>'


def _fig_png(fig) -> str:
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _prob_table(s: pd.DataFrame, lang: str) -> str:
    t = T[lang]
    rows = [[f"<code>{html.escape(r.target)}</code>",
             html.escape(r.label_zh if lang == "zh" else r.label_en),
             html.escape(f"≥ {quantity(r.threshold, r.unit, lang=lang)}"),
             html.escape(section_text(r.section, lang)), f"{r.p_met:.2f}",
             f"[{r.p_lo:.2f}, {r.p_hi:.2f}]", html.escape(quantity(r.median, r.unit, lang=lang)),
             html.escape(span(r.q05, r.q95, r.unit, lang)),
             html.escape(flag_text(getattr(r, "flag", None), lang))] for r in s.itertuples()]
    return (_table(rows, t["prob_head"], nums=(2, 4, 5, 6, 7))
            + f"<p>{html.escape(t['prob_note'])}</p>")


def _param_cell(name: str, lang: str) -> str:
    """A parameter's name: the code, and its Chinese name first in the Chinese report."""
    if lang == "zh":
        return f"{html.escape(param_label(name, lang))}<br><code>{name}</code>"
    return f"<code>{name}</code>"


def _levers_table(scn: dict, lang: str) -> str:
    t = T[lang]
    rows = [[_param_cell(r["name"], lang),
             html.escape(_values_text(r["param"], r["values"], lang)),
             html.escape(unit_text(r["param"].unit, lang)),
             t["scenario"] if r["given"] else t["default"],
             html.escape(lever_note(r["name"], lang)[1]) if lang == "zh"
             else _src(r["param"].provenance)]
            for r in lever_rows(scn)]
    return _table(rows, t["levers_head"]) + f"<p>{html.escape(t['levers_note'])}</p>"


def _uncertainty_table(scn: dict, lang: str) -> str:
    t = T[lang]
    ranges = uncertainty_ranges(scn)
    rows = []
    for p in UNCERTAINTIES:
        lo, hi = ranges[p.name]
        rows.append([_param_cell(p.name, lang), html.escape(_range_text(p, lo, hi, lang)),
                     html.escape(unit_text(p.unit, lang)),
                     t["scenario"] if p.name in scn["uncertainties"] else t["declared"],
                     _src(p.provenance, "en" if lang == "zh" else "")])
    return _table(rows, t["unc_head"])


def _failures(fails: pd.DataFrame, lang: str) -> str:
    t = T[lang]
    if fails.empty:
        return f"<p>{html.escape(t['none'])}</p>"
    return _table([[str(r.replicate), html.escape(str(r.seed)),
                    _src(str(r.error), "en" if lang == "zh" else "")]
                   for r in fails.itertuples()], t["fail_head"])


def _provenance(m: dict, lang: str) -> str:
    t = T[lang]
    rows = []
    for key, label in t["prov_rows"].items():
        v = m.get(key)
        if v is None:
            shown = "–"
        elif key == "status":
            shown = html.escape(STATUS[lang].get(str(v), str(v)))
        elif key == "backend" and str(v) in BACKEND[lang]:
            shown = html.escape(BACKEND[lang][str(v)])
        elif key in ("name", "source", "git_commit", "backend"):
            shown = f"<code>{html.escape(str(v))}</code>"
        else:
            shown = html.escape(str(v))
        rows.append([html.escape(label), shown])
    return _table(rows, t["prov_head"], row_heads=True)


def _model_section(m: dict, lang: str) -> str:
    from sim.config.version import __version__
    commit = m.get("git_commit")
    if lang == "zh":
        items = "；".join(html.escape(z + (f"（{section_text(c, lang)}）" if c else ""))
                         for z, c in NOT_MODELLED_ZH)
        commit_text = f"（git 提交 <code>{html.escape(commit[:12])}</code>）" if commit else ""
        body = MODEL_ZH.replace("\n", "")  # a line break between Chinese characters is a space
    else:
        items = "; ".join(html.escape(x) for x in NOT_MODELLED)
        commit_text = f" (git commit <code>{html.escape(commit[:12])}</code>)" if commit else ""
        body = MODEL_EN
    return body.format(hpa=f"{m['households_per_agent']:,}", not_modelled=items,
                       version=html.escape(__version__),
                       batch_version=html.escape(str(m.get("package_version", "?"))),
                       commit=commit_text)


# ---------------------------------------------------------------------- font
class _Text(HTMLParser):
    """Collects what a browser draws as text: character data and ``alt`` attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        for k, v in attrs:
            if k in ("alt", "title") and v:
                self.parts.append(v)

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_text(doc: str) -> str:
    """The text a browser would draw for an HTML document (no styles, no scripts)."""
    p = _Text()
    p.feed(doc)
    p.close()
    return "".join(p.parts)


def _ranges(codes: list[int]) -> str:
    out, start, prev = [], None, None
    for c in sorted(codes) + [None]:
        if start is not None and (c is None or c != prev + 1):
            out.append(f"U+{start:X}" if start == prev else f"U+{start:X}-{prev:X}")
            start = None
        if c is not None and start is None:
            start = c
        prev = c
    return ", ".join(out)


def font_face(chars: set[str]) -> str:
    """A CSS ``@font-face`` embedding the bundled CJK font, subset to ``chars`` (non-ASCII).

    The subset (WOFF, zlib) holds only the glyphs of the given characters, so it stays a
    few tens of KB; ``unicode-range`` hands every other character to the next font.
    """
    from fontTools import subset

    from sim.present.plots import cjk_font_path
    codes = sorted(ord(c) for c in chars if ord(c) > 127)
    if not codes:
        return ""
    opts = subset.Options()
    opts.flavor = "woff"              # zlib: no brotli needed, every browser reads it
    opts.layout_features = []         # no alternates: halves the size (plain text needs none)
    opts.drop_tables += ["BASE", "VORG", "vhea", "vmtx"]  # horizontal text only
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep copyright and the OFL licence
    opts.hinting = False
    opts.desubroutinize = True        # compresses better
    opts.notdef_outline = True
    font = subset.load_font(str(cjk_font_path()), opts, lazy=True)
    cmap = font.getBestCmap()
    codes = [c for c in codes if c in cmap]  # a glyph the font lacks: the next font draws it
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=codes)
    sub.subset(font)
    buf = io.BytesIO()
    subset.save_font(font, buf, opts)
    font.close()
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'@font-face{{font-family:"{FONT_FAMILY}";font-style:normal;font-weight:400;'
            f'src:url(data:font/woff;base64,{data}) format("woff");'
            f"unicode-range:{_ranges(codes)}}}\n")


# ---------------------------------------------------------------------- the report
STYLE = """body{{font-family:"{f}",sans-serif;max-width:1100px;margin:2em auto;color:#222;
line-height:1.5}}
table{{border-collapse:collapse;font-size:13px;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:3px 6px;vertical-align:top}}
thead th{{background:#f2f2f2}}tbody th{{text-align:left;font-weight:normal;background:#fafafa}}
img{{max-width:100%}}figure{{margin:1em 0}}figcaption{{font-size:13px;color:#444}}
code,pre{{font-family:"{f}",monospace;font-size:12px}}pre{{background:#f7f7f7;padding:8px}}
.src{{color:#555}}.n{{white-space:nowrap}}td.n{{text-align:right}}
#brief{{border:1px solid #ccc;background:#fbfbf7;padding:0 1em;margin:1em 0 2em}}"""


def render_report(res: dict, lang: str = "en", against: tuple[str, dict] | None = None,
                  scorecard: str | Path | None = None) -> str:
    """The report of a loaded batch (see :func:`load_batch`) as one HTML document.

    It opens with what the batch is conditioned on, then P(met) of the headline targets on
    the basis the province reports with what decides each (:mod:`sim.present.headline`),
    then the brief. ``against``: (name, loaded batch) of another batch whose P(met) is shown
    beside this one's (e.g. the prior run beside a posterior run: :mod:`sim.present.beside`).
    ``scorecard``: a ``clustersim scorecard`` folder shown in the scorecard section (None:
    the section says how to make one).
    """
    from sim.analysis.scorecard import manifest_view, view_line
    from sim.present.headline import causes, headline_section, reported_basis
    from sim.present.plots import plot_distributions, plot_fan, plot_targets, setup_fonts
    from sim.present.scorecard_plots import scorecard_section
    if lang not in T:
        raise ValueError(f"language {lang!r}: use one of {', '.join(T)}")
    t = T[lang]
    m = res["manifest"]
    scn = m["scenario"]
    setup_fonts(lang)
    rep = reported_basis(res)
    res_r = {**res, "summary": rep}      # the reported basis, for the brief and the figures
    headline = headline_section(res, rep, causes(res), lang, _table, _fig_png)
    figs = [("targets", plot_targets(res_r, lang)),
            ("distributions", plot_distributions(res, lang)), ("fan", plot_fan(res, lang))]
    imgs = "".join(f'<figure><img alt="{html.escape(t["alt_" + k])}" '
                   f'src="data:image/png;base64,{_fig_png(f)}">'
                   f"<figcaption>{html.escape(t['cap_' + k])}</figcaption></figure>"
                   for k, f in figs)
    name = str(m["name"])
    title = BRIEF[lang]["title"].format(scenario=scenario_title(m, lang))
    intro = html.escape(t["intro"].format(
        done=m.get("done"), seed=m["root_seed"], failed=m.get("failed", 0),
        hpa=f"{m['households_per_agent']:,}"))
    desc = scenario_description(m, lang)
    own = lang == "zh" and name in SCENARIO_ZH or lang == "en" and desc
    desc_html = (html.escape(desc) if own else _src(desc, "en" if lang == "zh" else "")
                 ) if desc else ""
    colon = ("：" if lang == "zh" else ": ") if desc else ""
    body = f"""<h1>{html.escape(title)}</h1>
<p id="view"><b>{html.escape(view_line(manifest_view(m), lang, cite=False))}</b></p>
<p>{html.escape(t['scenario_is'])} <code>{html.escape(name)}</code>{colon}{desc_html}</p>
{headline}
{brief_html(res_r, lang, against)}
<p>{intro}</p>
<h2>{html.escape(t['figures'])}</h2>{imgs}
<h2>{html.escape(t['prob'])}</h2>{_prob_table(rep, lang)}
{_beside(res, against, lang)}
{scorecard_section(scorecard, lang, _table, _fig_png)}
<h2>{html.escape(t['levers'])}</h2>{_levers_table(scn, lang)}
<h2>{html.escape(t['unc'])}</h2>{_uncertainty_table(scn, lang)}
<h2>{html.escape(t['model'])}</h2>{_model_section(m, lang)}
<h2>{html.escape(t['failures'])}</h2>{_failures(res['failures'], lang)}
<h2>{html.escape(t['prov'])}</h2>{_provenance(m, lang)}
"""
    head_title = f"<title>{html.escape(title)}</title>"
    chars = set(html_text(head_title + body))
    style = font_face(chars) + STYLE.format(f=FONT_FAMILY)
    return (f'<!DOCTYPE html>\n<html lang="{"zh-Hans" if lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8">{head_title}\n<style>{style}</style>\n</head><body>\n'
            f"{body}</body></html>\n")


def _beside(res: dict, against: tuple[str, dict] | None, lang: str) -> str:
    if against is None:
        return ""
    from sim.present.beside import beside_section
    return beside_section(res, against[1], against[0], lang, _table)


def write_report(folder: str | Path, out: str | Path | None = None, lang: str = "en",
                 against: str | Path | None = None,
                 scorecard: str | Path | None = None) -> Path:
    """Write ``report.html`` for a batch folder (atomically); returns its path.

    ``against``: another batch folder whose P(met) the report shows beside this one's.
    ``scorecard``: a ``clustersim scorecard`` folder for the scorecard section; by default
    the folder ``scorecard`` beside the batch's (``results/scorecard`` for
    ``results/plan``) when it holds one.
    """
    from sim.run.store import atomic_write_bytes
    folder = Path(folder)
    res = load_batch(folder)
    other = (str(against), load_batch(against)) if against is not None else None
    path = Path(out) if out else folder / "report.html"
    if path.is_dir():
        raise ValueError(f"{path}: is a folder; give the report's file name (e.g. report.html)")
    if scorecard is None and (folder.parent / "scorecard" / "scorecard.csv").exists():
        scorecard = folder.parent / "scorecard"
    doc = render_report(res, lang, other, scorecard)
    atomic_write_bytes(path, doc.encode("utf-8"))  # OSError: the caller says why (CLI rule)
    return path
