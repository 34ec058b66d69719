"""Plots, sweeps and the report from small stored batches (headless)."""

import base64
import html
import io
import re
from html.parser import HTMLParser

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")
from fontTools.ttLib import TTFont  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402

from sim.analysis.montecarlo import run as run_montecarlo  # noqa: E402
from sim.analysis.sweep import load_sweep, prepare_sweep, run_sweep  # noqa: E402
from sim.config.experiment import load_experiment  # noqa: E402
from sim.config.scenario import ScenarioError, load  # noqa: E402
from sim.model import plan  # noqa: E402
from sim.model.outcomes import NOT_MODELLED, TARGETS  # noqa: E402
from sim.model.params import LEVERS, UNCERTAINTIES  # noqa: E402
from sim.present.i18n import target_label  # noqa: E402
from sim.present.plots import (  # noqa: E402
    cjk_font_path,
    plot_compare,
    plot_distributions,
    plot_fan,
    plot_sweep,
    plot_targets,
    setup_fonts,
)
from sim.present.report import (  # noqa: E402
    FLAG_ZH,
    NOT_MODELLED_ZH,
    html_text,
    unit_text,
    write_report,
)
from sim.run.batch import prepare  # noqa: E402
from sim.run.evaluators import Evaluator  # noqa: E402
from sim.run.store import load_results  # noqa: E402
from tests._shared import HPA  # noqa: E402


def _batch(folder, name="plan", n=6, seed=4):
    scn = load(name)
    m = prepare(folder, scn, name, n, seed, HPA, resume=False)
    run_montecarlo(folder, m, Evaluator(progress=False))
    return load_results(folder)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    return _batch(tmp_path_factory.mktemp("b") / "plan")


@pytest.fixture(scope="module")
def batch_b(tmp_path_factory):
    return _batch(tmp_path_factory.mktemp("b") / "nn", "no_new_policy")


def _texts(fig):
    out = []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_yticklabels() + ax.texts]
        leg = ax.get_legend()
        if leg:
            out += [t.get_text() for t in leg.get_texts()]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    return out


def test_targets_figure(batch):
    setup_fonts("en")
    fig = plot_targets(batch)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "Ten clusters: total output" in labels
    from sim.model.outcomes import HEADLINE_GROUPS
    assert len(labels) == sum(batch["summary"]["group"].isin(HEADLINE_GROUPS))
    assert ax.get_xlim()[0] < 0 < 1 < ax.get_xlim()[1]
    assert "scenario plan" in ax.get_title() and "6 replicates" in ax.get_title() \
        and "seed 4" in ax.get_title()


def test_distributions_have_ten_panels_with_target_lines(batch):
    setup_fonts("en")
    fig = plot_distributions(batch)
    assert len(fig.axes) == 10
    for ax, c in zip(fig.axes, plan.CLUSTERS, strict=True):
        xs = [line.get_xdata()[0] for line in ax.get_lines()]
        assert c.target_output_yi_yuan in xs  # the target line
        assert any(t.get_text().startswith("P=") for t in ax.texts)


def test_fan_has_plan_path_and_income_panel(batch):
    setup_fonts("en")
    fig = plot_fan(batch)
    assert len(fig.axes) == 12
    total = fig.axes[10]
    path = [ln for ln in total.get_lines() if ln.get_linestyle() == "--"][0]
    assert path.get_ydata()[-1] == pytest.approx(plan.TOTAL_OUTPUT_TARGET_YI)
    assert path.get_ydata()[0] == pytest.approx(plan.TOTAL_OUTPUT_2020_YI)
    assert plan.TOTAL_OUTPUT_2020_YI == pytest.approx(850.7, abs=0.05)  # plan-targets.md
    legend = [t.get_text() for t in fig.axes[11].get_legend().get_texts()]
    assert any("national" in t for t in legend)


