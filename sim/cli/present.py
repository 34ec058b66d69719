"""Presentation commands: plot, report, export."""

from __future__ import annotations

from pathlib import Path

from sim.cli.common import EXIT_OK, UsageError


def add_parsers(sub) -> None:
    """The presentation commands' subparsers."""
    pl = sub.add_parser("plot", help="draw figures from a results or sweep folder")
    pl.add_argument("folder")
    pl.add_argument("--kind", action="append", default=None,
                    choices=("targets", "distributions", "fan", "sweep", "compare"),
                    help="figure kind (repeatable; default: all that fit the folder)")
    pl.add_argument("--against", default=None, metavar="DIR",
                    help="for --kind compare: the baseline batch A; FOLDER is B, and the "
                         "figure shows B - A as `clustersim compare DIR FOLDER` prints it")
    pl.add_argument("--lang", choices=("en", "zh"), default="en",
                    help="label language (default: en)")
    pl.add_argument("--format", choices=("png", "svg", "pdf"), default="png",
                    help="file format (default: png)")
    pl.add_argument("--out", default=None, help="folder for figures (default: DIR/figures)")
    pl.set_defaults(func=cmd_plot)
    rp = sub.add_parser("report", help="one self-contained HTML report of a batch")
    rp.add_argument("folder")
    rp.add_argument("--lang", choices=("en", "zh"), default="en",
                    help="report language (default: en)")
    rp.add_argument("--out", default=None, help="HTML file (default: DIR/report.html)")
    rp.add_argument("--against", default=None, metavar="DIR2",
                    help="another batch whose P(met) is shown beside this one's, e.g. the "
                         "prior run beside a `run --posterior` run (default: none)")
    rp.set_defaults(func=cmd_report)
    ex = sub.add_parser("export", help="one Excel workbook of a batch (targets, yearly "
                        "quantiles, levers, manifest)")
    ex.add_argument("folder")
    ex.add_argument("--lang", choices=("en", "zh"), default="en",
                    help="language of headers and labels (default: en)")
    ex.add_argument("--out", default=None, help="workbook (default: DIR/results.xlsx)")
    ex.set_defaults(func=cmd_export)


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
    try:
        path = write_report(Path(a.folder), a.out, a.lang, a.against)
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from None
    print(path)
    return EXIT_OK


def cmd_export(a) -> int:
    """Write an Excel workbook of a batch."""
    from sim.present.export import export_workbook
    try:
        path = export_workbook(a.folder, a.out, a.lang)
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from None
    print(path)
    return EXIT_OK
