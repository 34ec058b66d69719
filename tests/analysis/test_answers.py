"""Say when an answer is not worth reading (#12, item 15): Sobol' with too small an N,
``discover`` on a target PRIM cannot separate, and the first progress-bar estimate."""

import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.analysis import sensitivity as sa
from sim.analysis.discover import informative_targets
from sim.cli.main import main
from sim.model.outcomes import TARGETS
from sim.model.params import UNCERTAINTIES

SMALL = ["--households-per-agent", "8000", "--workers", "1"]


# ---------------------------------------------------------------- Sobol' quality
def _idx(conf: dict[str, float], n_factors=10) -> pd.DataFrame:
    rows = []
    for out, c in conf.items():
        for i in range(n_factors):
            rows.append({"outcome": out, "factor": f"f{i}", "kind": "uncertainty",
                         "S1": 0.1, "S1_conf": c, "ST": 0.5 - 0.01 * i,
                         "ST_conf": c if i < sa.QUALITY_TOP else 0.0})
    return pd.DataFrame(rows)


def test_quality_rule_flags_wide_intervals_only():
    q = sa.quality(_idx({"a": 0.05, "b": 0.19}), n=64, n_factors=10)
    assert q["warning"] is None and q["not_worth_reading"] == []
    assert q["mean_st_half_width"] == pytest.approx({"a": 0.05, "b": 0.19})
    q = sa.quality(_idx({"a": 0.05, "b": 0.6, "c": 1.4}), n=64, n_factors=10)
    assert q["not_worth_reading"] == ["b", "c"]
    assert q["warning"].startswith("not worth reading: Sobol' N = 64 is too small for 10 "
                                   "factors; for 2 of 3 outcomes")
    assert "(worst: c: ST ± 1.40 on average over the top 8)" in q["warning"]
    # half-widths shrink as 1/sqrt(N): 64 * (1.0 / 0.2)^2 = 1600 -> 2048
    assert q["suggested_n"] == 2048 and "--n 2048" in q["warning"]
    assert q["rule"] == sa.QUALITY_RULE


def test_quality_is_only_about_the_top_ranked_factors():
    idx = _idx({"a": 0.0})
    idx.loc[idx["ST"] < 0.5 - 0.01 * (sa.QUALITY_TOP - 1), "ST_conf"] = 5.0  # low-ranked
    assert sa.quality(idx, 64, 10)["warning"] is None
    idx.loc[idx["factor"] == "f0", "ST_conf"] = 5.0  # the top factor
    assert sa.quality(idx, 64, 10)["not_worth_reading"] == ["a"]


def test_morris_with_few_trajectories_is_flagged():  # (#22: it used to have no check)
    idx = pd.DataFrame({"outcome": ["a"], "factor": ["f"], "mu_star": [1.0],
                        "mu_star_conf": [0.1], "sigma": [1.0], "mu": [1.0]})
    assert sa.quality(idx, 4, 1)["reasons"] == {"a": ["r = 4 < 10"]}
    assert sa.quality(idx, 20, 1)["warning"] is None


def test_sensitivity_with_tiny_n_says_so_after_the_table(tmp_path, capsys):
    pins = {p.name: p.default for p in UNCERTAINTIES
            if p.name not in ("hurdle_rate", "shanxi_share_gain")}
    f = tmp_path / "two.yaml"
    f.write_text(yaml.safe_dump({"name": "two", "extends": "plan", "uncertainties": pins}))
    out = tmp_path / "s"
    rc = main(["sensitivity", str(f), "--n", "2", "--no-levers", "--out", str(out), *SMALL])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    lines = captured.out.strip().splitlines()
    assert lines[-1].startswith("not worth reading: Sobol' N = 2 is too small for 2 factors")
    assert re.search(r"run again with --n \d+ or more$", lines[-1])
    assert any("(not worth reading: N = 2 < 64" in x for x in lines[:-1])
    q = json.loads((out / "manifest.json").read_text())["quality"]
    assert q["warning"] == lines[-1] and q["not_worth_reading"]
    assert set(q["mean_st_half_width"]) == set(sa.OUTCOMES)


