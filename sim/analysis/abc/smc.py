"""The calibration: ABC-SMC (pyabc) of the declared uncertainties to observed data.

:func:`calibrate` checks the input and folder, runs the prior sample (distance scales and
the factor screen), then pyabc's ABCSMC with the chosen sampler, all on one
``run.Evaluator``, and stores the result (``sim.analysis.abc.store``).
"""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import observed as obsmod
from sim.analysis.abc.model import Simulator, choose_factors
from sim.analysis.abc.options import (
    BACKENDS,
    DB,
    DEFAULTS,
    SAMPLERS,
    CalibrationError,
    load_pyabc,
)
from sim.analysis.abc.screen import pick, prior_sample, rank_screen
from sim.analysis.abc.statistics import LAST_YEAR, START_YEAR, statistics
from sim.analysis.abc.store import (
    export,
    has_run,
    read_manifest,
    stop_reason,
    write_manifest,
)
from sim.analysis.abc.store import key as calibration_key
from sim.run.store import atomic_parquet, git_commit


def calibrate(base: dict, observed: pd.DataFrame, until: int, folder: str | Path, *,
              params: list[str] | None = None, max_params: int = DEFAULTS["max_params"],
              screen_n: int = DEFAULTS["screen"], min_rho: float = DEFAULTS["min_rho"],
              population: int = DEFAULTS["population"],
              generations: int = DEFAULTS["generations"],
              max_simulations: int = DEFAULTS["max_simulations"],
              min_acceptance: float = DEFAULTS["min_acceptance"],
              seed: int = DEFAULTS["seed"],
              households_per_agent: int = DEFAULTS["households_per_agent"],
              backend: str = "serial", workers: int = 1, scheduler: str | None = None,
              sampler: str = "ordered", chunk: int = DEFAULTS["chunk"],
              predictive: int = DEFAULTS["predictive"], resume: bool = False,
              progress: bool = False, source: str = "") -> dict:
    """Calibrate ``base``'s uncertainties to the observations up to ``until``; store in folder.

    Rows after ``until`` are dropped before anything else. Returns ``{"manifest",
    "posterior", "generations", "summary", "screen"}`` (DataFrames; ``screen`` may be None)
    and ``predictive`` when asked for. Figures: ``sim.present.calibration_plots.draw``.

    Raises:
        CalibrationError: bad input or folder (nothing written).
    """
    from sim.analysis.abc.sampler import PRELOAD
    from sim.run.evaluators import Evaluator
    observed = obsmod.until(observed, until)          # first: nothing later is ever read
    settings = _check(base, until, population, generations, max_simulations,
                      min_acceptance, seed, households_per_agent, backend, workers,
                      sampler, chunk)
    folder = Path(folder)
    used, ignored = statistics(observed, until, base.get("data_until"))
    if used.empty:
        raise CalibrationError(f"{source or 'observed data'}: no observations after "
                               f"{START_YEAR} up to {until} (and at most {LAST_YEAR}): "
                               "nothing to calibrate to")
    old = _open_folder(folder, resume)
    t_start = time.perf_counter()
    with Evaluator(backend, workers, scheduler, households_per_agent, progress=False,
                   preload=PRELOAD) as ev:
        facs, screen_table, n_screen = _factors(base, used, old, folder, params, max_params,
                                                screen_n, min_rho, seed, ev, progress)
        key = calibration_key(base, used, facs, settings, until)
        _check_key(folder, old, key)
        manifest = _start(folder, old, source, until, key, settings, facs, used, ignored,
                          backend, workers, screen_table, n_screen, max_params, min_rho)
        hist, smp, finished = _run_smc(folder, base, facs, used, settings, old, manifest, ev,
                                       progress)
        res = _finish(folder, manifest, hist, smp, facs, settings, finished, n_screen,
                      time.perf_counter() - t_start)
        res["screen"] = screen_table
        if predictive:
            from sim.analysis.abc.predictive import predictive_check
            res["predictive"] = predictive_check(base, folder, used, predictive, seed,
                                                 households_per_agent, ev)
    return res


def _check(base: dict, until: int, population: int, generations: int,
           max_simulations: int, min_acceptance: float, seed: int, hpa: int, backend: str,
           workers: int, sampler: str, chunk: int) -> dict:
    """The settings as stored, or :class:`CalibrationError` for a bad one."""
    if base.get("data_until") is not None and int(base["data_until"]) > until:
        raise CalibrationError(f"data_until {base['data_until']} is after the calibration's "
                               f"last year {until}: the model would use later data")
    load_pyabc()
    if sampler not in SAMPLERS:
        raise CalibrationError(f"sampler must be one of {SAMPLERS}")
    if backend not in BACKENDS:
        raise CalibrationError(f"backend must be one of {BACKENDS}")
    for name, v, lo in (("population", population, 10), ("generations", generations, 1),
                        ("max_simulations", max_simulations, population),
                        ("households_per_agent", hpa, 1),
                        ("chunk", chunk, 1), ("workers", workers, 1)):
        if v < lo:
            raise CalibrationError(f"--{name.replace('_', '-')}: must be at least {lo}, "
                                   f"got {v}")
    if not 0 <= min_acceptance < 1:
        raise CalibrationError(f"--min-acceptance: must be in [0, 1), got {min_acceptance}")
    return {"population": population, "generations": generations,
            "max_simulations": max_simulations, "min_acceptance": min_acceptance,
            "seed": int(seed), "households_per_agent": hpa,
            "sampler": sampler, "chunk": chunk}