def test_chinese_labels_have_glyphs_in_the_font_used(batch):
    name = setup_fonts("zh")
    assert matplotlib.rcParams["font.family"][0] == name
    font = FT2Font(str(cjk_font_path()))
    charmap = font.get_charmap()
    figs = [plot_targets(batch, "zh"), plot_distributions(batch, "zh"), plot_fan(batch, "zh")]
    chars = {ch for f in figs for t in _texts(f) for ch in t if ord(ch) > 0x2E80}
    assert len(chars) > 30  # really Chinese labels
    missing = [ch for ch in chars if ord(ch) not in charmap]
    assert not missing
    assert "酿品" in _texts(figs[1])


def test_compare_figure(batch, batch_b):
    setup_fonts("en")
    fig = plot_compare(batch, batch_b)
    leg = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert leg == ["A: plan (baseline)", "B: no_new_policy"]


EXP = """name: tiny
scenario: plan
replicates: 3
seed: 2
design:
  type: grid
  factors:
    levers.capital_subsidy_rate: [0.0, 0.4]
    levers.brand_fund_yi_yuan: [0.0, 2.0]
"""


def test_sweep_runs_resumes_and_plots(tmp_path):
    f = tmp_path / "tiny.yaml"
    f.write_text(EXP)
    exp = load_experiment(str(f))
    assert len(exp["points"]) == 4
    folder = tmp_path / "out"
    m = prepare_sweep(folder, exp, 3, HPA, resume=False)
    s = run_sweep(folder, exp, m, Evaluator(progress=False))
    assert len(s) == 4 * s["target"].nunique()
    # common random numbers: every point's replicate seeds are the same
    seeds = {tuple(load_results(folder / "points" / p["id"])["replicates"]["seed"])
             for p in exp["points"]}
    assert len(seeds) == 1
    m2 = prepare_sweep(folder, exp, 3, HPA, resume=True)
    s2 = run_sweep(folder, exp, m2, Evaluator(progress=False))
    assert s2.equals(s)
    setup_fonts("en")
    fig = plot_sweep(load_sweep(folder), targets=["output_total", "investment"])
    assert len([a for a in fig.axes if a.images]) == 2  # one heatmap per target


@pytest.mark.parametrize("text,msg", [
    ("design: {type: grd, factors: {levers.capital_subsidy_rate: [0.1]}}", "did you mean 'grid'"),
    ("design: {type: grid, factors: {levers.capital_subsidy_rate: 0.1}}", "list of values"),
    ("design: {type: grid, factors: {levers.capital_subsidy_rate: [9]}}", "out of range"),
    ("design: {type: grid, factors: {levers.capital_subsidy_rat: [0.1]}}", "did you mean"),
    ("design: {type: lhs, factors: {levers.capital_subsidy_rate: {low: 0, high: 1}}}",
     "needs n"),
    ("design: {type: lhs, n: 4, factors: {levers.capital_subsidy_rate: {low: 1, high: 0}}}",
     "above high"),
    ("replicates: -3\ndesign: {type: grid, factors: {levers.capital_subsidy_rate: [0.1]}}",
     "whole number"),
    ("scenario: nope\ndesign: {type: grid, factors: {levers.capital_subsidy_rate: [0.1]}}",
     "no such scenario"),
])
def test_experiment_validation(tmp_path, text, msg):
    f = tmp_path / "e.yaml"
    f.write_text(text)
    with pytest.raises(ScenarioError, match=msg):
        load_experiment(str(f))


def test_shipped_experiments_load():
    from sim.config.experiment import shipped_experiments
    names = shipped_experiments()
    assert {"cold_chain", "capital_subsidy", "land_service", "subsidy_x_brand"} <= set(names)
    for n in names:
        assert load_experiment(n)["points"]


