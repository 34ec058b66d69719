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
from sim.model import plan
from sim.model.outcomes import (
    FLAG_INPUT,
    FLAG_LEVER,
    FLAG_MET_2020,
    FLAG_MET_2020_SOME,
    FLAG_UNREACHABLE,
    FLAG_WEAK,
    NOT_MODELLED,
)
from sim.model.params import LEVERS, UNCERTAINTIES, Param
from sim.run.store import load_batch

FONT_FAMILY = "clustersim CJK"

# Units as shown in Chinese output; units already in Chinese are shown as they are.
UNIT_ZH = {
    "firms": "家", "ratio": "比值", "share": "比例", "1/yr": "/年",
    "share of capex": "占投资比例", "percentage points": "百分点", "yuan/mu/yr": "元/亩/年",
    "亿元/yr": "亿元/年", "share of villages": "村覆盖比例", "万吨/yr": "万吨/年",
    "万 places/yr": "万人次/年", "万亩/yr": "万亩/年", "1/yr (nominal)": "/年（名义）",
    "1/yr per log unit": "/年（每对数单位）", "1/yr per unit coverage": "/年（每单位覆盖率）",
    "log SD/yr": "对数标准差/年", "per city-year": "每市每年", "per cluster-year": "每集群每年",
    "logit per 1000 yuan": "对数几率/千元", "yuan capex per yuan/yr": "元投资/（元/年）",
    "quarters": "季度", "entrants per firm-year": "每企业每年进入数",
    "share of spot price": "占现货价格比例", "share of 2025 target": "占2025年目标比例",
    "yuan/person": "元/人", "yuan/mu": "元/亩", "count": "个",
    "× 2020 level": "×2020年水平", "× city's mean county": "×所在市县均水平",
    "share of provincial rural income": "占全省农村居民收入比例", "元/person/yr": "元/人/年",
}

STATUS = {
    "en": {"complete": "complete", "complete_with_failures": "complete, with failures",
           "interrupted": "interrupted", "running": "running (or stopped abruptly)",
           "new": "not started"},
    "zh": {"complete": "已完成", "complete_with_failures": "已完成（部分重复失败）",
           "interrupted": "已中断", "running": "运行中（或意外终止）", "new": "未开始"},
}

BACKEND = {"en": {}, "zh": {"serial": "单进程", "processes": "多进程", "dask": "Dask 集群"}}

# NOT_MODELLED (sim.model.outcomes) in Chinese, same order: (text, plan section or "").
NOT_MODELLED_ZH = (
    ("主要农作物耕种收综合机械化率77%", "Ch.7 §2.4"),
    ("农业科技进步贡献率64%", "Ch.7 §2.5"),
    ("特色农产品冷藏运输率50%左右", "Ch.7 §2.4"),
    ("1500个以上新型经营主体新建或改建冷库", "Ch.7 §2.4"),
    ("引进国家农业百强龙头企业50家左右；落地项目300个以上", "Ch.6 intro"),
    ("累计巩固脱贫户180万户以上；继续扶持452个扶贫龙头企业、1009家扶贫车间、448个扶贫农民合作社；"
     "聘用生态护林员1.8万人左右", "Ch.4 §4"),
    ("土地出让收入用于农业农村比例不低于50%", "Ch.8 §3"),
)

FLAG_ZH = {
    FLAG_UNREACHABLE: "设定范围内不可达", FLAG_LEVER: "取决于政策落实",
    FLAG_INPUT: "由单一输入决定", FLAG_MET_2020: "2020年已达标",
    FLAG_MET_2020_SOME: "部分重复2020年已达标", FLAG_WEAK: "测度较弱",
}

