"""The one catalogue of user-facing words, in English and Chinese.

Every string a user reads in a figure, a table, the report or the workbook comes from here:
target, metric, cluster, platform, lever and scenario names, units, section titles, notes.
Declarations in ``sim.model`` carry the English and Chinese names of targets and metrics;
this module adds what they lack (units, levers, scenarios, plan sections in Chinese) and the
texts of every output. Presentation modules import it; it imports nothing from them.
"""

from __future__ import annotations

import re

from sim.model import plan
from sim.model.outcomes import (
    FLAG_INPUT,
    FLAG_LEVER,
    FLAG_MET_2020,
    FLAG_MET_2020_SOME,
    FLAG_UNREACHABLE,
    FLAG_WEAK,
    METRICS,
    TARGET_BY_NAME,
    TARGETS,
)
from sim.model.params import BY_NAME
from sim.model.reported import FLAG_BASE, FLAG_UNKNOWN_BRIDGE

LANGS = ("en", "zh")


def check_lang(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGS`; ``ValueError`` naming the allowed ones."""
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: use one of {', '.join(LANGS)}")
    return lang


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
    "autocorrelation per yr": "年自相关系数",
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
    FLAG_BASE: "规划基数与公布口径不一致", FLAG_UNKNOWN_BRIDGE: "该视角下统计口径未知",
}

# ---------------------------------------------------------------------- figures
PLOT = {
    "en": {"p_met": "P(target met), 95% interval", "replicates": "replicates", "seed": "seed",
           "target": "target", "median": "median", "band50": "50% band", "band90": "90% band",
           "plan_path": "plan's target path", "national": "national rural income (projection)",
           "shanxi": "Shanxi rural income", "yuan": "元/person", "yi": "亿元",
           "total": "Ten clusters, total", "year": "year", "count": "replicates",
           "output2025": "2025 output, 亿元", "rural_income": "Rural per-capita income",
           "targets_title": "Probability of meeting each 2025 target",
           "dist_title": "2025 output by cluster", "fan_title": "Trajectories 2020-2025",
           "sweep_title": "P(met) across the experiment",
           "compare_title": "P(met): B against A, and B − A",
           "p_met_cbar": "P(target met)", "diff": "P(met) in B minus A, 95% interval",
           "baseline": "baseline", "paired": "paired by replicate (same root seed)",
           "unpaired": "unpaired (different root seeds): Newcombe interval",
           "scenario": "scenario", "model90": "model 90%", "model50": "model 50%",
           "model_median": "model median", "observed": "observed"},
    "zh": {"p_met": "达标概率（95%区间）", "replicates": "次重复", "seed": "种子",
           "target": "目标", "median": "中位数", "band50": "50%区间", "band90": "90%区间",
           "plan_path": "规划目标路径", "national": "全国农村居民收入（预测）",
           "shanxi": "山西农村居民收入", "yuan": "元/人", "yi": "亿元",
           "total": "十大集群合计", "year": "年份", "count": "重复次数",
           "output2025": "2025年产值（亿元）", "rural_income": "农村居民人均可支配收入",
           "targets_title": "2025年各项目标的达标概率", "dist_title": "2025年各集群产值分布",
           "fan_title": "2020-2025年轨迹", "sweep_title": "实验各点的达标概率",
           "compare_title": "达标概率：B 与 A 的比较（B − A）", "p_met_cbar": "达标概率",
           "diff": "达标概率之差 B − A（95%区间）", "baseline": "基准",
           "paired": "按重复配对（相同根种子）", "unpaired": "不配对（根种子不同）：Newcombe 区间",
           "scenario": "情景", "model90": "模型90%区间", "model50": "模型50%区间",
           "model_median": "模型中位数", "observed": "实际值"},
}

# ---------------------------------------------------------------------- report
REPORT = {
    "en": {
        "title": "clustersim report: {name}",
        "intro": "{done} replicates (root seed {seed}, {failed} failed); one simulated "
                 "household stands for {hpa} rural households. P(met) is the share of "
                 "replicates meeting each 2025 target, with its 95% Wilson interval; "
                 "“How the model works” below says how to read these numbers.",
        "figures": "Figures", "scenario_is": "Scenario",
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
        "prob": "Probability of meeting each 2025 target (reported basis)",
        "prob_head": ["target", "indicator", "2025 target", "plan section", "P(met)",
                      "95% interval", "median", "5–95% range", "flag"],
        "prob_note": "Bridged targets are on the basis the province reports; their model "
                     "basis is in the first table. "
                     "Flag: P(met) is decided by construction rather than by the agents. "
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
        "figures": "图表", "scenario_is": "情景",
        "cap_targets": "各项重点2025年目标（集群产值、全省指标、交易平台）的达标概率：圆点为"
                       "达标概率，横线为95%区间。",
        "cap_distributions": "各集群2025年产值在各次重复中的分布（亿元）；红线为规划目标；"
                             "P 为达到或超过目标的重复所占比例及其95%区间。",
        "cap_fan": "2020—2025年轨迹：各次重复的中位数及50%、90%区间，虚线为规划目标路径"
                   "（自2020年基数匀速增长）；最后一幅为农村居民人均可支配收入（元/人）与全国"
                   "预测值的比较。",
        "alt_targets": "2025年各项目标的达标概率", "alt_distributions": "2025年各集群产值分布",
        "alt_fan": "2020—2025年轨迹",
        "prob": "2025年各项目标的达标概率（统计口径）",
        "prob_head": ["目标代码", "指标", "2025年目标", "规划条款", "达标概率", "95%区间",
                      "中位数", "5%—95%区间", "标注"],
        "prob_note": "需口径换算的目标按省里公布的统计口径计算，其模型口径结果见第一张表。"
                     "标注：达标概率由模型构造决定、而非由主体互动决定的目标。设定范围内不可达："
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

# ---------------------------------------------------------------------- beside
BESIDE = {
    "en": {
        "head": "Beside {other}",
        "intro": "P(met) of every 2025 target in this batch (B, {here}) and in {other} "
                 "(A, {there}); difference = B − A, with its 95% interval ({how}).",
        "paired": "paired by replicate: same root seed, common random numbers",
        "unpaired": "different root seeds: Newcombe interval",
        "cols": ["target", "indicator", "P(met) A", "P(met) B", "B − A", "95% interval"],
        "prior": "prior: uncertainties from their declared ranges",
        "posterior": "posterior: calibrated to {obs} up to {until}",
    },
    "zh": {
        "head": "与 {other} 对照",
        "intro": "本批次（{here}）与对照批次 {other}（{there}）中各项2025年目标的达标概率；"
                 "差值 = 本批次 − 对照批次，附95%区间（{how}）。",
        "paired": "按重复配对：根种子相同，共同随机数",
        "unpaired": "根种子不同：Newcombe 区间",
        "cols": ["目标代码", "指标", "达标概率（对照）", "达标概率（本批次）", "差值", "95%区间"],
        "prior": "先验：不确定参数取自设定范围",
        "posterior": "后验：按 {obs} 截至 {until} 年的观测校准",
    },
}

# ---------------------------------------------------------------------- workbook
EXTRA_METRIC_LABELS = {
    "agri_output": ("Agricultural output", "农业总产值"),
    "firms_alive": ("Processing firms in operation", "在营加工企业数"),
    "fiscal_cost_yi": ("Fiscal cost of the levers, cumulative", "政策杠杆财政支出（累计）"),
    "cold_chain_total": ("Cold-chain storage at the platforms", "交易平台冷链库容"),
    "rural_income": ("Rural per-capita disposable income", "农村居民人均可支配收入"),
    "national_rural_income": ("National rural per-capita income (projection)",
                              "全国农村居民人均可支配收入（预测）"),
    "rural_income_wage": ("Rural income: wages", "农村居民工资性收入"),
    "rural_income_operating": ("Rural income: operating", "农村居民经营净收入"),
    "rural_income_property": ("Rural income: property", "农村居民财产净收入"),
    "rural_income_transfer": ("Rural income: transfers", "农村居民转移净收入"),
    "land_transferred_share": ("Share of contracted land rented out", "土地流转比例"),
    "rent_yuan_per_mu": ("Land rent", "土地流转租金"),
    "coops": ("Cooperatives", "合作社数量"),
    "coop_member_share": ("Share of households in a cooperative", "加入合作社的农户比例"),
    "contract_share": ("Share of households with a contract", "签订订单的农户比例"),
}

WORKBOOK = {
    "en": {
        "sheets": ("summary", "yearly", "levers", "manifest"),
        "summary": ["target", "indicator", "2025 target (≥)", "unit", "plan section", "P(met)",
                    "95% interval low", "95% interval high", "median", "5%", "95%",
                    "replicates", "replicates meeting it"],
        "yearly": ["metric", "indicator", "unit", "year", "q05", "q25", "q50", "q75", "q95",
                   "mean", "replicates"],
        "levers": ["lever", "for", *[str(y) for y in plan.YEARS], "unit", "set by", "source",
                   "description"],
        "manifest": ["item", "value"],
        "description": "scenario description", "exported": "exported with clustersim",
        "title": "clustersim results: {name}",
    },
    "zh": {
        "sheets": ("目标汇总", "逐年分位数", "政策杠杆", "运行信息"),
        "summary": ["目标代码", "指标", "2025年目标值（≥）", "单位", "规划条款", "达标概率",
                    "95%区间下限", "95%区间上限", "中位数", "5%分位数", "95%分位数", "重复次数",
                    "达标次数"],
        "yearly": ["指标代码", "指标", "单位", "年份", "5%分位数", "25%分位数", "中位数",
                   "75%分位数", "95%分位数", "均值", "重复次数"],
        "levers": ["政策杠杆", "分项", *[f"{y}年" for y in plan.YEARS], "单位", "设定方式",
                   "依据"],
        "manifest": ["项目", "内容"],
        "description": "情景说明", "exported": "导出所用 clustersim 版本",
        "title": "clustersim 模拟结果：{name}",
    },
}

# ---------------------------------------------------------------------- parameters
# Chinese names of every lever and uncertain input (the declarations in sim.model.params
# carry English descriptions only).
PARAM_ZH = {
    "capital_subsidy_rate": "企业产能投资补贴比例",
    "interest_subsidy_pp": "企业投资贷款贴息",
    "producer_subsidy_yuan_per_mu": "订单农户每亩补贴",
    "coop_grant_yi_yuan": "合作社奖补资金",
    "land_service_coverage": "土地流转服务覆盖村比例",
    "cold_chain_new_capacity_wan_t": "各平台每年补助新建冷库规模",
    "brand_fund_yi_yuan": "各集群品牌营销资金",
    "training_places_wan": "农民培训名额",
    "farmland_construction_wan_mu": "每年新建高标准农田",
    "poverty_support_kept": "脱贫户专项帮扶保持程度",
    "national_demand_growth": "全国市场需求增速",
    "shanxi_share_gain": "晋企市场份额自然增长",
    "top_firm_excess_growth": "龙头企业超出市场的增速",
    "top_firm_excess_reversion": "龙头企业超额增速的回落速度",
    "market_growth_persistence": "全国市场增速偏离的持续性",
    "market_growth_sd": "全国市场增速的年度冲击",
    "brand_effect": "品牌营销对份额增长的作用",
    "cold_chain_effect": "冷链覆盖对份额增长的作用",
    "subsidy_passthrough": "补贴降本转为价格优势的比例",
    "price_shock_sd": "集群价格指数年冲击",
    "firm_growth_sd": "企业销售增速的个体波动",
    "drought_probability": "各市干旱年概率",
    "drought_yield_loss": "干旱年作物减产比例",
    "disease_probability": "肉、乳集群动物疫病年发生概率",
    "disease_output_loss": "疫病年产值损失比例",
    "input_cost_inflation": "农业投入品成本增速",
    "policy_delivery": "政策实际落实比例",
    "hurdle_rate": "企业新增产能要求的超额回报率",
    "adoption_sensitivity": "农户选择对收益差的敏感度",
    "off_farm_wage_growth": "外出务工工资增速",
    "transfer_income_growth": "转移性收入增速（政策杠杆以外）",
    "national_rural_income_growth": "全国农村居民人均收入增速",
    "covid_2020_shortfall": "2020年新冠疫情造成的低于趋势幅度",
    "capital_output_ratio": "新增单位年产能所需投资",
    "construction_lag_quarters": "投资决策到形成产能的时滞",
    "entry_rate": "新企业进入率",
    "contract_premium": "订单价格高于现货价格的溢价",
    "linked_2020_fraction": "2020年带动农民占2025年目标的比例",
    "cold_chain_2020_wan_t": "2020年已有冷链库容",
    "other_processing_growth": "十大集群以外加工业市场趋势增速",
    "agri_output_2020_yi": "2020年农林牧渔业总产值",
    "agri_output_growth": "农林牧渔业总产值名义增速",
    "primary_va_growth": "第一产业增加值名义增速（未计干旱）",
    "grain_trend": "粮食产量趋势（未计干旱）",
    "training_certified_share": "培训学员取得证书比例",
    "land_service_cost_cut": "流转服务覆盖地区交易成本降幅",
    "other_buyers_elasticity": "其他收购方收购量的价格弹性",
    "pv_income_yi": "光伏扶贫电站年收益",
    "poor_offfarm_hire_rate": "2020年脱贫户富余劳动力外出就业率",
    "poor_offfarm_job_growth": "脱贫户外出就业率年增长",
}

# What each lever does, and where its value comes from, in Chinese (sim.model.params holds
# the English: ``description`` and ``provenance``).
LEVER_NOTE_ZH = {
    "capital_subsidy_rate": (
        "政府承担企业产能投资的比例。",
        "规划第八章第三节提出财政支持企业和项目，未定比例；0.15 为本模型对规划政策包的"
        "解读（假设）；现状为 0.05。"),
    "interest_subsidy_pp": (
        "企业投资贷款利率的降低幅度。",
        "规划第八章第三节提出贷款贴息，未定幅度；假设值；现状为 0.5。"),
    "producer_subsidy_yuan_per_mu": (
        "对订单种植集群原料的农户按亩补贴。",
        "规划第八章第三节（支持原料基地建设）未定标准；假设值；现状为 0。"),
    "coop_grant_yi_yuan": (
        "对合作社的奖补：降低其服务成本、促进组建。",
        "规划第七章第三节（合作社提质）未定金额；假设值；现状为 1。"),
    "land_service_coverage": (
        "土地流转服务体系覆盖的村所占比例。",
        "规划第三章第四节、第八章第二节（土地流转服务体系）；逐年路径为假设；现状为 0.3。"),
    "cold_chain_new_capacity_wan_t": (
        "各交易平台每年可获补助的新建冷库规模。",
        "规划第五章第三节：到2025年新增冷链库容75万吨以上（每年15万吨），理解为省里愿意"
        "共同出资的库容；平台运营方只建其中有回报的部分。"),
    "brand_fund_yi_yuan": (
        "各集群的品牌营销资金，提高市场份额增长。",
        "规划第八章第三节（各集群打造区域公用品牌的营销资金）；金额为假设；现状为 0.1。"),
    "training_places_wan": (
        "提供的农民培训名额，由报名农户使用，受训劳动力获得技能溢价。",
        "规划第三章第五节：2021—2025年培训高素质农民25万人（每年5万人）；现状为 2（假设）。"),
    "farmland_construction_wan_mu": (
        "每年新建高标准农田面积。",
        "规划第二章第三节：高标准农田由1628万亩增至2400万亩，约每年155万亩；现状为 80（假设）。"),
    "poverty_support_kept": (
        "对脱贫户的专项帮扶（光伏收益及省级转移以外的其他帮扶），以2020年水平的倍数计；"
        "未落实部分保持2020年水平。",
        "规划第四章第一节：摘帽不摘政策……过渡期内保持财政支持政策总体稳定；现状为 1。"),
}

# Scenario descriptions in Chinese, by scenario name (the YAML files hold the English).
SCENARIO_ZH = {
    "plan": "规划的政策组合（默认）：补贴、土地流转服务、75万吨冷链、农民培训。",
    "no_new_policy": "政策杠杆保持规划前水平；用于对照2015—2020年的发展速度检验模型。",
    "downside": "规划政策组合的压力情景：需求疲弱、干旱、疫病、政策落实不到位。",
    "cold_chain_push": "规划政策组合，补助冷库规模加倍（到2025年提供150万吨；"
                       "运营方只建有回报的部分）。",
    "land_transfer_reform": "规划政策组合，2023年土地流转服务覆盖全部村，每亩补助加倍。",
    "subsidy_focus": "规划政策组合，企业补贴加倍（投资补贴30%、贴息3个百分点），品牌资金加倍。",
}

# Chinese numerals for plan chapters.
_CN_NUM = "〇一二三四五六七八九十"


def _cn(n: int) -> str:
    if n <= 10:
        return _CN_NUM[n]
    if n < 20:
        return "十" + _CN_NUM[n - 10]
    return _CN_NUM[n // 10] + "十" + (_CN_NUM[n % 10] if n % 10 else "")


_SECTION = re.compile(r"Ch\.\s*(\d+)\s*(?:§\s*(\d+)(?:\.(\d+))?|(intro))?")


def section_text(section: str, lang: str) -> str:
    """A plan reference as shown: ``Ch.6 §1.2`` in English, ``第六章第一节（二）`` in Chinese."""
    if lang != "zh":
        return section

    def one(m: re.Match) -> str:
        ch, sec, item, intro = m.groups()
        s = f"第{_cn(int(ch))}章"
        if intro:
            return s + "导语"
        if sec:
            s += f"第{_cn(int(sec))}节"
        if item:
            s += f"（{_cn(int(item))}）"
        return s
    return _SECTION.sub(one, section).replace(", ", "、").replace("; ", "；")


# ---------------------------------------------------------------------- names
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


def cluster_label(key: str, lang: str) -> str:
    """A cluster's short name (``Brewing``, ``酿品``)."""
    c = plan.cluster(key)
    return c.zh if lang == "zh" else c.en.split(" (")[0]


_YI = re.compile(r"≥\s*([0-9]+(?:\.[0-9]+)?)\s*亿(?:元)?")


def english_amounts(text: str) -> str:
    """English for the amounts in declared English labels (``≥30 亿`` -> ``≥ 3 bn yuan``)."""
    def yuan(m: re.Match) -> str:
        v = float(m.group(1))  # 亿 = 100 million
        return f"≥ {v / 10:g} bn yuan" if v >= 10 else f"≥ {v * 100:g}M yuan"
    return _YI.sub(yuan, text)


def target_label(target: str, lang: str) -> str:
    """A target's readable name; the code name for a target not declared."""
    t = TARGET_BY_NAME.get(target)
    if t is None:
        return target
    return t.label_zh if lang == "zh" else english_amounts(t.label_en)


_METRIC_LABEL = {m.name: (m.label_en, m.label_zh) for m in METRICS}


def metric_label(metric: str, lang: str) -> str:
    """A readable name of a recorded metric, or "" when it has none."""
    for t in TARGETS:
        if t.metric == metric:
            return t.label_zh if lang == "zh" else t.label_en
    en_zh = EXTRA_METRIC_LABELS.get(metric) or _METRIC_LABEL.get(metric)
    return "" if en_zh is None else en_zh[lang == "zh"]


def param_label(name: str, lang: str) -> str:
    """A lever's or uncertain input's readable name (its description in English)."""
    p = BY_NAME.get(name)
    if p is None:
        return name
    if lang == "zh":
        return PARAM_ZH.get(name, name)
    return p.description.rstrip(".") if p.description else name.replace("_", " ")


def lever_note(name: str, lang: str) -> tuple[str, str]:
    """(what the lever does, where its value comes from) in ``lang``."""
    p = BY_NAME[name]
    if lang == "zh" and name in LEVER_NOTE_ZH:
        return LEVER_NOTE_ZH[name]
    return p.description, p.provenance


def scenario_description(manifest_or_scenario: dict, lang: str) -> str:
    """A scenario's one-line description in ``lang`` ("" when it has none).

    A scenario not in the catalogue keeps its own description (the user wrote it).
    """
    scn = manifest_or_scenario.get("scenario", manifest_or_scenario)
    name = scn.get("name") or manifest_or_scenario.get("name")
    if lang == "zh" and name in SCENARIO_ZH:
        return SCENARIO_ZH[name]
    return str(scn.get("description", "") or "")


def factor_label(path: str, lang: str = "en") -> str:
    """Axis label of a swept factor, from its declaration: what it is, the key, the unit.

    ``levers.cold_chain_new_capacity_wan_t`` -> "Subsidised cold-storage programme offered at
    each platform per year (万吨/yr)"; in Chinese "各平台每年补助新建冷库规模（万吨/年）".
    """
    parts = path.split(".")
    p = BY_NAME.get(parts[1]) if len(parts) > 1 else None
    if p is None:
        return path
    key = parts[2] if len(parts) > 2 else None
    if lang == "zh":
        k = f" · {key_label(p.per, key, lang)}" if key else ""
        return f"{param_label(p.name, lang)}{k}（{unit_text(p.unit, lang)}）"
    k = f", {key}" if key else ""
    return f"{param_label(p.name, lang)}{k} ({p.unit})"


def flag_text(flag, lang: str) -> str:
    """A target's flag (``sim.model.outcomes.FLAGS``) as shown; "" for none.

    Summaries stored before flags existed have no flag column: nothing is shown.
    """
    if not isinstance(flag, str):
        return ""
    if lang != "zh":
        return flag
    return "；".join(FLAG_ZH.get(f, f) for f in flag.split("; "))


def group_label(group: str, lang: str) -> str:
    """A target group's name."""
    return GROUP[lang].get(group, group)


GROUP = {
    "en": {"cluster_output": "cluster output", "province": "province",
           "platforms": "trading platforms", "poverty": "poverty",
           "cluster_farmers": "farmers linked", "cluster_income": "income gains",
           "firm_tiers": "firm tiers"},
    "zh": {"cluster_output": "集群产值", "province": "全省指标", "platforms": "交易平台",
           "poverty": "巩固脱贫", "cluster_farmers": "带动农民", "cluster_income": "农民增收",
           "firm_tiers": "企业梯队"},
}


# ---------------------------------------------------------------------- terminal table
TABLE = {
    "en": {
        "cols": {"target": "target", "threshold": "2025 target", "p_met": "P(met)",
                 "ci": "95% CI", "median": "median", "range": "5–95% range", "flag": "flag"},
        "header": "scenario {name}: {done} replicates, root seed {seed}",
        "scale": "1 simulated household = {hpa:,} households",
        "overrides": "overrides: {sets}",
        "overrides_unknown": "with --set overrides (not recorded in this folder)",
        "summary": "{n} targets: {likely} likely met (P ≥ 0.5), of which {sure} with P ≥ 0.9; "
                   "{open} uncertain (0.1 ≤ P < 0.5); {unlikely} unlikely (P < 0.1).",
        "flagged": "{k} of the {n} are decided by construction rather than by the agents "
                   "(flag column): {which}.",
        "flag_note": "flag: P(met) decided by construction, not by the agents "
                     "(docs/targets.md): ",
        "more": "({k} more targets: farmers linked, income gains, firm tiers; --all shows them)",
        "ci_note": "P(met): share of replicates meeting the target; 95% CI: its Wilson "
                   "interval; median and 5–95% range: the 2025 outcome across replicates.",
    },
    "zh": {
        "cols": {"target": "目标", "threshold": "2025年目标", "p_met": "达标概率",
                 "ci": "95%区间", "median": "中位数", "range": "5%—95%区间", "flag": "标注"},
        "header": "情景 {name}：{done} 次重复，根种子 {seed}",
        "scale": "每个模拟农户代表 {hpa:,} 户",
        "overrides": "参数改动：{sets}",
        "overrides_unknown": "含 --set 参数改动（本文件夹未记录具体内容）",
        "summary": "共 {n} 项目标：{likely} 项可能达标（达标概率 ≥ 0.5），其中 {sure} 项 ≥ 0.9；"
                   "{open} 项不确定（0.1—0.5）；{unlikely} 项不太可能达标（< 0.1）。",
        "flagged": "其中 {k} 项的达标概率由模型构造决定、而非由主体互动决定"
                   "（见“标注”列）：{which}。",
        "flag_note": "标注：达标概率由模型构造决定（见 docs/targets.md）：",
        "more": "（另有 {k} 项目标：带动农民、农民增收、企业梯队；加 --all 显示）",
        "ci_note": "达标概率：达到目标的重复所占比例；95%区间：其 Wilson 区间；中位数与"
                   "5%—95%区间：2025年结果在各次重复中的分布。",
    },
}

# Short flag words for the terminal table, with the sentence the footnote gives each.
FLAG_SHORT = {
    "en": {FLAG_UNREACHABLE: ("unreachable", "no combination of the declared input ranges "
                              "reaches the threshold"),
           FLAG_LEVER: ("lever", "the outcome is a lever as delivered: met iff enough of it "
                        "is delivered"),
           FLAG_INPUT: ("one input", "the outcome repeats one sampled input"),
           FLAG_WEAK: ("weak", "weak measure: an unsourced assumption sets the metric"),
           FLAG_MET_2020: ("met 2020", "already met in 2020 in every replicate"),
           FLAG_MET_2020_SOME: ("met 2020?", "already met in 2020 in some replicates")},
    "zh": {FLAG_UNREACHABLE: ("不可达", "在设定的输入范围内均达不到目标值"),
           FLAG_LEVER: ("政策落实", "结果即政策杠杆的落实量，落实足够即达标"),
           FLAG_INPUT: ("单一输入", "结果重复某一个抽样输入"),
           FLAG_WEAK: ("测度弱", "该指标由无来源的假设决定"),
           FLAG_MET_2020: ("20年已达", "2020年初始状态在每次重复中已达标"),
           FLAG_MET_2020_SOME: ("20年部分达", "2020年初始状态在部分重复中已达标")},
}

# How the terminal table prints dimensionless units, per language.
PERCENT_UNITS = {"en": {"share": "%", "1/yr": "%/yr"}, "zh": {"share": "%", "1/yr": "%/年"}}
MULTIPLE_UNITS = {"ratio": "×"}
TABLE_UNIT = {"en": {"firms": "firms"}, "zh": {"firms": "家"}}


# ---------------------------------------------------------------------- report brief
# A scenario named in words, for titles (the YAML files hold one-line descriptions).
SCENARIO_TITLE = {
    "en": {"plan": "the plan's policy package", "no_new_policy": "no new policy",
           "downside": "the plan's package under stress",
           "cold_chain_push": "the plan's package with a doubled cold-chain programme",
           "land_transfer_reform": "the plan's package with a land-transfer reform",
           "subsidy_focus": "the plan's package with doubled firm subsidies"},
    "zh": {"plan": "规划政策组合", "no_new_policy": "无新增政策",
           "downside": "规划政策组合（压力情景）", "cold_chain_push": "规划政策组合加冷链倍增",
           "land_transfer_reform": "规划政策组合加土地流转改革",
           "subsidy_focus": "规划政策组合加企业补贴倍增"},
}


def scenario_title(manifest: dict, lang: str) -> str:
    """The scenario in a few words: the catalogue's, else its description's first clause."""
    name = str(manifest.get("name", ""))
    if name in SCENARIO_TITLE[lang]:
        return SCENARIO_TITLE[lang][name]
    desc = scenario_description(manifest, lang)
    first = re.split(r" - |[.;:。；：]", desc, maxsplit=1)[0].strip()
    return first or name


BRIEF = {
    "en": {
        "title": "Shanxi's agricultural processing clusters in 2025 under {scenario}",
        "head": "In brief",
        "of": "Of the {n} headline targets (cluster output, province, trading platforms, "
              "poverty), {likely} are likely met (P(met) ≥ 0.5), {open} are uncertain "
              "(0.1 ≤ P < 0.5) and {unlikely} are unlikely (P < 0.1).",
        "likely": "Likely met: {items}.",
        "likely_flagged": "{k} of these are decided by construction rather than by the "
                          "agents (below).",
        "open": "Uncertain: {items}.",
        "none_likely": "None is likely met.",
        "reach": "Also open either way (the target lies inside the 5–95% range of "
                 "outcomes, so the uncertain conditions decide it): {items}.",
        "near": "Closest misses (the target is above the 95th percentile, by less than "
                "15%): {items}.",
        "lever": "Met only if the lever is delivered in full (the outcome is the lever as "
                 "delivered): {items}.",
        "unreachable": "Not reachable with any input inside its declared range: {items}.",
        "met2020": "Already met in 2020, before any lever: {items}.",
        "weak": "Weakly measured (an unsourced assumption sets the outcome): {items}.",
        "input": "Decided by one sampled input rather than by the agents: {items}.",
        "against": "Beside {other} (A): P(met) here (B) is higher for {up}, lower for {down} "
                   "(differences whose 95% interval excludes zero).",
        "against_none": "Beside {other} (A): no headline target's P(met) differs with a 95% "
                        "interval that excludes zero.",
        "none": "none",
        "data": "Conditioned on: {what}.",
        "data_until": "published data up to {year} ({file}), with the years after it "
                      "simulated",
        "ex_ante": "no published data after 2020 (ex-ante view: the plan's 2020 base, then "
                   "simulation)",
        "posterior": "uncertain inputs drawn from a posterior calibrated to {obs} up to "
                     "{until}",
        "prior": "uncertain inputs drawn from their declared ranges",
        "runs": "{done} replicates, root seed {seed}; the 95% interval of each P(met) is the "
                "Monte Carlo sampling error only, not model error.",
        "model": "How the model works, briefly: farm households, cooperatives, processing "
                 "firms and trading platforms interact quarter by quarter from 2021 to 2025, "
                 "starting from the plan's 2020 base; each replicate draws every uncertain "
                 "input (demand growth, prices, droughts, disease, how much policy is "
                 "delivered, …) once, and P(met) is the share of replicates reaching a "
                 "target. National demand and Shanxi's market-share gain are set outside the "
                 "model and drive the output targets most. Details follow below.",
        "details": "Details",
    },
    "zh": {
        "title": "{scenario}下山西农产品精深加工产业集群2025年目标展望",
        "head": "要点",
        "of": "在 {n} 项重点目标（集群产值、全省指标、交易平台、巩固脱贫）中，{likely} 项可能"
              "达标（达标概率 ≥ 0.5），{open} 项不确定（0.1—0.5），{unlikely} 项不太可能达标"
              "（< 0.1）。",
        "likely": "可能达标：{items}。",
        "likely_flagged": "其中 {k} 项由模型构造决定，而非由主体互动决定（见下）。",
        "open": "不确定：{items}。",
        "none_likely": "没有可能达标的目标。",
        "reach": "同样可能达标也可能不达标（目标值落在结果的5%—95%区间内，取决于不确定条件）："
                 "{items}。",
        "near": "差距最小的未达标目标（目标值高于第95百分位，差距不足15%）：{items}。",
        "lever": "只有政策杠杆足额落实才能达标（结果即杠杆的落实量）：{items}。",
        "unreachable": "在设定的输入范围内均无法达到：{items}。",
        "met2020": "2020年已经达标（与政策杠杆无关）：{items}。",
        "weak": "测度较弱（由无来源的假设决定）：{items}。",
        "input": "由单一抽样输入决定，而非由主体互动决定：{items}。",
        "against": "与对照批次 {other}（A）相比，本批次（B）达标概率较高的有：{up}；较低的有："
                   "{down}（仅列95%区间不含零的差值）。",
        "against_none": "与对照批次 {other}（A）相比，没有重点目标的达标概率差值的95%区间"
                        "不含零。",
        "none": "无",
        "data": "结果所依据的数据：{what}。",
        "data_until": "截至 {year} 年的已公布数据（{file}），其后年份为模拟",
        "ex_ante": "不含2020年以后的已公布数据（事前视角：以规划的2020年基数为起点模拟）",
        "posterior": "不确定性输入取自按 {obs} 截至 {until} 年观测校准的后验分布",
        "prior": "不确定性输入取自设定范围",
        "runs": "共 {done} 次重复，根种子 {seed}；各达标概率的95%区间只反映蒙特卡洛抽样误差，"
                "不反映模型误差。",
        "model": "模型简述：农户、合作社、加工企业和交易平台自2021年至2025年按季度相互作用，"
                 "以规划的2020年基数为起点；每次重复对每项不确定性输入（需求增长、价格、干旱、"
                 "疫病、政策落实程度等）各抽取一次，达标概率即达到目标的重复所占比例。全国"
                 "市场需求和山西市场份额的提升由模型外部给定，对产值目标影响最大。详见下文。",
        "details": "详细结果",
    },
}

HEADLINE = {
    "en": {
        "head": "P(met) of the headline targets as the province reports them, and what "
                "decides each",
        "intro": "P(met) is on the reported basis: the indicator the province publishes; "
                 "where the model's quantity differs by definition, a bridge with a "
                 "declared range turns it into the reported "
                 "one, and the model basis is shown beside it. The shares split the "
                 "variance of each 2025 outcome across the replicates by kind of cause "
                 "(Shapley shares of a regression on the sampled inputs; "
                 "`clustersim causes` prints them); 'chance' is what the sampled inputs do not "
                 "explain: the replicate's own draws (which city has a drought in which year, "
                 "firms' and households' shocks) and interactions the regression misses. An "
                 "answer whose variance sits in one assumed trend (markets, macro) rests on "
                 "that trend, not on the agents.",
        "cols": ["indicator", "2025 target", "P(met), reported basis", "95% interval",
                 "model basis", "flag", "variance by kind of cause (%)",
                 "largest single input (% alone)"],
        "same": "same",
        "no_shares": "no spread across replicates",
        "few": "too few replicates",
        "no_input": "no varying input",
        "kinds": {"macro": "macro, weather", "markets": "markets", "behaviour": "behaviour",
                  "levers": "lever effects", "initial": "initial levels",
                  "bridges": "bridges", "chance": "chance"},
        "fig_title": "What decides each headline 2025 outcome: share of its variance",
        "fig_x": "share of the variance across replicates",
        "cap_fig": "Each bar splits the variance of a headline 2025 outcome across the "
                   "replicates by kind of cause (same numbers as the table).",
        "alt_fig": "Variance of each headline 2025 outcome by kind of cause",
    },
    "zh": {
        "head": "按省级统计口径计算的重点目标达标概率及其决定因素",
        "intro": "达标概率按统计口径计算，即省里实际公布的指标；"
                 "模型口径与统计口径定义不同的，用设定范围内的换算系数把模型数值换算为统计口径"
                 "数值，模型口径的结果列在旁边。各类原因所占比例把各项2025年结果在各次重复间的"
                 "方差按原因类别分解（对抽样输入回归后的 Shapley 分摊，"
                 "`clustersim causes` 可打印）；"
                 "“随机”是抽样输入解释不了的部分：每次重复自身的随机抽取（哪个市哪年遇旱、"
                 "企业和农户的随机冲击）以及回归未能捕捉的交互作用。若某项结果的方差主要来自"
                 "一项外生假定趋势（市场、宏观），该结论取决于这一趋势，而非主体互动。",
        "cols": ["指标", "2025年目标", "达标概率（统计口径）", "95%区间", "模型口径", "标注",
                 "方差按原因类别分解（%）", "单项影响最大的输入（单独解释%）"],
        "same": "相同",
        "no_shares": "各次重复间无差异",
        "few": "重复次数过少",
        "no_input": "无变动的输入",
        "kinds": {"macro": "宏观与天气", "markets": "产品市场", "behaviour": "主体行为",
                  "levers": "政策效果", "initial": "初始水平", "bridges": "口径换算",
                  "chance": "随机"},
        "fig_title": "各项重点2025年结果的决定因素：方差构成",
        "fig_x": "各次重复间方差的占比",
        "cap_fig": "每根条形把一项重点2025年结果在各次重复间的方差按原因类别分解（数值同上表）。",
        "alt_fig": "各项重点2025年结果的方差构成",
    },
}

SCORECARD_SECTION = {
    "en": {
        "head": "Scorecard: what the model said and what happened",
        "none": "No scorecard beside this batch. `clustersim scorecard` runs one batch per "
                "vintage (2021, the plan's start, to the latest published year) and writes "
                "`results/scorecard`; `clustersim report --scorecard results/scorecard` then "
                "shows it here.",
        "intro": "From {folder}: per target, the reported 2025 outcome (met / missed from "
                 "published rows only, else not yet known) and P(met) on the reported basis "
                 "from each vintage (P2021: the view at the plan's start; later vintages: "
                 "data published before that year).",
        "cols_fixed": ["indicator", "reported 2025 outcome", "source"],
        "scores_cols": ["vintage", "targets settled", "Brier", "Brier, trend forecaster",
                        "skill"],
        "no_scores": "No target is settled yet, so there is no Brier score: the scorecard "
                     "fills in as 2025 figures are added to data/observed/.",
        "outcome": {"met": "met", "missed": "missed", "not yet known": "not yet known"},
        "cap_rel": "Reliability: forecast P(met) against the share met, over settled targets.",
        "alt_rel": "Reliability plot",
    },
    "zh": {
        "head": "预测与实际对照",
        "none": "本批次旁边没有对照结果。`clustersim scorecard` 按各年视角（从规划起点2021年到"
                "最近公布年份）各运行一批，写入 `results/scorecard`；之后 "
                "`clustersim report --scorecard results/scorecard` 会在此显示。",
        "intro": "来自 {folder}：每项目标的2025年公布结果（仅依据已公布数据判断达标/未达标，"
                 "否则为尚未公布），以及各年视角下按统计口径计算的达标概率（P2021：规划起点的"
                 "视角；其后各年：该年之前已公布的数据）。",
        "cols_fixed": ["指标", "2025年公布结果", "来源"],
        "scores_cols": ["视角", "已有结果的目标数", "Brier 分数", "趋势外推的 Brier 分数",
                        "技巧评分"],
        "no_scores": "尚无目标有公布结果，故无 Brier 分数；随着2025年数据加入 data/observed/，"
                     "对照表会逐步补全。",
        "outcome": {"met": "达标", "missed": "未达标", "not yet known": "尚未公布"},
        "cap_rel": "可靠性图：预测达标概率与实际达标比例（仅含已有结果的目标）。",
        "alt_rel": "可靠性图",
    },
}
