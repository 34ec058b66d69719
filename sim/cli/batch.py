"""Batch commands: run, sweep, show, compare, scenarios."""

from __future__ import annotations

import contextlib
import sys

from sim.cli.common import (
    EXIT_FAILURES,
    EXIT_INTERRUPTED,
    EXIT_IO,
    EXIT_OK,
    Interrupted,
    UsageError,
    check_scale,
    check_target,
    evaluator_from,
    execution_parser,
    load_batch,
    load_scenario,
    out_parser,
    resolve_view,
    results_folder,
    resume_command,
    scenario_parser,
    seed_parser,
    vintage_value,
    writable_error,
)

DEFAULT_MAX_REPLICATES = 20_000
REPLICATES_CEILING = 1_000_000  # as a scenario's settings.replicates: a batch lists every seed


def add_parsers(sub) -> None:
    """The batch commands' subparsers."""
    r = sub.add_parser("run", help="run a Monte Carlo batch of a scenario",
                       parents=[scenario_parser(), seed_parser(), execution_parser(),
                                out_parser("results/<scenario name>")])
    r.add_argument("--replicates", "-n", type=int, default=None,
                   help="number of replicates (default: the scenario's, 200)")
    r.add_argument("--resume", action="store_true",
                   help="continue (or extend) the batch already in the results folder")
    r.add_argument("--until-ci", type=float, default=None, metavar="HALF_WIDTH",
                   help="keep doubling replicates until every target's 95%% interval "
                        "half-width is at most this (e.g. 0.02)")
    r.add_argument("--max-replicates", type=int, default=None,
                   help=f"largest batch: caps --replicates and where --until-ci stops "
                        f"doubling; at most {REPLICATES_CEILING} (default: "
                        f"{DEFAULT_MAX_REPLICATES})")
    r.add_argument("--chunk-size", type=int, default=25,
                   help="replicates per results chunk: what an interruption can lose "
                        "(default: 25)")
    r.add_argument("--all", action="store_true", help="print every target, not the headline")
    r.add_argument("--lang", choices=("en", "zh"), default="en",
                   help="language of the printed table (default: en)")
    r.add_argument("--vintage", type=vintage_value, default=None, metavar="YEAR",
                   help="the view from the start of YEAR: only data published before it "
                        "(2021: the plan's start, nothing after 2020, the ex-ante answer); "
                        "default: every shipped observation (docs/data.md)")
    r.add_argument("--posterior", default=None, metavar="DIR",
                   help="draw the calibrated uncertainties from the posterior in DIR (from "
                        "clustersim calibrate); default: none, the scenario's ranges")
    r.set_defaults(func=cmd_run)
    w = sub.add_parser("sweep", help="run every point of an experiment (grid, LHS, points)",
                       parents=[execution_parser(), out_parser("results/<experiment name>")])
    w.add_argument("experiment", help="experiment file or shipped name (see experiments/)")
    w.add_argument("--replicates", "-n", type=int, default=None,
                   help="replicates per point (default: the experiment's)")
    w.add_argument("--resume", action="store_true", help="continue or extend the sweep")
    w.add_argument("--targets", nargs="+", default=None,
                   help="targets to print (default: those that vary most across points)")
    w.set_defaults(func=cmd_sweep)
    s = sub.add_parser("scenarios", help="list shipped scenarios")
    s.add_argument("--verbose", "-v", action="store_true", help="show each file's path")
    s.set_defaults(func=cmd_scenarios)
    c = sub.add_parser("compare", help="difference in P(met) between two batches")
    c.add_argument("a", help="results folder A (the baseline)")
    c.add_argument("b", help="results folder B")
    c.add_argument("--all", action="store_true", help="print every target")
    c.set_defaults(func=cmd_compare)
    sh = sub.add_parser("show", help="print the probability table of a results folder")
    sh.add_argument("folder")
    sh.add_argument("--all", action="store_true", help="print every target")
    sh.add_argument("--lang", choices=("en", "zh"), default="en",
                    help="language of the printed table (default: en)")
    sh.set_defaults(func=cmd_show)


def _check_run_options(a, n: int) -> None:
    """Check run's options; sets ``a.max_replicates`` to the cap in force."""
    # Name what the user typed: -n, or the scenario's settings.replicates when -n is absent.
    what = "--replicates" if a.replicates is not None else \
        f"settings.replicates (of scenario {a.scenario}; -n overrides it)"
    if n < 1:
        raise UsageError(f"{what}: must be at least 1, got {n}")
    given = a.max_replicates is not None
    if given and not 1 <= a.max_replicates <= REPLICATES_CEILING:
        raise UsageError(f"--max-replicates: must be in [1, {REPLICATES_CEILING}], got "
                         f"{a.max_replicates}")
    cap = a.max_replicates if given else DEFAULT_MAX_REPLICATES
    if n > REPLICATES_CEILING:
        raise UsageError(f"{what}: at most {REPLICATES_CEILING}, got {n}")
    if n > cap:
        raise UsageError(
            f"{what}: at most {cap} (--max-replicates), got {n}; raise --max-replicates "
            f"(up to {REPLICATES_CEILING}) to run more" if not given else
            f"{what}: {n} is above --max-replicates {cap}; raise --max-replicates or ask "
            "for fewer")
    a.max_replicates = cap
    if a.until_ci is not None and not 0 < a.until_ci < 0.5:
        raise UsageError(f"--until-ci: a half-width in (0, 0.5), got {a.until_ci}")
    if a.chunk_size < 1:
        raise UsageError(f"--chunk-size: must be at least 1, got {a.chunk_size}")