T = {
    "en": {
        "title": "clustersim report: {name}",
        "intro": "{done} replicates (root seed {seed}, {failed} failed); one simulated "
                 "household stands for {hpa} rural households. P(met) is the share of "
                 "replicates meeting each 2025 target, with its 95% Wilson interval; "
                 "“How the model works” below says how to read these numbers.",
        "figures": "Figures",
        "cap_targets": "Probability of meeting each headline 2025 target (cluster output, "
                       "province, platforms): dots are P(met), bars the 95% Wilson interval.",
        "cap_distributions": "2025 output of each cluster across replicates (亿元); red "
                             "line: the plan's target; P: the share of replicates at or "
                             "above it, with its 95% interval.",
        "cap_fan": "Paths 2020–2025: median, 50% and 90% bands across replicates, against "
                   "the plan's target path (dashed: constant growth from the 2020 base); "
                   "last panel: rural per-capita disposable income (元 per person) against "
                   "the national projection.",
        "alt_targets": "Probability of meeting each 2025 target",
        "alt_distributions": "2025 output by cluster", "alt_fan": "Trajectories 2020–2025",
        "prob": "Probability of meeting each 2025 target",
        "prob_head": ["target", "indicator", "2025 target", "plan section", "P(met)",
                      "95% interval", "median", "5–95% range", "flag"],
        "prob_note": "Flag: P(met) is decided by construction rather than by the agents. "
                     "Unreachable in declared ranges: no combination of the declared input "
                     "ranges reaches the threshold. Lever-delivered: the outcome is a lever "
                     "as delivered, so the target is met if and only if enough of the lever "
                     "is delivered. Decided by one input: the outcome repeats one sampled "
                     "input. Weak measure: an unsourced assumption sets the metric (the "
                     "model description says which). Already met in 2020: the 2020 starting "
                     "state meets the target in every replicate (or in some).",
        "levers": "Scenario levers",
        "levers_head": ["lever", "value", "unit", "set by", "source"],
        "levers_note": "Values separated by / apply to 2021, 2022, …, 2025 in turn.",
        "scenario": "scenario", "default": "default", "declared": "declared range",
        "unc": "Uncertain inputs (drawn once per replicate)",
        "unc_head": ["input", "range drawn from", "unit", "set by", "source"],
        "pinned": "fixed at {v}",
        "failures": "Failed replicates", "none": "None.",
        "fail_head": ["replicate", "seed", "error"],
        "prov": "Provenance",
        "prov_head": ["item", "value"],
        "prov_rows": {"name": "scenario", "source": "scenario file", "root_seed": "root seed",
                      "replicates": "replicates asked", "done": "replicates done",
                      "failed": "replicates failed",
                      "households_per_agent": "rural households per simulated household",
                      "package_version": "clustersim version", "git_commit": "git commit",
                      "backend": "backend", "workers": "workers", "started": "started",
                      "finished": "finished", "status": "status"},
        "model": "How the model works",
    },
    "zh": {
        "title": "clustersim 模拟报告：{name}",
        "intro": "共 {done} 次重复（根种子 {seed}，失败 {failed} 次）；每个模拟农户代表 "
                 "{hpa} 户农村家庭。达标概率是达到各项2025年目标的重复所占比例，并附95% "
                 "Wilson 区间；如何解读这些数字，见下文“模型说明”。",
        "figures": "图表",
        "cap_targets": "各项重点2025年目标（集群产值、全省指标、交易平台）的达标概率：圆点为"
                       "达标概率，横线为95%区间。",
        "cap_distributions": "各集群2025年产值在各次重复中的分布（亿元）；红线为规划目标；"
                             "P 为达到或超过目标的重复所占比例及其95%区间。",
        "cap_fan": "2020—2025年轨迹：各次重复的中位数及50%、90%区间，虚线为规划目标路径"
                   "（自2020年基数匀速增长）；最后一幅为农村居民人均可支配收入（元/人）与全国"
                   "预测值的比较。",
        "alt_targets": "2025年各项目标的达标概率", "alt_distributions": "2025年各集群产值分布",
        "alt_fan": "2020—2025年轨迹",
        "prob": "2025年各项目标的达标概率",
        "prob_head": ["目标代码", "指标", "2025年目标", "规划条款", "达标概率", "95%区间",
                      "中位数", "5%—95%区间", "标注"],
        "prob_note": "标注：达标概率由模型构造决定、而非由主体互动决定的目标。设定范围内不可达："
                     "在所设定的各输入范围内均达不到目标值。取决于政策落实：结果即政策杠杆的"
                     "实际落实量，落实足够即达标，否则不达标。由单一输入决定：结果重复某一个"
                     "抽样输入。测度较弱：该指标由无来源的假设决定（见模型说明）。2020年已达标："
                     "2020年初始状态在每次重复（或部分重复）中已达到目标。",
        "levers": "情景的政策杠杆",
        "levers_head": ["政策杠杆", "取值", "单位", "设定方式", "依据"],
        "levers_note": "以 / 分隔的数值依次对应2021、2022……2025年。",
        "scenario": "情景设定", "default": "默认值", "declared": "默认范围",
        "unc": "不确定性输入（每次重复抽取一次）",
        "unc_head": ["输入参数", "抽取范围", "单位", "设定方式", "依据"],
        "pinned": "固定为 {v}",
        "failures": "失败的重复", "none": "无。",
        "fail_head": ["重复编号", "随机种子", "错误信息"],
        "prov": "运行信息与来源",
        "prov_head": ["项目", "内容"],
        "prov_rows": {"name": "情景", "source": "情景文件", "root_seed": "根种子",
                      "replicates": "计划重复次数", "done": "完成重复次数",
                      "failed": "失败重复次数",
                      "households_per_agent": "每个模拟农户代表的农户数",
                      "package_version": "clustersim 版本", "git_commit": "代码提交编号",
                      "backend": "运行方式", "workers": "并行进程数", "started": "开始时间",
                      "finished": "结束时间", "status": "状态"},
        "model": "模型说明",
    },
}

