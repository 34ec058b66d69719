"""The README's commands, run in order in a fresh folder as a new user would (issue #12, 7).

Every command line of the README's ``bash`` blocks is taken from the README itself, made
small (few replicates, a coarse scale: ``small()`` says how) and must exit 0. Skipped, and
why: ``pip install`` (this environment was installed with it) and ``python -m pytest``
(the suite running this test). The default run takes the "Set up and run" commands (the
batch commands whose collisions the issue reported, and compare); the slow test takes every
block, with sweeps, plots, report, export, sensitivity (Sobol' at N=2), discover, the
optimiser and check-history, which together take minutes.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCALE = ["--households-per-agent", "8000", "--quiet"]
SKIP = {"pip": "the environment running this test was installed with it",
        "python": "python -m pytest is the suite running this test"}


def readme_blocks(lang: str = "bash") -> list[list[str]]:
    """The README's code blocks of a language, each a list of lines."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [b.strip("\n").splitlines()
            for b in re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)]


def commands(blocks) -> list[list[str]]:
    out = []
    for block in blocks:
        for line in block:
            argv = shlex.split(line, comments=True)
            if argv:
                out.append(argv)
    return out


def _set(argv: list[str], names: tuple[str, ...], value: str) -> list[str]:
    """argv with option ``names`` set to ``value`` (replaced, or added)."""
    for i, a in enumerate(argv):
        if a in names:
            return argv[:i + 1] + [value] + argv[i + 2:]
    return argv + [names[0], value]


def small(argv: list[str]) -> list[str]:
    """A README command made small enough for a test: the same command, fewer runs."""
    cmd = argv[1] if len(argv) > 1 else "run"
    if cmd == "run":
        argv = _set(argv, ("--replicates", "-n"), "4")
        if "--until-ci" in argv:
            argv = _set(argv, ("--max-replicates",), "8")
        return argv + SCALE
    if cmd == "scorecard":
        return _set(argv, ("--replicates", "-n"), "1") + SCALE
    if cmd == "sweep":
        return _set(argv, ("--replicates", "-n"), "2") + SCALE
    if cmd == "sensitivity":
        return _set(argv, ("--n",), "2") + SCALE
    if cmd in ("calibrate", "backtest"):
        argv = [*argv, "--population", "12", "--generations", "1", "--screen", "16",
                "--max-params", "2", *SCALE]
        if cmd == "calibrate":
            return argv + ["--predictive", "2"]
        return _set(argv, ("--replicates", "-n"), "4")
    if cmd == "optimize":
        return (_set(_set(_set(argv, ("--candidates",), "2"), ("--replicates", "-n"), "2"),
                     ("--validate",), "2") + SCALE)
    return argv


def run_in_order(cwd: Path, argvs: list[list[str]]) -> list[str]:
    """Run each command (clustersim as ``python -m sim``); returns what was skipped."""
    skipped = []
    env = dict(os.environ, MPLBACKEND="Agg")
    for argv in argvs:
        if argv[0] in SKIP:
            skipped.append(f"{shlex.join(argv)}: {SKIP[argv[0]]}")
            continue
        assert argv[0] == "clustersim", argv
        cmd = small(argv)
        r = subprocess.run([sys.executable, "-m", "sim", *cmd[1:]], cwd=cwd, env=env,
                           capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, (shlex.join(cmd), r.stdout[-2000:], r.stderr[-2000:])
        assert "Traceback" not in r.stderr, (shlex.join(cmd), r.stderr)
    return skipped


def test_readme_parsing_sees_the_commands():
    argvs = commands(readme_blocks())
    assert ["clustersim", "run"] in argvs
    assert ["clustersim", "run", "--resume"] in argvs
    assert small(["clustersim", "run", "--until-ci", "0.02"]) == [
        "clustersim", "run", "--until-ci", "0.02", "--replicates", "4", "--max-replicates",
        "8", *SCALE]


@pytest.mark.integration
def test_set_up_and_run_commands_in_order(tmp_path, monkeypatch):
    blocks = readme_blocks()[:2]  # "Set up and run": install/run/test, then common options
    argvs = commands(blocks)
    assert any(a[:2] == ["clustersim", "compare"] for a in argvs)
    skipped = run_in_order(tmp_path, argvs)
    assert len(skipped) == 2, skipped
    assert (tmp_path / "results" / "plan" / "summary.parquet").is_file()
    assert (tmp_path / "results" / "subsidy30" / "summary.parquet").is_file()
    # the library snippet, in the same folder
    monkeypatch.chdir(tmp_path)
    for block in readme_blocks("python"):
        exec(compile("\n".join(block), "README.md", "exec"), {"__name__": "readme"})


@pytest.mark.integration
@pytest.mark.slow
def test_every_readme_command_in_order(tmp_path):
    skipped = run_in_order(tmp_path, commands(readme_blocks()))
    assert len(skipped) == 2, skipped
    assert (tmp_path / "results" / "plan" / "report.html").is_file()


def _writes(argv: list[str]) -> str | None:
    """The results folder a README ``clustersim run`` line writes."""
    if argv[1:2] not in ([], ["run"]):
        return None
    if "--out" in argv:
        return argv[argv.index("--out") + 1]
    rest = [a for a in argv[2:] if not a.startswith("-")]
    scenario = rest[0] if rest and argv[argv.index(rest[0]) - 1] not in (
        "--set", "--replicates", "-n", "--seed", "--workers", "--backend", "--until-ci",
        "--data-until", "--posterior", "--scheduler", "--max-replicates") else "plan"
    return f"results/{scenario}"


def test_readme_compare_pairs_its_batches():
    """Each compared folder's batch is written earlier with the same --seed (#22): a
    different seed makes the comparison unpaired and its interval wider."""
    from sim.model.rng import DEFAULT_SEED
    seeds: dict[str, int] = {}
    compared = 0
    for argv in commands(readme_blocks()):
        folder = _writes(argv)
        if folder is not None:
            seeds[folder] = int(argv[argv.index("--seed") + 1]) if "--seed" in argv \
                else DEFAULT_SEED
        if argv[1:2] == ["compare"]:
            a, b = argv[2], argv[3]
            assert a in seeds and b in seeds, (argv, seeds)
            assert seeds[a] == seeds[b], f"{shlex.join(argv)}: seeds {seeds[a]} and {seeds[b]}"
            compared += 1
    assert compared >= 1


@pytest.mark.integration
@pytest.mark.slow
def test_readme_discover_example_finds_a_box(tmp_path):
    """The README's discover line, on the README's default batch, finds a PRIM box (#22:
    output_total is missed in every replicate, so it found none)."""
    line = next(a for a in commands(readme_blocks()) if a[1:2] == ["discover"])
    env = dict(os.environ, MPLBACKEND="Agg")
    r = subprocess.run([sys.executable, "-m", "sim", "run", "--quiet"], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "sim", *line[1:]], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "\nbox 1: coverage" in r.stdout, r.stdout
