"""Observed data: read and validate a CSV of published statistics, one row per metric-year.

The format is a user interface (issue #10): anyone with their own CSV can check, calibrate
and backtest against it. Columns::

    metric,year,value,unit,source,quality,note

``metric``, ``year`` and ``value`` are required; ``unit``, ``source``, ``quality`` and
``note`` are optional. ``metric`` is one of the model's trajectory metrics (the names in
``trajectories.parquet``); ``quality`` is S (statistics bureau, audited accounts), M
(government press release) or W (weak) and defaults to M. ``unit``, for a metric the model
records, is the metric's unit (empty means that unit) or one that converts to it
(:data:`UNITS`: ``吨`` for a metric in 万吨, ``%`` for a share, ...); the value is converted,
and any other unit is refused. Rows of metrics the model does not record keep their unit.
Lines starting with ``#`` and blank lines are ignored. Every problem raises
:class:`~sim.config.errors.ScenarioError` naming the file, the physical line and the column, e.g.
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

# The units a value may be given in, per unit of a model metric (sim.model.outcomes), with
# the factor that converts a value in that unit to the metric's unit (definitions: 1 万 =
# 1e4, 1 亿 = 1e8, 1 斤 = 0.5 kg, 1 公顷 = 15 亩).
UNITS: dict[str, dict[str, float]] = {
    "万吨": {"万吨": 1.0, "吨": 1e-4, "t": 1e-4, "千吨": 0.1, "kt": 0.1, "百万吨": 100.0,
           "Mt": 100.0, "亿吨": 1e4, "公斤": 1e-7, "kg": 1e-7, "万公斤": 1e-3,
           "亿公斤": 10.0, "斤": 5e-8, "万斤": 5e-4, "亿斤": 5.0},
    "亿元": {"亿元": 1.0, "元": 1e-8, "万元": 1e-4, "百万元": 0.01, "千万元": 0.1,
           "万亿元": 1e4, "million yuan": 0.01, "billion yuan": 10.0},
    "元": {"元": 1.0, "元/人": 1.0, "万元": 1e4},
    "元/人": {"元/人": 1.0, "元": 1.0, "万元/人": 1e4},
    "元/亩": {"元/亩": 1.0},
    "万人": {"万人": 1.0, "人": 1e-4, "persons": 1e-4},
    "万亩": {"万亩": 1.0, "亩": 1e-4, "公顷": 15e-4, "ha": 15e-4, "万公顷": 15.0},
    "firms": {"firms": 1.0, "count": 1.0, "个": 1.0, "家": 1.0},
    "count": {"count": 1.0, "个": 1.0, "家": 1.0},
    "share": {"share": 1.0, "fraction": 1.0, "%": 0.01, "percent": 0.01},
    "ratio": {"ratio": 1.0},
    "1/yr": {"1/yr": 1.0, "%/yr": 0.01, "%": 0.01},
    "index": {"index": 1.0},
}


def metric_units() -> dict[str, str]:
    """The unit of every metric the model records (``sim.model.outcomes.METRICS``)."""
    from sim.model.outcomes import METRIC_BY_NAME
    return {name: m.unit for name, m in METRIC_BY_NAME.items()}


def unit_factor(given: str, unit: str) -> float | None:
    """The factor taking a value in ``given`` to ``unit``, or None when it does not convert.

    An empty ``given`` is ``unit`` itself; a unit the table does not know converts only to
    itself.
    """
    given = given.strip()
    if not given or given == unit:
        return 1.0
    table = UNITS.get(unit, {})
    if given in table:
        return table[given]
    lower = {k.lower(): v for k, v in table.items()}
    return lower.get(given.lower())


def _encoding_hint(path: Path, data: bytes) -> str:
    """Why the bytes are not UTF-8, and the command that converts them."""
    import shlex
    out = path.with_name(f"{path.stem}-utf8{path.suffix}")
    convert = f"`iconv -f {{enc}} -t UTF-8 {shlex.quote(str(path))} > {shlex.quote(str(out))}`"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ("not UTF-8 text: it is UTF-16 (a byte-order mark); convert it, e.g. "
                + convert.format(enc="UTF-16"))
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if any("\u4e00" <= c <= "\u9fff" for c in text):  # decodes to Chinese: GBK
        return ("not UTF-8 text: it looks GBK-encoded (as Excel saves a CSV on a Chinese "
                "Windows); convert it, e.g. " + convert.format(enc="GBK")
                + ", or save it from Excel as 'CSV UTF-8'")
    return ("not UTF-8 text; convert it to UTF-8 from the encoding it was saved in, e.g. "
            + convert.format(enc="GBK") + " for GBK")


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
        data = path.read_bytes()
    except OSError as e:
        raise ScenarioError(src, "", f"cannot read: {e.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError(src, "", _encoding_hint(path, data)) from None
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
    units = metric_units()
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
        rows.append(_row(rec, src, line, allowed, seen, units))
    if not rows:
        raise ScenarioError(src, "", "no observations (only a header, comments or blank lines)")
    df = pd.DataFrame(rows, columns=[*COLUMNS, "weight", "line"])
    return df.astype({"year": int, "value": float, "weight": float, "line": int})




def _row(rec: dict, src: str, line: int, allowed: frozenset[str] | None,
         seen: dict[tuple[str, int], int], units: dict[str, str]) -> dict:
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
    unit = rec.get("unit", "")
    if m in units:
        factor = unit_factor(unit, units[m])
        if factor is None:
            allowed_units = list(UNITS.get(units[m], {units[m]: 1.0}))
            raise ScenarioError(src, where("unit"), f"{unit!r} is not a unit of {m} (measured "
                                f"in {units[m]}); allowed: {', '.join(allowed_units)} "
                                f"(converted to {units[m]}), or empty for {units[m]}")
        if factor != 1.0:  # 12 significant digits: 14210000 吨 is 1421 万吨, not 1421.0000000000002
            value = float(f"{value * factor:.12g}")
        unit = units[m]
    return {"metric": m, "year": year, "value": value, "unit": unit,
            "source": rec.get("source", ""), "quality": q, "note": rec.get("note", ""),
            "weight": QUALITY_WEIGHT[q], "line": line}