MODEL_EN = """
<p>clustersim is an agent-based model of the ten agricultural processing clusters and five
trading platforms of Shanxi's 2021–2025 plan (晋政发〔2021〕27号). Farmer households,
cooperatives, processing firms and trading platforms interact in quarterly steps from 2021Q1
to 2025Q4, starting from a 2020 state calibrated to the plan's figures: each cluster's 2020
output implied by its target and growth rate (850.7 亿元 in total), 470 provincial leading
firms, and a rural per-capita disposable income of 13,878 元. Each year households rent land
in or out in a market per city, join cooperatives, and take contracts and processing jobs
with firms; firms grow their sales, invest (helped by the subsidies the levers set), produce,
enter and exit; platforms trade and add cold storage; household incomes are summed by
source.</p>
<p><b>A replicate</b> is one complete simulated path from 2021 to 2025. Each replicate draws
every uncertain input once from its range (table “Uncertain inputs” above: demand growth,
prices, droughts, animal disease, behaviour, how much of the policy is actually delivered, …)
and then every random event along the way, all from its own seed. The seeds derive from the
batch's root seed, so the same root seed reproduces the same numbers exactly.</p>
<p><b>P(met)</b> is the share of replicates whose 2025 outcome reaches the target (outcome ≥
target). The <b>95% interval</b> is the Wilson score interval of that share: the
probabilities consistent with the number of replicates run. It narrows as replicates are
added (with 200 replicates it is at most about ±0.07) and measures only the sampling error of
the Monte Carlo, not whether the model's assumptions are right. The <b>median</b> and the
<b>5–95% range</b> describe the 2025 outcome itself: half the replicates end below the
median, and 90% of them inside the range.</p>
<p><b>Scale and units.</b> The province's 13.1 million rural residents live in about 4.7
million households; in this batch one simulated household stands for {hpa} real ones, and
the rules do not depend on that scale. 亿元 = 100 million yuan; 万吨 = 10,000 tonnes;
万人 = 10,000 people; 万亩 = 10,000 mu (1 mu ≈ 667 m²); income gains are in 元 per person
per year.</p>
<p><b>What is modelled, and what is not.</b> Cluster output, investment, firms in each size
tier, platform volumes and values, farmers linked and their income gains come from the
agents' behaviour. Province-wide indicators (agricultural output, primary-industry value
added, grain, processing outside the ten clusters) are simple trends that droughts cut.
Demand for each cluster is set from outside the model (national market growth plus a gain
in Shanxi's market share); these two uncertain inputs drive the output targets most. Many
parameters are stated assumptions with wide ranges, and every probability is conditional on
them. Platform farmers are counted only in each platform's own cities, so those targets are
judged conservatively. Plan targets not modelled at all, and so absent from the table:
{not_modelled}.</p>
<p><b>Reference.</b> Model: clustersim {version}; this batch was run with version
{batch_version}{commit}. The full model description (ODD+D protocol) and the table of every
parameter with its range and source come with the clustersim source code.</p>
"""

