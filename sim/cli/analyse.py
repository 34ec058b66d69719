"""Analysis commands: sensitivity, discover, check-history, optimize."""

from __future__ import annotations

import sys
from pathlib import Path

from sim.cli.common import (
    EXIT_FAILURES,
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    check_scale,
    check_target,
    evaluator_from,
    execution_parser,
    load_batch,
    load_scenario,
    out_parser,
    results_folder,
    scenario_parser,
    seed_parser,
)
from sim.cli.folders import output_error


def add_parsers(sub) -> None:
    """The analysis commands' subparsers."""
    se = sub.add_parser("sensitivity", help="global sensitivity (SALib Sobol' or Morris)",
                        parents=[scenario_parser(), seed_parser(), execution_parser(1000),
                                 out_parser("results/<scenario>-<method>")])
    se.add_argument("--method", choices=("sobol", "morris"), default="sobol",
                    help="Sobol' indices or Morris elementary effects (default: sobol)")
    se.add_argument("--n", type=int, default=None,
                    help="base sample size (Sobol' N, a power of 2; Morris trajectories r); "
                         "default 64 for Sobol', 20 for Morris")
    se.add_argument("--no-levers", action="store_true", help="uncertainties only")
    se.add_argument("--top", type=int, default=8, help="factors to print per outcome "
                    "(default: 8)")
    se.set_defaults(func=cmd_sensitivity)
    di = sub.add_parser("discover", help="PRIM: when is a target missed? (stored batch)")
    di.add_argument("folder", help="results folder of a Monte Carlo batch")
    di.add_argument("--target", default="output_total",
                    help="target name, see show --all (default: output_total)")
    di.add_argument("--threshold", type=float, default=0.8,
                    help="density a box must reach: share of its replicates missing "
                         "(default: 0.8)")
    di.add_argument("--boxes", type=int, default=2, help="boxes to find at most (default: 2)")
    di.set_defaults(func=cmd_discover)
    ca = sub.add_parser("causes", help="what decides each headline 2025 answer: its "
                        "variance by kind of cause (stored batch)")
    ca.add_argument("folder", nargs="?", default="results/plan",
                    help="results folder of a Monte Carlo batch (default: results/plan)")
    ca.add_argument("--all", action="store_true", help="every target, not the headline")
    ca.add_argument("--csv", default=None, metavar="FILE",
                    help="also write the table (shares 0-1) to FILE (default: print only)")
    ca.set_defaults(func=cmd_causes)
    ch = sub.add_parser("check-history", help="observed values against the model's "
                        "predictive distribution")
    ch.add_argument("folder", help="results folder of a Monte Carlo batch")
    ch.add_argument("observed", nargs="?", default=None,
                    help="CSV with columns metric,year,value[,unit,source,quality,note] "
                         "(default: data/observed/shanxi.csv, see docs/data.md)")
    ch.add_argument("--lang", choices=("en", "zh"), default="en",
                    help="figure language (default: en)")
    ch.set_defaults(func=cmd_check_history)
    op = sub.add_parser("optimize", help="least-cost lever mix reaching P(met) >= P",
                        parents=[scenario_parser(), seed_parser(), execution_parser(1000),
                                 out_parser("results/<scenario>-optimize-<target>")])
    op.add_argument("--target", default="output_total",
                    help="target to reach (default: output_total)")
    op.add_argument("--probability", type=float, default=0.5,
                    help="probability to reach (default: 0.5)")
    op.add_argument("--candidates", type=int, default=24,
                    help="Latin-hypercube candidates (default: 24)")
    op.add_argument("--replicates", "-n", type=int, default=40,
                    help="replicates per candidate, same seeds for all (default: 40)")
    op.add_argument("--validate", type=int, default=100,
                    help="fresh-seed replicates to re-check the answer (default: 100)")
    op.add_argument("--max-multiplier", type=float, default=3.0,
                    help="largest scaling of a plan lever tried (default: 3)")
    op.set_defaults(func=cmd_optimize)


