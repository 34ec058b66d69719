"""Kill a batch again and again (SIGKILL and SIGTERM, at random moments and in the middle of
chunk and manifest writes), resume it, and get the tables of an uninterrupted batch; within
five seconds of every kill no process of the batch is left (issue #12, "Done when").

Writes are slowed a little (``CLUSTERSIM_TEST_WRITE_DELAY``: a pause between writing a
temporary file and renaming it into place) so kills aimed at a write land inside it; the
test checks they did. The full campaign (24 kills) is slow; a short one runs by default.
"""

import json
import random
import signal
import time

import pytest

from tests._shared import HPA_MEDIUM as HPA
from tests.batchprocs import (
    assert_same_tables,
    kill_group,
    reap,
    start,
    tables,
    wait_for,
    wait_gone,
)

pytestmark = pytest.mark.integration  # batches started as processes, killed and resumed

SEED = 11
DELAY = {"CLUSTERSIM_TEST_WRITE_DELAY": "0.04"}


def batch_args(out, n):
    return ["run", "-n", n, "--seed", SEED, "--households-per-agent", HPA, "--chunk-size", 1,
            "--quiet", "--workers", 2, "--out", out]


def reference(out, n):
    """The uninterrupted batch."""
    p = start(*batch_args(out, n))
    rc, err = reap(p, timeout=900)
    assert rc == 0, err
    return tables(out)


def holds_lock(out, pid):
    """The run has taken the folder's lock (its SIGTERM handler is in place by then)."""
    try:
        return json.loads((out / ".lock").read_text())["pid"] == pid
    except (OSError, ValueError, KeyError):
        return False


def _temporaries(folder, where):
    d = folder / "_chunks" if where == "chunk" else folder
    if not d.is_dir():
        return []
    # a manifest temporary has no suffix; parquet temporaries in the root are the tables
    return [q for q in d.glob(".tmp-*") if where == "chunk" or q.suffix == ""]


def campaign(out, n, schedule, rng):
    """Run the batch, killing it as ``schedule`` says; returns what each kill hit."""
    hits = []
    for sig, moment in schedule:
        stale = set(_temporaries(out, moment)) if moment != "random" else set()
        p = start(*batch_args(out, n), "--resume", env=DELAY)
        try:
            if moment == "random":
                if wait_for(lambda p=p: holds_lock(out, p.pid), p):
                    time.sleep(rng.uniform(0.0, 2.5))
            else:
                # a new temporary: this run is inside a write (stale ones do not count)
                wait_for(lambda m=moment, s=stale: set(_temporaries(out, m)) - s, p)
            if p.poll() is not None:  # finished (or failed) before the kill
                rc, err = reap(p)
                assert rc == 0, err
                hits.append((sig, moment, "finished first"))
                continue
            p.send_signal(sig)
            t_kill = time.monotonic()
            rc, err = reap(p)
            left = wait_gone(p.pid, t_kill)
            assert not left, f"{sig.name} at {moment}: processes left after 5 s: {left}"
            landed = bool(set(_temporaries(out, moment)) - stale) if moment != "random" \
                else None
            if sig == signal.SIGKILL:
                assert rc in (-signal.SIGKILL, 0), (rc, err)
            else:
                assert rc in (130, 0), (rc, err)
                if rc == 130:
                    assert "resume with: clustersim run" in err, err
                    assert "Traceback" not in err, err
                    m = json.loads((out / "manifest.json").read_text())
                    assert m["status"] == "interrupted", m["status"]
            hits.append((sig, moment, "mid-write" if landed else "killed"))
        finally:
            kill_group(p.pid)
    return hits


def finish_and_compare(out, n, ref):
    p = start(*batch_args(out, n), "--resume")
    rc, err = reap(p, timeout=900)
    assert rc == 0, err
    assert_same_tables(ref, tables(out))
    assert tables(out)["replicates"]["replicate"].tolist() == list(range(n))
    assert not list(out.rglob(".tmp-*")), "stale temporaries were not cleaned"
    assert not (out / ".lock").exists()
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and m["done"] == n


def test_a_few_kills_then_resume_equals_uninterrupted(tmp_path):
    n = 16
    ref = reference(tmp_path / "ref", n)
    out = tmp_path / "killed"
    schedule = [(signal.SIGKILL, "chunk"), (signal.SIGTERM, "chunk"),
                (signal.SIGKILL, "manifest"), (signal.SIGTERM, "random")]
    hits = campaign(out, n, schedule, random.Random(1))
    # the kills aimed at writes of a SIGKILL landed inside them (their temporaries stayed)
    assert ("mid-write" in {h[2] for h in hits if h[0] == signal.SIGKILL}), hits
    finish_and_compare(out, n, ref)


@pytest.mark.slow
def test_many_random_kills_then_resume_equals_uninterrupted(tmp_path):
    n = 80
    ref = reference(tmp_path / "ref", n)
    rng = random.Random(20211)
    moments = ["random"] * 12 + ["chunk"] * 6 + ["manifest"] * 6
    rng.shuffle(moments)
    schedule = [(rng.choice([signal.SIGKILL, signal.SIGTERM]), m) for m in moments]
    out = tmp_path / "killed"
    hits = campaign(out, n, schedule, rng)
    killed = [h for h in hits if h[2] != "finished first"]
    assert len(killed) >= 20, hits
    assert any(h[1] == "chunk" and h[2] == "mid-write" for h in hits), hits
    assert any(h[1] == "manifest" and h[2] == "mid-write" for h in hits), hits
    finish_and_compare(out, n, ref)
