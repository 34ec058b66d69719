"""Faults and bad input around the results store (issue #12, items 1-4 and 7).

Killed writes, SIGTERM, orphaned workers, two writers, a full disk, bad --out and --seed,
corrupt files, a closed output pipe, and running a finished batch again. Commands run
in-process through ``sim.cli.main.main`` where no signal is involved (fast), and as real
processes where one is.
"""

import errno
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli.main import main
from sim.run import store
from tests.batchprocs import (
    assert_same_tables,
    kill_group,
    live_in_group,
    reap,
    start,
    tables,
    wait_for,
    wait_gone,
)

# injected faults: kills, signals, full and read-only disks, second writers
pytestmark = pytest.mark.integration

SMALL = ["--households-per-agent", "8000", "--quiet", "--workers", "1"]


def run_cli(capsys, *args):
    """``clustersim ARGS`` in this process: (exit status, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in err, err
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture(scope="module")
def batch6(tmp_path_factory):
    """An uninterrupted 6-replicate batch to compare against."""
    out = tmp_path_factory.mktemp("ref") / "b"
    assert main(["run", "-n", "6", "--seed", "4", "--out", str(out), *SMALL]) == 0
    return out


def copy_of(folder, tmp_path, name="copy"):
    dst = tmp_path / name
    shutil.copytree(folder, dst)
    return dst


# ------------------------------------------------------------------ 1. killed chunk writes
def test_chunk_writer_ignores_a_killed_writes_temporary(tmp_path):
    chunks = tmp_path / "_chunks"
    chunks.mkdir()
    (chunks / ".tmp-7a10rvvm.parquet").write_bytes(b"half a file")
    (chunks / "rep-000004.parquet").write_bytes(b"")
    w = store.ChunkWriter(tmp_path)  # the ValueError: int('7a10rvvm')
    assert w.next_id == 5
    assert [p.name for _, p in store.chunk_files(tmp_path, "rep")] == ["rep-000004.parquet"]


def test_resume_ignores_and_removes_temporaries_of_killed_writes(tmp_path, capsys, batch6):
    part = tmp_path / "part"
    assert main(["run", "-n", "3", "--seed", "4", "--out", str(part), *SMALL]) == 0
    # what kill -9 in the middle of a chunk write and of a manifest write leaves behind
    (part / "_chunks" / ".tmp-7a10rvvm.parquet").write_bytes(b"PAR1 half")
    (part / ".tmp-k2j3h4g5").write_text('{"half": ')
    # and a trajectory chunk whose replicate chunk was never written
    shutil.copy(part / "_chunks" / "traj-000000.parquet", part / "_chunks" / "traj-000099.parquet")
    code, _, err = run_cli(capsys, "run", "-n", "6", "--seed", "4", "--out", part, "--resume",
                           *SMALL)
    assert code == 0, err
    assert not list(part.rglob(".tmp-*"))
    assert not (part / "_chunks" / "traj-000099.parquet").exists()
    assert_same_tables(tables(batch6), tables(part))


def test_a_folder_with_the_old_chunks_layout_resumes(tmp_path, capsys, batch6):
    old = tmp_path / "old"
    assert main(["run", "-n", "4", "--seed", "4", "--out", str(old), *SMALL]) == 0
    (old / "_chunks").rename(old / "chunks")  # as written before chunks moved
    (old / "chunks" / ".tmp-abcdefgh.parquet").write_bytes(b"")
    m = json.loads((old / "manifest.json").read_text())
    m["status"] = "interrupted"
    (old / "manifest.json").write_text(json.dumps(m))
    code, _, err = run_cli(capsys, "run", "-n", "6", "--seed", "4", "--out", old, "--resume",
                           *SMALL)
    assert code == 0, err
    assert not (old / "chunks").exists() and (old / "_chunks").is_dir()
    assert not list(old.rglob(".tmp-*"))
    assert_same_tables(tables(batch6), tables(old))


@pytest.mark.parametrize(("cut", "status", "resume"), [
    ("rep-000002.parquet", "complete", False),      # extending a finished batch
    ("traj-000001.parquet", "interrupted", True),   # resuming an unfinished one
])
def test_a_corrupt_chunk_is_named_set_aside_and_recomputed(tmp_path, capsys, batch6, cut,
                                                            status, resume):
    """Issue #22: a chunk cut short gave a pyarrow traceback and relabelled the batch."""
    out = tmp_path / "b"
    assert main(["run", "-n", "4", "--seed", "4", "--out", str(out), "--chunk-size", "1",
                 *SMALL]) == 0
    m = json.loads((out / "manifest.json").read_text())
    m["status"] = status
    (out / "manifest.json").write_text(json.dumps(m))
    before = (out / "manifest.json").read_bytes()
    bad = out / "_chunks" / cut
    with open(bad, "r+b") as fh:
        fh.truncate(100)
    again = ["run", "-n", "6", "--seed", "4", "--out", out, *(["--resume"] * resume), *SMALL]
    code, _, err = run_cli(capsys, *again)
    assert code == 3
    assert "Traceback" not in err, err
    line = err.splitlines()[-1]          # after the note that the batch is being extended
    assert line.startswith(f"clustersim: error: {bad}: not a readable results chunk"), line
    assert "run the same command again" in line
    assert (out / "manifest.json").read_bytes() == before    # not relabelled "interrupted"
    assert sorted(p.name for p in (out / "_chunks" / "corrupt").iterdir()) == [
        f"{k}-{cut[-14:]}" for k in ("rep", "traj")]
    assert len(list((out / "_chunks").glob("rep-*.parquet"))) == 3   # the rest kept
    code, _, err = run_cli(capsys, *again)
    assert code == 0, err
    assert json.loads((out / "manifest.json").read_text())["runs"][-1]["replicates_run"] == 3
    assert_same_tables(tables(batch6), tables(out))


