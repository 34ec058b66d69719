"""The plan's numbers as data.

Everything here is transcribed from the Shanxi Provincial Government's plan
《山西省"十四五"农业现代化三大省级战略、十大产业集群培育及巩固拓展脱贫成果规划》
(晋政发〔2021〕27号), via the digest ``shared/plan-targets.md``. Each record carries the plan
section it comes from. Nothing in this module is an assumption of ours, except where a
field is explicitly named ``*_assumed`` and documented in ``docs/ODD.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

BASE_YEAR = 2020
TARGET_YEAR = 2025
YEARS = tuple(range(2021, 2026))
QUARTERS_PER_YEAR = 4


@dataclass(frozen=True)
class City:
    """A prefecture-level city (地级市), the model's spatial unit."""

    key: str
    zh: str
    en: str
    population_wan_2020: float  # 7th census resident population (万人)
    urbanisation_2020: float  # share urban; approximate, see docs/parameters.md


@dataclass(frozen=True)
class FirmTierTarget:
    """Count of firms in a cluster whose annual output reaches a threshold by 2025."""

    tier: str  # "flagship", "champion", "backbone", "sme"
    count: int
    min_output_yi_yuan: float


@dataclass(frozen=True)
class Cluster:
    """One of the ten processing clusters (Ch.6)."""

    key: str
    zh: str
    en: str
    group: str  # traditional / emerging / future high-tech
    target_output_yi_yuan: float
    cagr: float
    farmers_target_wan: float
    income_gain_target_yuan: float
    core_cities: tuple[str, ...]
    subcore_cities: tuple[str, ...]
    tiers: tuple[FirmTierTarget, ...]
    perishable: bool  # cold chain matters for its raw material and products
    livestock: bool  # exposed to animal-disease outbreaks
    section: str

    @property
    def implied_output_2020_yi_yuan(self) -> float:
        """The 2020 base implied by the 2025 target and the stated growth rate."""
        return self.target_output_yi_yuan / (1.0 + self.cagr) ** 5


@dataclass(frozen=True)
class Platform:
    """One of the five trading platforms (Ch.5 §3)."""

    key: str
    zh: str
    en: str
    cities: tuple[str, ...]
    clusters: tuple[str, ...]
    target_volume_wan_t: float
    target_value_yi_yuan: float | None
    farmers_target_wan: float
    income_gain_target_yuan: float
    section: str = "Ch.5 §3"


CITIES: tuple[City, ...] = (
    City("taiyuan", "太原", "Taiyuan", 530.4, 0.89),
    City("datong", "大同", "Datong", 310.6, 0.71),
    City("shuozhou", "朔州", "Shuozhou", 159.3, 0.61),
    City("xinzhou", "忻州", "Xinzhou", 268.9, 0.55),
    City("yangquan", "阳泉", "Yangquan", 131.9, 0.69),
    City("lvliang", "吕梁", "Lüliang", 339.9, 0.53),
    City("jinzhong", "晋中", "Jinzhong", 338.0, 0.60),
    City("changzhi", "长治", "Changzhi", 318.1, 0.55),
    City("jincheng", "晋城", "Jincheng", 219.5, 0.63),
    City("linfen", "临汾", "Linfen", 397.6, 0.55),
    City("yuncheng", "运城", "Yuncheng", 477.5, 0.48),
)
CITY_KEYS = tuple(c.key for c in CITIES)


def _tiers(*spec: tuple[str, int, float]) -> tuple[FirmTierTarget, ...]:
    return tuple(FirmTierTarget(t, n, v) for t, n, v in spec)


# SMEs ("专精特新" firms of some scale): counted as firms with annual output of at least
# 0.2 亿元, the statistical threshold for "enterprises above designated size" (规模以上, 2000万元).
SME_MIN_YI = 0.2