def cmd_run(a) -> int:
    """Run a Monte Carlo batch and print its probability table."""
    from sim.analysis import montecarlo
    from sim.analysis.scorecard import record_view, view_line, view_of
    from sim.run.batch import BatchError, nothing_to_do, prepare, settle_interrupted
    from sim.run.store import BatchLock, LockedError
    resolve_view(a)
    scn = load_scenario(a)
    view = view_of(scn)
    if not a.quiet:
        print(view_line(view))
    if a.posterior:
        from sim.run.posterior import PosteriorError, attach
        try:
            scn = attach(scn, a.posterior)
        except PosteriorError as e:
            raise UsageError(str(e)) from None
    n = a.replicates if a.replicates is not None else scn["settings"]["replicates"]
    _check_run_options(a, n)
    hpa = check_scale(a.households_per_agent if a.households_per_agent is not None
                      else scn["settings"]["households_per_agent"])
    evaluator = evaluator_from(a, hpa)
    folder = results_folder(a, scn["name"] + ("-posterior" if a.posterior else ""))

    def note(msg: str) -> None:
        print(f"clustersim: note: {msg}", file=sys.stderr)

    def said(widest: float, n_now: int, reached: bool) -> None:
        if not a.quiet:
            print(f"--until-ci: widest half-width {widest:.4f} at {n_now} replicates"
                  + ("" if reached else " (cap reached)"))

    lock = BatchLock(folder, note=note)
    try:
        lock.acquire()
    except LockedError as e:
        raise UsageError(str(e)) from None
    except OSError as e:
        raise writable_error(folder, e) from None
    try:
        try:
            manifest = prepare(folder, scn, a.scenario, n, a.seed, hpa,
                               a.resume or a.until_ci is not None)
        except BatchError as e:
            raise UsageError(str(e)) from None
        if a.sets and "overrides" not in manifest:
            manifest["overrides"] = list(a.sets)   # what show's header names later
        if a.until_ci is None and nothing_to_do(manifest, n, a.resume):
            record_view(folder, view)
            return _already_done(a, folder, manifest)
        if manifest["status"] in ("complete", "complete_with_failures"):
            stored = int(manifest.get("done", 0)) + int(manifest.get("failed", 0))
            if stored < int(manifest["replicates"]):
                note(f"{folder}: extending the batch from {stored} to "
                     f"{manifest['replicates']} replicates (same seeds)")
        with evaluator:
            tables = montecarlo.run(folder, manifest, evaluator, flush_every=a.chunk_size,
                                    until_ci=a.until_ci, max_replicates=a.max_replicates,
                                    on_stop=said, note=note)
    except KeyboardInterrupt as e:
        with contextlib.suppress(OSError, KeyboardInterrupt):
            settle_interrupted(folder)
        why = f" by {e}" if isinstance(e, Interrupted) else ""
        print(f"\ninterrupted{why}: finished replicates are saved in {folder}; "
              f"resume with: {resume_command(a, folder)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        raise  # the reader of our output left: main() handles it
    except OSError as e:
        print(f"clustersim: error: writing {folder}: {e}; finished replicates are saved "
              f"and the batch is marked interrupted; fix the cause (free space?), then "
              f"resume with: {resume_command(a, folder)}", file=sys.stderr)
        return EXIT_IO
    finally:
        lock.release()
    m = tables["manifest"] = record_view(folder, view)
    if not a.quiet:
        from sim.present.tables import format_header, format_summary
        print(format_header(m, a.lang, folder, a.sets))
        print(format_summary(tables["summary"], a.all, a.lang))
        _print_reported(tables)
    if m["failed"]:
        print(f"{m['failed']} replicate(s) failed; see {folder / 'failures.parquet'}",
              file=sys.stderr)
        return EXIT_FAILURES
    return EXIT_OK


def _print_reported(tables: dict) -> None:
    """The bridged targets' P(met) on the reported basis, model basis beside it."""
    from sim.analysis.scorecard import format_reported, manifest_view, reported_summary
    if len(tables["replicates"]):
        du = manifest_view(tables["manifest"])["data_until"]
        print(format_reported(reported_summary(tables["replicates"], tables["summary"], du)))


def _already_done(a, folder, manifest: dict) -> int:
    """A complete batch asked for again: say so and print what it holds."""
    from sim.present.tables import format_header, format_summary
    res = load_batch(str(folder))
    m = res["manifest"]
    why = "--resume: " if a.resume else ""
    print(f"{why}{folder} already holds this batch complete ({m.get('done')} replicates"
          f"{', ' + str(m.get('failed')) + ' failed' if m.get('failed') else ''}): "
          "nothing to do", file=sys.stderr)
    if not a.quiet:
        print(format_header(m, a.lang, folder, a.sets))
        print(format_summary(res["summary"], a.all, a.lang))
        _print_reported(res)
    if m.get("failed"):
        print(f"{m['failed']} replicate(s) failed; see {folder / 'failures.parquet'}; "
              f"retry them with: {resume_command(a, folder)}", file=sys.stderr)
        return EXIT_FAILURES
    return EXIT_OK


def cmd_sweep(a) -> int:
    """Run an experiment's points and print P(met) per point for the targets that move."""
    from sim.analysis.sweep import prepare_sweep, run_sweep, varying_targets
    from sim.config.errors import ScenarioError
    from sim.config.experiment import load_experiment
    from sim.present.tables import format_sweep
    from sim.run.batch import BatchError
    from sim.run.store import read_manifest
    try:
        exp = load_experiment(a.experiment)
    except ScenarioError as e:
        raise UsageError(str(e)) from None
    n = a.replicates if a.replicates is not None else exp["replicates"]
    if not 1 <= n <= REPLICATES_CEILING:
        raise UsageError(f"--replicates: must be in [1, {REPLICATES_CEILING}], got {n}")
    for t in a.targets or []:
        check_target(t, "--targets")
    hpa = check_scale(a.households_per_agent or exp["households_per_agent"] or
                      exp["points"][0]["scenario"]["settings"]["households_per_agent"])
    evaluator = evaluator_from(a, hpa)
    folder = results_folder(a, exp["name"])
    try:
        manifest = prepare_sweep(folder, exp, n, hpa, a.resume)
    except BatchError as e:
        raise UsageError(str(e)) from None
    try:
        with evaluator:
            summary = run_sweep(folder, exp, manifest, evaluator)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished replicates are saved in {folder}; resume with: "
              f"clustersim sweep {a.experiment} --out {folder} --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not a.quiet:
        print(format_sweep(exp, manifest, summary, a.targets or varying_targets(summary),
                           folder))
    failed = sum(int((read_manifest(folder / "points" / p["id"]) or {}).get("failed", 0))
                 for p in exp["points"])
    if failed:
        print(f"{failed} replicate(s) failed; see the points' failures.parquet",
              file=sys.stderr)
    return EXIT_FAILURES if failed else EXIT_OK


def cmd_scenarios(a) -> int:
    """List shipped scenarios with their one-line descriptions."""
    from sim.config.errors import ScenarioError
    from sim.config.scenario import describe, shipped_scenarios
    for name, path in shipped_scenarios().items():
        try:
            d = describe(path)
        except ScenarioError as e:
            d = f"(invalid: {e})"
        print(f"{name:<22} {d}" + (f"\n{'':<22} {path}" if a.verbose else ""))
    return EXIT_OK


def cmd_show(a) -> int:
    """Print the probability table of a stored batch (or a sweep's, or sensitivity's)."""
    from sim.cli.folders import show_other
    from sim.present.tables import format_header, format_summary
    if show_other(a.folder, a.all):
        return EXIT_OK
    res = load_batch(a.folder)
    m = res["manifest"]
    print(format_header(m, a.lang, status=True))
    print(format_summary(res["summary"], a.all, a.lang))
    return EXIT_OK


def _setting(manifest: dict, key: str):
    """A batch's scale or data cut-off, as its manifest records it."""
    if key == "data_until":
        return (manifest.get("scenario") or {}).get("data_until")
    return manifest.get(key)


def cmd_compare(a) -> int:
    """Print the difference in P(met) between two stored batches."""
    from sim.analysis.stats import compare
    from sim.present.tables import format_compare
    ra, rb = load_batch(a.a), load_batch(a.b)
    table, paired = compare(ra, rb)
    if not paired:
        sa, sb = ra["manifest"]["root_seed"], rb["manifest"]["root_seed"]
        print(f"clustersim: warning: the batches' root seeds differ ({a.a}: {sa}, {a.b}: "
              f"{sb}), so their replicates do not share uncertainty draws: the difference "
              "is unpaired and its interval wider; run both with the same --seed for a "
              "paired comparison", file=sys.stderr)
    for what, key in (("scales (households per simulated household)", "households_per_agent"),
                      ("views (published data through)", "data_until")):
        va, vb = (_setting(r["manifest"], key) for r in (ra, rb))
        if va != vb:
            print(f"clustersim: warning: the batches' {what} differ ({a.a}: {va}, {a.b}: "
                  f"{vb}), so the difference mixes that in with the scenarios'; run both "
                  "the same way to compare scenarios alone", file=sys.stderr)
    print(format_compare(table, a.a, a.b, paired, a.all))
    return EXIT_OK
