"""``clustersim export DIR --format csv``: one CSV file per table of a batch.

For readers without Parquet tools (a spreadsheet, R's read.csv): the batch's stored tables
(``summary``, ``replicates``, ``trajectories``, and ``failures`` when any replicate failed)
and the yearly quantiles of the Excel workbook, each as ``NAME.csv`` in UTF-8 with a
byte-order mark (so that Excel on a Chinese Windows reads the Chinese labels), comma
separated, full precision. Column units are in docs/results-schema.md.
"""

from __future__ import annotations

from pathlib import Path

TABLES = ("summary", "replicates", "trajectories", "failures")


def export_csv(res: dict, out: Path) -> list[Path]:
    """Write the tables of a loaded batch into the folder ``out``; returns the files.

    Raises OSError when ``out`` cannot be created or written.
    """
    from sim.present.export import yearly_quantiles
    from sim.run.store import atomic_write_bytes
    out.mkdir(parents=True, exist_ok=True)
    tables = {name: res[name] for name in TABLES
              if name in res and (name != "failures" or not res[name].empty)}
    tables["yearly_quantiles"] = yearly_quantiles(res["trajectories"])
    files = []
    for name, df in tables.items():
        path = out / f"{name}.csv"
        atomic_write_bytes(path, df.to_csv(index=False, lineterminator="\n")
                           .encode("utf-8-sig"))
        files.append(path)
    return files
