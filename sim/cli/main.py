"""The ``clustersim`` command line: a thin layer over the library.

Each group of commands lives in its own module (``batch``, ``analyse``, ``present``) and
declares its subparsers there; the options every command shares (execution, scenario,
seed, output) are parent parsers in :mod:`sim.cli.common`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys

from sim.cli import (
    analyse,
    batch,
    calibration,
    dashboard,
    experiments,
    patterns,
    present,
    scorecard,
)
from sim.cli.common import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_IO,
    EXIT_OK,
    EXIT_USAGE,
    Interrupted,
    UsageError,
)

GROUPS = (batch, experiments, analyse, calibration, present, patterns, scorecard, dashboard)


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


def _on_terminate(signum, frame) -> None:
    """SIGTERM and SIGHUP end a command the way Ctrl-C does (saved, resumable, exit 130)."""
    raise Interrupted(signal.Signals(signum).name)


@contextlib.contextmanager
def _terminate_like_ctrl_c():
    """Route SIGTERM and SIGHUP to :class:`Interrupted` while a command runs."""
    sigs = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    try:
        old = {s: signal.signal(s, _on_terminate) for s in sigs}
    except ValueError:  # not the main thread (main() called from a library): leave them
        old = {}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _stdout_gone() -> int:
    """The reader of our output went away (``clustersim show DIR | head``): stop quietly.

    Standard output is pointed at /dev/null so the interpreter's final flush does not
    raise again; the status is the shell's for a command ended by SIGPIPE.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``clustersim``.

    Exit status: 0 done, 1 some replicates failed, 2 bad input, 3 results could not be
    written or read (disk full, an unreadable chunk, another I/O error), 130 interrupted
    (Ctrl-C, SIGTERM, SIGHUP), 141 output pipe closed by its reader.
    """
    p = parser()
    argv = sys.argv[1:] if argv is None else argv
    with _terminate_like_ctrl_c():
        try:
            a = p.parse_args(argv)
            if a.version:
                from sim.config.version import __version__
                print(__version__)
                return EXIT_OK
            if a.command is None:
                a = p.parse_args(["run", *argv])
            a.argv = list(argv)
            code = a.func(a)
            sys.stdout.flush()
            return code
        except UsageError as e:
            print(f"clustersim: error: {e}", file=sys.stderr)
            return EXIT_USAGE
        except BrokenPipeError:
            return _stdout_gone()
        except KeyboardInterrupt:
            print("\nclustersim: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except OSError as e:  # the environment, not the input: full disk, I/O error
            print(f"clustersim: error: {e}", file=sys.stderr)
            return EXIT_IO
        except ValueError as e:  # an unreadable results file (names it), not the input
            from sim.run.store import StoreError
            if not isinstance(e, StoreError):
                raise
            print(f"clustersim: error: {e}", file=sys.stderr)
            return EXIT_IO
        except RuntimeError as e:  # another run holds a results folder (sweeps, points)
            from sim.run.store import LockedError
            if not isinstance(e, LockedError):
                raise
            print(f"clustersim: error: {e}", file=sys.stderr)
            return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
