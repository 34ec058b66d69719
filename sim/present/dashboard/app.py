"""The dashboard (Solara): levers in, P(met), fan charts and one run's agents out.

Started by ``clustersim dashboard`` (``sim.cli.dashboard``), which passes its settings in
the environment variables read by :class:`Settings`. Answers to a lever move come from the
emulator (``sim.analysis.emulator``); the "run the model here" button runs a small Monte
Carlo of the real model at the chosen point and shows both answers side by side.
"""

from __future__ import annotations

import functools
import html
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import solara
import solara.lab

from sim.analysis import emulator as E
from sim.analysis.stats import wilson_interval
from sim.config.scenario import load, shipped_scenarios
from sim.model.outcomes import TARGETS
from sim.model.params import LEVERS
from sim.present.dashboard import agents as A
from sim.present.dashboard.text import LEVER_ZH, TEXT
from sim.run.evaluators import Evaluator


@dataclass(frozen=True)
class Settings:
    """What ``clustersim dashboard`` passes in (environment variables, with defaults)."""

    cache: Path
    runs: int
    scale: int
    workers: int
    mc_replicates: int

    @classmethod
    def from_env(cls) -> Settings:
        """Read ``CLUSTERSIM_DASHBOARD_*``."""
        env = os.environ.get
        return cls(Path(env("CLUSTERSIM_DASHBOARD_CACHE", "results/dashboard")),
                   int(env("CLUSTERSIM_DASHBOARD_RUNS", "160")),
                   int(env("CLUSTERSIM_DASHBOARD_SCALE", str(E.DEFAULT_SCALE))),
                   int(env("CLUSTERSIM_DASHBOARD_WORKERS", "1")),
                   int(env("CLUSTERSIM_DASHBOARD_MC", "30")))


SETTINGS = Settings.from_env()
TARGET_BY_NAME = {t.name: t for t in TARGETS}
LEVER_BY_NAME = {p.name: p for p in LEVERS}
_EMULATORS: dict[str, E.Emulator] = {}

lang = solara.reactive("en")
view = solara.reactive("targets")
scenario_name = solara.reactive("plan")
baseline_name = solara.reactive("no_new_policy")
conditioning = solara.reactive("vintage2021")
levers = solara.reactive({})
outcome = solara.reactive("output_total")
agent_quarter = solara.reactive(0)
agent_show = solara.reactive("firms")


@functools.lru_cache(maxsize=32)
def scenario(name: str) -> dict:
    """A shipped scenario, loaded once (callers must not change it)."""
    return load(name)


def emulator_for(name: str, cond: str) -> E.Emulator | None:
    """The emulator of a scenario's family under a conditioning, if built."""
    key = E.family_key(scenario(name), cond, SETTINGS.scale)
    if key not in _EMULATORS:
        em = E.cached(SETTINGS.cache, scenario(name), cond, SETTINGS.scale)
        if em is None:
            return None
        _EMULATORS[key] = em
    return _EMULATORS[key]


@solara.lab.task
def build_task(missing: tuple[tuple[str, str], ...]) -> int:
    """Build the emulators that are missing (a design of real runs each), with progress."""
    for i, (name, cond) in enumerate(missing):
        if emulator_for(name, cond) is not None:
            continue

        def progress(done: int, total: int, i=i) -> None:
            build_task.progress = 100.0 * (i + done / total) / len(missing)

        E.build(SETTINGS.cache, scenario(name), cond, SETTINGS.runs, SETTINGS.scale,
                SETTINGS.workers, progress=progress, bar=False)
    return len(missing)


@solara.lab.task
def mc_task(name: str, cond: str, point: tuple) -> dict:
    """A small Monte Carlo of the real model at the lever point (for comparison)."""
    pt = dict(point)
    scn = E.at_point(E.conditioned(scenario(name), cond), pt)
    n = SETTINGS.mc_replicates
    rows = []
    backend = "processes" if SETTINGS.workers > 1 else "serial"
    with Evaluator(backend, workers=SETTINGS.workers, households_per_agent=SETTINGS.scale,
                   progress=False) as ev:
        for r in ev.map([(i, 1 + i) for i in range(n)], scenario=scn):
            if "error" in r:
                raise RuntimeError(f"replicate {r['index']} failed: {r['error']}")
            rows.append(r)
            mc_task.progress = 100.0 * len(rows) / n
    met = np.array([[bool(r["met"][t.name]) for t in TARGETS] for r in rows])
    lo, hi = wilson_interval(met.sum(axis=0), len(rows))
    table = pd.DataFrame({"target": [t.name for t in TARGETS], "p": met.mean(axis=0),
                          "lo": lo, "hi": hi})
    traj = {m: np.array([[r["trajectory"][y][m] for y in E.YEARS_ALL] for r in rows])
            for m in sorted({t.metric for t in TARGETS})}
    return {"key": (name, cond, point), "table": table, "traj": traj, "n": len(rows)}