def cmd_sensitivity(a) -> int:
    """Run a Sobol' or Morris analysis and print the ranked factors per outcome."""
    from sim.analysis import sensitivity as sa
    from sim.present.tables import format_ranked
    scn = load_scenario(a)
    n = a.n if a.n is not None else (64 if a.method == "sobol" else 20)
    if a.method == "sobol" and (n < 2 or n & (n - 1)):
        raise UsageError(f"--n: Sobol' needs a power of two (e.g. 32, 64, 128), got {n}")
    if n < 2:
        raise UsageError(f"--n: must be at least 2, got {n}")
    evaluator = evaluator_from(a, check_scale(a.households_per_agent))
    folder = results_folder(a, f"{scn['name']}-{a.method}")
    if (folder / "manifest.json").exists():
        raise UsageError(f"{folder}: already holds results; choose another --out")
    try:
        with evaluator:
            res = sa.run(scn, a.method, n, a.seed, folder, evaluator,
                         include_levers=not a.no_levers)
    except KeyboardInterrupt:
        print("\ninterrupted: sensitivity runs are not resumable; run again", file=sys.stderr)
        return EXIT_INTERRUPTED
    except RuntimeError as e:
        print(f"clustersim: {e}", file=sys.stderr)
        return EXIT_FAILURES
    idx, m = res["indices"], res["manifest"]
    from sim.present.analysis_figures import plot_ranked
    fig = plot_ranked(idx, ["output_total", "rural_income_ratio"],
                         f"{a.method} · {scn['name']} · {m['runs']} runs · seed {a.seed}")
    fig.savefig(folder / "ranked.png", dpi=120)
    if not a.quiet:
        print(f"{a.method}: {len(m['factors'])} factors, {m['runs']} runs -> {folder}")
        print(format_ranked(sa, idx, a.method, a.top, m.get("quality")))
    warning = (m.get("quality") or {}).get("warning")
    if warning:  # after the table; on stderr when the table is not printed
        print(("\n" if not a.quiet else "") + warning,
              file=sys.stderr if a.quiet else sys.stdout)
    return EXIT_OK


def _print_boxes(d: dict, label: str, sentence) -> None:
    for k, b in enumerate(d["boxes"], 1):
        print(f"\nbox {k}: coverage {b['coverage']:.2f}, density {b['density']:.2f}, "
              f"mass {b['mass']:.2f}")
        for col, (lo, hi) in b["limits"].items():
            lo_s = f"{lo:.4g}" if lo is not None else "-"
            hi_s = f"{hi:.4g}" if hi is not None else "-"
            print(f"  {col:<44} [{lo_s}, {hi_s}]")
        print("  " + sentence(label, b, d["missed"]))


def cmd_causes(a) -> int:
    """Print the variance of each headline 2025 outcome by kind of cause."""
    from sim.analysis.causes import decompose, format_causes
    from sim.analysis.scorecard import manifest_view, view_line
    res = load_batch(a.folder)
    view = manifest_view(res["manifest"])
    kw = {"groups": tuple(res["summary"]["group"].unique())} if a.all else {}
    table = decompose(res["replicates"], res["summary"], view.get("data_until"),
                      exogenous=res["manifest"]["scenario"].get("exogenous"), **kw)
    print(f"{a.folder}: {view_line(view)}; {len(res['replicates'])} replicates")
    print(format_causes(table))
    if a.csv:
        try:
            table.to_csv(a.csv, index=False)
        except OSError as e:
            raise output_error(Path(a.csv).parent, e, "the table") from None
        print(f"-> {a.csv}")
    return EXIT_OK


