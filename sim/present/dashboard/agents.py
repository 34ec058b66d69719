"""One replicate's agents, quarter by quarter, on a schematic map of Shanxi's 11 cities.

:func:`snapshot` is the one place that reads the model's state; it uses the narrowest
public surface there is (Mesa's ``agents_by_type``, the agents' documented attributes, the
firm table's ``city`` column and the farmer population's ``state()``), so a change of the
model's internals is adapted here and nowhere else.

City positions are the approximate longitude and latitude of each prefecture-level city's
seat (rounded to 0.05°; GeoNames / Wikipedia coordinates of the city seats), drawn as a
plain lon/lat scatter, not a projected map.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.model import plan

# Approximate lon/lat (degrees E, N) of each city's seat, rounded to 0.05°.
CITY_LONLAT: dict[str, tuple[float, float]] = {
    "taiyuan": (112.55, 37.85), "datong": (113.30, 40.10), "shuozhou": (112.45, 39.35),
    "xinzhou": (112.75, 38.40), "yangquan": (113.60, 37.85), "lvliang": (111.15, 37.50),
    "jinzhong": (112.75, 37.70), "changzhi": (113.10, 36.20), "jincheng": (112.85, 35.50),
    "linfen": (111.50, 36.10), "yuncheng": (111.00, 35.05),
}
SIZE_BINS = (0.2, 1.0, 10.0)  # 亿元/yr: firm size classes <0.2, 0.2-1, 1-10, >=10


def snapshot(model) -> dict:
    """The state the map shows, aggregated per city (plain numpy arrays and numbers).

    Returns ``quarter`` (e.g. ``2021Q1``; ``2020`` before the first step), per city ×
    cluster the firms' count and output (亿元/yr), per city × size class the firm count,
    per city the cooperatives (count, members, land 亩), the households' land (own, rented
    out, rented in; 亩) and links (contract, coop member, job; households), and per
    platform its city, cold storage (万吨) and volume traded (万吨/yr).
    """
    nc, nk = len(plan.CITIES), len(plan.CLUSTERS)
    qi = int(model.quarter_index)
    label = str(plan.BASE_YEAR) if qi <= 0 else \
        f"{plan.YEARS[0] + (qi - 1) // 4}Q{(qi - 1) % 4 + 1}"
    types = {cls.__name__: agents for cls, agents in model.agents_by_type.items()}
    firm_n = np.zeros((nc, nk))
    firm_out = np.zeros((nc, nk))
    size_n = np.zeros((nc, len(SIZE_BINS) + 1))
    city_col = np.asarray(model.firms.city)
    for f in types.get("Firm", []):
        c, k, out = int(city_col[f.row]), int(f.cluster), float(f.output_yi_yuan)
        firm_n[c, k] += 1
        firm_out[c, k] += out
        size_n[c, int(np.searchsorted(SIZE_BINS, out, side="right"))] += 1
    coop = np.zeros((nc, 3))
    for co in types.get("Cooperative", []):
        if getattr(co, "alive", True):
            coop[co.city] += (1, co.members, co.land_mu)
    s = model.farmers.state()
    w = np.asarray(s["weight"], float)
    city = np.asarray(s["city"], int)

    def per_city(values) -> np.ndarray:
        return np.bincount(city, weights=w * np.asarray(values, float), minlength=nc)

    households = {
        "households": per_city(np.ones_like(w)),
        "land_own_mu": per_city(s["land_own"]),
        "land_out_mu": per_city(s["land_out"]),
        "land_in_mu": per_city(s["land_in"]),
        "contract": per_city(s["contract"]),
        "coop_member": per_city(np.asarray(s["coop"]) >= 0),
        "job": per_city(np.asarray(s["job"]) > 0),
    }
    platforms = []
    for p in types.get("Platform", []):
        spec = plan.PLATFORMS[p.index]
        platforms.append({"key": spec.key, "en": spec.en, "zh": spec.zh,
                          "city": spec.cities[0], "cold_wan_t": float(p.cold_wan_t),
                          "volume_wan_t": float(p.volume_wan_t)})
    return {"quarter": label, "firm_n": firm_n, "firm_out": firm_out, "size_n": size_n,
            "coop": coop, "households": households, "platforms": platforms}


def run_snapshots(scenario: dict, seed: int, scale: int,
                  progress: Callable[[int, int], None] | None = None) -> list[dict]:
    """Run one replicate quarter by quarter (2021Q1-2025Q4); the state before and after each."""
    from sim.run.replicate import build_model
    model = build_model(scenario, seed, scale)
    steps = len(plan.YEARS) * plan.QUARTERS_PER_YEAR
    out = [snapshot(model)]
    try:
        for i in range(steps):
            model.step()
            out.append(snapshot(model))
            if progress is not None:
                progress(i + 1, steps)
    finally:
        model.release()
    return out


def draw_map(snap: dict, lang: str = "en", show: str = "firms"):
    """A matplotlib figure: the cities at their lon/lat with the snapshot's agents.

    ``show``: ``firms`` (pie of firm output by cluster, area by total output; count shown),
    ``households`` (share of land rented out and of households linked, per city),
    ``coops`` (cooperatives: count and members). Platforms are squares sized by their cold
    storage in every view.
    """
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from sim.present.plots import setup_fonts
    setup_fonts(lang)
    zh = lang == "zh"
    fig = Figure(figsize=(8.4, 6.4), dpi=90)
    ax = fig.add_subplot(1, 1, 1)
    cmap = matplotlib.colormaps["tab10"]
    xy = np.array([CITY_LONLAT[c.key] for c in plan.CITIES])
    ax.scatter(xy[:, 0], xy[:, 1], s=6, color="0.3", zorder=3)
    for i, c in enumerate(plan.CITIES):
        ax.annotate(c.zh if zh else c.en, xy[i], xytext=(0, -16), textcoords="offset points",
                    ha="center", fontsize=8, color="0.2")
    if show == "firms":
        total = snap["firm_out"].sum(axis=1)
        top = max(total.max(), 1e-9)
        for i in range(len(plan.CITIES)):
            if total[i] <= 0:
                continue
            r = 0.06 + 0.24 * np.sqrt(total[i] / top)
            share = snap["firm_out"][i] / total[i]
            start = 90.0
            for k, s in enumerate(share):
                if s <= 0:
                    continue
                from matplotlib.patches import Wedge
                ax.add_patch(Wedge(xy[i], r, start, start + 360 * s, color=cmap(k),
                                   alpha=0.85, zorder=2))
                start += 360 * s
            n = int(snap["firm_n"][i].sum())
            ax.annotate(f"{n}", xy[i], xytext=(0, 10), textcoords="offset points",
                        ha="center", fontsize=7)
        from matplotlib.patches import Patch
        handles = [Patch(color=cmap(k), label=(c.zh if zh else c.key))
                   for k, c in enumerate(plan.CLUSTERS)]
        ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=7,
                  title="集群产值（饼）/ 企业数" if zh else "firm output by cluster\n(pie) / firms",
                  title_fontsize=8)
    elif show == "households":
        h = snap["households"]
        rented = h["land_out_mu"] / np.maximum(h["land_own_mu"], 1e-9)
        linked = (h["contract"] + h["coop_member"] + h["job"]) / np.maximum(h["households"],
                                                                            1e-9)
        ax.scatter(xy[:, 0] - 0.12, xy[:, 1], s=900 * rented, color="tab:brown", alpha=0.6,
                   label="转出土地占比" if zh else "share of land rented out")
        ax.scatter(xy[:, 0] + 0.12, xy[:, 1], s=900 * np.minimum(linked, 1.0),
                   color="tab:green", alpha=0.6,
                   label="联结农户占比" if zh else "households linked (contract/coop/job)")
        for i in range(len(plan.CITIES)):
            ax.annotate(f"{rented[i]:.0%} / {linked[i]:.0%}", xy[i], xytext=(0, 12),
                        textcoords="offset points", ha="center", fontsize=7)
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, markerscale=0.4)
    else:
        co = snap["coop"]
        ax.scatter(xy[:, 0], xy[:, 1], s=3 * co[:, 0], color="tab:purple", alpha=0.5,
                   label="合作社（面积∝个数）" if zh else "cooperatives (area ∝ count)")
        for i in range(len(plan.CITIES)):
            ax.annotate(f"{int(co[i, 0])}", xy[i], xytext=(0, 10), textcoords="offset points",
                        ha="center", fontsize=7)
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, markerscale=0.4)
    for j, p in enumerate(snap["platforms"]):
        x, y = CITY_LONLAT[p["city"]]
        ax.scatter([x + 0.25], [y + 0.18 + 0.05 * j], marker="s",
                   s=10 + 3 * p["cold_wan_t"], color="tab:cyan", edgecolor="k", zorder=4)
        ax.annotate(f"{p['cold_wan_t']:.0f}", (x + 0.25, y + 0.18 + 0.05 * j),
                    xytext=(8, 0), textcoords="offset points", fontsize=7, va="center")
    ax.set_xlim(110.3, 114.6)
    ax.set_ylim(34.5, 40.8)
    ax.set_aspect(1 / np.cos(np.radians(37.5)))
    ax.set_xlabel("经度 °E" if zh else "longitude °E")
    ax.set_ylabel("纬度 °N" if zh else "latitude °N")
    title = {"firms": ("企业", "Firms"), "households": ("农户", "Households"),
             "coops": ("合作社", "Cooperatives")}[show]
    ax.set_title(f"{snap['quarter']} · {title[0] if zh else title[1]} · "
                 + ("方块：平台冷库（万吨）" if zh else "squares: platforms' cold storage (万吨)"),
                 fontsize=9)
    fig.tight_layout()
    return fig