def _open_folder(folder: Path, resume: bool) -> dict | None:
    """The stored calibration's manifest (resuming), None for a new one, or an error."""
    old = read_manifest(folder)
    if old is None and folder.exists() and any(folder.iterdir()):
        raise CalibrationError(f"{folder}: the folder is not empty and holds no calibration; "
                               "choose another --out")
    if old is not None and not resume:
        raise CalibrationError(f"{folder}: already holds a calibration (status "
                               f"{old.get('status')}); pass --resume to continue it, or "
                               "choose another --out")
    return old


def _factors(base, used, old, folder, params, max_params, screen_n, min_rho, seed, ev,
             progress) -> tuple[list[dict], pd.DataFrame | None, int]:
    """(factors, screen table, prior runs): resumed from the folder or from a prior sample.

    Sets ``used["scale"]`` and ``used["prior_sd"]`` (the distance's scales).
    """
    from sim.analysis.abc.distance import noise_scales
    if old is not None:                   # resuming: the stored factors and scales
        facs = choose_factors(base, params) if params else old["factors"]
        screen_table = None
        if (folder / "screen.parquet").is_file():
            screen_table = pd.read_parquet(folder / "screen.parquet")
        if not old.get("rows_used") or "scale" not in old["rows_used"][0]:
            raise CalibrationError(f"{folder}: was calibrated with the relative distance of "
                                   "an earlier version (no stored scales); resuming it would "
                                   "mix distances. Start afresh with another --out")
        used["scale"] = [r["scale"] for r in old["rows_used"]]
        used["prior_sd"] = [r.get("prior_sd", np.nan) for r in old["rows_used"]]
        return facs, screen_table, 0
    facs_all = choose_factors(base, None)
    if progress:
        print(f"prior sample: {screen_n} runs of {len(facs_all)} factors (distance "
              f"scales{'' if params else ' and the factor screen'}) ...", flush=True)
    x, y = prior_sample(base, facs_all, used, screen_n, seed, ev)
    used["scale"] = noise_scales(used, y)
    used["prior_sd"] = np.nanstd(y, axis=0) if len(y) > 1 else 0.0
    screen_table = rank_screen(facs_all, used, x, y)
    if params:
        return choose_factors(base, params), screen_table, screen_n
    names = pick(screen_table, max_params, min_rho)
    if not names:
        raise CalibrationError(f"no factor reaches |rho| >= {min_rho} with an "
                               "observed statistic in the prior screen; name them "
                               "with --params")
    facs = [f for f in facs_all if f["name"] in names]
    facs.sort(key=lambda f: names.index(f["name"]))
    return facs, screen_table, screen_n


def _check_key(folder: Path, old: dict | None, key: dict) -> None:
    if old is None:
        return
    old_key = json.loads(json.dumps(old.get("key")))
    new_key = json.loads(json.dumps(key))
    if old_key != new_key:
        diff = [k for k in new_key if old_key.get(k) != new_key[k]]
        raise CalibrationError(f"{folder}: holds a different calibration ("
                               f"{', '.join(diff)} differ); choose another --out")


def _start(folder, old, source, until, key, settings, facs, used, ignored, backend, workers,
           screen_table, n_screen, max_params, min_rho) -> dict:
    """Write the manifest of a running calibration (and the screen table) and return it."""
    from sim.analysis.abc.distance import SCALE_FLOOR
    folder.mkdir(parents=True, exist_ok=True)
    manifest = dict(old or {})
    manifest.update({
        "kind": "calibration", "status": "running", "source": source, "until": int(until),
        "key": key, "settings": settings, "factors": facs,
        "rows_used": used[["metric", "year", "value", "quality", "weight", "line", "scale"]
                          + (["prior_sd"] if "prior_sd" in used else [])].to_dict("records"),
        "rows_ignored": ignored[["metric", "year", "reason", "line"]].to_dict("records"),
        "distance": "sqrt(sum w_i ((sim_i - obs_i) / s_i)^2 / sum w_i); w: S=1, M=0.5, "
                    f"W=0.25; s_i = sqrt(prior_sd_i^2 + ({SCALE_FLOOR} |obs_i|)^2)",
        "pyabc_version": load_pyabc().__version__, "git_commit": git_commit(),
        "backend": backend, "workers": workers,
        "started": manifest.get("started") or datetime.now(UTC).isoformat(timespec="seconds"),
    })
    if screen_table is not None and n_screen:
        atomic_parquet(screen_table, folder / "screen.parquet")
        manifest["screen"] = {"runs": n_screen, "min_rho": min_rho, "max_params": max_params}
    write_manifest(folder, manifest)
    return manifest