# ------------------------------------------------------------------ 2. signals and processes
def test_sigterm_is_like_ctrl_c_and_the_printed_command_resumes(tmp_path):
    ref = tmp_path / "ref"
    args = ["run", "-n", "12", "--seed", "8", "--households-per-agent", "4000", "--quiet",
            "--workers", "2", "--chunk-size", "1"]
    rc, err = reap(start(*args, "--out", ref), timeout=600)
    assert rc == 0, err
    out = tmp_path / "term"
    p = start(*args, "--out", out)
    try:
        assert wait_for(lambda: list((out / "_chunks").glob("rep-*.parquet")), p), \
            "the batch ended before it wrote a chunk"
        p.send_signal(signal.SIGTERM)
        t = time.monotonic()
        rc, err = reap(p)
        assert not wait_gone(p.pid, t)
    finally:
        kill_group(p.pid)
    assert rc == 130, err
    assert "interrupted by SIGTERM" in err and "Traceback" not in err
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "interrupted" and 1 <= m["done"] < 12
    hint = err.split("resume with: ", 1)[1].strip()
    cmd = shlex.split(hint)
    assert cmd[:2] == ["clustersim", "run"] and cmd[-1] == "--resume"
    rc, err = reap(start(*cmd[1:]), timeout=600)
    assert rc == 0, err
    assert_same_tables(tables(ref), tables(out))


