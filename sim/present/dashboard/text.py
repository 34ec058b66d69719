"""The dashboard's words in English and Chinese (target names come from sim.model.outcomes)."""

from __future__ import annotations

LEVER_ZH = {
    "capital_subsidy_rate": "企业投资补贴比例",
    "interest_subsidy_pp": "贷款贴息（百分点）",
    "producer_subsidy_yuan_per_mu": "订单基地每亩补贴",
    "coop_grant_yi_yuan": "合作社奖补资金",
    "land_service_coverage": "土地流转服务覆盖率",
    "cold_chain_new_capacity_wan_t": "新增冷库计划",
    "brand_fund_yi_yuan": "品牌建设资金",
    "training_places_wan": "高素质农民培训名额",
    "farmland_construction_wan_mu": "高标准农田建设",
}

TEXT = {
    "en": {
        "title": "Shanxi processing clusters: will the 2025 targets be met?",
        "scenario": "Scenario", "conditioning": "Conditioning", "baseline": "Baseline",
        "reset": "Reset levers to the scenario",
        "target": "Target", "p_emulator": "P(met), emulator [95%]",
        "baseline_col": "Baseline", "difference": "Difference [95%]",
        "p_model": "P(met), model, {n} runs [95%]",
        "heldout_brier": "Held-out Brier (constant)",
        "one_class": "n/a: same in every design run",
        "building": "Building the emulator: {runs} runs of the model at 1 simulated household "
                    "per {scale} (once; kept under results/)…",
        "heldout": "Emulator fitted on **{runs} runs** (1 simulated household per {scale}). "
                   "Held-out error ({folds}-fold cross-validation): Brier score of P(met) "
                   "**{brier:.3f}** against **{brier0:.3f}** for a constant, over the "
                   "{varied} targets met in some runs and missed in others; the 5–95% band "
                   "of 2025 outcomes holds **{cover:.0f}%** of held-out runs (90% if right).",
        "run_model": "Run the model here ({n} replicates)",
        "outcome": "Outcome (fan chart)",
        "fan_band": "emulator 5–95%", "fan_median": "emulator median",
        "fan_baseline": "baseline median", "fan_path": "target path (constant growth to 2025)",
        "fan_model": "model runs 5–50–95%",
        "agents_intro": "One replicate (seed 1) at the levers set, quarter by quarter "
                        "2021Q1–2025Q4, 1 simulated household per {scale}.",
        "run_agents": "Run one replicate", "agents_stale": "Levers moved since this run.",
        "quarter": "Quarter", "city": "City", "firms": "Firms",
        "firm_output": "Firm output (亿元/yr)", "coops": "Cooperatives",
        "households_wan": "Households (万)", "land_out": "Land rented out",
        "contract": "Contract households (万)", "job": "Households with a firm job (万)",
    },
    "zh": {
        "title": "山西农产品精深加工集群：2025年目标能否实现？",
        "scenario": "情景", "conditioning": "数据条件", "baseline": "基准情景",
        "reset": "恢复情景的政策设定",
        "target": "目标", "p_emulator": "达标概率（代理模型）[95%]",
        "baseline_col": "基准", "difference": "差值 [95%]",
        "p_model": "达标概率（模型，{n}次）[95%]",
        "heldout_brier": "留出 Brier（常数）",
        "one_class": "无：设计中所有运行结果相同",
        "building": "正在构建代理模型：模型运行{runs}次，每个模拟农户代表{scale}户"
                    "（只需一次，保存在 results/）……",
        "heldout": "代理模型基于 **{runs} 次运行**（每个模拟农户代表{scale}户）拟合。"
                   "留出误差（{folds}折交叉验证）：达标概率的 Brier 分数 **{brier:.3f}**，"
                   "常数预测为 **{brier0:.3f}**（{varied}个在部分运行中达标的目标）；"
                   "2025年结果的5–95%区间覆盖 **{cover:.0f}%** 的留出运行（应为90%）。",
        "run_model": "在此处运行模型（{n}次重复）",
        "outcome": "结果指标（扇形图）",
        "fan_band": "代理模型 5–95%", "fan_median": "代理模型中位数",
        "fan_baseline": "基准中位数", "fan_path": "目标路径（匀速增长至2025年）",
        "fan_model": "模型运行 5–50–95%",
        "agents_intro": "在当前政策设定下的一次重复（种子1），按季度 2021Q1–2025Q4，"
                        "每个模拟农户代表{scale}户。",
        "run_agents": "运行一次重复", "agents_stale": "此次运行之后政策设定已改变。",
        "quarter": "季度", "city": "城市", "firms": "企业数",
        "firm_output": "企业产值（亿元/年）", "coops": "合作社",
        "households_wan": "农户（万户）", "land_out": "土地转出比例",
        "contract": "订单农户（万户）", "job": "企业就业农户（万户）",
    },
}