class _Imgs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.srcs.append(dict(attrs)["src"])


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The English and Chinese reports of one small batch: {lang: (path, text)}."""
    folder = tmp_path_factory.mktemp("rep") / "plan"
    _batch(folder)
    out = {}
    for lang in ("en", "zh"):
        path = write_report(folder, folder / f"report_{lang}.html", lang)
        out[lang] = (path, path.read_text(encoding="utf-8"))
    return out


def test_report_is_self_contained_html(reports):
    path, text = reports["en"]
    p = _Imgs()
    p.feed(text)
    assert text.startswith("<!DOCTYPE html>") and "</html>" in text
    assert len(p.srcs) == 4   # what decides each answer, targets, distributions, fan
    for src in p.srcs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "output_total" in text and "capital_subsidy_rate" in text
    assert "<th scope=\"row\">root seed</th><td>4</td>" in text
    # nothing fetched when opened (citations may name a URL as text, as sources do)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*https?:|url\(\s*["']?https?:""", text)
    # nothing points into the source tree, which a recipient does not have
    assert "docs/" not in text and ".md" not in text
    assert "How the model works" in text and "Wilson" in text
    assert all(html.escape(x) in text for x in NOT_MODELLED)


CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
WORD = re.compile(r"[A-Za-z]{2,}")
HEADINGS = ("h1", "h2", "h3", "th", "figcaption", "caption", "title")
# ASCII words the Chinese report may use outside code and citations: proper names
PROSE_OK = {"clustersim", "Wilson", "Shapley", "ODD", "git", "Dask"}


class _Parts(HTMLParser):
    """Text of headings, and of everything outside code, pre, style and citations."""

    def __init__(self):
        super().__init__()
        self.stack, self.headings, self.prose, self.alts = [], [], [], []
        self.title = ""
        self._heading = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.alts.append(a.get("alt", ""))
            return
        self.stack.append((tag, a.get("class")))
        if tag in HEADINGS:
            self._heading = []

    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break
        if tag in HEADINGS and self._heading is not None:
            text = "".join(self._heading)
            if tag == "title":  # plain text: the scenario name cannot be in <code> there
                self.title = text
            else:
                self.headings.append(text)
            self._heading = None

    def _hidden(self):
        return any(t in ("code", "pre", "style") or c == "src" for t, c in self.stack)

    def handle_data(self, data):
        if self._hidden():
            return
        if self._heading is not None:
            self._heading.append(data)
        if not any(t == "title" for t, _ in self.stack):
            self.prose.append(data)


def _parts(text):
    p = _Parts()
    p.feed(text)
    return p


def test_zh_report_headings_are_chinese(reports):
    p = _parts(reports["zh"][1])
    assert len(p.headings) > 40  # title, h1, h2s, every table header cell
    for h in p.headings:
        assert CJK.search(h), f"heading without Chinese: {h!r}"
        assert set(WORD.findall(h)) <= {"clustersim"}, f"English in a heading: {h!r}"
    for alt in p.alts:
        assert CJK.search(alt) and not WORD.search(alt)
    assert p.title == "规划政策组合下山西农产品精深加工产业集群2025年目标展望"


def test_zh_report_text_is_chinese_except_code_and_citations(reports):
    words = {w for t in _parts(reports["zh"][1]).prose for w in WORD.findall(t)}
    assert words <= PROSE_OK, sorted(words - PROSE_OK)
    # the same check on the English report finds English: it is not vacuous
    en = {w for t in _parts(reports["en"][1]).prose for w in WORD.findall(t)}
    assert {"replicate", "target", "model"} <= en


def test_en_report_headings_are_english(reports):
    p = _parts(reports["en"][1])
    assert len(p.headings) > 40
    for h in p.headings:
        for unit in ("亿元", "元", "万吨"):  # units stay as the plan writes them
            h = h.replace(unit, "")
        assert not CJK.search(h), f"Chinese in an English heading: {h!r}"
        assert WORD.search(h), h
    assert p.title == ("Shanxi's agricultural processing clusters in 2025 under the plan's "
                       "policy package")