@pytest.mark.parametrize("backend", ["processes", "dask"])
def test_no_worker_outlives_a_killed_main_process(tmp_path, backend):
    """SIGKILL of the main process only: its workers notice and go."""
    out = tmp_path / backend
    p = start("run", "-n", "40", "--households-per-agent", "2000", "--quiet", "--workers", "2",
              "--backend", backend, "--chunk-size", "1", "--out", out)
    try:
        assert wait_for(lambda: list((out / "_chunks").glob("rep-*.parquet")), p)
        helpers = [c for _, c in live_in_group(p.pid) if "-m sim run" not in c]
        assert len(helpers) >= 2, helpers  # the workers (and forkserver, tracker) exist
        p.kill()
        t = time.monotonic()
        p.wait()
        left = wait_gone(p.pid, t)
        assert not left, left
    finally:
        kill_group(p.pid)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_forkserver_still_importing_the_model_ends_with_its_batch(tmp_path, sig):
    """The forkserver notices a dead parent only after its preload; a guard covers that."""
    out = tmp_path / "b"
    p = start("run", "-n", "8", "--households-per-agent", "8000", "--quiet", "--workers", "2",
              "--out", out, env={"CLUSTERSIM_TEST_PRELOAD_DELAY": "60"})

    def forkserver():
        return [pid for pid, c in live_in_group(p.pid) if "multiprocessing.forkserver" in c]

    try:
        assert wait_for(forkserver, p), "no forkserver started"
        p.send_signal(sig)
        t = time.monotonic()
        rc, _ = reap(p)
        left = wait_gone(p.pid, t)
        assert not left, left
        assert rc == (130 if sig == signal.SIGTERM else -sig)
    finally:
        kill_group(p.pid)


def test_dask_workers_end_with_a_sigterm_of_the_main_process(tmp_path):
    out = tmp_path / "dask"
    p = start("run", "-n", "40", "--households-per-agent", "2000", "--quiet", "--workers", "2",
              "--backend", "dask", "--chunk-size", "1", "--out", out)
    try:
        assert wait_for(lambda: list((out / "_chunks").glob("rep-*.parquet")), p)
        p.send_signal(signal.SIGTERM)
        t = time.monotonic()
        rc, err = reap(p)
        assert not wait_gone(p.pid, t)
    finally:
        kill_group(p.pid)
    assert rc == 130 and "resume with:" in err, err
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"


