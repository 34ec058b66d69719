"""The ``clustersim`` command line: a thin layer over the library."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="clustersim",
        description="Monte Carlo of Shanxi's agricultural processing clusters under the "
                    "2021-2025 plan: the probability of meeting each 2025 target.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command")
    r = sub.add_parser("run", help="run a Monte Carlo batch of a scenario")
    r.add_argument("scenario", nargs="?", default="plan",
                   help="scenario file or shipped name (default: plan)")
    r.add_argument("--replicates", "-n", type=int, default=None,
                   help="number of replicates (default: the scenario's, 200)")
    r.add_argument("--seed", type=int, default=20210820,
                   help="root seed; replicate seeds come from SeedSequence(root).spawn")
    r.add_argument("--workers", "-w", type=int, default=os.cpu_count() or 1,
                   help="parallel workers (default: all cores)")
    r.add_argument("--backend", choices=("serial", "processes", "dask"), default=None,
                   help="where replicates run (default: processes, serial for one worker)")
    r.add_argument("--scheduler", default=None,
                   help="address of an existing Dask scheduler (implies --backend dask)")
    r.add_argument("--out", default=None, help="results folder (default: results/<name>)")
    r.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario field, e.g. levers.capital_subsidy_rate=0.3")
    r.add_argument("--households-per-agent", type=int, default=None,
                   help="scale: rural households per simulated household")
    r.add_argument("--resume", action="store_true",
                   help="continue (or extend) the batch already in the results folder")
    r.add_argument("--until-ci", type=float, default=None, metavar="HALF_WIDTH",
                   help="keep doubling replicates until every target's 95%% interval "
                        "half-width is at most this (e.g. 0.02)")
    r.add_argument("--max-replicates", type=int, default=20000,
                   help="cap for --until-ci (default 20000)")
    r.add_argument("--chunk-size", type=int, default=25,
                   help="replicates per results chunk (what an interruption can lose)")
    r.add_argument("--quiet", "-q", action="store_true", help="no progress bar or table")
    r.add_argument("--all", action="store_true", help="print every target, not the headline")
    r.add_argument("--posterior", default=None, metavar="DIR",
                   help="draw the calibrated uncertainties from the posterior in DIR (from "
                        "clustersim calibrate); default: none, the scenario's ranges")
    w = sub.add_parser("sweep", help="run every point of an experiment (grid, LHS, points)")
    w.add_argument("experiment", help="experiment file or shipped name (see experiments/)")
    w.add_argument("--replicates", "-n", type=int, default=None,
                   help="replicates per point (default: the experiment's)")
    w.add_argument("--workers", "-w", type=int, default=os.cpu_count() or 1)
    w.add_argument("--backend", choices=("serial", "processes", "dask"), default=None)
    w.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler")
    w.add_argument("--out", default=None, help="results folder (default: results/<name>)")
    w.add_argument("--households-per-agent", type=int, default=None)
    w.add_argument("--resume", action="store_true")
    w.add_argument("--quiet", "-q", action="store_true")
    w.add_argument("--targets", nargs="+", default=None,
                   help="targets to print (default: those that vary most across points)")
    pl = sub.add_parser("plot", help="draw figures from a results or sweep folder")
    pl.add_argument("folder")
    pl.add_argument("--kind", action="append", default=None,
                    choices=("targets", "distributions", "fan", "sweep", "compare"),
                    help="figure kind (repeatable; default: all that fit the folder)")
    pl.add_argument("--against", default=None, help="second batch, for --kind compare")
    pl.add_argument("--lang", choices=("en", "zh"), default="en")
    pl.add_argument("--format", choices=("png", "svg", "pdf"), default="png")
    pl.add_argument("--out", default=None, help="folder for figures (default: DIR/figures)")
    rp = sub.add_parser("report", help="one self-contained HTML report of a batch")
    rp.add_argument("folder")
    rp.add_argument("--lang", choices=("en", "zh"), default="en")
    rp.add_argument("--out", default=None, help="HTML file (default: DIR/report.html)")
    se = sub.add_parser("sensitivity", help="global sensitivity (SALib Sobol' or Morris)")
    se.add_argument("scenario", nargs="?", default="plan")
    se.add_argument("--method", choices=("sobol", "morris"), default="sobol")
    se.add_argument("--n", type=int, default=None,
                    help="base sample size (Sobol' N, a power of 2; Morris trajectories r); "
                         "default 64 for Sobol', 20 for Morris")
    se.add_argument("--seed", type=int, default=20210820)
    se.add_argument("--no-levers", action="store_true", help="uncertainties only")
    se.add_argument("--households-per-agent", type=int, default=1000,
                    help="scale (default 1000: indices need many runs)")
    se.add_argument("--workers", "-w", type=int, default=os.cpu_count() or 1)
    se.add_argument("--backend", choices=("serial", "processes", "dask"), default=None)
    se.add_argument("--scheduler", default=None)
    se.add_argument("--out", default=None,
                    help="results folder (default: results/<scenario>-<method>)")
    se.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    se.add_argument("--top", type=int, default=8, help="factors to print per outcome")
    se.add_argument("--quiet", "-q", action="store_true")
    di = sub.add_parser("discover", help="PRIM: when is a target missed? (stored batch)")
    di.add_argument("folder", help="results folder of a Monte Carlo batch")
    di.add_argument("--target", default="output_total", help="target name (see show --all)")
    di.add_argument("--threshold", type=float, default=0.8,
                    help="density a box must reach (share of its replicates missing)")
    di.add_argument("--boxes", type=int, default=2, help="boxes to find at most")
    ch = sub.add_parser("check-history", help="observed values against the model's "
                        "predictive distribution")
    ch.add_argument("folder", help="results folder of a Monte Carlo batch")
    ch.add_argument("observed", help="CSV with columns metric,year,value[,source]")
    op = sub.add_parser("optimize", help="least-cost lever mix reaching P(met) >= P")
    op.add_argument("scenario", nargs="?", default="plan")
    op.add_argument("--target", default="output_total")
    op.add_argument("--probability", type=float, default=0.5)
    op.add_argument("--candidates", type=int, default=24, help="Latin-hypercube candidates")
    op.add_argument("--replicates", "-n", type=int, default=40,
                    help="replicates per candidate (same seeds for all)")
    op.add_argument("--validate", type=int, default=100,
                    help="fresh-seed replicates to re-check the answer")
    op.add_argument("--max-multiplier", type=float, default=3.0,
                    help="largest scaling of a plan lever tried")
    op.add_argument("--seed", type=int, default=20210820)
    op.add_argument("--households-per-agent", type=int, default=1000)
    op.add_argument("--workers", "-w", type=int, default=os.cpu_count() or 1)
    op.add_argument("--backend", choices=("serial", "processes", "dask"), default=None)
    op.add_argument("--scheduler", default=None)
    op.add_argument("--out", default=None)
    op.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    op.add_argument("--quiet", "-q", action="store_true")
    s = sub.add_parser("scenarios", help="list shipped scenarios")
    s.add_argument("--verbose", "-v", action="store_true")
    c = sub.add_parser("compare", help="difference in P(met) between two batches")
    c.add_argument("a", help="results folder A (the baseline)")
    c.add_argument("b", help="results folder B")
    c.add_argument("--all", action="store_true", help="print every target")
    sh = sub.add_parser("show", help="print the probability table of a results folder")
    sh.add_argument("folder")
    sh.add_argument("--all", action="store_true", help="print every target")
    from sim.cli.calibration import add_parsers  # calibrate, backtest
    add_parsers(sub)
    return p


HEADLINE_GROUPS = ("cluster_output", "province", "platforms")


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return "-"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def format_summary(summary, all_targets: bool = False) -> str:
    """The probability table as text."""
    rows = summary if all_targets else summary[summary["group"].isin(HEADLINE_GROUPS)]
    lines = [f"{'target':<34} {'2025 target':>16}  {'P(met)':>6}  {'95% CI':>13}  "
             f"{'median':>10}  {'5-95% range':>21}"]
    for _, r in rows.iterrows():
        tgt = f"≥ {_fmt(r['threshold'])} {r['unit']}"
        ci = f"[{r['p_lo']:.2f}, {r['p_hi']:.2f}]"
        rng = f"{_fmt(r['q05'])} - {_fmt(r['q95'])}"
        lines.append(f"{r['target']:<34} {tgt:>16}  {r['p_met']:>6.2f}  {ci:>13}  "
                     f"{_fmt(r['median']):>10}  {rng:>21}")
    if not all_targets:
        lines.append(f"({len(summary) - len(rows)} more targets: farmers linked, income gains, "
                     "firm tiers; --all shows them)")
    return "\n".join(lines)


def cmd_run(a) -> int:
    """Run a Monte Carlo batch and print its probability table."""
    from sim.run.batch import BatchError, prepare, run_batch
    from sim.config.scenario import ScenarioError, load
    try:
        scn = load(a.scenario, a.sets)
    except ScenarioError as e:
        raise UsageError(str(e)) from None
    if a.posterior:
        from sim.run.posterior import PosteriorError, attach
        try:
            scn = attach(scn, a.posterior)
        except PosteriorError as e:
            raise UsageError(str(e)) from None
    n = a.replicates if a.replicates is not None else scn["settings"]["replicates"]
    if n < 1:
        raise UsageError(f"--replicates: must be at least 1, got {n}")
    if a.until_ci is not None and not 0 < a.until_ci < 0.5:
        raise UsageError(f"--until-ci: a half-width in (0, 0.5), got {a.until_ci}")
    if a.max_replicates < n:
        raise UsageError(f"--max-replicates: must be at least --replicates ({n})")
    if a.chunk_size < 1:
        raise UsageError(f"--chunk-size: must be at least 1, got {a.chunk_size}")
    hpa = a.households_per_agent or scn["settings"]["households_per_agent"]
    if not 1 <= hpa <= 100_000:
        raise UsageError(f"--households-per-agent: must be in [1, 100000], got {hpa}")
    backend = _backend(a)
    folder = Path(a.out) if a.out else Path("results") / (
        scn["name"] + ("-posterior" if a.posterior else ""))
    try:
        manifest = prepare(folder, scn, a.scenario, n, a.seed, hpa, a.resume)
    except BatchError as e:
        raise UsageError(str(e)) from None
    try:
        tables = run_batch(folder, manifest, backend=backend, workers=a.workers,
                           scheduler=a.scheduler, progress=not a.quiet,
                           flush_every=a.chunk_size)
        # --until-ci: double the batch (same seeds, resumed) until every target's 95%
        # interval is at most twice the asked half-width, or the cap is reached.
        while a.until_ci is not None:
            s = tables["summary"]
            widest = float(((s["p_hi"] - s["p_lo"]) / 2).max())
            n_now = int(tables["manifest"]["replicates"])
            if widest <= a.until_ci or n_now >= a.max_replicates:
                if not a.quiet:
                    print(f"--until-ci: widest half-width {widest:.4f} at {n_now} replicates"
                          + ("" if widest <= a.until_ci else " (cap reached)"))
                break
            manifest = prepare(folder, scn, a.scenario, min(2 * n_now, a.max_replicates),
                               a.seed, hpa, resume=True)
            tables = run_batch(folder, manifest, backend=backend, workers=a.workers,
                               scheduler=a.scheduler, progress=not a.quiet,
                               flush_every=a.chunk_size)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished replicates are saved in {folder}; "
              f"resume with: clustersim run {a.scenario} --out {folder} --seed {a.seed} "
              "--resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    m = tables["manifest"]
    if not a.quiet:
        print(f"scenario {m['name']}: {m['done']} replicates, root seed {m['root_seed']}, "
              f"1 agent = {m['households_per_agent']} households -> {folder}")
        print(format_summary(tables["summary"], a.all))
    if m["failed"]:
        print(f"{m['failed']} replicate(s) failed; see {folder / 'failures.parquet'}",
              file=sys.stderr)
        return EXIT_FAILURES
    return EXIT_OK


def _check_target(name: str, flag: str = "--target") -> None:
    from sim.model.outcomes import TARGET_BY_NAME
    from sim.config.scenario import _suggest
    if name not in TARGET_BY_NAME:
        raise UsageError(f"{flag}: unknown target {name!r}{_suggest(name, TARGET_BY_NAME)}; "
                         "`clustersim show DIR --all` lists them")


def _backend(a) -> str:
    if a.workers < 1:
        raise UsageError(f"--workers: must be at least 1, got {a.workers}")
    backend = a.backend or ("dask" if a.scheduler else
                            ("processes" if a.workers > 1 else "serial"))
    if a.scheduler and backend != "dask":
        raise UsageError("--scheduler needs --backend dask")
    return backend


def cmd_sweep(a) -> int:
    """Run an experiment's points and print P(met) per point for the targets that move."""
    from sim.config.experiment import load_experiment
    from sim.run.batch import BatchError
    from sim.config.scenario import ScenarioError
    from sim.run.sweep import prepare_sweep, run_sweep, varying_targets
    try:
        exp = load_experiment(a.experiment)
    except ScenarioError as e:
        raise UsageError(str(e)) from None
    n = a.replicates or exp["replicates"]
    if n < 1:
        raise UsageError(f"--replicates: must be at least 1, got {n}")
    for t in a.targets or []:
        _check_target(t, "--targets")
    backend = _backend(a)
    hpa = a.households_per_agent or exp["households_per_agent"] or \
        exp["points"][0]["scenario"]["settings"]["households_per_agent"]
    folder = Path(a.out) if a.out else Path("results") / exp["name"]
    try:
        manifest = prepare_sweep(folder, exp, n, hpa, a.resume)
    except BatchError as e:
        raise UsageError(str(e)) from None
    try:
        summary = run_sweep(folder, exp, manifest, backend, a.workers, a.scheduler,
                            not a.quiet)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished replicates are saved in {folder}; resume with: "
              f"clustersim sweep {a.experiment} --out {folder} --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not a.quiet:
        targets = a.targets or varying_targets(summary)
        print(f"experiment {exp['name']}: {len(exp['points'])} points x {manifest['replicates']}"
              f" replicates, root seed {manifest['root_seed']} -> {folder}")
        print("P(met) [95% CI] per point")
        head = f"{'point':<44}" + "".join(f" {t[:22]:>22}" for t in targets)
        print(head)
        for _pid, g in summary.groupby("point", sort=True):
            g = g.set_index("target")
            cells = "".join(f" {g.loc[t, 'p_met']:>5.2f} [{g.loc[t, 'p_lo']:.2f},"
                            f"{g.loc[t, 'p_hi']:.2f}]".rjust(23) for t in targets)
            print(f"{g['point_name'].iloc[0][:44]:<44}{cells}")
    from sim.run.store import read_manifest
    failed = sum(int((read_manifest(folder / "points" / p["id"]) or {}).get("failed", 0))
                 for p in exp["points"])
    if failed:
        print(f"{failed} replicate(s) failed; see the points' failures.parquet",
              file=sys.stderr)
    return EXIT_FAILURES if failed else EXIT_OK