def _embedded_font(text):
    m = re.search(r"@font-face\{[^}]*font-family:\"([^\"]+)\"[^}]*"
                  r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)[^}]*unicode-range:([^}]*)\}",
                  text)
    assert m, "no embedded @font-face"
    data = base64.b64decode(m.group(2))
    ranges = set()
    for part in m.group(3).split(","):
        lo, _, hi = part.strip()[2:].partition("-")
        ranges.update(range(int(lo, 16), int(hi or lo, 16) + 1))
    return m.group(1), data, ranges


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_embedded_font_covers_every_character_drawn(reports, lang):
    text = reports[lang][1]
    family, data, ranges = _embedded_font(text)
    font = TTFont(io.BytesIO(data))
    cmap = font.getBestCmap()
    drawn = {c for c in html_text(text) if ord(c) > 127}
    if lang == "zh":
        assert len(drawn) > 300
    else:
        assert {"亿", "元", "万", "吨"} <= drawn  # units in the English report
    missing = sorted(c for c in drawn if ord(c) not in cmap)
    assert not missing, missing
    assert {ord(c) for c in drawn} <= ranges
    # a subset: those glyphs (plus .notdef and the odd related glyph the subsetter keeps;
    # the whole font has 65,535), tens of KB, and the text uses it
    assert len(font.getGlyphOrder()) <= len(drawn) + 5
    assert len(data) < 150_000
    assert re.search(r"body\{font-family:\"" + re.escape(family) + '"', text)
    full = FT2Font(str(cjk_font_path())).get_charmap()
    assert all(ord(c) in full for c in drawn)


def test_chinese_texts_cover_everything_they_translate():
    assert len(NOT_MODELLED_ZH) == len(NOT_MODELLED)
    for (zh, sec), en in zip(NOT_MODELLED_ZH, NOT_MODELLED, strict=True):
        assert CJK.search(zh)
        assert sec in en
    units = {t.unit for t in TARGETS} | {p.unit for p in LEVERS + UNCERTAINTIES}
    for u in units:
        assert not WORD.search(unit_text(u, "zh")), f"unit {u!r} has no Chinese form"


def test_report_shows_the_flags_in_both_languages(reports):
    en, zh = reports["en"][1], reports["zh"][1]
    assert "<th>flag</th>" in en and "<th>标注</th>" in zh
    for flag in ("unreachable in declared ranges", "lever-delivered", "decided by one input",
                 "already met in 2020"):
        # a flag may share its cell with another (a bridged target in the ex-ante view is
        # also "reported basis unknown in this view")
        assert re.search(rf"<td>(?:[^<]*; )?{re.escape(flag)}(?:; [^<]*)?</td>", en), flag
        assert re.search(rf"<td>(?:[^<]*；)?{re.escape(FLAG_ZH[flag])}(?:；[^<]*)?</td>", zh)
    assert "Flag: P(met) is decided by construction" in en


def test_report_bad_input(tmp_path):
    with pytest.raises(ValueError, match="no such results folder"):
        write_report(tmp_path / "missing")
    with pytest.raises(ValueError, match="not a results folder"):
        write_report(tmp_path)


