"""What every command shares: exit codes, the usage error, parent parsers, loaders."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sim.cli.errors import UsageError  # noqa: F401 - the commands import it from here
from sim.model.rng import DEFAULT_SEED

# README "Exit status" lists these; keep them in step.
EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_IO = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141


def cores() -> int:
    """CPU cores this process may use (its affinity, where the platform reports one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled exactly as Ctrl-C (the signal's name is the message)."""


def _parent() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(add_help=False,
                                   formatter_class=argparse.ArgumentDefaultsHelpFormatter)


def execution_parser(households_per_agent: int | None = None) -> argparse.ArgumentParser:
    """--workers, --backend, --scheduler, --households-per-agent, --quiet."""
    p = _parent()
    g = p.add_argument_group("execution")
    g.add_argument("--workers", "-w", type=int, default=cores(),
                   help=f"parallel workers; more than the cores here is allowed but slows "
                        f"the run, with a warning (default: all cores, {cores()})")
    g.add_argument("--backend", choices=("serial", "processes", "dask"), default=None,
                   help="where runs execute (default: processes, serial for one worker, "
                        "dask with --scheduler)")
    g.add_argument("--scheduler", default=None,
                   help="address of an existing Dask scheduler (implies --backend dask)")
    hpa_help = ("scale: rural households per simulated household (default: the "
                "scenario's, 250)" if households_per_agent is None else
                f"scale: rural households per simulated household (default: "
                f"{households_per_agent})")
    g.add_argument("--households-per-agent", type=int, default=households_per_agent,
                   help=hpa_help)
    g.add_argument("--quiet", "-q", action="store_true", help="no progress bar or table")
    return p


def scenario_parser() -> argparse.ArgumentParser:
    """SCENARIO and --set."""
    p = _parent()
    p.add_argument("scenario", nargs="?", default="plan",
                   help="scenario file or shipped name (default: plan)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario field, e.g. levers.capital_subsidy_rate=0.3 "
                        "(repeatable; default: none, the scenario as written)")
    p.add_argument("--data-until", type=int, default=None, metavar="YEAR",
                   help="take the exogenous series (national rural income, markets) from "
                        "the observed data up to YEAR (2021-2025, at most the file's last "
                        "year) and their sampled growth after it, and continue from the "
                        "observed state of each year up to YEAR (default: none, the sampled "
                        "growth from 2020; docs/inputs.md)")
    return p


def seed_value(text: str) -> int:
    """A root seed: a whole number >= 0 (what numpy's SeedSequence accepts)."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {v}")
    return v


def seed_parser() -> argparse.ArgumentParser:
    """--seed."""
    p = _parent()
    p.add_argument("--seed", type=seed_value, default=DEFAULT_SEED,
                   help=f"root seed; replicate seeds come from SeedSequence(root).spawn "
                        f"(default: {DEFAULT_SEED})")
    return p


def out_parser(default: str) -> argparse.ArgumentParser:
    """--out."""
    p = _parent()
    p.add_argument("--out", default=None, help=f"output folder (default: {default})")
    return p


def evaluator_from(a, households_per_agent: int | None = None):
    """The :class:`~sim.run.evaluators.Evaluator` the execution options ask for."""
    from sim.run.evaluators import Evaluator
    if a.workers < 1:
        raise UsageError(f"--workers: must be at least 1, got {a.workers}")
    backend = a.backend or ("dask" if a.scheduler else
                            ("processes" if a.workers > 1 else "serial"))
    if a.scheduler and backend != "dask":
        raise UsageError("--scheduler needs --backend dask")
    warn_oversubscribed(a.workers, backend, a.scheduler)
    hpa = households_per_agent if households_per_agent is not None else \
        a.households_per_agent
    return Evaluator(backend, a.workers, a.scheduler, hpa, progress=not a.quiet)


def warn_oversubscribed(workers: int, backend: str, scheduler: str | None) -> bool:
    """Warn once on stderr when local workers outnumber the cores; True if it warned.

    Accepted, not capped: the results do not depend on the worker count, and a user may
    know better (cores reported low in a container); but every worker holds a model, so
    more workers than cores only adds memory and switching. Workers on a remote Dask
    ``--scheduler`` are not counted against this machine's cores.
    """
    n = cores()
    if backend == "serial" or scheduler or workers <= n:
        return False
    print(f"clustersim: warning: --workers {workers} is more than the {n} cores here; "
          f"extra workers slow the run and use more memory (try --workers {n})",
          file=sys.stderr)
    return True


def check_scale(hpa: int) -> int:
    """A valid --households-per-agent value (0 is not 'default')."""
    if not 1 <= hpa <= 100_000:
        raise UsageError(f"--households-per-agent: must be in [1, 100000], got {hpa}")
    return hpa


def load_scenario(a) -> dict:
    """The scenario named on the command line, with its --set overrides."""
    from sim.config.errors import ScenarioError
    from sim.config.scenario import load, with_data_until
    try:
        scn = load(a.scenario, a.sets)
        if getattr(a, "view_default", False) and scn.get("data_until") is not None:
            return scn       # the scenario's own cut-off wins over the default
        return with_data_until(scn, getattr(a, "data_until", None))
    except ScenarioError as e:
        raise UsageError(str(e)) from None


def vintage_value(text: str) -> int:
    """A vintage year: a whole number (checked against the data by :func:`resolve_view`)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a year, got {text!r}") from None


def resolve_view(a) -> None:
    """Set ``a.data_until`` from ``--vintage`` or, by default, to the latest published year.

    The default answer conditions on every shipped observation (the ``--data-until``
    machinery up to the last year of the observed series); ``--vintage YEAR`` keeps only
    what was published before YEAR began (2021: nothing after 2020, the ex-ante view).
    Library runs are unchanged: the default lives here, in the command line only.
    """
    from sim.analysis.scorecard import latest_data_year
    vintage = getattr(a, "vintage", None)
    latest = latest_data_year()
    if vintage is not None:
        if a.data_until is not None:
            raise UsageError("--vintage and --data-until: give one (--vintage Y is "
                             "--data-until Y-1)")
        if not 2021 <= vintage <= latest + 1:
            raise UsageError(f"--vintage: a year in 2021-{latest + 1} (the plan's start to "
                             f"the year after the last published figure), got {vintage}")
        a.data_until = vintage - 1 if vintage > 2021 else None
    elif a.data_until is None:
        a.data_until, a.view_default = latest, True


def check_target(name: str, flag: str = "--target") -> None:
    """A known target name, or a usage error with a suggestion."""
    from sim.config.files import suggest
    from sim.model.outcomes import TARGET_BY_NAME
    if name not in TARGET_BY_NAME:
        raise UsageError(f"{flag}: unknown target {name!r}{suggest(name, TARGET_BY_NAME)}; "
                         "`clustersim show DIR --all` lists them")


def load_batch(folder: str) -> dict:
    """A finished batch (:func:`sim.run.store.load_batch`), or a usage error saying why not."""
    from sim.cli.folders import refuse_other_kind
    from sim.run.store import StoreError
    from sim.run.store import load_batch as load
    refuse_other_kind(folder)
    if Path(folder).exists() and not Path(folder).is_dir():
        raise UsageError(f"{folder}: not a results folder (it is a file)")
    try:
        return load(folder)
    except StoreError as e:
        raise UsageError(str(e)) from None


def results_folder(a, default: str) -> Path:
    """--out, or results/<default>: a usage error when it names a file."""
    folder = Path(a.out) if a.out else Path("results") / default
    for p in (folder, *folder.parents):
        if p.exists():
            if not p.is_dir():
                raise UsageError(f"--out {folder}: {p} is a file, not a folder")
            break
    return folder


def writable_error(folder: Path, e: OSError) -> UsageError:
    """The usage error for an --out folder that cannot be created or written."""
    why = e.strerror or str(e)
    return UsageError(f"--out {folder}: cannot write there ({why}); choose another --out")


def resume_command(a, folder: Path, command: str = "run") -> str:
    """The command line that resumes this one: its own arguments and --resume."""
    import shlex
    args = list(getattr(a, "argv", None) or [])
    if args[:1] == [command]:
        args = args[1:]
    args = [x for x in args if not (len(x) > 4 and "--resume".startswith(x))]
    if not any(x == "--out" or x.startswith("--out=") for x in args):
        args += ["--out", str(folder)]
    return shlex.join(["clustersim", command, *args, "--resume"])
