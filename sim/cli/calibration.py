"""``clustersim calibrate`` and ``clustersim backtest``: subparsers and commands.

Kept apart from ``sim.cli.main`` (which registers them) so the two analyses add few lines
there; the style is the same: a subparser, a ``cmd_`` function, bad input as
:class:`~sim.cli.main.UsageError` (exit status 2, one line naming file, line and column).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sim.analysis.abc import DEFAULTS, SAMPLERS
from sim.analysis.backtest import DEFAULT_ORIGINS
from sim.cli.common import EXIT_INTERRUPTED, EXIT_OK, UsageError, evaluator_from

HELP_FMT = argparse.HelpFormatter  # defaults are written into each help (_show_defaults)


class _AppendYears(argparse.Action):
    """Like ``append``, but the first use replaces the default list instead of extending it."""

    def __call__(self, parser, namespace, values, option_string=None):
        cur = getattr(namespace, self.dest)
        setattr(namespace, self.dest, [*(cur if cur is not self.default else []), values])


def _common(p: argparse.ArgumentParser) -> None:
    """Options shared by calibrate and backtest (the calibration's settings)."""
    p.add_argument("scenario", nargs="?", default="plan",
                   help="scenario file or shipped name whose uncertainties are calibrated")
    p.add_argument("--observed", default=None,
                   help="observed-data CSV: metric,year,value[,unit,source,quality,note] "
                        "(default: the shipped data/observed/shanxi.csv, see docs/data.md)")
    p.add_argument("--params", nargs="+", default=None, metavar="NAME",
                   help="calibrate only these factors (an uncertainty name means all its "
                        "per-cluster elements) (default: %(default)s, i.e. the prior screen "
                        "picks them)")
    p.add_argument("--max-params", type=int, default=DEFAULTS["max_params"],
                   help="most factors the prior screen picks")
    p.add_argument("--screen", type=int, default=DEFAULTS["screen"],
                   help="prior runs that set each statistic's distance scale and (without "
                        "--params) pick the factors")
    p.add_argument("--min-rho", type=float, default=DEFAULTS["min_rho"],
                   help="smallest |Spearman rho| with an observed statistic a picked factor "
                        "needs")
    p.add_argument("--population", type=int, default=DEFAULTS["population"],
                   help="ABC-SMC particles per generation")
    p.add_argument("--generations", type=int, default=DEFAULTS["generations"],
                   help="most ABC-SMC generations")
    p.add_argument("--max-simulations", type=int, default=DEFAULTS["max_simulations"],
                   help="stop after the generation that reaches this many simulations")
    p.add_argument("--min-acceptance", type=float, default=DEFAULTS["min_acceptance"],
                   help="stop when a generation's acceptance rate falls below this")
    p.add_argument("--seed", type=int, default=DEFAULTS["seed"],
                   help="root seed (the same seed gives the same posterior on any backend)")
    p.add_argument("--households-per-agent", type=int,
                   default=DEFAULTS["households_per_agent"],
                   help="scale: rural households per simulated household")
    p.add_argument("--workers", "-w", type=int, default=os.cpu_count() or 1,
                   help="parallel workers")
    p.add_argument("--backend", choices=("serial", "processes", "dask"), default=None,
                   help="where simulations run (default: %(default)s, i.e. processes when "
                        "--workers > 1, else serial)")
    p.add_argument("--scheduler", default=None,
                   help="address of an existing Dask scheduler (implies --backend dask)")
    p.add_argument("--sampler", choices=SAMPLERS, default="ordered",
                   help="ordered: reproducible on every backend; pyabc: pyabc's own "
                        "samplers (reproducible serially only)")
    p.add_argument("--chunk", type=int, default=DEFAULTS["chunk"],
                   help="proposals per worker call")
    p.add_argument("--resume", action="store_true", default=False,
                   help="continue the calibration(s) stored in --out")
    p.add_argument("--quiet", "-q", action="store_true", default=False,
                   help="no progress lines")


def _show_defaults(p: argparse.ArgumentParser) -> None:
    """Write each option's default into its help, as every other command does."""
    for a in p._actions:
        if a.default == argparse.SUPPRESS or a.dest == "help":
            continue
        if "default" in (a.help or ""):
            continue
        if a.default is None:
            shown = "none"
        elif a.default is False:
            shown = "off"
        elif isinstance(a.default, float):
            shown = f"{a.default:g}"
        elif isinstance(a.default, list | tuple):
            shown = str(list(a.default))
        else:
            shown = str(a.default)
        a.help = f"{a.help or ''} (default: {shown})".strip()


def add_parsers(sub) -> None:
    """Register ``calibrate`` and ``backtest`` on the ``clustersim`` subparsers."""
    c = sub.add_parser("calibrate", formatter_class=HELP_FMT,
                       help="ABC-SMC calibration of the uncertainties to observed data")
    _common(c)
    c.set_defaults(func=cmd_calibrate)
    c.add_argument("--until", type=int, default=None,
                   help="use observations up to this year (default: %(default)s, i.e. the "
                        "file's last year)")
    c.add_argument("--data-until", type=int, default=None, metavar="YEAR",
                   help="take the exogenous series (national rural income, markets) from "
                        "--observed up to YEAR (2021-2025, at most --until) and their sampled "
                        "growth after it, and re-anchor the simulations on the observed state "
                        "of each year up to YEAR (default: %(default)s, the sampled growth "
                        "from 2020; a backtest sets it to each origin itself)")
    c.add_argument("--out", default=None,
                   help="output folder (default: %(default)s, i.e. "
                        "results/calibration-<scenario>)")
    c.add_argument("--predictive", type=int, default=DEFAULTS["predictive"],
                   help="replicates each of the prior and posterior predictive check (0: "
                        "none)")
    b = sub.add_parser("backtest", formatter_class=HELP_FMT,
                       help="calibrate up to an origin year, forecast, score against naive "
                            "forecasts")
    _common(b)
    b.set_defaults(func=cmd_backtest)
    _show_defaults(c)
    b.add_argument("--origin", type=int, action=_AppendYears, default=list(DEFAULT_ORIGINS),
                   help="origin year (repeatable)")
    b.add_argument("--replicates", "-n", type=int, default=200,
                   help="model replicates per forecast")
    b.add_argument("--out", default="results/backtest", help="output folder")
    b.add_argument("--no-assimilate", dest="assimilate", action="store_false",
                   help="forecast from the model's own origin year, not from the observed "
                        "state of the origin year (data assimilation, docs/ODD.md §3.5): "
                        "shows what the mechanisms alone carry forward")
    _show_defaults(b)


def _observed(path: str | None):
    from sim.analysis.observed import DEFAULT_OBSERVED, read_observed
    from sim.config.scenario import ScenarioError
    p = Path(path) if path else DEFAULT_OBSERVED
    try:
        return read_observed(p), str(p)
    except ScenarioError as e:
        raise UsageError(str(e)) from None


def _setup(a):
    from sim.analysis.abc import CalibrationError, choose_factors
    from sim.config.scenario import ScenarioError, load
    try:
        scn = load(a.scenario)
    except ScenarioError as e:
        raise UsageError(str(e)) from None
    obs, src = _observed(a.observed)
    for name, v, lo in (("--max-params", a.max_params, 1), ("--screen", a.screen, 10),
                        ("--chunk", a.chunk, 1)):
        if v < lo:
            raise UsageError(f"{name}: must be at least {lo}, got {v}")
    if not 0 <= a.min_rho < 1:
        raise UsageError(f"--min-rho: must be in [0, 1), got {a.min_rho}")
    if a.params:
        try:
            choose_factors(scn, a.params)
        except CalibrationError as e:
            raise UsageError(str(e)) from None
    return scn, obs, src, evaluator_from(a).backend


def _calibration_kwargs(a) -> dict:
    return {"params": a.params, "max_params": a.max_params, "screen_n": a.screen,
            "min_rho": a.min_rho, "population": a.population, "generations": a.generations,
            "max_simulations": a.max_simulations, "min_acceptance": a.min_acceptance,
            "sampler": a.sampler, "chunk": a.chunk}


def cmd_calibrate(a) -> int:
    """Calibrate the scenario's uncertainties and print the posterior."""
    from sim.analysis.abc import CalibrationError, calibrate
    from sim.config.scenario import ScenarioError, with_data_until
    scn, obs, src, backend = _setup(a)
    until = a.until if a.until is not None else int(obs["year"].max())
    if a.data_until is not None:
        if a.data_until > until:
            raise UsageError(f"--data-until: {a.data_until} is after the calibration's last "
                             f"year {until} (--until, or the last year of {src}): the model "
                             "would use later data")
        try:
            scn = with_data_until(scn, a.data_until, file=src,
                                  rows=obs[obs["year"] <= a.data_until])
        except ScenarioError as e:
            raise UsageError(str(e)) from None
    folder = Path(a.out) if a.out else Path("results") / f"calibration-{scn['name']}"
    if a.predictive < 0:
        raise UsageError(f"--predictive: must be at least 0, got {a.predictive}")
    try:
        res = calibrate(scn, obs, until, folder, seed=a.seed,
                        households_per_agent=a.households_per_agent, backend=backend,
                        workers=a.workers, scheduler=a.scheduler, predictive=a.predictive,
                        resume=a.resume, progress=not a.quiet, source=src,
                        **_calibration_kwargs(a))
    except CalibrationError as e:
        raise UsageError(str(e)) from None
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished generations are stored in {folder / 'abc.db'}; "
              f"resume with the same command and --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    from sim.present.calibration_plots import draw
    draw(folder, res, obs, a.predictive)
    m = res["manifest"]
    sims = m["simulations"]
    print(f"calibration of {scn['name']}: {len(m['factors'])} factors, "
          f"{len(m['rows_used'])} observations up to {until} from {src}; "
          f"{m['generations_done']} generations, {sims['abc']} ABC + {sims['screen']} screen "
          f"simulations, {m['seconds']:.0f} s -> {folder}")
    print(f"stopped: {m['stopped']}; final epsilon {m['final_epsilon']:.4g} "
          "(weighted RMS relative error)")
    print(f"{'factor':<40} {'prior':>19}  {'posterior median [5%, 95%]':>34}  width")
    for r in res["summary"].itertuples():
        print(f"{r.factor:<40} [{r.prior_low:>7.4g}, {r.prior_high:>7.4g}]  "
              f"{r.median:>10.4g} [{r.q05:>9.4g}, {r.q95:>9.4g}]  {r.width_share:>5.2f}")
    print(f"{'generation':>10} {'epsilon':>10} {'simulations':>11} {'acceptance':>10} "
          f"{'ESS':>7}")
    for r in res["generations"].itertuples():
        label = "prior" if r.t < 0 else str(r.t)
        eps = "-" if r.t < 0 else f"{r.epsilon:.4g}"
        ess = "-" if r.t < 0 else f"{r.ess:.1f}"
        print(f"{label:>10} {eps:>10} {r.simulations:>11} {r.acceptance_rate:>10.3f} "
              f"{ess:>7}")
    print(folder / "posterior.png")
    return EXIT_OK


def cmd_backtest(a) -> int:
    """Backtest from each origin and print the comparison with the naive forecasts."""
    from sim.analysis.abc import CalibrationError
    from sim.analysis.backtest import backtest, format_summary
    from sim.present.analysis_figures import plot_backtest
    scn, obs, src, backend = _setup(a)
    origins = a.origin
    folder = Path(a.out)
    try:
        res = backtest(scn, obs, origins, folder, replicates=a.replicates, seed=a.seed,
                       households_per_agent=a.households_per_agent, backend=backend,
                       workers=a.workers, scheduler=a.scheduler,
                       calibration=_calibration_kwargs(a), progress=not a.quiet,
                       resume=a.resume, source=src, assimilate=a.assimilate,
                       plot=plot_backtest)
    except CalibrationError as e:
        raise UsageError(str(e)) from None
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished calibrations are in {folder}; resume with the same "
              "command and --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    from sim.present.calibration_plots import draw_stored
    for cal in sorted(folder.glob("origin-*/posterior.parquet")):
        draw_stored(cal.parent)
    print(f"backtest of {scn['name']} on {src}: {res['manifest']['scored_rows']} held-out "
          f"observations scored -> {folder}")
    print(format_summary(res["summary"]))
    print(folder / "backtest.parquet")
    return EXIT_OK