CLUSTERS: tuple[Cluster, ...] = (
    Cluster("brewing", "酿品", "Brewing (baijiu, vinegar, wine)", "traditional", 610, 0.216, 20,
            2500, ("taiyuan", "jinzhong", "lvliang", "linfen", "yuncheng"),
            ("datong", "shuozhou", "xinzhou", "changzhi", "yangquan", "jincheng"),
            _tiers(("flagship", 1, 500), ("champion", 2, 30), ("backbone", 5, 1),
                   ("sme", 200, SME_MIN_YI)), False, False, "Ch.6 §1.1"),
    Cluster("meat", "肉制品", "Meat products", "traditional", 550, 0.203, 20, 3000,
            ("shuozhou", "datong", "jinzhong", "lvliang", "changzhi", "jincheng"),
            ("taiyuan", "xinzhou", "yangquan", "linfen", "yuncheng"),
            _tiers(("flagship", 1, 300), ("champion", 5, 30), ("backbone", 6, 1),
                   ("sme", 120, SME_MIN_YI)), True, True, "Ch.6 §1.2"),
    Cluster("dairy", "乳品", "Dairy", "traditional", 180, 0.182, 8, 2000,
            ("shuozhou", "datong", "jinzhong", "taiyuan"),
            ("yuncheng", "linfen"),
            _tiers(("flagship", 1, 50), ("champion", 2, 30), ("backbone", 3, 1),
                   ("sme", 50, SME_MIN_YI)), True, True, "Ch.6 §1.3"),
    Cluster("fruit", "果品", "Fruit (fresh and dried)", "traditional", 235, 0.156, 30, 3000,
            ("yuncheng", "linfen", "lvliang", "jinzhong"), ("datong", "changzhi"),
            _tiers(("flagship", 1, 50), ("champion", 1, 30), ("backbone", 10, 1),
                   ("sme", 100, SME_MIN_YI)), True, False, "Ch.6 §1.4"),
    Cluster("beverage", "饮品", "Beverages (medicinal tea, juices)", "emerging", 170, 0.187, 25,
            3000, ("yuncheng", "linfen", "changzhi", "lvliang"),
            ("jinzhong", "datong"),
            _tiers(("flagship", 1, 60), ("champion", 1, 30), ("backbone", 3, 1),
                   ("sme", 180, SME_MIN_YI)), True, False, "Ch.6 §2.1"),
    Cluster("staple", "主食糕品", "Staple foods and pastries", "emerging", 70, 0.169, 20, 1500,
            ("taiyuan", "xinzhou", "jinzhong", "changzhi", "yuncheng", "shuozhou"),
            ("datong", "yangquan", "lvliang", "jincheng", "linfen"),
            _tiers(("flagship", 1, 30), ("champion", 2, 10), ("backbone", 3, 1),
                   ("sme", 120, SME_MIN_YI)), False, False, "Ch.6 §2.2"),
    Cluster("tcm", "中医药品", "Traditional Chinese medicine", "emerging", 180, 0.234, 25, 1500,
            ("jinzhong", "changzhi", "yuncheng"),
            ("taiyuan", "datong", "shuozhou", "xinzhou", "yangquan", "lvliang", "jincheng",
             "linfen"),
            _tiers(("flagship", 1, 50), ("champion", 2, 30), ("backbone", 10, 1),
                   ("sme", 60, SME_MIN_YI)), False, False, "Ch.6 §2.3"),
    Cluster("functional", "功能食品", "Functional foods", "future", 90, 0.201, 20, 1500,
            ("datong", "xinzhou", "lvliang", "jinzhong", "changzhi", "jincheng", "yuncheng",
             "yangquan"),
            ("shuozhou", "linfen"),
            _tiers(("flagship", 1, 30), ("champion", 10, 1), ("sme", 60, SME_MIN_YI)),
            False, False, "Ch.6 §3.1"),
    Cluster("supplement", "保健品", "Health supplements", "future", 10, 0.108, 5, 2000,
            ("linfen", "datong", "changzhi", "yuncheng"), (),
            _tiers(("flagship", 1, 5), ("sme", 50, SME_MIN_YI)), False, False, "Ch.6 §3.2"),
    Cluster("cosmetics", "化妆品", "Cosmetics", "future", 5, 0.201, 5, 3000,
            ("taiyuan", "changzhi", "shuozhou"), ("jincheng", "linfen"),
            _tiers(("flagship", 2, 1), ("sme", 40, SME_MIN_YI)), False, False, "Ch.6 §3.3"),
)
CLUSTER_KEYS = tuple(c.key for c in CLUSTERS)
TOTAL_OUTPUT_TARGET_YI = 2100.0  # Ch.2 §3
# Ten-cluster total in 2020 implied by each cluster's target and growth rate (≈850.7 亿元)
TOTAL_OUTPUT_2020_YI = sum(c.implied_output_2020_yi_yuan for c in CLUSTERS)