def test_report_beside_a_prior_run_shows_both_p_met_and_the_paired_difference(tmp_path):
    """Issue #10 item 6: the posterior answer beside the prior one, in the report."""
    import json

    import pandas as pd

    from sim.analysis.stats import compare
    from sim.present.beside import batch_label
    from sim.run.posterior import attach
    from sim.run.store import load_results

    cal = tmp_path / "cal"
    cal.mkdir()
    (cal / "manifest.json").write_text(json.dumps({
        "source": "obs.csv", "until": 2023,
        "factors": [{"name": "shanxi_share_gain", "param": "shanxi_share_gain", "key": None}]}))
    pd.DataFrame({"shanxi_share_gain": [0.05, 0.06], "weight": [0.5, 0.5]}).to_parquet(
        cal / "posterior.parquet")
    prior = tmp_path / "prior"
    _batch(prior)
    post = tmp_path / "post"
    m = prepare(post, attach(load("plan"), cal), "plan-posterior", 6, 4, HPA, resume=False)
    run_montecarlo(post, m, Evaluator(progress=False))
    here, there = load_results(post), load_results(prior)
    assert batch_label(here["manifest"]) == "posterior: calibrated to obs.csv up to 2023"
    assert batch_label(there["manifest"]).startswith("prior")
    text = write_report(post, tmp_path / "r.html", against=prior).read_text(encoding="utf-8")
    assert f"Beside {prior}" in text and "paired by replicate" in text
    table, paired = compare(there, here)
    assert paired
    # paired means common random numbers: every draw but the calibrated one is shared
    a = there["replicates"].set_index("replicate").sort_index()
    b = here["replicates"].set_index("replicate").sort_index()
    shared = [c for c in a if c.startswith("in.") and "shanxi_share_gain" not in c]
    assert shared and a[shared].equals(b[shared])
    assert not a["in.shanxi_share_gain"].equals(b["in.shanxi_share_gain"])
    # a large share gain moves some target: the table is not all zero differences
    assert (table["diff"].abs() > 0).any()
    for r in table.itertuples():
        row = (f"<td><code>{r.target}</code></td><td>{html.escape(target_label(r.target, 'en'))}"
               f'</td><td class="n">{r.p_a:.2f}</td><td class="n">{r.p_b:.2f}</td>'
               f'<td class="n">{r.diff:+.2f}</td>')
        assert row in text, r.target
    # the brief says which headline targets differ with an interval excluding zero
    brief = text.split('<section id="brief">', 1)[1].split("</section>", 1)[0]
    assert f"Beside <code>{prior}</code>" in brief
    zh = write_report(post, tmp_path / "z.html", "zh", against=prior).read_text(encoding="utf-8")
    assert "与 " in zh and "后验：按 obs.csv 截至 2023 年的观测校准" in zh


