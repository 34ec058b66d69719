"""What a calibration folder holds: its manifest, its key, and the tables from pyabc's history.

The run itself is stored in ``abc.db`` (pyabc's sqlite history), so an interrupted
calibration resumes from its last complete generation; ``posterior.parquet``,
``generations.parquet`` and ``summary.parquet`` are written from it at the end.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.abc.statistics import ess, weighted_quantile
from sim.run.store import atomic_parquet, atomic_write_bytes


def read_manifest(folder: Path) -> dict | None:
    """The calibration's manifest, or None when the folder has none."""
    p = Path(folder) / "manifest.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None


def write_manifest(folder: Path, manifest: dict) -> None:
    """Write the manifest atomically (numpy scalars and arrays as plain JSON)."""
    atomic_write_bytes(Path(folder) / "manifest.json", json.dumps(
        manifest, indent=1, ensure_ascii=False, default=_plain).encode("utf-8"))


def _plain(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON-able: {type(o).__name__}")


def key(base, used, facs, s, until: int) -> dict:
    """What determines a calibration (a resumed one must match it).

    The observed state a scenario re-anchors on at the end of a year
    (``sim.model.assimilate``) changes only the years after it: anchored in ``until``, no
    calibrated year, so that part is left out (a backtest's calibration serves a forecast
    with and without it, and one made before state assimilation existed resumes).
    """
    from sim.config.exogenous import KEY, STATE_KEY
    block = base.get(KEY) or {}
    if STATE_KEY in block:
        kept = {y: m for y, m in block[STATE_KEY].items() if int(y) < until}
        block = {k: v for k, v in block.items() if k != STATE_KEY}
        if kept:
            block[STATE_KEY] = kept
        base = {**base, KEY: block}
    return {"scenario": base, "rows": used[["metric", "year", "value", "quality"]]
            .to_dict("records"), "factors": facs, "population": s["population"],
            "seed": s["seed"], "households_per_agent": s["households_per_agent"],
            "sampler": s["sampler"], "min_acceptance": s["min_acceptance"]}




def has_run(h) -> bool:
    """Whether a pyabc history holds a run with at least one stored generation."""
    try:
        return h.id is not None and h.max_t >= 0
    except Exception:  # noqa: BLE001 - an empty or half-written database
        return False


def stop_reason(gens: pd.DataFrame, s: dict, last_ok: bool) -> str:
    """Why a calibration stopped, from its generations and settings."""
    g = gens[gens["t"] >= 0]
    if not last_ok:
        return (f"a generation needed more than population / min_acceptance = "
                f"{s['population'] / max(s['min_acceptance'], 1e-12):.0f} simulations "
                "and was dropped")
    if len(g) >= s["generations"]:
        return f"reached {s['generations']} generations"
    if g["acceptance_rate"].iloc[-1] < s["min_acceptance"]:
        return f"acceptance rate below {s['min_acceptance']}"
    if gens["simulations"].sum() >= s["max_simulations"]:
        return f"simulation budget ({s['max_simulations']}) used"
    return "stopped by pyabc"




def export(folder: Path, hist, facs: list[dict]) -> dict:
    """Write posterior.parquet, generations.parquet and summary.parquet from the history.

    Returns them as ``{"posterior", "generations", "summary"}`` (the figures are drawn by
    ``sim.present.calibration_plots``).
    """
    names = [f["name"] for f in facs]
    pop = hist.get_population(t=hist.max_t)
    post = pd.DataFrame([[float(p.parameter[n]) for n in names] for p in pop.particles],
                        columns=names)
    w = np.array([p.weight for p in pop.particles], float)
    post["weight"] = w / w.sum()
    post["distance"] = [float(p.distance) for p in pop.particles]
    atomic_parquet(post, folder / "posterior.parquet")
    pops = hist.get_all_populations().sort_values("t").reset_index(drop=True)
    rows = []
    for r in pops.itertuples():
        t = int(r.t)
        # t = -1 is pyabc's prior sample (all accepted; its stored "particle" is the data)
        n_acc = int(r.samples) if t < 0 else int(r.particles)
        row = {"t": t, "epsilon": float(r.epsilon) if t >= 0 else np.nan,
               "simulations": int(r.samples), "accepted": n_acc,
               "acceptance_rate": n_acc / r.samples if r.samples else np.nan,
               "ess": np.nan}
        if t >= 0:
            _, wt = hist.get_distribution(m=0, t=t)
            row["ess"] = ess(wt)
        rows.append(row)
    gens = pd.DataFrame(rows)
    atomic_parquet(gens, folder / "generations.parquet")
    summ = []
    for f in facs:
        q05, q50, q95 = weighted_quantile(post[f["name"]], post["weight"], [0.05, 0.5, 0.95])
        summ.append({"factor": f["name"], "prior_low": f["low"], "prior_high": f["high"],
                     "q05": q05, "median": q50, "q95": q95,
                     "width_share": (q95 - q05) / (0.9 * (f["high"] - f["low"]))})
    summary = pd.DataFrame(summ)
    atomic_parquet(summary, folder / "summary.parquet")
    return {"posterior": post, "generations": gens, "summary": summary}