def cmd_discover(a) -> int:
    """Find and describe the boxes of conditions under which a target is missed."""
    import json

    from sim.analysis.discover import (
        INFORMATIVE_MISS,
        discover,
        informative_targets,
        sentence,
    )
    from sim.model.outcomes import TARGET_BY_NAME
    from sim.present.analysis_figures import plot_trajectory
    check_target(a.target)
    if not 0 < a.threshold <= 1:
        raise UsageError(f"--threshold: must be in (0, 1], got {a.threshold}")
    res = load_batch(a.folder)
    label = TARGET_BY_NAME[a.target].label_en
    d = discover(res["replicates"], a.target, a.threshold, a.boxes)
    print(f"{a.folder}: {label} missed in {d['missed']} of {d['n']} replicates")
    if not d["boxes"]:
        if d["missed"] in (0, d["n"]):
            print("no PRIM box: the target is " + ("never missed" if d["missed"] == 0
                                                   else "missed in every replicate"))
        else:
            lower = max(round(d["missed"] / d["n"] + 0.05, 1), 0.1)
            lower = lower if lower < a.threshold else a.threshold / 2
            print(f"no PRIM box: no box of conditions reaches density {a.threshold:g} (the "
                  f"share of its replicates that miss the target; {d['missed'] / d['n']:.0%}"
                  f" of all replicates miss it); try a lower --threshold, e.g. "
                  f"clustersim discover {a.folder} --target {a.target} --threshold "
                  f"{lower:g}, or a batch with more replicates")
        if d["missed"] in (0, d["n"]):
            lo, hi = (f"{x:.0%}" for x in INFORMATIVE_MISS)
            alt = informative_targets(res["replicates"])
            if alt:
                print(f"targets missed in {lo}-{hi} of these replicates, which PRIM can "
                      "describe: " + ", ".join(f"{t} ({s:.0%} missed)" for t, s in alt))
                print(f"  e.g. clustersim discover {a.folder} --target {alt[0][0]}")
            else:
                print(f"no target is missed in {lo}-{hi} of these replicates; try a batch "
                      "of another scenario")
        return EXIT_OK
    out = Path(a.folder) / f"discover-{a.target}"
    out.mkdir(exist_ok=True)
    _print_boxes(d, label, sentence)
    fig = plot_trajectory(d["boxes"], f"PRIM peeling trajectory: {label} missed · "
                          f"{res['manifest']['name']} · {d['n']} replicates")
    fig.savefig(out / "trajectory.png", dpi=120)
    (out / "boxes.json").write_text(json.dumps(
        [{k: v for k, v in b.items() if k != "trajectory"} for b in d["boxes"]], indent=1))
    print(f"\n{out / 'trajectory.png'}")
    return EXIT_OK


def _print_history(table) -> None:
    from sim.analysis.history import coverage
    head = (f"{'metric':<26} {'year':>4} {'observed':>10} {'pctile':>6} {'median':>10}"
            f"  {'50%':>3} {'90%':>3}  q")
    for status, title in (("checked", "validation: years after the start year"),
                          ("calibration", "calibration: the start year (the model is "
                           "initialised to these) and series taken as data (--data-until)")):
        part = table[table["status"] == status]
        if part.empty:
            continue
        print(f"\n{title}\n{head}")
        for r in part.itertuples():
            print(f"{r.metric:<26} {r.year:>4} {r.observed:>10.4g} {r.percentile:>6.1f} "
                  f"{r.median:>10.4g}  {'yes' if r.in_50 else 'no':>3} "
                  f"{'yes' if r.in_90 else 'no':>3}  {r.quality}")
    other = table[~table["status"].isin(["checked", "calibration"])]
    if len(other):
        print(f"\nnot checked ({len(other)} rows):")
        for (metric, status), g in other.groupby(["metric", "status"], sort=False):
            print(f"  {metric:<34} {', '.join(str(y) for y in g['year'])}: {status}")
    c = coverage(table)
    if c["n"]:
        print(f"\n{c['n']} validation rows: {c['in_50']:.0%} inside the 50% band (50% "
              f"expected), {c['in_90']:.0%} inside the 90% band (90% expected); "
              f"{c['below_05']} below the 5th and {c['above_95']} above the 95th percentile")