# ------------------------------------------------------------------ 3. two writers
HOLD = """
import sys, time
from sim.run.store import BatchLock
with BatchLock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_second_writer_is_refused_while_the_owner_lives(tmp_path, capsys):
    out = tmp_path / "b"
    assert main(["run", "-n", "2", "--seed", "4", "--out", str(out), *SMALL]) == 0
    before = (out / "manifest.json").read_bytes()
    owner = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE,
                             text=True)
    try:
        assert owner.stdout.readline().strip() == "held"
        code, _, err = run_cli(capsys, "run", "-n", "4", "--seed", "4", "--out", out,
                               "--resume", *SMALL)
        assert code == 2
        line = one_line_error(err)
        assert f"PID {owner.pid}" in line and "another run is writing this batch" in line
        assert str(out / ".lock") in line
        assert (out / "manifest.json").read_bytes() == before
    finally:
        owner.kill()
        owner.wait()
    # the owner died without releasing: its lock is stale and taken over
    code, _, err = run_cli(capsys, "run", "-n", "4", "--seed", "4", "--out", out, "--resume",
                           *SMALL)
    assert code == 0, err
    assert f"took over the lock of a run that is no longer running (PID {owner.pid}" in err
    assert not (out / ".lock").exists()


def test_a_sweep_point_held_by_another_run_is_refused(tmp_path, capsys):
    exp = tmp_path / "e.yaml"
    exp.write_text("name: e\nscenario: plan\nreplicates: 2\ndesign:\n  type: grid\n"
                   "  factors:\n    levers.land_service_coverage: [0.2, 0.9]\n")
    assert run_cli(capsys, "sweep", exp, "--out", tmp_path / "sw", *SMALL)[0] == 0
    point = tmp_path / "sw" / "points" / "p000"
    owner = subprocess.Popen([sys.executable, "-c", HOLD, str(point)], stdout=subprocess.PIPE,
                             text=True)
    try:
        assert owner.stdout.readline().strip() == "held"
        code, _, err = run_cli(capsys, "sweep", exp, "--out", tmp_path / "sw", "--resume",
                               *SMALL)
        assert code == 2
        assert f"PID {owner.pid}" in one_line_error(err)
    finally:
        owner.kill()
        owner.wait()


def test_a_stale_lock_file_naming_a_dead_pid_is_taken_over(tmp_path, capsys):
    out = tmp_path / "b"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (out / ".lock").write_text(json.dumps({"pid": int(dead), "host": "h", "since": "then"}))
    code, _, err = run_cli(capsys, "run", "-n", "2", "--out", out, *SMALL)
    assert code == 0, err
    assert f"(PID {dead} on h" in err and "took over" in err


# ------------------------------------------------------------------ 4. every input answered
def test_disk_full_marks_the_batch_interrupted_and_resume_recovers(tmp_path, capsys,
                                                                    monkeypatch, batch6):
    out = tmp_path / "full"
    real = store.chunks.atomic_parquet

    def full_after_two_chunks(df, path, *a, **k):
        if Path(path).name == "rep-000002.parquet":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(df, path, *a, **k)

    monkeypatch.setattr(store.chunks, "atomic_parquet", full_after_two_chunks)
    code, _, err = run_cli(capsys, "run", "-n", "6", "--seed", "4", "--out", out,
                           "--chunk-size", "1", *SMALL)
    assert code == 3
    line = one_line_error(err)
    assert "No space left on device" in line and str(out) in line
    assert "resume with: clustersim run -n 6 --seed 4" in line and line.endswith("--resume")
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "interrupted" and "No space left on device" in m["error"]
    assert m["done"] == 2
    monkeypatch.setattr(store.chunks, "atomic_parquet", real)
    code, _, err = run_cli(capsys, "run", "-n", "6", "--seed", "4", "--out", out, "--resume",
                           *SMALL)
    assert code == 0, err
    assert "error" not in json.loads((out / "manifest.json").read_text())
    assert_same_tables(tables(batch6), tables(out))


def _unshare_ok():
    if not sys.platform.startswith("linux") or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0


needs_unshare = pytest.mark.skipif(not _unshare_ok(), reason="needs unshare -rm (a user and "
                                   "mount namespace) to mount a small private tmpfs")

IN_NAMESPACE = """
set -u
mount -t tmpfs -o "$1" tmpfs "$2" || exit 97
shift 2
"$@"
echo "status=$?"
"""


@needs_unshare
def test_a_real_full_disk(tmp_path):
    """A 256 KiB tmpfs in a private mount namespace fills up during the batch."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = IN_NAMESPACE + ('mkdir -p "$SAVE"; cp "$OUT/manifest.json" "$SAVE/"\n'
                             'mount -o remount,size=20m "$MNT"\n'
                             '"$@" --resume; echo "resumed=$?"; cp "$OUT"/*.parquet "$SAVE/"\n')
    out = mnt / "b"
    cmd = [sys.executable, "-m", "sim", "run", "-n", "8", "--seed", "3", "--chunk-size", "1",
           *SMALL, "--out", str(out)]
    env = dict(os.environ, OUT=str(out), MNT=str(mnt), SAVE=str(tmp_path / "save"))
    r = subprocess.run(["unshare", "-rm", "bash", "-c", script, "sh", "size=256k", str(mnt),
                        *cmd], capture_output=True, text=True, env=env, timeout=600)
    assert "status=3" in r.stdout, (r.stdout, r.stderr)
    assert "No space left on device" in r.stderr and "Traceback" not in r.stderr
    m = json.loads((tmp_path / "save" / "manifest.json").read_text())
    assert m["status"] == "interrupted" and "No space left" in m["error"]
    assert "resumed=0" in r.stdout, r.stderr
    ref = tmp_path / "ref"
    assert main(["run", "-n", "8", "--seed", "3", "--out", str(ref), *SMALL]) == 0
    assert_same_tables(tables(ref), tables(tmp_path / "save"))


def test_out_naming_an_existing_file(tmp_path, capsys):
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    for out in (f, f / "sub"):
        code, _, err = run_cli(capsys, "run", "-n", "2", "--out", out, *SMALL)
        assert code == 2
        assert f"{f} is a file, not a folder" in one_line_error(err)
    assert f.read_text() == "mine"