MODEL_ZH = """
<p>clustersim 是一个基于主体的模型，模拟山西省2021—2025年规划（晋政发〔2021〕27号）中的十大
农产品精深加工产业集群和五大交易平台。农户、合作社、加工企业和交易平台按季度相互作用，从2021年
第一季度运行到2025年第四季度；2020年的初始状态依据规划数据校准：各集群2020年产值由其目标和增速
推算（合计850.7亿元），省级龙头企业470家，农村居民人均可支配收入13,878元。每年，农户在所在市的
土地流转市场中转入或转出土地，加入合作社，与企业签订订单、到加工企业就业；企业扩大销售、投资
（受政策杠杆所设补贴的支持）、生产、进入和退出；交易平台开展交易并新增冷库；农户收入按来源汇总。
</p>
<p><b>一次重复</b>是从2021年到2025年的一条完整模拟路径。每次重复先从每项不确定性输入的范围中
各抽取一次（见上文“不确定性输入”表：需求增长、价格、干旱、动物疫病、行为反应、政策实际落实程度
等），再抽取过程中的各个随机事件，全部由该次重复自己的随机种子决定。各次重复的种子由本批次的根
种子派生，因此同一根种子能完全重现同样的结果。</p>
<p><b>达标概率</b>是2025年结果达到目标（结果 ≥ 目标值）的重复所占比例。<b>95%区间</b>是这一
比例的 Wilson 区间，即与已运行的重复次数相符的概率范围。重复越多，区间越窄（200次重复时最多约
±0.07）；它只反映蒙特卡洛抽样误差，不反映模型假设是否正确。<b>中位数</b>和<b>5%—95%区间</b>
描述2025年结果本身的分布：一半的重复低于中位数，90%的重复落在该区间内。</p>
<p><b>规模与单位。</b>全省1310万农村居民约合470万户；本批次中每个模拟农户代表 {hpa} 户实际
农户，模型规则不依赖于这一比例。亿元即一亿元；万吨即一万吨；万人即一万人；万亩即一万亩（1亩约
合667平方米）；人均增收的单位为元/人/年。</p>
<p><b>模拟了什么，没有模拟什么。</b>集群产值、投资、各规模档企业数、交易平台交易量与交易额、
带动农民人数及其增收均来自各主体的行为。全省层面的指标（农业总产值、第一产业增加值、粮食产量、
十大集群以外的加工业产值）是受干旱影响的简单趋势。各集群的需求由模型外部给定（全国市场增长加上
山西市场份额的提升），这两项不确定性输入对产值目标的影响最大。许多参数是明确列出的假设，取值范围
较宽，所有概率都以这些假设为前提。交易平台带动的农民只计平台所在的市，因此对这些目标的判断偏于
保守。规划中完全没有模拟、因而不在上表中的目标：{not_modelled}。</p>
<p><b>引用。</b>模型：clustersim {version}；本批次运行所用版本为 {batch_version}{commit}。完整
的模型描述（ODD+D 协议）以及全部参数的取值范围和来源表随 clustersim 源代码一同提供。</p>
"""


# ---------------------------------------------------------------------- formatting
def unit_text(unit: str, lang: str) -> str:
    """A unit as shown in ``lang``."""
    return UNIT_ZH.get(unit, unit) if lang == "zh" else unit


def key_label(per: str | None, key: str, lang: str) -> str:
    """Display name of a cluster or platform key."""
    if per == "cluster":
        c = plan.cluster(key)
        return c.zh if lang == "zh" else key
    if per == "platform":
        p = plan.platform(key)
        return p.zh if lang == "zh" else key
    return key


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
def _table(rows: list[list[str]], head: list[str], row_heads: bool = False) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = []
    for r in rows:
        cells = [f'<th scope="row">{r[0]}</th>' if row_heads else f"<td>{r[0]}</td>"]
        cells += [f"<td>{c}</td>" for c in r[1:]]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def citation(text: str) -> str:
    """A parameter's source without pointers into the source tree (``see docs/...``).

    The report and the workbook travel without the repository, so such a path would be
    a reference nobody can open.
    """
    text = re.sub(r"\s*\(see docs/[\w/#-]+(?:\.md)?\)", "", text)
    return re.sub(r"[;,]?\s*see docs/[\w/#-]+(?:\.md)?", "", text).strip()


def _src(text: str) -> str:
    """A source citation or user data, kept in the language it was written in."""
    return f'<span class="src">{html.escape(citation(text))}</span>'


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
             html.escape(f"≥ {threshold_text(r.threshold)} {unit_text(r.unit, lang)}"),
             _src(r.section), f"{r.p_met:.2f}", f"[{r.p_lo:.2f}, {r.p_hi:.2f}]",
             num(r.median), f"{num(r.q05)} – {num(r.q95)}",
             html.escape(flag_text(getattr(r, "flag", None), lang))] for r in s.itertuples()]
    return _table(rows, t["prob_head"]) + f"<p>{html.escape(t['prob_note'])}</p>"


