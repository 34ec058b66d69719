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
    pm = em.p_met(point).set_index("target")
    diff = (E.difference(em, point, base_em, base_point).set_index("target")
            if base_em is not None else None)
    pb = base_em.p_met(base_point).set_index("target") if base_em is not None else None
    ho = em.heldout["per_target"]
    head = [tr["target"], tr["p_emulator"], tr["baseline_col"], tr["difference"]]
    if mc is not None:
        head.append(tr["p_model"].format(n=mc["n"]))
    head.append(tr["heldout_brier"])
    out = ['<div style="max-height:520px;overflow-y:auto"><table class="targets" '
           'style="border-collapse:collapse;font-size:13px"><thead><tr>']
    out += [f'<th style="text-align:left;padding:2px 8px;position:sticky;top:0;'
            f'background:#fff">{html.escape(h)}</th>' for h in head]
    out.append("</tr></thead><tbody>")
    mct = mc["table"].set_index("target") if mc is not None else None
    for t in TARGETS:
        r = pm.loc[t.name]
        cells = [f'<td style="padding:2px 8px">{html.escape(target_label(t.name, code))}</td>',
                 f'<td class="pmet" data-target="{t.name}" style="padding:2px 8px">'
                 f'{_pct(r.p)} [{_pct(r.lo)}, {_pct(r.hi)}]</td>']
        h = ho[t.name]
        if pb is not None and h["share_met"] in (0.0, 1.0) and base_em is em:
            cells += [f'<td style="padding:2px 8px">{_pct(pb.loc[t.name].p)}</td>',
                      f'<td class="pdiff" data-target="{t.name}" style="padding:2px 8px;'
                      f'color:#888">{tr["one_class"]}</td>']
        elif pb is not None:
            d = diff.loc[t.name]
            cells += [f'<td style="padding:2px 8px">{_pct(pb.loc[t.name].p)}</td>',
                      f'<td class="pdiff" data-target="{t.name}" style="padding:2px 8px">'
                      f'{100 * d["diff"]:+.1f} pp [{100 * d.lo:+.1f}, {100 * d.hi:+.1f}]</td>']
        else:
            cells += ['<td>…</td>', '<td>…</td>']
        if mct is not None:
            m = mct.loc[t.name]
            cells.append(f'<td class="pmodel" data-target="{t.name}" style="padding:2px 8px">'
                         f'{_pct(m.p)} [{_pct(m.lo)}, {_pct(m.hi)}]</td>')
        cells.append(f'<td style="padding:2px 8px;color:#666">{h["brier"]:.3f} '
                     f'({h["brier_constant"]:.3f})</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def fan_figure(em, point, base_em, base_point, metric, mc, code, tr):
    """Fan chart of one outcome (emulator 5-50-95%) against the target's path."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from sim.present.plots import setup_fonts
    setup_fonts(code)
    fan = em.fan(point, metric)
    fig = Figure(figsize=(7.0, 3.8), dpi=90)
    ax = fig.add_subplot(1, 1, 1)
    ax.fill_between(fan.year, fan.q05, fan.q95, alpha=0.25, color="tab:blue",
                    label=tr["fan_band"])
    ax.plot(fan.year, fan.q50, color="tab:blue", label=tr["fan_median"])
    if base_em is not None:
        bf = base_em.fan(base_point, metric)
        ax.plot(bf.year, bf.q50, color="0.4", ls="--", label=tr["fan_baseline"])
    target = next((t for t in TARGETS if t.metric == metric), None)
    if target is not None:
        y0, y1 = float(fan.q50.iloc[0]), float(target.threshold)
        years = np.array(E.YEARS_ALL, float)
        s = (years - years[0]) / (years[-1] - years[0])
        path = y0 * (y1 / y0) ** s if y0 > 0 and y1 > 0 else y0 + (y1 - y0) * s
        ax.plot(years, path, color="tab:red", ls=":", label=tr["fan_path"])
        ax.scatter([years[-1]], [y1], color="tab:red", zorder=5)
    if mc is not None and metric in mc["traj"]:
        q = np.quantile(mc["traj"][metric], [0.05, 0.5, 0.95], axis=0)
        ax.errorbar(np.array(E.YEARS_ALL) + 0.08, q[1], yerr=[q[1] - q[0], q[2] - q[1]],
                    fmt="o", color="k", ms=3, capsize=2, label=tr["fan_model"])
    t = target or TARGET_BY_NAME.get(metric)
    ax.set_title(target_label(t.name, code) if t else metric, fontsize=10)
    ax.set_ylabel(t.unit if t else "")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


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
    solara.Select(tr["conditioning"], values=list(E.CONDITIONINGS),
                  value=conditioning)
    solara.Text(E.CONDITIONINGS[conditioning.value][2 if code == "zh" else 1],
                style={"font-size": "12px", "color": "#555"})
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
    solara.FigureMatplotlib(fan_figure(em, point, base_em, base_point, outcome.value, mc,
                                       code, tr), format="png")
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