def cmd_check_history(a) -> int:
    """Place each observation in the model's predictive distribution for its year."""
    from sim.analysis.history import (
        DEFAULT_OBSERVED,
        check,
        nothing_to_check,
        read_observed,
    )
    from sim.config.errors import ScenarioError
    from sim.present.analysis_figures import plot_history
    from sim.present.plots import setup_fonts
    res = load_batch(a.folder)
    traj = res["trajectories"]
    try:
        obs = read_observed(a.observed or DEFAULT_OBSERVED)
    except ScenarioError as e:
        raise UsageError(str(e)) from None
    why = nothing_to_check(traj, obs)
    if why:
        raise UsageError(f"{a.observed or DEFAULT_OBSERVED}: {why}")
    table = check(traj, obs, res["manifest"]["scenario"].get("data_until"))
    print(f"{a.folder} ({res['manifest']['name']}, {res['manifest'].get('done')} replicates) "
          f"against {a.observed or DEFAULT_OBSERVED}")
    _print_history(table)
    out = Path(a.folder) / "history"
    out.mkdir(exist_ok=True)
    table.to_csv(out / "check.csv", index=False)
    setup_fonts(a.lang)
    shown = obs[obs["year"].isin(traj["year"].unique())]
    fig = plot_history(traj, shown if len(shown) else obs,
               f"model vs observed · {res['manifest']['name']} · "
               f"{res['manifest'].get('done')} replicates", a.lang)
    fig.savefig(out / "fan.png", dpi=120)
    print(f"\n{out / 'check.csv'}\n{out / 'fan.png'}")
    return EXIT_OK


def _check_optimize_options(a) -> None:
    check_target(a.target)
    if not 0 < a.probability <= 1:
        raise UsageError(f"--probability: must be in (0, 1], got {a.probability}")
    for name, v, lo in (("--candidates", a.candidates, 1), ("--replicates", a.replicates, 2),
                        ("--validate", a.validate, 0)):
        if v < lo:
            raise UsageError(f"{name}: must be at least {lo}, got {v}")
    if not 0 < a.max_multiplier <= 20:
        raise UsageError(f"--max-multiplier: must be in (0, 20], got {a.max_multiplier}")


def _print_optimum(r: dict, a) -> None:
    from sim.analysis.optimize import SEARCH_LEVERS
    print(f"plan package: P(met) {r['plan']['p_met']:.2f}, fiscal cost "
          f"{r['plan']['cost_yi']:.0f} 亿元 (same seeds)")
    if r["chosen"] is None:
        extra = (f"; {len(r['checks'])} candidates reached it on the search seeds but not on "
                 "fresh seeds") if r["checks"] else ""
        print(f"no candidate within {a.max_multiplier:g}x the plan's levers reaches "
              f"P(met) >= {a.probability:g}; the best found reached {r['best_p_met']:.2f}"
              f"{extra}")
        return
    c = r["chosen"]
    print(f"cheapest found: fiscal cost {c['cost_yi']:.0f} 亿元, P(met) {c['p_met']:.2f} "
          f"[{c['p_lo']:.2f}, {c['p_hi']:.2f}] on the search seeds")
    if r["validation"]:
        v = r["validation"]
        print(f"  on {v['replicates']} fresh seeds: P(met) {v['p_met']:.2f} "
              f"[{v['p_lo']:.2f}, {v['p_hi']:.2f}], cost {v['cost_yi']:.0f} 亿元")
    for x in SEARCH_LEVERS:
        print(f"  {x:<32} x{c['multipliers'][x]:.2f} of the scenario's value")


def cmd_optimize(a) -> int:
    """Search for the cheapest lever mix reaching the asked probability."""
    from sim.analysis.optimize import search
    from sim.present.analysis_figures import plot_frontier
    from sim.present.plots import setup_fonts
    _check_optimize_options(a)
    scn = load_scenario(a)
    evaluator = evaluator_from(a, check_scale(a.households_per_agent))
    folder = results_folder(a, f"{scn['name']}-optimize-{a.target}")
    if (folder / "result.json").exists():
        raise UsageError(f"{folder}: already holds results; choose another --out")
    with evaluator:
        out = search(scn, a.target, a.probability, evaluator=evaluator, folder=folder,
                     candidates=a.candidates, replicates=a.replicates, seed=a.seed,
                     max_multiplier=a.max_multiplier, validate_replicates=a.validate)
    r = out["result"]
    setup_fonts("en")
    plot_frontier(out["table"], r, f"{scn['name']}: cost vs P({a.target} met) · "
                  f"{a.replicates} replicates per candidate · seed {a.seed}").savefig(
        folder / "frontier.png", dpi=120)
    _print_optimum(r, a)
    print(folder / "frontier.png")
    return EXIT_OK