def test_out_on_a_read_only_location(tmp_path, capsys, monkeypatch):
    """Simulated in-process (as root, permissions do not stop writes)."""
    ro = tmp_path / "ro"

    def refuse(self, *a, **k):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    code, _, err = run_cli(capsys, "run", "-n", "2", "--out", ro / "b", *SMALL)
    assert code == 2
    line = one_line_error(err)
    assert f"--out {ro / 'b'}: cannot write there (Read-only file system)" in line


@needs_unshare
def test_out_on_a_real_read_only_mount(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(["unshare", "-rm", "bash", "-c", IN_NAMESPACE, "sh", "ro,size=64k",
                        str(mnt), sys.executable, "-m", "sim", "run", "-n", "2", *SMALL,
                        "--out", str(mnt / "b")], capture_output=True, text=True, timeout=300)
    assert "status=2" in r.stdout, (r.stdout, r.stderr)
    assert "cannot write there (Read-only file system)" in r.stderr
    assert "Traceback" not in r.stderr


def test_negative_seed(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", "-n", "2", "--seed", "-1", "--out", str(tmp_path / "b"), *SMALL])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "argument --seed: must be a whole number >= 0, got -1" in err
    assert "Traceback" not in err and not (tmp_path / "b").exists()


def test_show_a_corrupt_table(tmp_path, capsys, batch6):
    b = copy_of(batch6, tmp_path)
    (b / "summary.parquet").write_bytes(b"PAR1 not really")
    code, _, err = run_cli(capsys, "show", b)
    assert code == 2
    line = one_line_error(err)
    assert f"{b / 'summary.parquet'}: not a readable Parquet table" in line


def test_show_a_corrupt_manifest(tmp_path, capsys, batch6):
    b = copy_of(batch6, tmp_path)
    (b / "manifest.json").write_text('{"name": "plan", "status"')
    code, _, err = run_cli(capsys, "show", b)
    assert code == 2
    assert f"{b / 'manifest.json'}: unreadable manifest" in one_line_error(err)
    # and a batch cannot be run into it either
    code, _, err = run_cli(capsys, "run", "-n", "2", "--out", b, *SMALL)
    assert code == 2 and "unreadable manifest" in one_line_error(err)


def test_show_into_a_closed_pipe(batch6):
    """``clustersim show DIR | head``: the reader has gone before we write."""
    r, w = os.pipe()
    os.close(r)
    p = subprocess.Popen([sys.executable, "-m", "sim", "show", str(batch6), "--all"], stdout=w,
                         stderr=subprocess.PIPE, text=True)
    os.close(w)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 141
    assert err == "", err


def test_show_piped_to_head_in_a_shell(batch6):
    r = subprocess.run(["bash", "-o", "pipefail", "-c",
                        f"{shlex.quote(sys.executable)} -m sim show {batch6} --all | head -1"],
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.startswith("scenario plan")
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr
    assert r.returncode in (0, 141)


# ------------------------------------------------------------------ 7. running a batch again
def test_a_complete_batch_asked_again(tmp_path, capsys):
    out = tmp_path / "b"
    base = ["run", "-n", "3", "--seed", "4", "--out", out, "--households-per-agent", "8000"]
    assert run_cli(capsys, *base, "--workers", "1")[0] == 0
    manifest = (out / "manifest.json").read_bytes()
    for extra in ([], ["--resume"], ["--backend", "dask", "--workers", "2"], ["-n", "2"]):
        code, stdout, err = run_cli(capsys, *base, *extra)
        assert code == 0, err
        assert "already holds this batch complete (3 replicates): nothing to do" in err
        assert "P(met)" in stdout  # the stored table
        assert ("--resume: " in err) == ("--resume" in extra)
        assert (out / "manifest.json").read_bytes() == manifest  # nothing written
    # more replicates extend it (same seeds), with or without --resume
    code, _, err = run_cli(capsys, *base, "-n", "5", "--workers", "1")
    assert code == 0 and "extending the batch from 3 to 5 replicates" in err, err
    assert len(pd.read_parquet(out / "replicates.parquet")) == 5
    # --until-ci on a finished batch goes on from it
    code, stdout, err = run_cli(capsys, *base, "--until-ci", "0.45", "--max-replicates", "10",
                                "--workers", "1")
    assert code == 0, err
    assert len(pd.read_parquet(out / "replicates.parquet")) in (5, 10)
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and m["runs"][-1]["replicates_run"] in (0, 5)


def test_an_unfinished_batch_needs_resume(tmp_path, capsys):
    out = tmp_path / "b"
    assert main(["run", "-n", "3", "--out", str(out), *SMALL]) == 0
    m = json.loads((out / "manifest.json").read_text())
    m["status"] = "interrupted"
    (out / "manifest.json").write_text(json.dumps(m))
    code, _, err = run_cli(capsys, "run", "-n", "3", "--out", out, *SMALL)
    assert code == 2 and "unfinished" in one_line_error(err) and "--resume" in err


def test_failed_replicates_are_retried_only_with_resume(tmp_path, capsys, monkeypatch):
    out = tmp_path / "f"
    monkeypatch.setenv("CLUSTERSIM_INJECT_FAILURE", "1")
    assert run_cli(capsys, "run", "-n", "3", "--out", out, *SMALL)[0] == 1
    monkeypatch.delenv("CLUSTERSIM_INJECT_FAILURE")
    code, _, err = run_cli(capsys, "run", "-n", "3", "--out", out, *SMALL)
    assert code == 1 and "retry them with: clustersim run -n 3" in err, err
    code, _, err = run_cli(capsys, "run", "-n", "3", "--out", out, "--resume", *SMALL)
    assert code == 0, err
    assert len(pd.read_parquet(out / "replicates.parquet")) == 3


def test_manifest_records_versions_and_the_backend_used(tmp_path, capsys):
    out = tmp_path / "b"
    assert run_cli(capsys, "run", "-n", "4", "--out", out, "--households-per-agent", "8000",
                   "--quiet", "--workers", "2")[0] == 0
    m = json.loads((out / "manifest.json").read_text())
    for k in ("python", "numpy", "pandas", "pyarrow", "mesa"):
        assert m["versions"][k], k
    assert (m["backend"], m["workers"]) == ("processes", 2)
    assert m["runs"][-1]["backend"] == "processes" and m["runs"][-1]["replicates_run"] == 4
    assert run_cli(capsys, "run", "-n", "6", "--out", out, "--households-per-agent", "8000",
                   "--quiet", "--workers", "1")[0] == 0
    m = json.loads((out / "manifest.json").read_text())
    assert (m["backend"], m["workers"]) == ("serial", 1)
    assert [r["backend"] for r in m["runs"]] == ["processes", "serial"]


def test_the_manifest_is_rewritten_in_place_when_the_disk_is_full(tmp_path, monkeypatch):
    # The atomic write needs room for a second copy; on a full disk the batch must still
    # record that it was interrupted (test_a_real_full_disk): in place, within the blocks
    # the old manifest holds, and never half-written beyond them.
    store.write_manifest(tmp_path, {"status": "running", "done": 3})

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(store.manifest, "atomic_write_bytes", full)
    store.write_manifest(tmp_path, {"status": "interrupted", "done": 3})
    assert store.read_manifest(tmp_path) == {"status": "interrupted", "done": 3}
    allocated = (tmp_path / store.MANIFEST).stat().st_blocks * 512
    with pytest.raises(OSError):  # would need new blocks: left as it was
        store.write_manifest(tmp_path, {"status": "x" * (allocated + 1)})
    assert store.read_manifest(tmp_path) == {"status": "interrupted", "done": 3}

    def broken(path, data):
        raise OSError(errno.EIO, "Input/output error")
    monkeypatch.setattr(store.manifest, "atomic_write_bytes", broken)
    with pytest.raises(OSError):  # only a full disk falls back
        store.write_manifest(tmp_path, {"status": "done"})
    assert store.read_manifest(tmp_path)["status"] == "interrupted"
