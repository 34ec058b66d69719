"""The ``clustersim`` command line: a thin layer over the library.

Each group of commands lives in its own module (``batch``, ``analyse``, ``present``) and
declares its subparsers there; the options every command shares (execution, scenario,
seed, output) are parent parsers in :mod:`sim.cli.common`.
"""

from __future__ import annotations

import argparse
import sys

from sim.cli import analyse, batch, present
from sim.cli.common import EXIT_OK, EXIT_USAGE, UsageError

GROUPS = (batch, analyse, present)


def parser() -> argparse.ArgumentParser:
    """The whole command line."""
    p = argparse.ArgumentParser(
        prog="clustersim",
        description="Monte Carlo of Shanxi's agricultural processing clusters under the "
                    "2021-2025 plan: the probability of meeting each 2025 target.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command")
    for group in GROUPS:
        group.add_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``clustersim``."""
    p = parser()
    argv = sys.argv[1:] if argv is None else argv
    a = p.parse_args(argv)
    if a.version:
        from sim import __version__
        print(__version__)
        return EXIT_OK
    if a.command is None:
        a = p.parse_args(["run", *argv])
    try:
        return a.func(a)
    except UsageError as e:
        print(f"clustersim: error: {e}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
