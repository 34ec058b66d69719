"""Bayesian calibration of the declared uncertainties to observed data: ABC-SMC with pyabc.

Parameters: the scenario's free uncertainty factors (each element of a per-cluster
uncertainty is its own factor, as in ``sim.analysis.sensitivity``), with uniform priors over
their declared or scenario ranges. By default only the factors that matter most for the
observed statistics are calibrated, chosen by a prior screen (:func:`screen`); the others
keep their prior ranges and are integrated over like the model's other randomness.

Model: one replicate per particle, ``run_replicate`` with the particle's values pinned
(:func:`pin`) and a seed drawn from the ABC random stream. Summary statistics: the
simulated value of every observed (metric, year) with 2020 < year <= ``until`` (2020 is the
model's calibration year, where it matches the data by construction). Distance: the
quality-weighted root mean square of noise-scaled errors,
``sqrt(sum w_i ((x_i - y_i) / s_i)^2 / sum w_i)`` with weights S = 1, M = 0.5, W = 0.25 and
``s_i = sqrt(sd_i^2 + (0.02 |y_i|)^2)``: ``sd_i`` is the statistic's spread under the prior
(from the prior screen's runs), so every statistic counts in units of how much the prior
lets it vary (Prangle 2017, "Adapting the ABC distance function", Bayesian Analysis
12:289-309) and a statistic the prior pins tightly (national income a year out) is not
drowned by one it lets wander (processing output); the 2% floor is the revision size of
published statistics (an assumption) and keeps a statistic the model hardly varies from
dominating. Epsilon reads as a typical miss in prior standard deviations.

Reproducibility: pyabc draws proposals from numpy's global random state, and its Dask and
multicore samplers re-seed that state from the operating system in every job, so their
posteriors cannot be reproduced. The default sampler here, :class:`OrderedSampler`, seeds
the global state for proposal ``k`` of generation ``t`` from ``SeedSequence([seed, t + 1,
k])`` and accepts proposals in proposal order, whichever worker ran them: serial, process
and Dask runs give the same posterior for the same seed, bit for bit. ``sampler="pyabc"``
uses pyabc's own samplers instead (``SingleCoreSampler``, ``MulticoreEvalParallelSampler``,
``DaskDistributedSampler``): reproducible serially only.

The run is stored in ``abc.db`` (pyabc's sqlite history), so an interrupted calibration
resumes from its last complete generation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import observed as obsmod
from sim.config.factors import factors as all_factors
from sim.config.files import suggest as _suggest
from sim.config.scenario import uncertainty_ranges
from sim.model import plan
from sim.run.store import atomic_parquet, atomic_write_bytes, git_commit

START_YEAR = plan.YEARS[0] - 1   # 2020: the model's calibration year, not data to fit
LAST_YEAR = plan.TARGET_YEAR     # 2025: the last simulated year
SAMPLERS = ("ordered", "pyabc")
BACKENDS = ("serial", "processes", "dask")
DB = "abc.db"

SCALE_FLOOR = 0.02  # relative; the revision size of published statistics (assumption)

DEFAULTS = {  # what `clustersim calibrate` uses; see docs/analysis.md for the cost
    "population": 200, "generations": 8, "max_simulations": 12000, "min_acceptance": 0.02,
    "max_params": 8, "screen": 256, "min_rho": 0.2, "households_per_agent": 1000,
    "predictive": 100, "chunk": 8, "seed": 20210820,
}


class CalibrationError(ValueError):
    """A calibration cannot start as asked (bad input or folder); nothing was written."""


def _pyabc():
    try:
        import pyabc
    except ImportError as e:  # pragma: no cover - pyabc is a declared dependency
        raise CalibrationError("calibration needs pyabc (pip install pyabc): "
                               f"{e}") from None
    return pyabc


# ------------------------------------------------------------------ data and parameters
def statistics(observed: pd.DataFrame, until: int, data_until: int | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split observations into the rows calibrated to and the rows left out (with why).

    ``data_until``: the scenario's cut-off year for exogenous series; rows of those series
    up to it are the model's input (``sim.config.exogenous``), matched by construction.

    Returns:
        ``(used, ignored)``. ``used`` has ``key`` (``metric@year``), ``scale`` (``|value|``,
        or 1 for a zero observation, until :func:`noise_scales` replaces it) and ``weight``
        (from quality).
    """
    from sim.config.exogenous import SERIES
    obs = obsmod.until(observed, until)
    is_input = obs["metric"].isin(list(SERIES)) & (obs["year"] <= (data_until or 0))
    why = np.where(obs["year"] < START_YEAR, "before 2020: not simulated",
                   np.where(obs["year"] == START_YEAR,
                            "2020: the model's start year (matched by construction)",
                            np.where(obs["year"] > LAST_YEAR, "after 2025: not simulated",
                                     np.where(is_input, f"input data up to data_until "
                                              f"{data_until} (matched by construction)",
                                              ""))))
    used = obs[why == ""].copy().reset_index(drop=True)
    ignored = obs[why != ""].copy().reset_index(drop=True)
    ignored["reason"] = why[why != ""]
    used["key"] = used["metric"] + "@" + used["year"].astype(str)
    a = used["value"].abs()
    used["scale"] = a.where(a > 0, 1.0)
    return used, ignored