@solara.lab.task
def agents_task(name: str, cond: str, point: tuple) -> dict:
    """One replicate's agents, quarter by quarter, at the lever point."""
    scn = E.at_point(E.conditioned(scenario(name), cond), dict(point))

    def progress(done: int, total: int) -> None:
        agents_task.progress = 100.0 * done / total

    snaps = A.run_snapshots(scn, seed=1, scale=SETTINGS.scale, progress=progress)
    return {"key": (name, cond, point), "snaps": snaps}


def current_point() -> dict[str, float]:
    """The levers as set on the page (the scenario's own where not moved)."""
    own = E.lever_point(scenario(scenario_name.value))
    return {**own, **{k: v for k, v in levers.value.items() if k in own}}


def target_label(name: str, code: str) -> str:
    """A target's name in the page's language."""
    t = TARGET_BY_NAME[name]
    return t.label_zh if code == "zh" else t.label_en


def lever_label(name: str, code: str) -> str:
    """A lever's name in the page's language."""
    return LEVER_ZH.get(name, name) if code == "zh" else name.replace("_", " ")


def _pct(p: float) -> str:
    return f"{100 * p:.1f}%"


def targets_html(em, point, base_em, base_point, mc, tr, code) -> str:
    """The table of every target: P(met), the baseline's, the difference, the model's."""
    pm = em.p_met(point)
    idx = {name: i for i, name in enumerate(em.targets)}
    p, plo, phi = pm.p.to_numpy(), pm.lo.to_numpy(), pm.hi.to_numpy()
    if base_em is not None:
        d = E.difference(em, point, base_em, base_point)
        dd, dlo, dhi = d["diff"].to_numpy(), d.lo.to_numpy(), d.hi.to_numpy()
        pb = base_em.p_met(base_point).p.to_numpy()
    ho = em.heldout["per_target"]
    head = [tr["target"], tr["p_emulator"], tr["baseline_col"], tr["difference"]]
    if mc is not None:
        head.append(tr["p_model"].format(n=mc["n"]))
        mt = mc["table"]
        mp, mlo, mhi = mt.p.to_numpy(), mt.lo.to_numpy(), mt.hi.to_numpy()
    head.append(tr["heldout_brier"])
    td = '<td style="padding:2px 8px">'
    out = ['<div style="max-height:520px;overflow-y:auto"><table class="targets" '
           'style="border-collapse:collapse;font-size:13px"><thead><tr>']
    out += [f'<th style="text-align:left;padding:2px 8px;position:sticky;top:0;'
            f'background:#fff">{html.escape(h)}</th>' for h in head]
    out.append("</tr></thead><tbody>")
    for j, t in enumerate(TARGETS):
        i = idx[t.name]
        cells = [f"{td}{html.escape(target_label(t.name, code))}</td>",
                 f'<td class="pmet" data-target="{t.name}" style="padding:2px 8px">'
                 f'{_pct(p[i])} [{_pct(plo[i])}, {_pct(phi[i])}]</td>']
        h = ho[t.name]
        if base_em is None:
            cells += ["<td>…</td>", "<td>…</td>"]
        elif h["share_met"] in (0.0, 1.0) and base_em is em:
            cells += [f"{td}{_pct(pb[i])}</td>",
                      f'<td class="pdiff" data-target="{t.name}" style="padding:2px 8px;'
                      f'color:#888">{tr["one_class"]}</td>']
        else:
            cells += [f"{td}{_pct(pb[i])}</td>",
                      f'<td class="pdiff" data-target="{t.name}" style="padding:2px 8px">'
                      f'{100 * dd[i]:+.1f} pp [{100 * dlo[i]:+.1f}, {100 * dhi[i]:+.1f}]</td>']
        if mc is not None:
            cells.append(f'<td class="pmodel" data-target="{t.name}" style="padding:2px 8px">'
                         f'{_pct(mp[j])} [{_pct(mlo[j])}, {_pct(mhi[j])}]</td>')
        cells.append(f'<td style="padding:2px 8px;color:#666">{h["brier"]:.3f} '
                     f'({h["brier_constant"]:.3f})</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _nice_ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    """About ``n`` round tick values covering [lo, hi]."""
    span = max(hi - lo, 1e-12)
    raw = span / n
    mag = 10 ** np.floor(np.log10(raw))
    step = mag * min((m for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10)
    return np.arange(np.ceil(lo / step) * step, hi + 0.5 * step, step)


def fan_svg(em, point, base_em, base_point, metric, mc, code, tr) -> str:
    """Fan chart of one outcome (emulator 5-50-95%) against the target's path, as SVG.

    Drawn by hand rather than with matplotlib: it is redrawn at every lever move, and an
    SVG string costs about a millisecond where a matplotlib PNG costs a few tenths of a
    second.
    """
    fan = em.fan(point, metric)
    years = np.array(E.YEARS_ALL, float)
    target = next((t for t in TARGETS if t.metric == metric), None)
    series = [fan.q05.to_numpy(), fan.q50.to_numpy(), fan.q95.to_numpy()]
    path = None
    if target is not None:
        y0, y1 = float(series[1][0]), float(target.threshold)
        s = (years - years[0]) / (years[-1] - years[0])
        path = y0 * (y1 / y0) ** s if y0 > 0 and y1 > 0 else y0 + (y1 - y0) * s
        series.append(path)
    base = base_em.fan(base_point, metric).q50.to_numpy() if base_em is not None else None
    if base is not None:
        series.append(base)
    mcq = None
    if mc is not None and metric in mc["traj"]:
        mcq = np.quantile(mc["traj"][metric], [0.05, 0.5, 0.95], axis=0)
        series += list(mcq)
    lo = min(float(np.min(v)) for v in series)
    hi = max(float(np.max(v)) for v in series)
    pad = 0.05 * max(hi - lo, abs(hi) * 1e-3, 1e-9)
    lo, hi = lo - pad, hi + pad
    w, h, ml, mr, mt, mb = 640, 320, 70, 20, 30, 40

    def x(v):
        return ml + (np.asarray(v, float) - years[0]) / (years[-1] - years[0]) * (w - ml - mr)

    def y(v):
        return mt + (hi - np.asarray(v, float)) / (hi - lo) * (h - mt - mb)

    def pts(xs, ys):
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x(xs), y(ys), strict=True))

    t = target or TARGET_BY_NAME.get(metric)
    title = html.escape(target_label(t.name, code) if t else metric)
    unit = html.escape(t.unit if t else "")
    out = [f'<svg class="fan" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
           f'viewBox="0 0 {w} {h}" style="font-family:sans-serif;font-size:11px">',
           f'<text x="{w / 2}" y="16" text-anchor="middle" font-size="13">{title}</text>']
    for v in _nice_ticks(lo, hi):
        out.append(f'<line x1="{ml}" x2="{w - mr}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                   'stroke="#eee"/>')
        out.append(f'<text x="{ml - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
    for yr in years:
        out.append(f'<text x="{x(yr):.1f}" y="{h - mb + 16}" text-anchor="middle">'
                   f'{int(yr)}</text>')
    out.append(f'<text x="14" y="{mt + (h - mt - mb) / 2}" transform="rotate(-90 14 '
               f'{mt + (h - mt - mb) / 2})" text-anchor="middle">{unit}</text>')
    band = pts(years, series[0]) + " " + pts(years[::-1], series[2][::-1])
    out.append(f'<polygon points="{band}" fill="#1f77b4" fill-opacity="0.25"/>')
    out.append(f'<polyline points="{pts(years, series[1])}" fill="none" stroke="#1f77b4" '
               'stroke-width="2"/>')
    legend = [("#1f77b4", tr["fan_band"], "band"), ("#1f77b4", tr["fan_median"], "")]
    if base is not None:
        out.append(f'<polyline points="{pts(years, base)}" fill="none" stroke="#666" '
                   'stroke-dasharray="6 4" stroke-width="1.5"/>')
        legend.append(("#666", tr["fan_baseline"], "6 4"))
    if path is not None:
        out.append(f'<polyline points="{pts(years, path)}" fill="none" stroke="#d62728" '
                   'stroke-dasharray="2 3" stroke-width="1.5"/>')
        out.append(f'<circle cx="{x(years[-1]):.1f}" cy="{y(path[-1]):.1f}" r="4" '
                   'fill="#d62728"/>')
        legend.append(("#d62728", tr["fan_path"], "2 3"))
    if mcq is not None:
        for j, yr in enumerate(years):
            xx = x(yr + 0.08)
            out.append(f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{y(mcq[0][j]):.1f}" '
                       f'y2="{y(mcq[2][j]):.1f}" stroke="#000"/>')
            out.append(f'<circle cx="{xx:.1f}" cy="{y(mcq[1][j]):.1f}" r="3" fill="#000"/>')
        legend.append(("#000", tr["fan_model"], "dot"))
    for i, (col, text, kind) in enumerate(legend):
        yy = mt + 8 + 15 * i
        if kind == "band":
            out.append(f'<rect x="{ml + 10}" y="{yy - 5}" width="22" height="10" '
                       f'fill="{col}" fill-opacity="0.25"/>')
        elif kind == "dot":
            out.append(f'<circle cx="{ml + 21}" cy="{yy}" r="3" fill="{col}"/>')
        else:
            dash = f' stroke-dasharray="{kind}"' if kind else ""
            out.append(f'<line x1="{ml + 10}" x2="{ml + 32}" y1="{yy}" y2="{yy}" '
                       f'stroke="{col}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{ml + 38}" y="{yy + 4}">{html.escape(text)}</text>')
    out.append(f'<rect x="{ml}" y="{mt}" width="{w - ml - mr}" height="{h - mt - mb}" '
               'fill="none" stroke="#999"/></svg>')
    return "".join(out)


@solara.component
def LeverSliders(tr: dict, code: str) -> None:
    """One slider per lever, in its declared range and unit."""
    point = current_point()
    for p in LEVERS:
        lo, hi = p.bounds()
        v = point[p.name]

        def on_value(x, name=p.name):
            levers.set({**current_point(), name: float(x)})

        solara.Text(f"{lever_label(p.name, code)}: {v:.3g} {p.unit}  [{lo:g}–{hi:g}]",
                    classes=["lever-label"], style={"font-size": "13px"})
        with solara.Div(classes=[f"lever-{p.name}"]):
            solara.SliderFloat("", value=v, min=lo, max=hi, step=(hi - lo) / 200,
                               on_value=on_value)


@solara.component
def Controls(tr: dict, code: str) -> None:
    """Language, scenario, conditioning, baseline and the levers."""
    names = sorted(shipped_scenarios())
    solara.ToggleButtonsSingle(value=lang, values=["en", "zh"])
    solara.ToggleButtonsSingle(value=view, values=["targets", "agents"])

    def set_scenario(name):
        scenario_name.set(name)
        levers.set({})

    solara.Select(tr["scenario"], values=names, value=scenario_name.value,
                  on_value=set_scenario)
    cond_label = {k: v[2 if code == "zh" else 1] for k, v in E.CONDITIONINGS.items()}
    solara.Select(tr["conditioning"], values=list(cond_label.values()),
                  value=cond_label[conditioning.value],
                  on_value=lambda lab: conditioning.set(
                      next(k for k, v in cond_label.items() if v == lab)))
    solara.Select(tr["baseline"], values=names, value=baseline_name)
    solara.Button(tr["reset"], on_click=lambda: levers.set({}), text=True)
    LeverSliders(tr, code)


@solara.component
def TargetsView(tr: dict, code: str) -> None:
    """P(met) of every target, the fan chart and the real-model check."""
    name, cond = scenario_name.value, conditioning.value
    em, base_em = emulator_for(name, cond), emulator_for(baseline_name.value, cond)
    missing = tuple(dict.fromkeys((n, cond) for n, e in ((name, em),
                                  (baseline_name.value, base_em)) if e is None))

    def start():
        if missing and not build_task.pending:
            build_task(missing)

    solara.use_effect(start, [missing, build_task.pending])
    if em is None:
        solara.Text(tr["building"].format(runs=SETTINGS.runs, scale=SETTINGS.scale))
        solara.ProgressLinear(build_task.progress if build_task.pending else True)
        if build_task.error:
            solara.Error(str(build_task.exception))
        return
    point = current_point()
    base_point = E.lever_point(scenario(baseline_name.value))
    key = (name, cond, tuple(sorted(point.items())))
    mc = mc_task.value if (mc_task.value is not None and mc_task.value["key"] == key) else None
    h = em.heldout
    solara.Markdown(tr["heldout"].format(
        runs=h["runs"], scale=em.meta["scale"], folds=h["folds"],
        varied=h["targets_varied"], brier=h["brier_mean_varied"] or 0.0,
        brier0=h["brier_constant_mean_varied"] or 0.0, cover=100 * h["coverage90_mean"]))
    with solara.Row():
        solara.Button(tr["run_model"].format(n=SETTINGS.mc_replicates),
                      on_click=lambda: mc_task(name, cond, key[2]),
                      disabled=mc_task.pending, color="primary")
        if mc_task.pending:
            solara.ProgressLinear(mc_task.progress or True)
    if mc_task.error:
        solara.Error(str(mc_task.exception))
    metrics = sorted({t.metric for t in TARGETS})
    labels = {m: target_label(next(t.name for t in TARGETS if t.metric == m), code)
              for m in metrics}
    solara.Select(tr["outcome"], values=[labels[m] for m in metrics],
                  value=labels.get(outcome.value, labels[metrics[0]]),
                  on_value=lambda lab: outcome.set(next(m for m in metrics
                                                        if labels[m] == lab)))
    solara.HTML(tag="div", unsafe_innerHTML=fan_svg(em, point, base_em, base_point,
                                                    outcome.value, mc, code, tr))
    solara.HTML(tag="div", unsafe_innerHTML=targets_html(em, point, base_em, base_point, mc,
                                                         tr, code))


@solara.component
def AgentsView(tr: dict, code: str) -> None:
    """One replicate's agents, quarter by quarter, on the schematic map."""
    name, cond = scenario_name.value, conditioning.value
    key = (name, cond, tuple(sorted(current_point().items())))
    solara.Markdown(tr["agents_intro"].format(scale=SETTINGS.scale))
    solara.Button(tr["run_agents"], on_click=lambda: agents_task(name, cond, key[2]),
                  disabled=agents_task.pending, color="primary")
    if agents_task.pending:
        solara.ProgressLinear(agents_task.progress or True)
    if agents_task.error:
        solara.Error(str(agents_task.exception))
    res = agents_task.value
    if res is None:
        return
    if res["key"] != key:
        solara.Text(tr["agents_stale"], style={"color": "#a60"})
    snaps = res["snaps"]
    q = min(agent_quarter.value, len(snaps) - 1)
    solara.SliderInt(f"{tr['quarter']}: {snaps[q]['quarter']}", value=agent_quarter,
                     min=0, max=len(snaps) - 1)
    solara.ToggleButtonsSingle(value=agent_show, values=["firms", "households", "coops"])
    solara.FigureMatplotlib(A.draw_map(snaps[q], code, agent_show.value), format="png")
    s = snaps[q]
    hh = s["households"]
    rows = []
    from sim.model import plan
    for i, c in enumerate(plan.CITIES):
        rows.append({tr["city"]: c.zh if code == "zh" else c.en,
                     tr["firms"]: int(s["firm_n"][i].sum()),
                     tr["firm_output"]: round(float(s["firm_out"][i].sum()), 1),
                     tr["coops"]: int(s["coop"][i, 0]),
                     tr["households_wan"]: round(hh["households"][i] / 1e4, 1),
                     tr["land_out"]: f"{hh['land_out_mu'][i] / max(hh['land_own_mu'][i], 1):.1%}",
                     tr["contract"]: round(hh["contract"][i] / 1e4, 1),
                     tr["job"]: round(hh["job"][i] / 1e4, 1)})
    solara.DataFrame(pd.DataFrame(rows), items_per_page=11)


@solara.component
def Page() -> None:
    """The whole page."""
    code = lang.value
    tr = TEXT[code]
    solara.Title(tr["title"])
    with solara.Columns([1, 3]):
        with solara.Column():
            Controls(tr, code)
        with solara.Column():
            solara.Markdown(f"## {tr['title']}")
            if view.value == "targets":
                TargetsView(tr, code)
            else:
                AgentsView(tr, code)
