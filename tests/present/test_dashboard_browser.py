"""The dashboard in a real browser: Debian's chromium, headless, driven by selenium.

Starts ``clustersim dashboard`` on a loopback port with a tiny emulator built here, moves a
lever slider and checks that the P(met) shown changes. Screenshots go to the test's
temporary folder; with ``CLUSTERSIM_DASHBOARD_SHOT=FILE`` the first one is also saved there
(docs/dashboard.png is made this way). Without chromium the test is skipped, except in CI
(``CI=true``), where it fails.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from tests._shared import REPO

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
SCALE = 50_000
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000")


def _missing() -> str:
    if not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)):
        return (f"{CHROMIUM} or {DRIVER} not installed (apt-get install chromium "
                "chromium-driver; .ci/run does)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return ""


@pytest.fixture(scope="module")
def browser():
    why = _missing()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser test must run in CI: {why}")
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in FLAGS:
        opts.add_argument(f)
    profile = tempfile.mkdtemp(prefix="clustersim-chromium-")
    opts.add_argument(f"--user-data-dir={profile}")
    d = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield d
    d.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, browser):
    from sim.analysis import emulator as E
    from sim.config.scenario import load
    cache = tmp_path_factory.mktemp("dashboard-cache")
    E.build(cache, load("plan"), "vintage2021", runs=16, scale=SCALE, bar=False)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), os.environ.get("PYTHONPATH", "")])}
    log = open(cache / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", "dashboard", "--cache", str(cache), "--port", str(port),
         "--runs", "16", "--scale", str(SCALE), "--workers", "1", "--mc", "4"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dashboard exited ({proc.returncode}): "
                        f"{(cache / 'server.log').read_text()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.3)
    else:
        proc.terminate()
        pytest.fail("dashboard did not listen within 60 s")
    yield f"http://127.0.0.1:{port}/"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _pmet(driver) -> dict[str, str]:
    """The P(met) cells by target, read in one script (the table is redrawn as levers move)."""
    rows = driver.execute_script(
        "return Array.from(document.querySelectorAll('td.pmet'))"
        ".map(e => [e.dataset.target, e.textContent]);")
    return dict(rows or [])


def _wait(cond, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}")


def test_moving_a_lever_changes_p_met_in_the_browser(server, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    browser.get(server)
    before = _wait(lambda: _pmet(browser), 45, "the P(met) table")
    assert len(before) > 50 and all("%" in v for v in before.values())
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "Held-out error" in page  # the emulator's cross-validated error is on the page
    browser.save_screenshot(str(tmp_path / "dashboard-before.png"))
    shot = os.environ.get("CLUSTERSIM_DASHBOARD_SHOT")
    if shot:
        browser.save_screenshot(shot)
    thumb = browser.find_element(By.CSS_SELECTOR,
                                 ".lever-capital_subsidy_rate [role=slider]")
    browser.execute_script("arguments[0].focus()", thumb)
    ActionChains(browser).send_keys(Keys.END).perform()  # the slider's maximum: 0.6 of capex
    after = _wait(lambda: (lambda p: p if p and p != before else None)(_pmet(browser)), 20,
                  "P(met) to change after the slider moved")
    label = browser.find_element(By.TAG_NAME, "body").text
    assert "capital subsidy rate: 0.6 share of capex" in label
    assert any(after[k] != before[k] for k in before)
    browser.save_screenshot(str(tmp_path / "dashboard-after.png"))
    # the language switch: target names from sim.model.outcomes' zh labels
    browser.find_element(By.XPATH, "//button[normalize-space()='zh' or "
                                   "normalize-space()='ZH']").click()
    _wait(lambda: "十大集群总产值" in browser.find_element(By.TAG_NAME, "body").text, 20,
          "the Chinese labels")
    browser.save_screenshot(str(tmp_path / "dashboard-zh.png"))
