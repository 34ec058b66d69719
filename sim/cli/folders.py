"""Kinds of results folder, what reads each, and the one rule for outputs that cannot be written.

Every command writes into a folder and several read one back. A folder written by
``sweep``, ``sensitivity``, ``optimize``, ``calibrate`` or ``backtest`` is not a Monte Carlo
batch; a command that reads batches says which kind it was given and which command reads it
(``show`` prints a sweep's table and a sensitivity's ranked factors itself).

Outputs that cannot be written follow one rule (README, exit status): a location that
refuses writes (read-only, no permission, a file where a folder should be) is bad input,
exit 2, nothing written, "choose another --out"; any other I/O error while writing (a full
disk) is exit 3, "could not be written".
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

from sim.cli.errors import UsageError

# errno values that say the place is unusable, not that writing went wrong part-way.
REFUSED = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR,
           errno.EEXIST}

KINDS = {
    "sweep": ("a sweep folder (from `clustersim sweep`)",
              "`clustersim show {f}` prints its P(met) per point, `clustersim plot {f}` "
              "draws it, and each point is a batch in {f}/points/"),
    "sensitivity": ("a sensitivity folder (from `clustersim sensitivity`)",
                    "`clustersim show {f}` prints its ranked factors; {f}/ranked.png is its "
                    "figure and {f}/indices.parquet its indices"),
    "optimize": ("an optimiser folder (from `clustersim optimize`)",
                 "{f}/result.json holds the lever mix found and {f}/frontier.png its figure"),
    "calibration": ("a calibration folder (from `clustersim calibrate`)",
                    "`clustersim run --posterior {f}` runs a batch drawn from it"),
    "backtest": ("a backtest folder (from `clustersim backtest`)",
                 "{f}/summary.parquet holds its scores and {f}/plots its figures"),
}


def _manifest(folder: Path) -> dict | None:
    try:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return m if isinstance(m, dict) else None


def folder_kind(folder: str | Path) -> str | None:
    """``batch``, one of :data:`KINDS`, or None (no folder, or nothing recognisable)."""
    from sim.analysis.sensitivity import METHODS
    from sim.analysis.sweep import SWEEP_MANIFEST
    folder = Path(folder)
    if not folder.is_dir():
        return None
    if (folder / SWEEP_MANIFEST).is_file():
        return "sweep"
    if (folder / "result.json").is_file() and (folder / "candidates.parquet").is_file():
        return "optimize"
    m = _manifest(folder)
    if m is None:
        return None
    if m.get("kind") in ("calibration", "backtest"):
        return m["kind"]
    if m.get("method") in METHODS and "factors" in m:
        return "sensitivity"
    return "batch"


def refuse_other_kind(folder: str | Path, allowed: tuple[str, ...] = ("batch",)) -> None:
    """A usage error when ``folder`` is a known kind other than ``allowed``."""
    kind = folder_kind(folder)
    if kind is None or kind in allowed:
        return
    what, readers = KINDS[kind]
    raise UsageError(f"{folder}: {what}, not a Monte Carlo batch (from `clustersim run`); "
                     + readers.format(f=folder))


def output_error(folder: str | Path, e: OSError, what: str) -> Exception:
    """The error for an output that could not be written into ``folder`` (the one rule)."""
    why = e.strerror or str(e)
    if e.errno in REFUSED:
        return UsageError(f"--out {folder}: cannot write {what} there ({why}); choose "
                          "another --out")
    return OSError(f"{folder}: {what} could not be written ({why}); fix the cause "
                   "(free space?) and run the command again")


def show_other(folder: str | Path, all_targets: bool = False) -> bool:
    """Print a sweep's or a sensitivity's table; False when the folder is neither."""
    kind = folder_kind(folder)
    if kind == "sweep":
        _show_sweep(Path(folder))
        return True
    if kind == "sensitivity":
        _show_sensitivity(Path(folder))
        return True
    return False


def _show_sweep(folder: Path) -> None:
    from sim.analysis.sweep import load_sweep, varying_targets
    from sim.present.tables import format_sweep
    sw = load_sweep(folder)
    m, summary = sw["manifest"], sw["summary"]
    if summary.empty:
        raise UsageError(f"{folder}: a sweep folder whose points are not all run yet "
                         f"(status {m.get('status', 'running')}); finish it with: clustersim "
                         f"sweep {m.get('source') or m.get('name')} --out {folder} --resume")
    print(format_sweep(m, m, summary, varying_targets(summary), folder))


def _show_sensitivity(folder: Path) -> None:
    import pandas as pd

    from sim.analysis import sensitivity as sa
    from sim.present.tables import format_ranked
    m = _manifest(folder) or {}
    p = folder / "indices.parquet"
    if m.get("status") != "complete" or not p.is_file():
        raise UsageError(f"{folder}: a sensitivity folder whose runs did not finish "
                         "(sensitivity runs are not resumable; run it again)")
    idx = pd.read_parquet(p)
    print(f"{m['method']}: {len(m['factors'])} factors, {m['runs']} runs, root seed "
          f"{m.get('root_seed')} ({folder})")
    print(format_ranked(sa, idx, m["method"], sa.QUALITY_TOP, m.get("quality")))
    warning = (m.get("quality") or {}).get("warning")
    if warning:
        print("\n" + warning)
