"""Presentation commands: plot, report, export."""

from __future__ import annotations

from pathlib import Path

from sim.cli.common import EXIT_OK, UsageError
from sim.cli.folders import output_error, refuse_other_kind


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
    rp.add_argument("--scorecard", default=None, metavar="DIR3",
                    help="a `clustersim scorecard` folder for the scorecard section "
                         "(default: the folder 'scorecard' beside DIR, e.g. "
                         "results/scorecard, when it holds one)")
    rp.set_defaults(func=cmd_report)
    ex = sub.add_parser("export", help="one Excel workbook of a batch (targets, yearly "
                        "quantiles, levers, manifest), or one CSV per table")
    ex.add_argument("folder")
    ex.add_argument("--format", choices=("xlsx", "csv"), default="xlsx",
                    help="xlsx: one workbook; csv: one CSV file per table (summary, "
                         "replicates, trajectories, yearly quantiles) (default: xlsx)")
    ex.add_argument("--lang", choices=("en", "zh"), default="en",
                    help="language of the workbook's headers and labels; CSV tables carry "
                         "both (default: en)")
    ex.add_argument("--out", default=None, help="workbook (default: DIR/results.xlsx), or "
                    "with --format csv a folder (default: DIR/csv)")
    ex.set_defaults(func=cmd_export)


def cmd_plot(a) -> int:
    """Draw figures from stored results."""
    from sim.present.plots import make_plots
    folder = Path(a.folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such results folder")
    refuse_other_kind(folder, ("batch", "sweep"))
    if a.against:
        refuse_other_kind(a.against)
    try:
        files = make_plots(folder, a.kind, a.lang, a.format, a.out, a.against)
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from None
    except OSError as e:
        raise output_error(Path(a.out) if a.out else folder / "figures", e,
                           "the figures") from None
    for f in files:
        print(f)
    return EXIT_OK


def cmd_report(a) -> int:
    """Write a self-contained HTML report of a batch."""
    from sim.present.report import write_report
    refuse_other_kind(a.folder)
    if a.against:
        refuse_other_kind(a.against)
    if a.scorecard and not (Path(a.scorecard) / "scorecard.csv").exists():
        raise UsageError(f"--scorecard {a.scorecard}: no scorecard.csv there; "
                         "`clustersim scorecard --out DIR3` writes one")
    try:
        path = write_report(Path(a.folder), a.out, a.lang, a.against, a.scorecard)
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from None
    except OSError as e:
        out = Path(a.out) if a.out else Path(a.folder) / "report.html"
        raise output_error(out.parent, e, "the report") from None
    print(path)
    return EXIT_OK


def cmd_export(a) -> int:
    """Write an Excel workbook of a batch."""
    from sim.present.export import export_workbook
    refuse_other_kind(a.folder)
    if a.format == "csv":
        return _export_csv(a)
    try:
        path = export_workbook(a.folder, a.out, a.lang)
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from None
    except OSError as e:
        out = Path(a.out) if a.out else Path(a.folder) / "results.xlsx"
        raise output_error(out.parent, e, "the workbook") from None
    print(path)
    return EXIT_OK


def _export_csv(a) -> int:
    from sim.cli.common import load_batch
    from sim.cli.csv_export import export_csv
    res = load_batch(a.folder)
    out = Path(a.out) if a.out else Path(a.folder) / "csv"
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file; with --format csv give a folder")
    try:
        files = export_csv(res, out)
    except OSError as e:
        raise output_error(out, e, "the CSV files") from None
    for f in files:
        print(f)
    return EXIT_OK
