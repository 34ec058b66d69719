"""Listing commands: experiments (``clustersim scenarios`` lists scenarios)."""

from __future__ import annotations

from sim.cli.common import EXIT_OK


def add_parsers(sub) -> None:
    """The listing commands' subparsers."""
    e = sub.add_parser("experiments", help="list shipped experiments (sweep designs)")
    e.add_argument("--verbose", "-v", action="store_true", help="show each file's path")
    e.set_defaults(func=cmd_experiments)


def cmd_experiments(a) -> int:
    """List shipped experiments with their description, design and size."""
    from sim.config.errors import ScenarioError
    from sim.config.experiment import describe_experiment, shipped_experiments
    for name, path in shipped_experiments().items():
        try:
            d = describe_experiment(path)
        except ScenarioError as e:
            d = f"(invalid: {e})"
        print(f"{name:<22} {d}" + (f"\n{'':<22} {path}" if a.verbose else ""))
    print("\nrun one with: clustersim sweep NAME (a file path works too)")
    return EXIT_OK