# ------------------------------------------------------------ the brief (#22 item 5)
ASCII_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,.:;()/&-]+[A-Za-z][A-Za-z'’-]*){2,}")


class _Prose(HTMLParser):
    """Text outside code, styles and passages marked as written in English (lang="en")."""

    def __init__(self):
        super().__init__()
        self.stack, self.parts = [], []

    def handle_starttag(self, tag, attrs):
        if tag in ("img", "br", "meta"):
            return
        self.stack.append((tag, dict(attrs).get("lang")))

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if not any(t in ("code", "pre", "style", "title") or lang == "en"
                   for t, lang in self.stack[1:]):
            self.parts.append(data)


def english_runs(doc: str) -> list[str]:
    """Runs of three or more ASCII words in the text a reader sees (code and marked English
    quotations aside)."""
    p = _Prose()
    p.feed(doc)
    return [m.group(0) for part in p.parts for m in ASCII_RUN.finditer(part)]


def test_zh_report_has_no_untranslated_english(reports):
    runs = english_runs(reports["zh"][1])
    assert runs == [], runs[:10]
    # the check finds English where there is some: it can fail
    assert len(english_runs(reports["en"][1])) > 50
    assert english_runs("<p>规划 the plan's policy package</p>") == ["the plan's policy package"]


def test_zh_report_translates_the_scenario_and_the_lever_notes(reports):
    zh = reports["zh"][1]
    assert "规划的政策组合（默认）" in zh and "The plan's policy package" not in zh
    for p in LEVERS:  # every lever's note is in Chinese, not its English provenance
        assert html.escape(p.provenance[:30]) not in zh, p.name
    own = re.sub(r'<span class="src" lang="en">[^<]*</span>', "", zh)  # quoted sources aside
    assert "第六章第一节（一）" in zh and "Ch." not in own


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_opens_with_the_view_then_reported_p_met_and_causes_then_the_brief(reports,
                                                                                   lang):
    text = reports[lang][1]
    body = text.split("<body>", 1)[1]
    first_h2 = body.index("<h2")
    # the conditioning line first, then the headline table, then the brief
    assert body.index("</h1>") < body.index('<p id="view">') < first_h2
    view = body.split('<p id="view">', 1)[1].split("</p>", 1)[0]
    assert {"en": "ex-ante view", "zh": "事前视角"}[lang] in view
    assert body.index('<section id="headline">') < first_h2 < body.index('<section id="brief">')
    head = body.split('<section id="headline">', 1)[1].split("</section>", 1)[0]
    for w in {"en": ("reported basis", "variance by kind of cause", "too few replicates"),
              "zh": ("统计口径", "方差按原因类别分解", "重复次数过少")}[lang]:
        assert w in head, w   # six replicates: the shares need more, and say so
    brief = body.split('<section id="brief">', 1)[1].split("</section>", 1)[0]
    words = {"en": ("likely met", "Conditioned on", "no published data after 2020",
                    "How the model works, briefly"),
             "zh": ("可能达标", "结果所依据的数据", "不含2020年以后的已公布数据", "模型简述")}
    for w in words[lang]:
        assert w in brief, w


def test_brief_counts_match_the_summary_and_names_the_data_year(tmp_path):
    import pandas as pd

    from sim.present.brief import brief_html, conditioning, facts
    rows = [("output_brewing", 0.95, 500, 700, None), ("output_meat", 0.6, 400, 600, None),
            ("output_dairy", 0.3, 100, 150, None),
            ("training", 0.0, 10, 20, "lever-delivered"), ("grain", 0.02, 1000, 1200, None)]
    thr = {t.name: t.threshold for t in TARGETS}
    s = pd.DataFrame([{"target": n, "group": "province", "threshold": thr[n], "unit": "亿元",
                       "p_met": p, "p_lo": 0, "p_hi": 1, "median": (a + b) / 2, "q05": a,
                       "q95": b, "flag": f} for n, p, a, b, f in rows])
    m = {"name": "x", "done": 10, "root_seed": 1, "scenario": {"description": "d"}}
    f = facts({"summary": s, "manifest": m})
    assert list(f["likely"]["target"]) == ["output_brewing", "output_meat"]
    assert list(f["open"]["target"]) == ["output_dairy"]
    assert set(f["unlikely"]["target"]) == {"training", "grain"}
    assert list(f["flags"]["lever"]["target"]) == ["training"]
    assert list(f["reach"]["target"]) == ["output_meat"]  # 550 inside 400-600; not 0.95
    assert list(f["near"]["target"]) == ["grain"]  # 1200 >= 0.85 x 1365
    text = brief_html({"summary": s, "manifest": m}, "en")
    assert "2 are likely met" in text and "1 are uncertain" in text and "2 are unlikely" in text
    assert "decided by construction" not in text.split("Likely met")[1].split("</li>")[0]
    s.loc[s["target"] == "output_brewing", "flag"] = "weak measure"
    text = brief_html({"summary": s, "manifest": m}, "en")
    assert "1 of these are decided by construction" in text
    assert "ex-ante" in conditioning(m, "en")
    m["scenario"]["data_until"] = 2023
    assert "published data up to 2023" in conditioning(m, "en")
    assert "截至 2023 年的已公布数据" in conditioning(m, "zh")


def test_numeric_cells_do_not_wrap(reports):
    text = reports["zh"][1]
    assert re.search(r"\.n\{white-space:nowrap\}", text)
    cells = re.findall(r'<td class="n">([^<]*)</td>', text)
    assert any("亿元" in c for c in cells) and any(re.fullmatch(r"\d\.\d\d", c) for c in cells)


def test_headline_table_reads_the_reported_basis_and_draws_the_shares(batch):
    from sim.analysis.causes import CHANCE, KINDS
    from sim.present.headline import causes_figure, headline_section, reported_basis
    from sim.present.report import _fig_png, _table
    res = {**batch, "manifest": {**batch["manifest"], "view": {"data_until": 2024}}}
    rep = reported_basis(res)
    r = rep.set_index("target")
    # output_total is bridged (the department's accounting): the model basis is kept beside
    assert r.loc["output_total", "flag"] == "plan base differs from reports"
    assert r.loc["output_total", "median"] > 1.5 * batch["summary"].set_index(
        "target").loc["output_total", "median"]
    assert r.loc["output_brewing", "p_met"] == r.loc["output_brewing", "p_met_model"]
    shares = {"output_total": dict(zip(KINDS + (CHANCE,), (0.1, 0.5, 0.1, 0.0, 0.0, 0.2, 0.1),
                                       strict=True)),
              "output_brewing": dict(zip(KINDS + (CHANCE,), (0, 0.8, 0.1, 0, 0, 0, 0.1),
                                         strict=True))}
    table = pd.DataFrame([{"target": t, **v, "explained": 1 - v[CHANCE],
                           "top_input": "shanxi_share_gain", "top_share": 0.4, "n": 200,
                           "log": True, "reason": ""} for t, v in shares.items()])
    out = headline_section(res, rep, table, "en", _table, _fig_png)
    row = out.split("Ten clusters: total output", 1)[1].split("</tr>", 1)[0]
    assert "plan base differs from reports" in row and "bridges 20" in row
    assert "markets 50" in row and "<code>shanxi_share_gain</code> (40)" in row
    brewing = out.split("Brewing", 1)[1].split("</tr>", 1)[0]
    assert ">same<" in brewing and "markets 80" in brewing
    fig = causes_figure(table, "zh")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "口径换算" in labels and "随机" in labels


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_scorecard_section_shows_a_scorecard_folder_or_says_how_to_make_one(tmp_path, lang):
    from sim.present.report import _fig_png, _table
    from sim.present.scorecard_plots import scorecard_section
    none = scorecard_section(None, lang, _table, _fig_png)
    assert "clustersim scorecard" in none and "<img" not in none
    card = pd.DataFrame({"target": ["output_brewing", "grain"],
                         "outcome": ["met", "not yet known"],
                         "source": ["planted row (S)", None],
                         "p_2021": [0.2, 0.5], "naive_2021": [0.5, 0.5],
                         "p_2025": [0.9, 0.6], "naive_2025": [0.7, 0.5]})
    card.to_csv(tmp_path / "scorecard.csv", index=False)
    pd.DataFrame({"vintage": [2021, 2025], "settled": [1, 1], "brier": [0.64, 0.01],
                  "brier_naive": [0.25, 0.09], "skill": [-1.56, 0.89]}
                 ).to_csv(tmp_path / "scores.csv", index=False)
    out = scorecard_section(tmp_path, lang, _table, _fig_png)
    assert {"en": "met", "zh": "达标"}[lang] in out and "planted row (S)" in out
    assert ">0.20<" in out and ">0.90<" in out and ">-1.56<" in out and ">0.89<" in out
    assert out.count("<img") == 1   # the reliability plot, drawn in the report's language


def test_report_finds_the_scorecard_beside_the_batch(tmp_path):
    import shutil
    folder = tmp_path / "results" / "plan"
    _batch(folder, n=3)
    text = write_report(folder, tmp_path / "a.html").read_text(encoding="utf-8")
    assert 'id="scorecard"' in text and "no scorecard beside this batch" in text.lower()
    (tmp_path / "results" / "scorecard").mkdir()
    pd.DataFrame({"target": ["grain"], "outcome": ["missed"], "source": ["row"],
                  "p_2021": [0.3], "naive_2021": [0.5]}).to_csv(
        tmp_path / "results" / "scorecard" / "scorecard.csv", index=False)
    text = write_report(folder, tmp_path / "b.html").read_text(encoding="utf-8")
    assert "no scorecard beside this batch" not in text.lower() and ">0.30<" in text
    shutil.rmtree(tmp_path / "results" / "scorecard")