# ---------------------------------------------------------------- discover
def test_informative_targets_are_missed_in_10_to_90_percent():
    n = 20
    reps = pd.DataFrame({f"met.{t.name}": [True] * n for t in TARGETS})
    shares = {TARGETS[0].name: 0.5, TARGETS[1].name: 0.1, TARGETS[2].name: 0.95,
              TARGETS[3].name: 0.3, TARGETS[4].name: 0.9, TARGETS[5].name: 0.05,
              TARGETS[6].name: 0.45, TARGETS[7].name: 0.6, TARGETS[8].name: 1.0}
    for name, s in shares.items():
        reps[f"met.{name}"] = [i >= round(s * n) for i in range(n)]
    got = informative_targets(reps)
    assert len(got) == 5
    assert [t for t, _ in got] == [TARGETS[0].name, TARGETS[6].name, TARGETS[7].name,
                                   TARGETS[3].name, TARGETS[1].name]  # closest to half first
    assert all(0.1 <= s <= 0.9 for _, s in got)
    assert informative_targets(reps.iloc[:0]) == []


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("d") / "plan"
    assert main(["run", "-n", "12", "--seed", "5", "--out", str(out), "--quiet", *SMALL]) == 0
    return out


def test_discover_on_a_target_always_missed_suggests_others(batch_dir, capsys):
    reps = pd.read_parquet(batch_dir / "replicates.parquet")
    miss = {t.name: 1 - reps[f"met.{t.name}"].mean() for t in TARGETS}
    always = next(t for t, m in miss.items() if m == 1.0)
    capsys.readouterr()
    assert main(["discover", str(batch_dir), "--target", always]) == 0
    out = capsys.readouterr().out
    assert "missed in every replicate" in out
    line = next(x for x in out.splitlines() if x.startswith("targets missed in 10%-90%"))
    named = re.findall(r"(\w+) \((\d+)% missed\)", line)
    assert 1 <= len(named) <= 5
    for t, pct in named:
        assert 0.1 <= miss[t] <= 0.9 and int(pct) == round(100 * miss[t])
    assert f"--target {named[0][0]}" in out


def test_discover_on_a_target_never_missed_suggests_others(batch_dir, capsys):
    reps = pd.read_parquet(batch_dir / "replicates.parquet")
    never = next((t.name for t in TARGETS if reps[f"met.{t.name}"].all()), None)
    if never is None:
        pytest.skip("every target was missed at least once in this batch")
    capsys.readouterr()
    assert main(["discover", str(batch_dir), "--target", never]) == 0
    out = capsys.readouterr().out
    assert "never missed" in out and "targets missed in 10%-90%" in out


# ---------------------------------------------------------------- progress bar
def test_first_progress_estimate_is_not_absurd(monkeypatch, capsys):
    """Results arrive in bursts of 16 after a 5 s start; the first ETA must be near the
    truth (tqdm's defaults showed over an hour for a one-minute batch)."""
    import tqdm.std

    from sim.run.evaluators import Evaluator

    clock = [0.0]
    monkeypatch.setattr(tqdm.std, "time", lambda: clock[0])
    total, workers, burst, per = 400, 2, 16, 0.33
    ends = sorted(5.0 + 0.1 * w + per * burst * (k + 1) for w in range(workers)
                  for k in range(total // burst // workers + 1))[: total // burst]

    def bursty(self, tasks, scenario):
        it = iter(tasks)
        for t in ends:
            clock[0] = t
            for _ in range(burst):
                i, s = next(it)[:2]
                yield {"index": i, "seed": s}

    monkeypatch.setattr(Evaluator, "_serial", bursty)
    ev = Evaluator("serial", workers=workers, progress=True)
    assert len(list(ev.map([(i, i) for i in range(total)], {}))) == total
    err = capsys.readouterr().err
    def seconds(hms: str) -> int:
        out = 0
        for part in hms.split(":"):
            out = out * 60 + int(part)
        return out

    first = re.search(r"\d+/400 \[([\d:]+)<([\d:]+),", err)  # the first bar with an ETA
    assert first, err
    elapsed, eta = seconds(first.group(1)), seconds(first.group(2))
    truth = ends[-1] - elapsed
    assert eta <= 3 * truth, (first.group(0), truth)
    assert np.isfinite(truth) and truth > 0