def choose_factors(base: dict, params: list[str] | None) -> list[dict]:
    """The free uncertainty factors of a scenario, or the named subset.

    A name is a factor (``national_demand_growth.brewing``) or an uncertainty, meaning all
    its free elements. Raises :class:`CalibrationError` for an unknown or pinned name.
    """
    facs = all_factors(base, include_levers=False)
    if not params:
        return facs
    names = [f["name"] for f in facs]
    chosen: list[dict] = []
    for name in params:
        hit = [f for f in facs if f["name"] == name or f["param"] == name]
        if not hit:
            from sim.model.params import BY_NAME
            if name in BY_NAME and BY_NAME[name].kind == "uncertainty":
                raise CalibrationError(f"--params: {name} is pinned by the scenario; "
                                       "nothing to calibrate")
            raise CalibrationError(f"--params: unknown uncertainty factor {name!r}"
                                   f"{_suggest(name, names + sorted({f['param'] for f in facs}))}"
                                   "; see docs/parameters.md")
        chosen += [f for f in hit if f not in chosen]
    return chosen


def pin(base: dict, facs: list[dict], values) -> dict:
    """The scenario with the factors pinned at ``values``; every other element keeps its range.

    Unlike ``sensitivity.scenario_for`` (which writes ``{key: value}`` and so pins the other
    keys of a per-cluster uncertainty at their declared defaults), the elements of a
    per-cluster uncertainty that are not factors keep the scenario's sampling range.
    """
    import copy

    from sim.model.params import BY_NAME
    scn = copy.deepcopy(base)
    ranges = uncertainty_ranges(base)
    per: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for f, v in zip(facs, values, strict=True):
        p = BY_NAME[f["param"]]
        if f["key"] is None:
            scn["uncertainties"][p.name] = float(v)
            continue
        lo, hi = per.setdefault(p.name, (np.array(ranges[p.name][0], float),
                                         np.array(ranges[p.name][1], float)))
        i = p.keys.index(f["key"])
        lo[i] = hi[i] = float(v)
    for name, (lo, hi) in per.items():
        keys = BY_NAME[name].keys
        scn["uncertainties"][name] = {"low": dict(zip(keys, lo.tolist(), strict=True)),
                                      "high": dict(zip(keys, hi.tolist(), strict=True))}
    return scn


class Simulator:
    """The pyabc model: one replicate with the particle's values pinned.

    The replicate's seed is drawn from numpy's global random state, which the samplers seed,
    so the model's remaining randomness is integrated over and still reproducible.
    """

    def __init__(self, base: dict, facs: list[dict], used: pd.DataFrame, hpa: int):
        self.base, self.facs, self.hpa = base, facs, int(hpa)
        self.pairs = list(zip(used["key"], used["metric"], used["year"].astype(int),
                              strict=True))

    def __call__(self, par) -> dict[str, float]:
        """Simulated values of the observed statistics for one particle."""
        from sim.run.replicate import run_replicate
        scn = pin(self.base, self.facs, [float(par[f["name"]]) for f in self.facs])
        seed = int(np.random.randint(0, 2**62, dtype=np.int64))
        traj = run_replicate(scn, seed, households_per_agent=self.hpa)["trajectory"]
        return {k: float(traj[y][m]) for k, m, y in self.pairs}