def cmd_plot(a) -> int:
    """Draw figures from stored results."""
    from sim.present.plots import make_plots
    folder = Path(a.folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such results folder")
    try:
        files = make_plots(folder, a.kind, a.lang, a.format, a.out, a.against)
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from None
    for f in files:
        print(f)
    return EXIT_OK


def cmd_report(a) -> int:
    """Write a self-contained HTML report of a batch."""
    from sim.present.report import write_report
    folder = Path(a.folder)
    try:
        path = write_report(folder, a.out, a.lang)
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from None
    print(path)
    return EXIT_OK


def cmd_sensitivity(a) -> int:
    """Run a Sobol' or Morris analysis and print the ranked factors per outcome."""
    from sim.analysis import sensitivity as sa
    from sim.config.scenario import ScenarioError, load
    try:
        scn = load(a.scenario, a.sets)
    except ScenarioError as e:
        raise UsageError(str(e)) from None
    n = a.n or (64 if a.method == "sobol" else 20)
    if a.method == "sobol" and (n < 2 or n & (n - 1)):
        raise UsageError(f"--n: Sobol' needs a power of two (e.g. 32, 64, 128), got {n}")
    if n < 2:
        raise UsageError(f"--n: must be at least 2, got {n}")
    backend = _backend(a)
    folder = Path(a.out) if a.out else Path("results") / f"{scn['name']}-{a.method}"
    if (folder / "manifest.json").exists():
        raise UsageError(f"{folder}: already holds results; choose another --out")
    try:
        res = sa.run(scn, a.method, n, a.seed, folder, backend, a.workers, a.scheduler,
                     a.households_per_agent, not a.no_levers, not a.quiet)
    except KeyboardInterrupt:
        print("\ninterrupted: sensitivity runs are not resumable; run again", file=sys.stderr)
        return EXIT_INTERRUPTED
    except RuntimeError as e:
        print(f"clustersim: {e}", file=sys.stderr)
        return EXIT_FAILURES
    idx = res["indices"]
    m = res["manifest"]
    fig = sa.plot_ranked(idx, ["output_total", "rural_income_ratio"],
                         f"{a.method} · {scn['name']} · {m['runs']} runs · seed {a.seed}")
    fig.savefig(folder / "ranked.png", dpi=120)
    if not a.quiet:
        print(f"{a.method}: {len(m['factors'])} factors, {m['runs']} runs -> {folder}")
        for out in sa.OUTCOMES:
            print(f"\n{out}")
            for _, r in sa.ranked(idx, out, a.top).iterrows():
                if a.method == "sobol":
                    print(f"  {r['factor']:<44} ST {r['ST']:6.3f} ± {r['ST_conf']:.3f}   "
                          f"S1 {r['S1']:6.3f} ± {r['S1_conf']:.3f}")
                else:
                    print(f"  {r['factor']:<44} mu* {r['mu_star']:10.4g} ± "
                          f"{r['mu_star_conf']:.3g}   sigma {r['sigma']:.4g}")
    return EXIT_OK


def cmd_discover(a) -> int:
    """Find and describe the boxes of conditions under which a target is missed."""
    import json

    from sim.analysis.discover import discover, plot_trajectory, sentence
    from sim.model.outcomes import TARGET_BY_NAME
    _check_target(a.target)
    if not 0 < a.threshold <= 1:
        raise UsageError(f"--threshold: must be in (0, 1], got {a.threshold}")
    res = _load(a.folder)
    t = TARGET_BY_NAME[a.target]
    d = discover(res["replicates"], a.target, a.threshold, a.boxes)
    label = t.label_en
    print(f"{a.folder}: {label} missed in {d['missed']} of {d['n']} replicates")
    if not d["boxes"]:
        why = ("never missed" if d["missed"] == 0 else "missed in every replicate"
               if d["missed"] == d["n"] else "no box reaches the density threshold")
        print(f"no PRIM box: the target is {why}")
        return EXIT_OK
    out = Path(a.folder) / f"discover-{a.target}"
    out.mkdir(exist_ok=True)
    for k, b in enumerate(d["boxes"], 1):
        print(f"\nbox {k}: coverage {b['coverage']:.2f}, density {b['density']:.2f}, "
              f"mass {b['mass']:.2f}")
        for col, (lo, hi) in b["limits"].items():
            lo_s = f"{lo:.4g}" if lo is not None else "-"
            hi_s = f"{hi:.4g}" if hi is not None else "-"
            print(f"  {col:<44} [{lo_s}, {hi_s}]")
        print("  " + sentence(label, b, d["missed"]))
    fig = plot_trajectory(d["boxes"], f"PRIM peeling trajectory: {label} missed · "
                          f"{res['manifest']['name']} · {d['n']} replicates")
    fig.savefig(out / "trajectory.png", dpi=120)
    (out / "boxes.json").write_text(json.dumps(
        [{k: v for k, v in b.items() if k != "trajectory"} for b in d["boxes"]], indent=1))
    print(f"\n{out / 'trajectory.png'}")
    return EXIT_OK


def cmd_check_history(a) -> int:
    """Place each observation in the model's predictive distribution for its year."""
    from sim.analysis.history import check, plot, read_observed
    from sim.config.scenario import ScenarioError
    res = _load(a.folder)
    traj = res["trajectories"]
    try:
        obs = read_observed(a.observed, set(traj["metric"].unique()))
    except ScenarioError as e:
        raise UsageError(str(e)) from None
    table = check(traj, obs)
    print(f"{'metric':<20} {'year':>4} {'observed':>10} {'percentile':>10} {'median':>10}"
          f"  {'50%':>3} {'90%':>3}  source")
    for r in table.itertuples():
        if r.status != "checked":
            print(f"{r.metric:<20} {r.year:>4} {r.observed:>10.4g}  {r.status}")
            continue
        print(f"{r.metric:<20} {r.year:>4} {r.observed:>10.4g} {r.percentile:>10.1f} "
              f"{r.median:>10.4g}  {'yes' if r.in_50 else 'no':>3} "
              f"{'yes' if r.in_90 else 'no':>3}  {r.source}")
    out = Path(a.folder) / "history"
    out.mkdir(exist_ok=True)
    table.to_csv(out / "check.csv", index=False)
    simulated = obs[obs["year"].isin(traj["year"].unique())]
    fig = plot(traj, simulated if len(simulated) else obs,
               f"model vs observed · {res['manifest']['name']}")
    fig.savefig(out / "fan.png", dpi=120)
    print(out / "fan.png")
    return EXIT_OK


def cmd_optimize(a) -> int:
    """Search for the cheapest lever mix reaching the asked probability."""
    from sim.analysis.optimize import SEARCH_LEVERS, plot_frontier, search
    from sim.present.plots import setup_fonts
    from sim.config.scenario import ScenarioError, load
    _check_target(a.target)
    if not 0 < a.probability <= 1:
        raise UsageError(f"--probability: must be in (0, 1], got {a.probability}")
    for name, v, lo in (("--candidates", a.candidates, 1), ("--replicates", a.replicates, 2),
                        ("--validate", a.validate, 0)):
        if v < lo:
            raise UsageError(f"{name}: must be at least {lo}, got {v}")
    if not 0 < a.max_multiplier <= 20:
        raise UsageError(f"--max-multiplier: must be in (0, 20], got {a.max_multiplier}")
    try:
        scn = load(a.scenario, a.sets)
    except ScenarioError as e:
        raise UsageError(str(e)) from None
    backend = _backend(a)
    folder = Path(a.out) if a.out else Path("results") / f"{scn['name']}-optimize-{a.target}"
    if (folder / "result.json").exists():
        raise UsageError(f"{folder}: already holds results; choose another --out")
    out = search(scn, a.target, a.probability, a.candidates, a.replicates, a.seed,
                 a.households_per_agent, backend, a.workers, a.scheduler, a.max_multiplier,
                 a.validate, folder, progress=not a.quiet)
    r = out["result"]
    setup_fonts("en")
    plot_frontier(out["table"], r, f"{scn['name']}: cost vs P({a.target} met) · "
                  f"{a.replicates} replicates per candidate · seed {a.seed}").savefig(
        folder / "frontier.png", dpi=120)
    print(f"plan package: P(met) {r['plan']['p_met']:.2f}, fiscal cost "
          f"{r['plan']['cost_yi']:.0f} 亿元 (same seeds)")
    if r["chosen"] is None:
        extra = (f"; {len(r['checks'])} candidates reached it on the search seeds but not on "
                 "fresh seeds") if r["checks"] else ""
        print(f"no candidate within {a.max_multiplier:g}x the plan's levers reaches "
              f"P(met) >= {a.probability:g}; the best found reached {r['best_p_met']:.2f}"
              f"{extra}")
    else:
        c = r["chosen"]
        print(f"cheapest found: fiscal cost {c['cost_yi']:.0f} 亿元, P(met) {c['p_met']:.2f} "
              f"[{c['p_lo']:.2f}, {c['p_hi']:.2f}] on the search seeds")
        if r["validation"]:
            v = r["validation"]
            print(f"  on {v['replicates']} fresh seeds: P(met) {v['p_met']:.2f} "
                  f"[{v['p_lo']:.2f}, {v['p_hi']:.2f}], cost {v['cost_yi']:.0f} 亿元")
        for x in SEARCH_LEVERS:
            print(f"  {x:<32} x{c['multipliers'][x]:.2f} of the scenario's value")
    print(folder / "frontier.png")
    return EXIT_OK


def cmd_scenarios(a) -> int:
    """List shipped scenarios with their one-line descriptions."""
    from sim.config.scenario import ScenarioError, describe, shipped_scenarios
    for name, path in shipped_scenarios().items():
        try:
            d = describe(path)
        except ScenarioError as e:
            d = f"(invalid: {e})"
        print(f"{name:<22} {d}" + (f"\n{'':<22} {path}" if a.verbose else ""))
    return EXIT_OK


def _load(folder: str) -> dict:
    from sim.run.store import load_results
    try:
        res = load_results(folder)
    except FileNotFoundError as e:
        raise UsageError(str(e)) from None
    if res["summary"].empty:
        raise UsageError(f"{folder}: the batch has no consolidated results yet "
                         "(run it to completion, or --resume it)")
    return res


def cmd_show(a) -> int:
    """Print the probability table of a stored batch."""
    res = _load(a.folder)
    m = res["manifest"]
    print(f"scenario {m['name']}: {m.get('done')} replicates, root seed {m['root_seed']}, "
          f"status {m['status']}")
    print(format_summary(res["summary"], a.all))
    return EXIT_OK


def cmd_compare(a) -> int:
    """Print the difference in P(met) between two stored batches."""
    from sim.analysis.stats import compare
    ra, rb = _load(a.a), _load(a.b)
    table, paired = compare(ra, rb)
    if not a.all:
        table = table[table["group"].isin(HEADLINE_GROUPS)]
    how = ("paired by replicate (same root seed: common random numbers)" if paired
           else "unpaired (different root seeds): Newcombe interval")
    print(f"P(met) in {a.b} minus {a.a}; {how}")
    print(f"{'target':<34} {'P(A)':>6} {'P(B)':>6} {'B-A':>7}  {'95% CI':>17}")
    for _, r in table.iterrows():
        print(f"{r['target']:<34} {r['p_a']:>6.2f} {r['p_b']:>6.2f} {r['diff']:>+7.3f}  "
              f"[{r['lo']:+.3f}, {r['hi']:+.3f}]")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``clustersim``."""
    p = _parser()
    a = p.parse_args(argv)
    if a.version:
        from sim import __version__
        print(__version__)
        return EXIT_OK
    if a.command is None:
        a = p.parse_args(["run", *(argv or [])])
    from sim.cli.calibration import COMMANDS as CALIBRATION
    try:
        return {"run": cmd_run, "scenarios": cmd_scenarios, "compare": cmd_compare,
                "show": cmd_show, "sweep": cmd_sweep, "plot": cmd_plot,
                "report": cmd_report, "sensitivity": cmd_sensitivity,
                "discover": cmd_discover, "check-history": cmd_check_history,
                "optimize": cmd_optimize, **CALIBRATION}[a.command](a)
    except UsageError as e:
        print(f"clustersim: error: {e}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
