"""Draw a replicate's uncertainties from a calibration's posterior instead of the prior ranges.

A calibration folder (``clustersim calibrate --out DIR``) holds ``posterior.parquet`` (one
row per particle: a column per calibrated factor, its ``weight``) and ``manifest.json``
(which uncertainty and key each factor is). :func:`attach` puts the particles into a
scenario under the top-level key ``posterior``; :func:`pin_ranges`, called from
``sample_uncertainties``, then picks one particle per replicate by weighted resampling
with the replicate's own stream (``stream(seed, "posterior")``) and pins its values.

So the draw depends only on the replicate's seed: the same seeds give the same particles
whatever the backend, the worker count or the order replicates finish in. The other
uncertainties are drawn from their own streams exactly as without a posterior (common
random numbers with the prior batch). A scenario without the key is untouched.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np

from sim.model.params import UNCERTAINTIES
from sim.model.rng import stream

KEY = "posterior"
STREAM = "posterior"
FILE = "posterior.parquet"
_UNC = {p.name: p for p in UNCERTAINTIES}


class PosteriorError(ValueError):
    """A posterior folder cannot be used; the message names the folder or file."""


def read_posterior(folder: str | Path) -> dict:
    """The posterior of a calibration folder as plain data (what :func:`attach` stores).

    Returns:
        ``{"source", "observed", "until", "factors": [{"name", "param", "key"}],
        "values": [[...] per particle], "weights": [...]}`` with weights normalised to sum
        to one; ``observed`` and ``until`` say which data the posterior was fitted to.
    """
    import pandas as pd
    folder = Path(folder)
    if not folder.is_dir():
        raise PosteriorError(f"{folder}: no such calibration folder")
    mpath, ppath = folder / "manifest.json", folder / FILE
    for p in (mpath, ppath):
        if not p.is_file():
            raise PosteriorError(f"{p}: missing; not a finished calibration folder "
                                 "(clustersim calibrate --out DIR writes it)")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        facs = [{"name": f["name"], "param": f["param"], "key": f.get("key")}
                for f in manifest["factors"]]
    except (ValueError, KeyError, TypeError) as e:
        raise PosteriorError(f"{mpath}: not a calibration manifest ({e})") from None
    df = pd.read_parquet(ppath)
    for f in facs:
        p = _UNC.get(f["param"])
        if p is None or (f["key"] is not None and f["key"] not in p.keys) or (
                f["key"] is None and p.per):
            raise PosteriorError(f"{mpath}: factor {f['name']!r} is not an uncertainty of "
                                 "this model")
        if f["name"] not in df:
            raise PosteriorError(f"{ppath}: no column {f['name']!r}")
    if "weight" not in df or not len(df):
        raise PosteriorError(f"{ppath}: no particles with weights")
    w = df["weight"].to_numpy(float)
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise PosteriorError(f"{ppath}: weights must be finite, non-negative, not all zero")
    values = df[[f["name"] for f in facs]].to_numpy(float)
    if not np.all(np.isfinite(values)):
        raise PosteriorError(f"{ppath}: non-finite parameter values")
    return {"source": str(folder), "observed": manifest.get("source"),
            "until": manifest.get("until"), "factors": facs, "values": values.tolist(),
            "weights": (w / w.sum()).tolist()}


def attach(scenario: dict, folder: str | Path) -> dict:
    """A copy of the scenario whose replicates draw from the posterior in ``folder``."""
    out = copy.deepcopy(scenario)
    out[KEY] = read_posterior(folder)
    return out


def draw_index(posterior: dict, seed: int) -> int:
    """The particle a replicate uses: weighted resampling with its own stream."""
    cdf = np.cumsum(np.asarray(posterior["weights"], float))
    u = stream(seed, STREAM).random() * cdf[-1]
    return int(min(np.searchsorted(cdf, u, side="right"), len(cdf) - 1))


def draw(posterior: dict, seed: int) -> dict[str, float]:
    """The replicate's posterior values by factor name (``param`` or ``param.key``)."""
    row = posterior["values"][draw_index(posterior, seed)]
    return {f["name"]: float(v) for f, v in zip(posterior["factors"], row, strict=True)}


def pin_ranges(posterior: dict, seed: int, ranges: dict) -> dict:
    """``uncertainty_ranges`` with the drawn particle's values pinned (low = high)."""
    out = {k: (np.array(lo, float, copy=True), np.array(hi, float, copy=True))
           for k, (lo, hi) in ranges.items()}
    values = draw(posterior, seed)
    for f in posterior["factors"]:
        lo, hi = out[f["param"]]
        v = values[f["name"]]
        if f["key"] is None:
            out[f["param"]] = (np.asarray(v, float), np.asarray(v, float))
        else:
            i = _UNC[f["param"]].keys.index(f["key"])
            lo[i] = hi[i] = v
    return out