def noise_scales(used: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    """Each statistic's distance scale: ``sqrt(sd^2 + (SCALE_FLOOR |obs|)^2)``.

    ``y``: simulated statistics under the prior (runs x statistics, as :func:`prior_sample`
    gives); ``sd`` is their standard deviation over the runs that simulated them.
    """
    sd = np.nanstd(np.asarray(y, float), axis=0) if len(y) > 1 else np.zeros(len(used))
    floor = SCALE_FLOOR * used["value"].abs().to_numpy(float)
    s = np.sqrt(np.nan_to_num(sd) ** 2 + floor ** 2)
    return np.where(s > 0, s, 1.0)


def make_distance(used: pd.DataFrame):
    """The quality-weighted RMS of errors in units of ``used["scale"]`` as a pyabc Distance."""
    pyabc = _pyabc()

    class QualityWeightedRelativeDistance(pyabc.Distance):
        """sqrt(sum w_i ((x_i - y_i) / scale_i)^2 / sum w_i)."""

        def __init__(self, keys, weights, scales):
            super().__init__()
            self.keys = list(keys)
            self.w = np.asarray(weights, float)
            self.s = np.asarray(scales, float)

        def __call__(self, x, x_0, t=None, par=None):
            xs = np.array([float(np.asarray(x[k])) for k in self.keys])
            ys = np.array([float(np.asarray(x_0[k])) for k in self.keys])
            r = (xs - ys) / self.s
            d = float(np.sqrt(np.sum(self.w * r * r) / np.sum(self.w)))
            return d if np.isfinite(d) else np.inf

        def get_config(self):
            return {"name": "QualityWeightedRelativeDistance", "p": 2,
                    "weights": dict(zip(self.keys, self.w.tolist(), strict=True))}

    return QualityWeightedRelativeDistance(used["key"], used["weight"], used["scale"])


# ------------------------------------------------------------------ samplers
def _seed_global(seed: int, t: int, k: int) -> None:
    """Seed numpy's and Python's global random state for proposal k of generation t."""
    ss = np.random.SeedSequence([int(seed), int(t) + 1, int(k)])  # t = -1: prior sample
    np.random.seed(ss.generate_state(4))
    random.seed(int(ss.generate_state(1, np.uint64)[0]))


def _evaluate(simulate_one, seed: int, t: int, ks: list[int]) -> list:
    out = []
    for k in ks:
        _seed_global(seed, t, k)
        out.append(simulate_one())
    return out


_FN_CACHE: dict[str, object] = {}


def run_proposals(fn_bytes: bytes, seed: int, t: int, ks: list[int]) -> list:
    """Worker side: evaluate proposals ``ks`` of generation ``t`` (pyabc particles)."""
    import cloudpickle
    digest = hashlib.sha1(fn_bytes).hexdigest()
    if digest not in _FN_CACHE:
        _FN_CACHE.clear()
        _FN_CACHE[digest] = cloudpickle.loads(fn_bytes)
    return _evaluate(_FN_CACHE[digest], seed, t, ks)


class _ProcessPool:
    def __init__(self, workers: int):
        from concurrent.futures import ProcessPoolExecutor

        from sim.run.evaluators import _mp_context
        self.workers = workers
        ctx = _mp_context()
        if ctx.get_start_method() == "forkserver":  # no effect once the server runs
            ctx.set_forkserver_preload(["sim.run.replicate", "sim.analysis.calibrate", "pyabc"])
        self.ex = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)

    def submit(self, fn, *args):
        return self.ex.submit(fn, *args)

    def wait_any(self, futures):
        from concurrent.futures import FIRST_COMPLETED, wait
        return wait(futures, return_when=FIRST_COMPLETED).done

    def close(self):
        self.ex.shutdown(wait=False, cancel_futures=True)


class _DaskPool:
    def __init__(self, workers: int, scheduler: str | None):
        self.client, self.cluster = dask_client(workers, scheduler)
        self.workers = max(1, sum(self.client.ncores().values()))

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)

    def wait_any(self, futures):
        from dask.distributed import wait
        return wait(futures, return_when="FIRST_COMPLETED").done

    def close(self):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def dask_client(workers: int, scheduler: str | None):
    """A Dask client: of ``scheduler``, or of a local cluster set up as ``sim.run.batch``'s.

    Returns ``(client, cluster)``; ``cluster`` is None for an external scheduler.
    """
    from dask.distributed import Client, LocalCluster
    if scheduler:
        return Client(scheduler), None
    import dask
    # As in sim.run.batch._dask: keep glibc's adaptive malloc (2-3x faster replicates).
    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {})
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    # Speculative proposals still running when a generation is complete are cancelled;
    # workers log each cancellation as a warning, which says nothing wrong.
    env["DASK_LOGGING"] = '{"distributed.worker.state_machine": "error"}'  # merged
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    return Client(cluster), cluster