def flag_text(flag, lang: str) -> str:
    """A target's flag (``sim.model.outcomes.FLAGS``) as shown in the report; "" for none.

    Summaries stored before flags existed have no flag column: nothing is shown.
    """
    if not isinstance(flag, str):
        return ""
    return FLAG_ZH[flag] if lang == "zh" else flag


def _levers_table(scn: dict, lang: str) -> str:
    t = T[lang]
    rows = [[f"<code>{r['name']}</code>",
             html.escape(_values_text(r["param"], r["values"], lang)),
             html.escape(unit_text(r["param"].unit, lang)),
             t["scenario"] if r["given"] else t["default"], _src(r["param"].provenance)]
            for r in lever_rows(scn)]
    return _table(rows, t["levers_head"]) + f"<p>{html.escape(t['levers_note'])}</p>"


def _uncertainty_table(scn: dict, lang: str) -> str:
    t = T[lang]
    ranges = uncertainty_ranges(scn)
    rows = []
    for p in UNCERTAINTIES:
        lo, hi = ranges[p.name]
        rows.append([f"<code>{p.name}</code>", html.escape(_range_text(p, lo, hi, lang)),
                     html.escape(unit_text(p.unit, lang)),
                     t["scenario"] if p.name in scn["uncertainties"] else t["declared"],
                     _src(p.provenance)])
    return _table(rows, t["unc_head"])


def _failures(fails: pd.DataFrame, lang: str) -> str:
    t = T[lang]
    if fails.empty:
        return f"<p>{html.escape(t['none'])}</p>"
    return _table([[str(r.replicate), html.escape(str(r.seed)), _src(str(r.error))]
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
    from sim import __version__
    commit = m.get("git_commit")
    if lang == "zh":
        items = "；".join(f"{html.escape(z)}{'（' + _src(c) + '）' if c else ''}"
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
.src{{color:#555}}"""


def render_report(res: dict, lang: str = "en", against: tuple[str, dict] | None = None) -> str:
    """The report of a loaded batch (see :func:`load_batch`) as one HTML document.

    ``against``: (name, loaded batch) of another batch whose P(met) is shown beside this
    one's (e.g. the prior run beside a posterior run: :mod:`sim.present.beside`).
    """
    from sim.present.plots import plot_distributions, plot_fan, plot_targets, setup_fonts
    if lang not in T:
        raise ValueError(f"language {lang!r}: use one of {', '.join(T)}")
    t = T[lang]
    m = res["manifest"]
    scn = m["scenario"]
    setup_fonts(lang)
    figs = [("targets", plot_targets(res, lang)), ("distributions", plot_distributions(res, lang)),
            ("fan", plot_fan(res, lang))]
    imgs = "".join(f'<figure><img alt="{html.escape(t["alt_" + k])}" '
                   f'src="data:image/png;base64,{_fig_png(f)}">'
                   f"<figcaption>{html.escape(t['cap_' + k])}</figcaption></figure>"
                   for k, f in figs)
    name = str(m["name"])
    title = t["title"].format(name=name)
    h1 = html.escape(t["title"]).format(name=f"<code>{html.escape(name)}</code>")
    intro = html.escape(t["intro"].format(
        done=m.get("done"), seed=m["root_seed"], failed=m.get("failed", 0),
        hpa=f"{m['households_per_agent']:,}"))
    desc = scn.get("description", "")
    body = f"""<h1>{h1}</h1>
{f'<p>{_src(desc)}</p>' if desc else ''}
<p>{intro}</p>
<h2>{html.escape(t['figures'])}</h2>{imgs}
<h2>{html.escape(t['prob'])}</h2>{_prob_table(res['summary'], lang)}
{_beside(res, against, lang)}
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
                 against: str | Path | None = None) -> Path:
    """Write ``report.html`` for a batch folder (atomically); returns its path.

    ``against``: another batch folder whose P(met) the report shows beside this one's.
    """
    from sim.run.store import atomic_write_bytes
    folder = Path(folder)
    res = load_batch(folder)
    other = (str(against), load_batch(against)) if against is not None else None
    path = Path(out) if out else folder / "report.html"
    if path.is_dir():
        raise ValueError(f"{path}: is a folder; give the report's file name (e.g. report.html)")
    doc = render_report(res, lang, other)
    try:
        atomic_write_bytes(path, doc.encode("utf-8"))
    except OSError as e:
        raise ValueError(f"{path}: cannot write the report ({e.strerror or e})") from None
    return path
