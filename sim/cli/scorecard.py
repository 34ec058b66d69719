"""clustersim scorecard: the plan's targets against what has been published."""

from __future__ import annotations

import sys
from pathlib import Path

from sim.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    check_scale,
    evaluator_from,
    execution_parser,
    out_parser,
    results_folder,
    seed_parser,
)

DEFAULT_REPLICATES = 8
DEFAULT_HPA = 2000        # coarse: a scorecard runs one batch per vintage


def add_parsers(sub) -> None:
    """The scorecard subparser."""
    s = sub.add_parser(
        "scorecard", help="per target: the reported 2025 outcome, P(met) from each vintage, "
                          "Brier score and skill, reliability plot",
        parents=[seed_parser(), execution_parser(DEFAULT_HPA), out_parser("results/scorecard")])
    s.add_argument("scenario", nargs="?", default="plan",
                   help="scenario file or shipped name (default: plan)")
    s.add_argument("--replicates", "-n", type=int, default=DEFAULT_REPLICATES,
                   help=f"replicates per vintage (default: {DEFAULT_REPLICATES}; more for "
                        "tighter P(met))")
    s.add_argument("--vintages", type=int, nargs="+", default=None, metavar="YEAR",
                   help="vintages to run (default: 2021, the plan's start, to the year after "
                        "the last published figure)")
    s.add_argument("--observed", default=None, metavar="DIR",
                   help="folder of observed-data CSVs (default: data/observed)")
    s.set_defaults(func=cmd_scorecard)


def _vintage_batch(a, vintage: int, folder: Path, evaluator, shanxi_csv: Path):
    """Run (or reuse) the batch of one vintage; returns its tables."""
    from sim.analysis import montecarlo
    from sim.config.errors import ScenarioError
    from sim.config.scenario import load, with_data_until
    from sim.run.batch import BatchError, nothing_to_do, prepare
    from sim.run.store import load_results
    try:
        scn = with_data_until(load(a.scenario), vintage - 1 if vintage > 2021 else None,
                              source="--vintages", file=shanxi_csv)
    except ScenarioError as e:
        raise UsageError(str(e)) from None
    try:
        manifest = prepare(folder, scn, a.scenario, a.replicates, a.seed,
                           a.households_per_agent, True)
    except BatchError as e:
        raise UsageError(str(e)) from None
    if nothing_to_do(manifest, a.replicates, True):
        return load_results(folder)
    return montecarlo.run(folder, manifest, evaluator)


def cmd_scorecard(a) -> int:
    """Run one small batch per vintage and score P(met) against the published outcomes."""
    from sim.analysis.scorecard import (
        OBSERVED_DIR,
        format_scorecard,
        latest_data_year,
        observed_rows,
        record_view,
        reported_summary,
        scorecard,
        view_of,
    )
    from sim.config.errors import ScenarioError
    from sim.present.scorecard_plots import reliability_plot
    if a.replicates < 1:
        raise UsageError(f"--replicates: must be at least 1, got {a.replicates}")
    check_scale(a.households_per_agent)
    obs = Path(a.observed) if a.observed else None
    try:
        values, rows = observed_rows(obs)
        shanxi = (obs or OBSERVED_DIR) / "shanxi.csv"   # the shipped data, from any folder
        latest = latest_data_year(shanxi if shanxi.exists() else None)
    except (FileNotFoundError, ValueError, ScenarioError) as e:
        raise UsageError(f"--observed: {e}") from None
    vintages = a.vintages or list(range(2021, latest + 2))
    for v in vintages:
        if not 2021 <= v <= min(latest + 1, 2026):
            raise UsageError(f"--vintages: each in 2021-{min(latest + 1, 2026)}, got {v}")
    out = results_folder(a, "scorecard")
    evaluator = evaluator_from(a)
    p_by = {}
    try:
        with evaluator:
            for v in vintages:
                folder = out / f"vintage-{v}"
                if not a.quiet:
                    print(f"vintage {v}: {a.replicates} replicates -> {folder}",
                          file=sys.stderr)
                tables = _vintage_batch(a, v, folder, evaluator, shanxi)
                view = view_of(tables["manifest"]["scenario"])
                record_view(folder, view)
                rs = reported_summary(tables["replicates"], tables["summary"],
                                      view["data_until"])
                p_by[v] = rs.set_index("target")["p_met"]
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished vintages are kept in {out}; run the same command "
              "to continue", file=sys.stderr)
        return EXIT_INTERRUPTED
    card = scorecard(p_by, values, rows)
    out.mkdir(parents=True, exist_ok=True)
    card["table"].to_csv(out / "scorecard.csv", index=False)
    card["scores"].to_csv(out / "scores.csv", index=False)
    text = format_scorecard(card)
    (out / "scorecard.txt").write_text(text + "\n", encoding="utf-8")
    for lang in ("en", "zh"):
        reliability_plot(card["pairs"], out / f"reliability-{lang}.png", lang)
    print(text)
    print(f"-> {out}: scorecard.csv, scores.csv, scorecard.txt, reliability-en.png, "
          "reliability-zh.png")
    return EXIT_OK
