"""Lever-to-answer time of ``clustersim dashboard``.

Usage::

    python benchmarks/dashboard.py                      # emulator under results/dashboard
    python benchmarks/dashboard.py --cache DIR --moves 20

Two figures:

* ``compute``: the server's work for one lever move, outside the browser: the emulator's
  P(met) of every target with intervals, the difference to the baseline, the fan chart's
  quantiles and SVG, and the table's HTML (median and max over ``--moves``).
* ``browser``: in Debian's headless chromium, from a key press on a lever slider to the
  moment the P(met) table shows the new numbers (a MutationObserver in the page records the
  time; median and max over ``--moves`` presses). Needs /usr/bin/chromium and chromedriver.

The emulator is the plan's under the 2021 vintage at ``--scale``; if none is cached, a small
one (``--runs``) is built first (its time is reported apart). Writes
``<out>/dashboard-benchmark.json`` and prints it, with the load average at start and end:
on a shared machine other work slows every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000")


def compute_times(cache: Path, scale: int, moves: int) -> dict:
    from sim.analysis import emulator as E
    from sim.config.scenario import load
    from sim.present.dashboard import app, text
    plan = load("plan")
    em = E.cached(cache, plan, "vintage2021", scale)
    base_point = E.lever_point(load("no_new_policy"))
    point = E.lever_point(plan)
    lo, hi = E.lever_bounds()[0]
    times = []
    for i in range(moves):
        point = {**point, "capital_subsidy_rate": lo + (hi - lo) * (i % 10) / 9}
        t0 = time.perf_counter()
        app.targets_html(em, point, em, base_point, None, text.TEXT["en"], "en")
        app.fan_svg(em, point, em, base_point, "output_total", None, "en", text.TEXT["en"])
        times.append(time.perf_counter() - t0)
    return {"median_s": round(statistics.median(times), 4), "max_s": round(max(times), 4),
            "moves": moves}


def browser_times(cache: Path, scale: int, moves: int) -> dict:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT),
                                                        os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "sim", "dashboard", "--cache", str(cache),
                             "--port", str(port), "--scale", str(scale), "--workers", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for f in FLAGS:
        opts.add_argument(f)
    profile = tempfile.mkdtemp(prefix="clustersim-bench-")
    opts.add_argument(f"--user-data-dir={profile}")
    d = None
    try:
        for _ in range(200):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        t0 = time.perf_counter()
        d.get(f"http://127.0.0.1:{port}/")
        read = ("return Array.from(document.querySelectorAll('td.pmet'))"
                ".map(e => e.textContent).join('|');")
        while not d.execute_script(read):
            if time.perf_counter() - t0 > 120:
                raise RuntimeError("the page did not show the P(met) table within 120 s")
            time.sleep(0.1)
        first_page = time.perf_counter() - t0
        times = []
        for i in range(moves):
            before = d.execute_script(read)
            d.execute_script("window.__t0 = performance.now();")
            thumb = d.find_element("css selector", ".lever-capital_subsidy_rate [role=slider]")
            d.execute_script("arguments[0].focus()", thumb)
            key = Keys.ARROW_RIGHT if i % 2 == 0 else Keys.ARROW_LEFT
            ActionChains(d).send_keys(key).perform()
            deadline = time.perf_counter() + 30
            while True:
                now = d.execute_script(read + "")
                if now and now != before:
                    elapsed = d.execute_script("return performance.now() - window.__t0;")
                    times.append(elapsed / 1000)
                    break
                if time.perf_counter() > deadline:
                    raise RuntimeError("P(met) did not change within 30 s of a lever move")
                time.sleep(0.01)
            time.sleep(0.3)
        return {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3),
                "moves": moves, "first_page_s": round(first_page, 1),
                "note": "key press to changed P(met) text, polled every 10 ms"}
    finally:
        if d is not None:
            d.quit()
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cache", default="results/dashboard")
    p.add_argument("--scale", type=int, default=10_000)
    p.add_argument("--runs", type=int, default=160, help="design runs if none is cached")
    p.add_argument("--moves", type=int, default=20)
    p.add_argument("--out", default="results/benchmarks")
    p.add_argument("--no-browser", action="store_true")
    a = p.parse_args()
    sys.path.insert(0, str(ROOT))
    from sim.analysis import emulator as E
    from sim.config.scenario import load
    cache = Path(a.cache)
    out = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
           "machine": platform.platform(), "cpus": os.cpu_count(),
           "load_start": os.getloadavg()}
    if E.cached(cache, load("plan"), "vintage2021", a.scale) is None:
        t0 = time.perf_counter()
        E.build(cache, load("plan"), "vintage2021", a.runs, a.scale, workers=2)
        out["build_s"] = round(time.perf_counter() - t0, 1)
    out["compute"] = compute_times(cache, a.scale, a.moves)
    if not a.no_browser:
        out["browser"] = browser_times(cache, a.scale, a.moves)
    out["load_end"] = os.getloadavg()
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / "dashboard-benchmark.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
