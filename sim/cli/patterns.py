"""``clustersim patterns``: the model's agent-level state against published patterns.

Runs a few replicates at a coarse scale (or reads the model values a previous run saved)
and prints one line per pattern of ``data/patterns/patterns.csv``: the published value,
the model's 5-95% band in that year, and the verdict (docs/patterns.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.cli.common import (
    EXIT_OK,
    UsageError,
    check_scale,
    load_scenario,
    scenario_parser,
    seed_parser,
)

DEFAULT_REPLICATES = 5
DEFAULT_HPA = 1000


def add_parsers(sub) -> None:
    """The ``patterns`` subparser."""
    p = sub.add_parser("patterns", parents=[scenario_parser(), seed_parser()],
                       help="hold the model's agent-level state (land rentals, leading "
                            "firms, cooperatives) against published patterns")
    p.add_argument("--patterns", default=None, metavar="CSV",
                   help="patterns file (default: the shipped data/patterns/patterns.csv)")
    p.add_argument("--replicates", "-n", type=int, default=DEFAULT_REPLICATES,
                   help=f"replicates to run (default: {DEFAULT_REPLICATES})")
    p.add_argument("--households-per-agent", type=int, default=DEFAULT_HPA,
                   help=f"scale: rural households per simulated household "
                        f"(default: {DEFAULT_HPA})")
    p.add_argument("--values", default=None, metavar="CSV",
                   help="read the model values a previous run saved (its model_values.csv) "
                        "instead of running (default: run)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="save patterns.csv (the table) and model_values.csv there "
                        "(default: print only)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress")
    p.set_defaults(func=cmd_patterns)


def cmd_patterns(a) -> int:
    """Run (or read) the model values, compare them with the patterns, print and save."""
    import pandas as pd

    from sim.analysis import patterns as pt
    try:
        pats = pt.load_patterns(a.patterns or pt.DEFAULT_PATTERNS)
    except pt.PatternsError as e:
        raise UsageError(str(e)) from None
    folder = _out_folder(a.out) if a.out else None   # refused before the run, not after
    if a.values:
        try:
            values = pd.read_csv(a.values)
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as e:
            raise UsageError(f"--values {a.values}: cannot read ({e})") from None
        need = {"seed", "year", "quantity", "value"}
        if not need <= set(values.columns):
            raise UsageError(f"--values {a.values}: needs columns {', '.join(sorted(need))}")
        try:
            values["value"] = pd.to_numeric(values["value"], errors="raise")
        except (ValueError, TypeError) as e:
            raise UsageError(f"--values {a.values}: column value: not a number ({e})") from None
    else:
        if a.replicates < 1:
            raise UsageError(f"--replicates: must be at least 1, got {a.replicates}")
        hpa = check_scale(a.households_per_agent)
        scenario = load_scenario(a)

        def progress(i, n):
            if not a.quiet:
                print(f"\rreplicate {i}/{n}", end="" if i < n else "\n", file=sys.stderr)
        values = pt.run_values(scenario, a.replicates, a.seed, hpa,
                               sorted(set(pats["quantity"])), progress)
    try:
        table = pt.compare(pats, values)
    except pt.PatternsError as e:
        raise UsageError(str(e)) from None
    print(pt.table_text(table))
    n_out = int((table["verdict"] == "outside").sum())
    print(f"\n{len(table) - n_out} of {len(table)} patterns inside the model's 5-95% band "
          f"({int(table['replicates'].min())} replicates); docs/patterns.md explains the others")
    if folder is not None:
        from sim.cli.folders import output_error
        from sim.run.store import atomic_write_bytes
        try:
            for name, df in (("patterns.csv", table), ("model_values.csv", values)):
                atomic_write_bytes(folder / name, df.to_csv(index=False).encode("utf-8"))
        except OSError as e:
            raise output_error(folder, e, "the patterns table") from None
        print(f"saved {folder / 'patterns.csv'} and {folder / 'model_values.csv'}")
    return EXIT_OK


def _out_folder(out: str) -> Path:
    """The --out folder, created now: a file or an unwritable place is refused (exit 2)."""
    from sim.cli.folders import output_error
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {folder}: is a file; give a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise output_error(folder, e, "the patterns table") from None
    return folder
