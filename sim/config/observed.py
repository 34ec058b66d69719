"""Observed data: read and validate a CSV of published statistics, one row per metric-year.

The format is a user interface (issue #10): anyone with their own CSV can check, calibrate
and backtest against it. Columns::

    metric,year,value,unit,source,quality,note

``metric``, ``year`` and ``value`` are required; ``unit``, ``source``, ``quality`` and
``note`` are optional. ``metric`` is one of the model's trajectory metrics (the names in
``trajectories.parquet``); ``quality`` is S (statistics bureau, audited accounts), M
(government press release) or W (weak) and defaults to M. Lines starting with ``#`` and
blank lines are ignored. Every problem raises :class:`~sim.config.errors.ScenarioError`
naming the file, the physical line and the column, e.g.
``data.csv: line 7, column value: 'n/a' is not a number``.

The reader lives in the configuration layer because the model's exogenous series
(``sim.config.exogenous``) are rows of the same file; ``sim.analysis.observed`` adds the
model's metric names as the default check and the helpers calibration and backtests use.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.errors import ScenarioError
from sim.config.files import SOURCE_ROOT
from sim.config.files import suggest as _suggest

REQUIRED = ("metric", "year", "value")
OPTIONAL = ("unit", "source", "quality", "note")
COLUMNS = REQUIRED + OPTIONAL
QUALITY = ("S", "M", "W")
DEFAULT_QUALITY = "M"
QUALITY_WEIGHT = {"S": 1.0, "M": 0.5, "W": 0.25}
DEFAULT_OBSERVED = SOURCE_ROOT / "data" / "observed" / "shanxi.csv"  # docs/data.md
YEAR_RANGE = (1949, 2100)


class _Lines:
    """Feeds csv.reader the non-comment lines and remembers each one's physical number."""

    def __init__(self, lines: Iterable[str]):
        self._it = iter(lines)
        self.number = 0      # physical line number of the last line handed out
        self.start = 0       # ... of the first line of the current record

    def __iter__(self) -> Iterator[str]:
        for line in self._it:
            self.number += 1
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            yield line


def parse_observed(path: str | Path, allowed: frozenset[str] | None = None) -> pd.DataFrame:
    """Read and validate an observed-data CSV (the format in this module's docstring).

    Args:
        path: The CSV file.
        allowed: Allowed metric names; None keeps every metric (what the configuration
            layer does when it takes exogenous series from the file).

    Returns:
        One row per observation: metric, year (int), value (float), unit, source, quality
        (S/M/W), note, weight (the quality's distance weight) and line (in the file),
        in file order.

    Raises:
        ScenarioError: naming the file, line and column of the first problem.
    """
    path = Path(path)
    src = str(path)
    if not path.is_file():
        raise ScenarioError(src, "", "no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError(src, "", "not UTF-8 text") from None
    except OSError as e:
        raise ScenarioError(src, "", f"cannot read: {e.strerror}") from None
    lines = _Lines(text.splitlines(keepends=True))
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
    except csv.Error as e:
        raise ScenarioError(src, f"line {lines.number}", f"not a readable CSV: {e}") from None
    if header is None:
        raise ScenarioError(src, "", "no header; expected " + ",".join(COLUMNS))
    head_line = lines.number
    header = [h.strip() for h in header]
    for i, h in enumerate(header):
        if h not in COLUMNS:
            raise ScenarioError(src, f"line {head_line}, column {i + 1}",
                                f"unknown column {h!r}{_suggest(h, COLUMNS)}; allowed: "
                                f"{','.join(COLUMNS)} (the first three required)")
        if h in header[:i]:
            raise ScenarioError(src, f"line {head_line}, column {i + 1}",
                                f"column {h!r} appears twice")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ScenarioError(src, f"line {head_line}", f"missing column(s) {', '.join(missing)};"
                            f" needs {','.join(REQUIRED)} and optionally {','.join(OPTIONAL)}")
    rows: list[dict] = []
    seen: dict[tuple[str, int], int] = {}
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise ScenarioError(src, f"line {lines.number}", f"not a readable CSV: {e}") \
                from None
        line = lines.number
        if len(fields) != len(header):
            raise ScenarioError(src, f"line {line}", f"{len(fields)} fields, the header has "
                                f"{len(header)} ({','.join(header)})")
        rec = {h: f.strip() for h, f in zip(header, fields, strict=True)}
        rows.append(_row(rec, src, line, allowed, seen))
    if not rows:
        raise ScenarioError(src, "", "no observations (only a header, comments or blank lines)")
    df = pd.DataFrame(rows, columns=[*COLUMNS, "weight", "line"])
    return df.astype({"year": int, "value": float, "weight": float, "line": int})




def _row(rec: dict, src: str, line: int, allowed: frozenset[str] | None,
         seen: dict[tuple[str, int], int]) -> dict:
    def where(col: str) -> str:
        return f"line {line}, column {col}"

    m = rec["metric"]
    if not m:
        raise ScenarioError(src, where("metric"), "empty metric name")
    if allowed is not None and m not in allowed:
        raise ScenarioError(src, where("metric"), f"unknown metric {m!r}{_suggest(m, allowed)};"
                            " metrics are the model's trajectory names (as in "
                            "trajectories.parquet, e.g. output_total, rural_income)")
    try:
        year = int(rec["year"])
    except ValueError:
        raise ScenarioError(src, where("year"), f"{rec['year']!r} is not a whole number") \
            from None
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise ScenarioError(src, where("year"), f"{year} is outside {YEAR_RANGE[0]}-"
                            f"{YEAR_RANGE[1]}")
    try:
        value = float(rec["value"])
    except ValueError:
        raise ScenarioError(src, where("value"), f"{rec['value']!r} is not a number") from None
    if not np.isfinite(value):
        raise ScenarioError(src, where("value"), "must be a finite number")
    q = (rec.get("quality") or DEFAULT_QUALITY).upper()
    if q not in QUALITY:
        raise ScenarioError(src, where("quality"), f"{rec.get('quality')!r} is not one of "
                            "S (statistics bureau, audited), M (press release), W (weak); "
                            f"empty means {DEFAULT_QUALITY}")
    if (m, year) in seen:
        raise ScenarioError(src, where("year"), f"a second row for {m} {year} (the first is "
                            f"on line {seen[(m, year)]}); keep one row per metric-year and "
                            "record revisions in its note")
    seen[(m, year)] = line
    return {"metric": m, "year": year, "value": value, "unit": rec.get("unit", ""),
            "source": rec.get("source", ""), "quality": q, "note": rec.get("note", ""),
            "weight": QUALITY_WEIGHT[q], "line": line}