def ordered_sampler(seed: int, pool=None, chunk: int = 8, progress: bool = False):
    """A deterministic pyabc sampler (see the module docstring); ``pool`` None runs serially."""
    pyabc = _pyabc()

    class OrderedSampler(pyabc.sampler.Sampler):
        """Proposal k of generation t runs from its own seed; accepted in proposal order.

        Proposals are evaluated in chunks on the pool, several chunks ahead, and consumed in
        proposal order until ``n`` are accepted (or ``max_eval`` proposals were used); the
        result is that of a serial run whatever the pool. Speculative proposals past the
        last one used are discarded: ``computed`` counts them, ``nr_evaluations_`` not.
        """

        def __init__(self):
            super().__init__()
            self.seed, self.pool, self.chunk, self.progress = seed, pool, chunk, progress
            self.used = 0       # proposals consumed (what pyabc counts), all generations
            self.computed = 0   # proposals simulated, including discarded speculative ones
            self.last_ok = True

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                    all_accepted=False, ana_vars=None):
            sample = self._create_empty_sample()
            limit = int(max_eval) if np.isfinite(max_eval) else None
            state = {"acc": 0, "ev": 0}

            def take(particles) -> bool:
                for p in particles:
                    if state["acc"] >= n or (limit is not None and state["ev"] >= limit):
                        return True
                    sample.append(p)
                    state["ev"] += 1
                    state["acc"] += bool(p.accepted)
                return state["acc"] >= n or (limit is not None and state["ev"] >= limit)

            t0 = time.perf_counter()
            if self.pool is None:
                saved = np.random.get_state(), random.getstate()
                try:
                    k, done = 0, False
                    while not done:
                        done = take(_evaluate(simulate_one, self.seed, t, [k]))
                        k += 1
                        self.computed += 1
                finally:
                    np.random.set_state(saved[0])
                    random.setstate(saved[1])
            else:
                self._parallel(n, simulate_one, t, take, limit)
            self.nr_evaluations_ = state["ev"]
            self.used += state["ev"]
            self.last_ok = state["acc"] >= n
            if not self.last_ok:
                sample.ok = False
            if self.progress:
                eps = ana_vars.eps(t) if (ana_vars is not None and t >= 0) else None
                what = "prior sample" if t < 0 else f"generation {t}: epsilon {eps:.4g},"
                print(f"  {what} {state['acc']} accepted of {state['ev']} simulations "
                      f"({time.perf_counter() - t0:.1f} s)", flush=True)
            return sample

        def _parallel(self, n, simulate_one, t, take, limit):
            import cloudpickle
            fn = cloudpickle.dumps(simulate_one)
            pending: dict = {}
            ready: dict[int, list] = {}
            nxt = consumed = 0
            done = False
            try:
                while not done:
                    while len(pending) < 2 * self.pool.workers and (limit is None
                                                                   or nxt < limit):
                        ks = list(range(nxt, nxt + self.chunk if limit is None
                                        else min(nxt + self.chunk, limit)))
                        pending[self.pool.submit(run_proposals, fn, self.seed, t, ks)] = nxt
                        nxt += len(ks)
                    for f in self.pool.wait_any(list(pending)):
                        start = pending.pop(f)
                        ready[start] = f.result()
                        self.computed += len(ready[start])
                    while consumed in ready and not done:
                        res = ready.pop(consumed)
                        consumed += len(res)
                        done = take(res)
                    if not done and not pending and limit is not None and nxt >= limit:
                        done = True
            finally:
                for f in pending:
                    f.cancel()

    return OrderedSampler()


def make_sampler(kind: str, backend: str, workers: int, scheduler: str | None, seed: int,
                 chunk: int, progress: bool):
    """(sampler, pool to close or None)."""
    pyabc = _pyabc()
    if kind == "ordered":
        pool = None
        if backend == "processes":
            pool = _ProcessPool(workers)
        elif backend == "dask":
            pool = _DaskPool(workers, scheduler)
        return ordered_sampler(seed, pool, chunk, progress), pool
    if backend == "serial":
        return pyabc.sampler.SingleCoreSampler(), None
    if backend == "processes":
        return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers), None
    pool = _DaskPool(workers, scheduler)
    return pyabc.sampler.DaskDistributedSampler(pool.client, batch_size=chunk), pool


# ------------------------------------------------------------------ prior screen
def screen(base: dict, facs: list[dict], used: pd.DataFrame, n: int, seed: int, hpa: int,
           backend: str = "serial", workers: int = 1, scheduler: str | None = None
           ) -> pd.DataFrame:
    """Which factors move the observed statistics: Spearman's rho over a prior sample.

    ``n`` prior draws of all factors, one replicate each (seeds from the root seed), every
    statistic simulated; per factor the largest |rho| with any statistic and which one.
    """
    x, y = prior_sample(base, facs, used, n, seed, hpa, backend, workers, scheduler)
    return rank_screen(facs, used, x, y)