PLATFORMS: tuple[Platform, ...] = (
    Platform("fruit_export", "果业出口平台", "Fruit export (Yuncheng/Linfen)",
             ("yuncheng", "linfen"), ("fruit", "beverage"), 500, 160, 30, 3000),
    Platform("grain_export", "杂粮出口平台", "Minor-grains export (Xinzhou)",
             ("xinzhou",), ("staple", "functional"), 72, None, 20, 800),
    Platform("meat_export", "肉类出口平台", "Meat export (Datong/Shuozhou)",
             ("datong", "shuozhou"), ("meat", "dairy"), 50, 200, 10, 3500),
    Platform("tcm_trade", "中药材商贸平台", "TCM herbs trade (Changzhi)",
             ("changzhi",), ("tcm", "supplement", "cosmetics"), 20, 40, 15, 1200),
    Platform("dried_fruit_trade", "干果商贸平台", "Dried-fruit trade (Lüliang)",
             ("lvliang",), ("fruit",), 350, 220, 20, 1000),
)
PLATFORM_KEYS = tuple(p.key for p in PLATFORMS)
PLATFORM_TOTAL_VOLUME_TARGET_WAN_T = 1000.0  # Ch.5 §3
COLD_CHAIN_NEW_CAPACITY_TARGET_WAN_T = 75.0  # Ch.5 §3


@dataclass(frozen=True)
class ProvinceFigures:
    """Province-level baseline figures and 2025 targets (Ch.1 §1, Ch.2 §3, Ch.3, Ch.6, Ch.7)."""

    rural_income_2020_yuan: float = 13878.0  # Ch.1 §1
    rural_income_growth_2015_2020: float = 0.0798  # Ch.1 §1
    processing_output_2020_yi: float = 2186.0  # Ch.1 §1 (sales revenue)
    processing_growth_2015_2020: float = 0.082  # Ch.1 §1
    processing_output_target_yi: float = 4300.0  # Ch.2 §3
    processing_to_agri_ratio_target: float = 2.5  # Ch.2 §3
    primary_va_target_yi: float = 1900.0  # Ch.2 §3
    grain_2020_wan_t: float = 1424.0  # Ch.3 §1
    grain_target_wan_t: float = 1365.0  # Ch.3 §1
    farmland_hs_2020_wan_mu: float = 1628.0  # Ch.1 §1
    farmland_hs_target_wan_mu: float = 2400.0  # Ch.7 §2.2
    training_target_wan: float = 25.0  # Ch.3 §5
    training_certified_share_target: float = 0.8  # Ch.3 §5
    precooling_2020: float = 0.05  # Ch.7 §2.4
    precooling_target: float = 0.20  # Ch.7 §2.4
    leading_firms_2020: int = 470  # Ch.1 §1
    investment_target_yi: float = 1000.0  # Ch.6 intro


PROVINCE = ProvinceFigures()

# Province-wide firm-size targets (≥500, ≥300, ≥50 亿: Ch.2 §3; all four: Ch.6 intro):
# (count, min output 亿元).
PROVINCE_FIRM_TARGETS: tuple[tuple[str, int, float], ...] = (
    ("firms_ge_500", 1, 500.0),
    ("firms_ge_300", 2, 300.0),  # one ≥500 and one ≥300: two firms at ≥300
    ("firms_ge_50", 3, 50.0),  # "3-5 firms at 50 亿": the lower bound
    ("firms_ge_30", 15, 30.0),
)


def cluster(key: str) -> Cluster:
    """Look up a cluster by key."""
    return CLUSTERS[CLUSTER_KEYS.index(key)]


def platform(key: str) -> Platform:
    """Look up a platform by key."""
    return PLATFORMS[PLATFORM_KEYS.index(key)]
