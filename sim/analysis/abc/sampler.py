"""Samplers: the reproducible ordered sampler (the default) on ``run.Evaluator``, or pyabc's.

pyabc draws proposals from numpy's global random state, and its Dask and multicore samplers
re-seed that state from the operating system in every job, so their posteriors cannot be
reproduced. :class:`OrderedSampler` seeds the global state for proposal ``k`` of
generation ``t`` from ``SeedSequence([seed, t + 1, k])`` and accepts proposals in proposal
order, whichever worker ran them: serial, process and Dask runs give the same posterior for
the same seed, bit for bit. ``sampler="pyabc"`` uses pyabc's own samplers instead
(``SingleCoreSampler``, ``MulticoreEvalParallelSampler``, ``DaskDistributedSampler`` on the
evaluator's Dask client): reproducible serially only.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import time

import numpy as np
import pyabc

from sim.analysis.abc.options import SAMPLERS, CalibrationError

# Modules a process worker should have imported before it unpickles a proposal.
PRELOAD = ("sim.run.replicate", "sim.analysis.abc.sampler", "pyabc")


def seed_global(seed: int, t: int, k: int) -> None:
    """Seed numpy's and Python's global random state for proposal k of generation t."""
    ss = np.random.SeedSequence([int(seed), int(t) + 1, int(k)])  # t = -1: prior sample
    np.random.seed(ss.generate_state(4))
    random.seed(int(ss.generate_state(1, np.uint64)[0]))


def evaluate(simulate_one, seed: int, t: int, ks: list[int]) -> list:
    """Proposals ``ks`` of generation ``t``, each from its own seed (pyabc particles)."""
    out = []
    for k in ks:
        seed_global(seed, t, k)
        out.append(simulate_one())
    return out


_FN_CACHE: dict[str, object] = {}


def run_proposals(fn_bytes: bytes, seed: int, t: int, ks: list[int]) -> list:
    """Worker side: :func:`evaluate` with pyabc's ``simulate_one`` sent pickled."""
    import cloudpickle
    digest = hashlib.sha1(fn_bytes).hexdigest()
    if digest not in _FN_CACHE:
        _FN_CACHE.clear()
        _FN_CACHE[digest] = cloudpickle.loads(fn_bytes)
    return evaluate(_FN_CACHE[digest], seed, t, ks)


class OrderedSampler(pyabc.sampler.Sampler):
    """Proposal k of generation t runs from its own seed; accepted in proposal order.

    Proposals are evaluated in chunks on the evaluator (serially without one), several
    chunks ahead, and consumed in proposal order until ``n`` are accepted (or ``max_eval``
    proposals were used); the result is that of a serial run whatever the backend.
    Speculative proposals past the last one used are discarded: ``computed`` counts them,
    ``nr_evaluations_`` not.
    """

    def __init__(self, seed: int, evaluator=None, chunk: int = 8, progress: bool = False):
        super().__init__()
        self.seed, self.evaluator, self.chunk, self.progress = seed, evaluator, chunk, progress
        self.used = 0       # proposals consumed (what pyabc counts), all generations
        self.computed = 0   # proposals simulated, including discarded speculative ones
        self.last_ok = True

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                all_accepted=False, ana_vars=None):
        """Particles in proposal order until ``n`` are accepted (pyabc's interface)."""
        sample = self._create_empty_sample()
        limit = int(max_eval) if np.isfinite(max_eval) else None
        acc = ev = 0
        t0 = time.perf_counter()
        with contextlib.closing(self._results(simulate_one, t, limit)) as results:
            for p in results:
                sample.append(p)
                ev += 1
                acc += bool(p.accepted)
                if acc >= n or (limit is not None and ev >= limit):
                    break
        self.nr_evaluations_ = ev
        self.used += ev
        self.last_ok = acc >= n
        if not self.last_ok:
            sample.ok = False
        if self.progress:
            eps = ana_vars.eps(t) if (ana_vars is not None and t >= 0) else None
            what = "prior sample" if t < 0 else f"generation {t}: epsilon {eps:.4g},"
            print(f"  {what} {acc} accepted of {ev} simulations "
                  f"({time.perf_counter() - t0:.1f} s)", flush=True)
        return sample

    def _results(self, simulate_one, t: int, limit: int | None):
        """The particles of proposals 0, 1, ... (up to ``limit``), in proposal order."""
        if self.evaluator is None or self.evaluator.backend == "serial":
            saved = np.random.get_state(), random.getstate()
            try:
                k = 0
                while limit is None or k < limit:
                    self.computed += 1
                    yield evaluate(simulate_one, self.seed, t, [k])[0]
                    k += 1
            finally:
                np.random.set_state(saved[0])
                random.setstate(saved[1])
            return
        import cloudpickle
        fn = cloudpickle.dumps(simulate_one)

        def calls():
            k = 0
            while limit is None or k < limit:
                ks = list(range(k, k + self.chunk if limit is None
                                else min(k + self.chunk, limit)))
                yield fn, self.seed, t, ks
                k += len(ks)

        def count(res) -> None:
            self.computed += len(res)

        with contextlib.closing(self.evaluator.imap_ordered(run_proposals, calls(),
                                                            count)) as chunks:
            for res in chunks:
                yield from res


def make_sampler(kind: str, evaluator, seed: int, chunk: int, progress: bool):
    """The sampler of ``kind`` (:data:`SAMPLERS`) running on ``evaluator``'s backend."""
    if kind not in SAMPLERS:
        raise CalibrationError(f"sampler must be one of {SAMPLERS}")
    if kind == "ordered":
        return OrderedSampler(seed, evaluator.start(), chunk, progress)
    if evaluator.backend == "serial":
        return pyabc.sampler.SingleCoreSampler()
    if evaluator.backend == "processes":
        return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=evaluator.workers)
    return pyabc.sampler.DaskDistributedSampler(evaluator.dask_client(), batch_size=chunk)