def prior_sample(base: dict, facs: list[dict], used: pd.DataFrame, n: int, seed: int,
                 hpa: int, backend: str = "serial", workers: int = 1,
                 scheduler: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` prior draws of the factors (runs x factors) and the statistics they simulate."""
    from sim.model.rng import replicate_seeds
    from sim.run.evaluators import Evaluator
    rng = np.random.default_rng([int(seed), 7])
    lo = np.array([f["low"] for f in facs])
    hi = np.array([f["high"] for f in facs])
    x = lo + rng.random((n, len(facs))) * (hi - lo)
    seeds = replicate_seeds(seed, n)
    tasks = [(i, seeds[i], pin(base, facs, x[i])) for i in range(n)]
    y = np.full((n, len(used)), np.nan)
    with Evaluator(backend, workers, scheduler, hpa, progress=False) as ev:
        results = ev.run_all(tasks, base)
    for res in results:
        tr = res["trajectory"]
        y[res["index"]] = [tr[int(yr)][m] for m, yr in zip(used["metric"], used["year"],
                                                             strict=True)]
    return x, y


def rank_screen(facs: list[dict], used: pd.DataFrame, x: np.ndarray, y: np.ndarray
                ) -> pd.DataFrame:
    """Per factor, the largest |Spearman rho| with any statistic over a prior sample.

    ``leads``: the observed metrics (over all their years) this factor moves more than any
    other factor does, with that metric's largest |rho| (``metric:rho``, comma-separated;
    empty when it leads none), so :func:`pick` can give every observed series a factor.
    """
    from scipy.stats import rankdata
    n = len(x)
    rx = np.apply_along_axis(rankdata, 0, x)
    ry = np.apply_along_axis(rankdata, 0, y)
    rx = (rx - rx.mean(0)) / rx.std(0)
    sd = ry.std(0)
    ry = (ry - ry.mean(0)) / np.where(sd > 0, sd, 1.0)
    rho = rx.T @ ry / n                                    # factors x statistics
    best = np.argmax(np.abs(rho), axis=1)
    out = pd.DataFrame({
        "factor": [f["name"] for f in facs],
        "max_abs_rho": np.abs(rho)[np.arange(len(facs)), best],
        "statistic": used["key"].to_numpy()[best],
        "rho": rho[np.arange(len(facs)), best],
    })
    lead: dict[int, list[str]] = {}
    metrics = used["metric"].to_numpy()
    for metric in dict.fromkeys(metrics):               # in file order
        a = np.abs(rho[:, metrics == metric]).max(axis=1)
        i = int(np.argmax(a))
        lead.setdefault(i, []).append(f"{metric}:{a[i]:.3f}")
    out["leads"] = [", ".join(lead.get(i, [])) for i in range(len(facs))]
    return out.sort_values(["max_abs_rho", "factor"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


def pick(table: pd.DataFrame, k: int, min_rho: float) -> list[str]:
    """Up to ``k`` factors: each observed metric's strongest driver first, then the rest.

    A factor counts only with |rho| >= ``min_rho``. First the factors that lead an observed
    metric with at least that |rho| (``leads`` of :func:`rank_screen`), so no observed
    series is left without a calibrated factor that moves it while ``k`` allows; then the
    others; each group by |rho|, largest first. A table without ``leads`` (written before
    it existed) is ranked by |rho| alone.
    """
    ok = table[table["max_abs_rho"] >= min_rho]
    if "leads" not in ok:
        return ok["factor"].head(k).tolist()
    leads = ok["leads"].map(lambda s: any(float(p.rsplit(":", 1)[1]) >= min_rho
                                          for p in s.split(", ") if p))
    return (ok[leads]["factor"].tolist() + ok[~leads]["factor"].tolist())[:k]


# ------------------------------------------------------------------ weighted statistics
def weighted_quantile(x, w, q):
    """Quantiles of a weighted sample (midpoint rule on the cumulative weights)."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    o = np.argsort(x, kind="stable")
    x, w = x[o], w[o]
    c = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, c, x)


def ess(w) -> float:
    """Effective sample size of normalised importance weights."""
    w = np.asarray(w, float)
    return float(w.sum() ** 2 / np.sum(w * w))


# ------------------------------------------------------------------ the calibration
def _key(base, used, facs, s, until: int) -> dict:
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
    "posterior", "generations", "summary", "screen"}`` (DataFrames; ``screen`` may be None).

    Raises:
        CalibrationError: bad input or folder (nothing written).
    """
    observed = obsmod.until(observed, until)          # first: nothing later is ever read
    if base.get("data_until") is not None and int(base["data_until"]) > until:
        raise CalibrationError(f"data_until {base['data_until']} is after the calibration's "
                               f"last year {until}: the model would use later data")
    pyabc = _pyabc()
    if sampler not in SAMPLERS:
        raise CalibrationError(f"sampler must be one of {SAMPLERS}")
    if backend not in BACKENDS:
        raise CalibrationError(f"backend must be one of {BACKENDS}")
    folder = Path(folder)
    used, ignored = statistics(observed, until, base.get("data_until"))
    if used.empty:
        raise CalibrationError(f"{source or 'observed data'}: no observations after "
                               f"{START_YEAR} up to {until} (and at most {LAST_YEAR}): "
                               "nothing to calibrate to")
    for name, v, lo in (("population", population, 10), ("generations", generations, 1),
                        ("max_simulations", max_simulations, population),
                        ("households_per_agent", households_per_agent, 1),
                        ("chunk", chunk, 1), ("workers", workers, 1)):
        if v < lo:
            raise CalibrationError(f"--{name.replace('_', '-')}: must be at least {lo}, "
                                   f"got {v}")
    if not 0 <= min_acceptance < 1:
        raise CalibrationError(f"--min-acceptance: must be in [0, 1), got {min_acceptance}")
    settings = {"population": population, "generations": generations,
                "max_simulations": max_simulations, "min_acceptance": min_acceptance,
                "seed": int(seed), "households_per_agent": households_per_agent,
                "sampler": sampler, "chunk": chunk}
    old = _read_manifest(folder)
    if old is None and folder.exists() and any(folder.iterdir()):
        raise CalibrationError(f"{folder}: the folder is not empty and holds no calibration; "
                               "choose another --out")
    if old is not None and not resume:
        raise CalibrationError(f"{folder}: already holds a calibration (status "
                               f"{old.get('status')}); pass --resume to continue it, or "
                               "choose another --out")
    t_start = time.perf_counter()
    screen_table = None
    n_screen = 0
    if old is not None:                   # resuming: the stored factors and scales
        facs = choose_factors(base, params) if params else old["factors"]
        if (folder / "screen.parquet").is_file():
            screen_table = pd.read_parquet(folder / "screen.parquet")
        if not old.get("rows_used") or "scale" not in old["rows_used"][0]:
            raise CalibrationError(f"{folder}: was calibrated with the relative distance of "
                                   "an earlier version (no stored scales); resuming it would "
                                   "mix distances. Start afresh with another --out")
        used["scale"] = [r["scale"] for r in old["rows_used"]]
        used["prior_sd"] = [r.get("prior_sd", np.nan) for r in old["rows_used"]]
    else:
        facs_all = choose_factors(base, None)
        if progress:
            print(f"prior sample: {screen_n} runs of {len(facs_all)} factors (distance "
                  f"scales{'' if params else ' and the factor screen'}) ...", flush=True)
        x, y = prior_sample(base, facs_all, used, screen_n, seed, households_per_agent,
                            backend, workers, scheduler)
        used["scale"] = noise_scales(used, y)
        used["prior_sd"] = np.nanstd(y, axis=0) if len(y) > 1 else 0.0
        n_screen = screen_n
        screen_table = rank_screen(facs_all, used, x, y)
        if params:
            facs = choose_factors(base, params)
        else:
            names = pick(screen_table, max_params, min_rho)
            if not names:
                raise CalibrationError(f"no factor reaches |rho| >= {min_rho} with an "
                                       "observed statistic in the prior screen; name them "
                                       "with --params")
            facs = [f for f in facs_all if f["name"] in names]
            facs.sort(key=lambda f: names.index(f["name"]))
    key = _key(base, used, facs, settings, until)
    if old is not None:
        old_key = json.loads(json.dumps(old.get("key")))
        new_key = json.loads(json.dumps(key))
        if old_key != new_key:
            diff = [k for k in new_key if old_key.get(k) != new_key[k]]
            raise CalibrationError(f"{folder}: holds a different calibration ("
                                   f"{', '.join(diff)} differ); choose another --out")
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
        "pyabc_version": pyabc.__version__, "git_commit": git_commit(),
        "backend": backend, "workers": workers,
        "started": manifest.get("started") or datetime.now(UTC).isoformat(timespec="seconds"),
    })
    if screen_table is not None and n_screen:
        atomic_parquet(screen_table, folder / "screen.parquet")
        manifest["screen"] = {"runs": n_screen, "min_rho": min_rho, "max_params": max_params}
    _write_manifest(folder, manifest)

    prior = pyabc.Distribution(**{f["name"]: pyabc.RV("uniform", f["low"],
                                                      f["high"] - f["low"]) for f in facs})
    model = Simulator(base, facs, used, households_per_agent)
    distance = make_distance(used)
    smp, pool = make_sampler(sampler, backend, workers, scheduler, seed, chunk, progress)
    x0 = dict(zip(used["key"], used["value"].astype(float), strict=True))
    db = f"sqlite:///{(folder / DB).resolve()}"
    for name in ("ABC", "Sampler", "Distance", "Epsilon", "Acceptor", "History"):
        logging.getLogger(f"ABC.{name}" if name != "ABC" else name).setLevel(logging.WARNING)
    saved = np.random.get_state(), random.getstate()
    np.random.seed(np.random.SeedSequence([int(seed), 0xABC]).generate_state(4))
    random.seed(int(seed))
    try:
        abc = pyabc.ABCSMC(model, prior, distance, population_size=population, sampler=smp)
        hist = None
        if (folder / DB).is_file():
            if _has_run(pyabc.History(db)):
                hist = abc.load(db, 1)
            else:  # interrupted before its first generation was stored: start afresh
                (folder / DB).unlink()
        if hist is None:
            hist = abc.new(db, x0, meta_info={"seed": int(seed)})
        done = hist.n_populations
        if progress:
            print(f"calibrating {len(facs)} factors to {len(used)} observations "
                  f"(population {population}, up to {generations} generations, "
                  f"{max_simulations} simulations; {done} generation(s) stored) ...",
                  flush=True)
        # a finished calibration is not extended by --resume with the same budget (pyabc
        # checks the simulation budget only after a generation, so it would run one more);
        # a larger --generations or --max-simulations extends it
        finished = old is not None and old.get("status") == "complete" and all(
            (old.get("settings") or {}).get(k) == settings[k]
            for k in ("generations", "max_simulations", "min_acceptance"))
        if done < generations and not finished:
            abc.run(max_nr_populations=generations - done, min_acceptance_rate=min_acceptance,
                    max_total_nr_simulations=max_simulations)
    except KeyboardInterrupt:
        manifest["status"] = "interrupted"
        _write_manifest(folder, manifest)
        raise
    finally:
        np.random.set_state(saved[0])
        random.setstate(saved[1])
        if pool is not None:
            pool.close()
    hist = abc.history
    if hist.n_populations == 0:
        manifest["status"] = "failed"
        _write_manifest(folder, manifest)
        raise RuntimeError("no generation was accepted; loosen --min-acceptance")
    elapsed = time.perf_counter() - t_start
    out = export(folder, hist, facs, used)
    sims = manifest.get("simulations", {"screen": 0, "abc": 0, "computed": 0})
    sims["screen"] = sims.get("screen", 0) + n_screen
    sims["abc"] = int(hist.total_nr_simulations)
    sims["computed"] = sims.get("computed", 0) + int(getattr(smp, "computed", 0))
    last = out["generations"].iloc[-1]
    if not finished:        # a finished calibration resumed keeps when and why it stopped
        manifest.update({
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(manifest.get("seconds", 0) + elapsed, 1),
            "stopped": _stop_reason(out["generations"], settings,
                                    getattr(smp, "last_ok", True))})
    manifest.update({
        "status": "complete", "generations_done": int(hist.n_populations), "simulations": sims,
        "final_epsilon": float(last["epsilon"]),
        "posterior_summary": out["summary"].to_dict("records"),
    })
    _write_manifest(folder, manifest)
    res = {"manifest": manifest, "screen": screen_table, **out}
    if predictive:
        res["predictive"] = predictive_check(base, folder, observed, used, predictive, seed,
                                             households_per_agent, backend, workers,
                                             scheduler)
    return res


def _has_run(h) -> bool:
    try:
        return h.id is not None and h.max_t >= 0
    except Exception:  # noqa: BLE001 - an empty or half-written database
        return False


def _stop_reason(gens: pd.DataFrame, s: dict, last_ok: bool) -> str:
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


def export(folder: Path, hist, facs: list[dict], used: pd.DataFrame) -> dict:
    """Write posterior.parquet, generations.parquet, posterior.png from the history."""
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
    fig = plot_posterior(post, facs, f"posterior vs prior · {len(used)} observations · "
                         f"{len(gens[gens['t'] >= 0])} generations")
    fig.savefig(folder / "posterior.png", dpi=110)
    import matplotlib.pyplot as plt
    plt.close(fig)
    return {"posterior": post, "generations": gens, "summary": summary}


def _panels(n: int, width: float, height: float):
    """A figure with ``n`` panels, at most four a row (headless)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cols = min(4, n)
    rows = -(-n // cols)
    return plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)


def plot_posterior(post: pd.DataFrame, facs: list[dict], title: str):
    """One panel per factor: the uniform prior and the weighted posterior histogram."""
    fig, axes = _panels(len(facs), 3.4, 2.6)
    for ax, f in zip(axes.flat, facs, strict=False):
        lo, hi = f["low"], f["high"]
        ax.hist(post[f["name"]], bins=np.linspace(lo, hi, 21), weights=post["weight"],
                density=True, color="tab:blue", alpha=0.7, label="posterior")
        ax.plot([lo, lo, hi, hi], [0, 1 / (hi - lo), 1 / (hi - lo), 0], color="0.3",
                lw=1.2, label="prior")
        q05, q50, q95 = weighted_quantile(post[f["name"]], post["weight"], [0.05, 0.5, 0.95])
        ax.axvline(q50, color="tab:red", lw=1)
        ax.axvspan(q05, q95, color="tab:red", alpha=0.08)
        ax.set_title(f["name"], fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(facs):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def predictive_check(base: dict, folder: Path, observed: pd.DataFrame, used: pd.DataFrame,
                     n: int, seed: int, hpa: int, backend: str, workers: int,
                     scheduler: str | None) -> pd.DataFrame:
    """Prior and posterior predictive fans of the observed metrics (predictive.png/.parquet)."""
    from sim.run.posterior import attach
    metrics = list(dict.fromkeys(used["metric"]))
    post_scn = attach(base, folder)
    rows = []
    for label, scn in (("prior", base), ("posterior", post_scn)):
        traj = simulate_metrics(scn, metrics, n, seed, hpa, backend, workers, scheduler)
        q = traj.groupby(["metric", "year"])["value"].quantile([0.05, 0.25, 0.5, 0.75, 0.95])
        q = q.unstack().reset_index()
        q.columns = ["metric", "year", "q05", "q25", "q50", "q75", "q95"]
        q.insert(0, "predictive", label)
        rows.append(q)
    table = pd.concat(rows, ignore_index=True)
    atomic_parquet(table, folder / "predictive.parquet")
    fig = plot_predictive(table, observed, metrics, f"prior and posterior predictive · "
                          f"{n} replicates each")
    fig.savefig(folder / "predictive.png", dpi=110)
    import matplotlib.pyplot as plt
    plt.close(fig)
    return table


def simulate_metrics(scn: dict, metrics: list[str], n: int, seed: int, hpa: int,
                     backend: str = "serial", workers: int = 1,
                     scheduler: str | None = None) -> pd.DataFrame:
    """``n`` replicates of ``scn`` (seeds from ``seed``): long table replicate, metric, year."""
    from sim.model.rng import replicate_seeds
    from sim.run.evaluators import Evaluator
    seeds = replicate_seeds(seed, n)
    out = []
    with Evaluator(backend, workers, scheduler, hpa, progress=False) as ev:
        results = ev.run_all([(i, seeds[i]) for i in range(n)], scn)
    for res in results:
        for y, row in res["trajectory"].items():
            out += [(res["index"], m, int(y), float(row[m])) for m in metrics]
    df = pd.DataFrame(out, columns=["replicate", "metric", "year", "value"])
    return df.sort_values(["replicate", "metric", "year"]).reset_index(drop=True)


def plot_predictive(table: pd.DataFrame, observed: pd.DataFrame, metrics: list[str],
                    title: str):
    """Fan per metric: prior 90% band, posterior 50%/90% bands, the observations."""
    fig, axes = _panels(len(metrics), 3.8, 2.9)
    for ax, m in zip(axes.flat, metrics, strict=False):
        pr = table[(table["predictive"] == "prior") & (table["metric"] == m)]
        po = table[(table["predictive"] == "posterior") & (table["metric"] == m)]
        ax.fill_between(pr["year"], pr["q05"], pr["q95"], color="0.6", alpha=0.25,
                        label="prior 90%")
        ax.fill_between(po["year"], po["q05"], po["q95"], color="tab:blue", alpha=0.25,
                        label="posterior 90%")
        ax.fill_between(po["year"], po["q25"], po["q75"], color="tab:blue", alpha=0.4,
                        label="posterior 50%")
        o = observed[(observed["metric"] == m) & (observed["year"] >= START_YEAR)]
        ax.plot(o["year"], o["value"], "o", color="tab:red", ms=4, label="observed")
        ax.set_title(m, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(metrics):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def _read_manifest(folder: Path) -> dict | None:
    p = Path(folder) / "manifest.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None


def _write_manifest(folder: Path, manifest: dict) -> None:
    atomic_write_bytes(folder / "manifest.json", json.dumps(
        manifest, indent=1, ensure_ascii=False, default=_plain).encode("utf-8"))


def _plain(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON-able: {type(o).__name__}")