def _run_smc(folder, base, facs, used, s, old, manifest, ev, progress):
    """Run (or resume) pyabc's ABCSMC into ``abc.db``: (history, sampler, finished before).

    pyabc's proposals come from numpy's global random state: seeded here from the seed,
    and restored afterwards.
    """
    from sim.analysis.abc.distance import make_distance
    from sim.analysis.abc.sampler import make_sampler
    pyabc = load_pyabc()
    prior = pyabc.Distribution(**{f["name"]: pyabc.RV("uniform", f["low"],
                                                      f["high"] - f["low"]) for f in facs})
    model = Simulator(base, facs, used, s["households_per_agent"])
    distance = make_distance(used)
    smp = make_sampler(s["sampler"], ev, s["seed"], s["chunk"], progress)
    x0 = dict(zip(used["key"], used["value"].astype(float), strict=True))
    db = f"sqlite:///{(folder / DB).resolve()}"
    for name in ("ABC", "Sampler", "Distance", "Epsilon", "Acceptor", "History"):
        logging.getLogger(f"ABC.{name}" if name != "ABC" else name).setLevel(logging.WARNING)
    saved = np.random.get_state(), random.getstate()
    np.random.seed(np.random.SeedSequence([int(s["seed"]), 0xABC]).generate_state(4))
    random.seed(int(s["seed"]))
    try:
        abc = pyabc.ABCSMC(model, prior, distance, population_size=s["population"],
                           sampler=smp)
        hist = _open_history(abc, folder, db, x0, s["seed"])
        done = hist.n_populations
        if progress:
            print(f"calibrating {len(facs)} factors to {len(used)} observations "
                  f"(population {s['population']}, up to {s['generations']} generations, "
                  f"{s['max_simulations']} simulations; {done} generation(s) stored) ...",
                  flush=True)
        # a finished calibration is not extended by --resume with the same budget (pyabc
        # checks the simulation budget only after a generation, so it would run one more);
        # a larger --generations or --max-simulations extends it
        finished = old is not None and old.get("status") == "complete" and all(
            (old.get("settings") or {}).get(k) == s[k]
            for k in ("generations", "max_simulations", "min_acceptance"))
        if done < s["generations"] and not finished:
            abc.run(max_nr_populations=s["generations"] - done,
                    min_acceptance_rate=s["min_acceptance"],
                    max_total_nr_simulations=s["max_simulations"])
    except KeyboardInterrupt:
        manifest["status"] = "interrupted"
        write_manifest(folder, manifest)
        raise
    finally:
        np.random.set_state(saved[0])
        random.setstate(saved[1])
    return abc.history, smp, finished


def _open_history(abc, folder: Path, db: str, x0: dict, seed: int):
    """The stored run to continue, or a new one (a database with no generation is reset)."""
    pyabc = load_pyabc()
    if (folder / DB).is_file():
        if has_run(pyabc.History(db)):
            return abc.load(db, 1)
        (folder / DB).unlink()  # interrupted before its first generation was stored
    return abc.new(db, x0, meta_info={"seed": int(seed)})


def _finish(folder, manifest, hist, smp, facs, settings, finished, n_screen,
            elapsed) -> dict:
    """Export the tables and record the outcome in the manifest."""
    if hist.n_populations == 0:
        manifest["status"] = "failed"
        write_manifest(folder, manifest)
        raise RuntimeError("no generation was accepted; loosen --min-acceptance")
    out = export(folder, hist, facs)
    sims = manifest.get("simulations", {"screen": 0, "abc": 0, "computed": 0})
    sims["screen"] = sims.get("screen", 0) + n_screen
    sims["abc"] = int(hist.total_nr_simulations)
    sims["computed"] = sims.get("computed", 0) + int(getattr(smp, "computed", 0))
    last = out["generations"].iloc[-1]
    if not finished:        # a finished calibration resumed keeps when and why it stopped
        manifest.update({
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(manifest.get("seconds", 0) + elapsed, 1),
            "stopped": stop_reason(out["generations"], settings,
                                         getattr(smp, "last_ok", True))})
    manifest.update({
        "status": "complete", "generations_done": int(hist.n_populations), "simulations": sims,
        "final_epsilon": float(last["epsilon"]),
        "posterior_summary": out["summary"].to_dict("records"),
    })
    write_manifest(folder, manifest)
    return {"manifest": manifest, **out}
