"""``clustersim dashboard``: the web dashboard, and ``--build`` for its emulators."""

from __future__ import annotations

import os
import socket
import time

from sim.cli.common import EXIT_OK, UsageError, cores

DEFAULT_PORT = 8765


def add_parsers(sub) -> None:
    """The dashboard's subparser."""
    from sim.analysis.emulator import CONDITIONINGS, DEFAULT_SCALE
    d = sub.add_parser(
        "dashboard", help="a local web app: move levers, see P(met), fan charts and agents",
        description="Start the dashboard on a local port. Answers come from an emulator "
                    "fitted on a design of model runs, kept under --cache; with none there, "
                    "the plan's emulator is built first (a few minutes at most), the others "
                    "when the page first needs them. --build builds them all and exits.")
    d.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only)")
    d.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port (default: {DEFAULT_PORT})")
    d.add_argument("--build", action="store_true",
                   help="build the emulators of every shipped scenario family under "
                        f"every conditioning ({', '.join(CONDITIONINGS)}), then exit")
    d.add_argument("--runs", type=int, default=160,
                   help="model runs in an emulator's design (default: 160)")
    d.add_argument("--scale", type=int, default=DEFAULT_SCALE,
                   help=f"rural households per simulated household in the design and "
                        f"the page's model runs (default: {DEFAULT_SCALE})")
    d.add_argument("--workers", type=int, default=None,
                   help="worker processes for model runs (default: up to 2, the cores)")
    d.add_argument("--mc", type=int, default=30,
                   help="replicates of the page's 'run the model here' button (default: 30)")
    d.add_argument("--cache", default="results/dashboard",
                   help="folder of the stored designs and emulators "
                        "(default: results/dashboard)")
    d.set_defaults(func=cmd_dashboard)


def _check(a) -> None:
    for name, lo, hi in (("runs", 10, 100_000), ("scale", 1, 100_000), ("mc", 2, 10_000),
                         ("port", 1, 65_535)):
        v = getattr(a, name)
        if not lo <= v <= hi:
            raise UsageError(f"--{name}: {v} is out of range [{lo}, {hi}]")
    if a.workers is not None and a.workers < 1:
        raise UsageError(f"--workers: {a.workers} must be at least 1")


def _families(conds) -> list[tuple[str, str]]:
    """One (scenario, conditioning) per distinct emulator among the shipped scenarios."""
    from sim.analysis.emulator import family_key
    from sim.config.scenario import load, shipped_scenarios
    seen, out = set(), []
    names = sorted(shipped_scenarios(), key=lambda n: (n != "plan", n))
    for cond in conds:
        for name in names:
            key = family_key(load(name), cond, 0)
            if key not in seen:
                seen.add(key)
                out.append((name, cond))
    return out


def cmd_dashboard(a) -> int:
    """Build the emulators if asked (or missing for the plan), then serve the page."""
    _check(a)
    from pathlib import Path

    from sim.analysis import emulator as E
    from sim.config.scenario import load
    workers = a.workers or max(1, min(2, cores()))
    cache = Path(a.cache)
    todo = (_families(E.CONDITIONINGS) if a.build else [("plan", "vintage2021")])
    for name, cond in todo:
        scn = load(name)
        if E.cached(cache, scn, cond, a.scale) is not None:
            print(f"emulator for {name} ({cond}) is in {E.cache_dir(cache, scn, cond, a.scale)}")
            continue
        print(f"building the emulator for {name} ({cond}): {a.runs} model runs at 1 simulated "
              f"household per {a.scale}, {workers} worker(s)", flush=True)
        t0 = time.perf_counter()
        em = E.build(cache, scn, cond, a.runs, a.scale, workers)
        h = em.heldout
        brier, brier0 = h["brier_mean_varied"] or 0.0, h["brier_constant_mean_varied"] or 0.0
        print(f"  done in {time.perf_counter() - t0:.0f} s; held-out Brier {brier:.3f} "
              f"(constant {brier0:.3f}), 5-95% band covers "
              f"{100 * h['coverage90_mean']:.0f}% of held-out runs")
    if a.build:
        return EXIT_OK
    with socket.socket() as s:
        try:
            s.bind((a.host, a.port))
        except OSError as e:
            raise UsageError(f"--port {a.port} on {a.host}: cannot listen ({e.strerror}); "
                             "choose another with --port") from None
    os.environ.update({
        "CLUSTERSIM_DASHBOARD_CACHE": str(cache.resolve()),
        "CLUSTERSIM_DASHBOARD_RUNS": str(a.runs),
        "CLUSTERSIM_DASHBOARD_SCALE": str(a.scale),
        "CLUSTERSIM_DASHBOARD_WORKERS": str(workers),
        "CLUSTERSIM_DASHBOARD_MC": str(a.mc),
        "SOLARA_APP": "sim.present.dashboard.app",
    })
    import uvicorn
    print(f"dashboard on http://{a.host}:{a.port}/  (Ctrl-C stops it)", flush=True)
    uvicorn.run("solara.server.starlette:app", host=a.host, port=a.port, log_level="warning")
    return EXIT_OK
