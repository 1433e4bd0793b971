"""Batches that must stop with one line: a Dask cluster left without workers, ``--resume``
into another spec's folder, an ``--out`` that cannot be a folder, bad waiting options."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from processes import stop
from test_runner import SMALL, free_port, write_spec

from dataspace_abm.batch.runner import run_batch
from dataspace_abm.batch.spec import load_spec
from dataspace_abm.cli import main

SIX = SMALL.replace("count = 2", "count = 1")  # 6 runs: 3 modes x 2 sizes, one seed
OTHER = SMALL.replace('name = "small"', 'name = "other"').replace(
    '"command", "flat"]', '"flat", "autonomous"]'
)  # 12 runs; SIX's "command" runs are not among them


def parts(out):
    return sorted(p.name for p in (out / "parts").glob("*.parquet"))


def stderr_lines(capsys):
    """The CLI's own lines on stderr (the progress bar's aside), with no traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.startswith("dataspace-abm:")]


def one_line(capsys):
    """The whole of stderr, which must be exactly one line."""
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    return err.rstrip("\n")


def one_worker_cluster():
    """A scheduler and one single-threaded worker in this process, on 127.0.0.1 only."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address=None,
    )


@pytest.mark.timeout(120)
def test_a_dask_run_longer_than_the_deadline_is_no_missing_worker(tmp_path):
    from distributed import Client

    one_run = SIX.replace('"command", "flat"]', "]").replace("[2, 3]", "[2]")
    spec = load_spec(write_spec(tmp_path, one_run, steps=2500))  # one run of ~0.6 s
    warnings = []
    with one_worker_cluster() as cluster, Client(cluster) as client:
        result = run_batch(
            spec,
            tmp_path / "out",
            client=client,
            progress=False,
            worker_warning=0.05,
            worker_deadline=0.2,
            warn=warnings.append,
        )
    assert (result.ran, result.failed, warnings) == (1, 0, [])
    assert result.seconds > 0.2  # the run did outlast the deadline


@pytest.mark.timeout(120)
def test_a_dask_batch_without_workers_warns_stops_at_its_deadline_and_resumes(tmp_path, capsys):
    spec = write_spec(tmp_path, SIX, steps=600)  # runs of ~0.2 s each on one thread
    out = tmp_path / "out"
    with one_worker_cluster() as cluster:

        def close_workers_after_the_first_part() -> None:
            deadline = time.monotonic() + 60
            while not parts(out):
                if time.monotonic() > deadline:
                    return
                time.sleep(0.005)
            cluster.scale(0)

        closer = threading.Thread(target=close_workers_after_the_first_part, daemon=True)
        closer.start()
        address = cluster.scheduler_address
        args = ["experiment", str(spec), "--scheduler", address, "--out", str(out)]
        started = time.monotonic()
        code = main([*args, "--worker-warning", "0.4", "--worker-deadline", "1.5"])
        assert time.monotonic() - started < 20
        closer.join(timeout=10)
        kept = parts(out)
        assert code == 2 and 1 <= len(kept) < 6
        assert stderr_lines(capsys) == [
            "dataspace-abm: warning: no Dask worker for 0.4 s; waiting up to 1.5 s for one "
            "to join (finished runs are kept)",
            f"dataspace-abm: error: --scheduler {address}: no Dask worker for 1.5 s "
            f"(--worker-deadline); {len(kept)} of 6 runs are kept in {out}/parts; "
            "--resume continues",
        ]
        cluster.scale(1)
        cluster.wait_for_workers(1, timeout=30)
        assert main([*args, "--resume", "--no-progress"]) == 0
    assert f"{len(kept)} already done, {6 - len(kept)} run, 0 failed" in capsys.readouterr().out
    assert set(kept) <= set(parts(out)) and len(parts(out)) == 6
    runs = pd.read_parquet(out / "runs.parquet")
    assert runs["run_key"].nunique() == 6 and not runs.duplicated(["run_key", "step"]).any()


@pytest.mark.parametrize("command", ["experiment", "sensitivity"])
@pytest.mark.parametrize(
    ("option", "value", "shown"),
    [
        ("--worker-warning", "0", "0"),
        ("--worker-deadline", "-5", "-5"),
        ("--worker-deadline", "inf", "inf"),
        ("--worker-warning", "nan", "nan"),
    ],
)
def test_bad_worker_waits_are_one_line_before_any_run(
    tmp_path, capsys, command, option, value, shown
):
    out = tmp_path / "out"
    code = main([command, str(write_spec(tmp_path)), "--out", str(out), option, value])
    assert code == 2
    assert one_line(capsys) == (
        f"dataspace-abm: error: {option} = {shown} is invalid: "
        "allowed a finite number of seconds > 0"
    )
    assert not out.exists()


def test_resume_into_another_specs_folder_is_refused_unless_overwrite(tmp_path, capsys):
    small = write_spec(tmp_path, SIX, steps=10)
    other = write_spec(tmp_path, OTHER, steps=10, name="other.toml")
    out = tmp_path / "out"
    base = ["--out", str(out), "--workers", "1", "--no-progress"]
    assert main(["experiment", str(small), *base]) == 0
    before = {p: (out / "parts" / p).read_bytes() for p in parts(out)}
    recorded = (out / "spec.toml").read_text()
    capsys.readouterr()
    assert main(["experiment", str(other), *base, "--resume"]) == 2
    assert one_line(capsys) == (
        f"dataspace-abm: error: --resume: {out} holds the runs of another spec 'small' "
        f"({out}/spec.toml), not of 'other' ({other}); add --overwrite to replace them, "
        "or choose another --out"
    )
    assert {p: (out / "parts" / p).read_bytes() for p in parts(out)} == before
    assert (out / "spec.toml").read_text() == recorded
    # the same spec, a comment and blank lines aside, resumes as before
    small.write_text("# the same runs\n\n" + small.read_text())
    assert main(["experiment", str(small), *base, "--resume"]) == 0
    assert "6 already done, 0 run" in capsys.readouterr().out
    # --overwrite replaces the other spec's runs with this one's
    assert main(["experiment", str(other), *base, "--resume", "--overwrite"]) == 0
    assert "0 already done, 12 run, 0 failed" in capsys.readouterr().out
    assert len(parts(out)) == 12 and len(set(before) - set(parts(out))) == 2  # "command" gone
    assert (out / "spec.toml").read_text() == other.read_text()
    runs = pd.read_parquet(out / "runs.parquet")
    assert set(runs["mode"]) == {"landscape", "flat", "autonomous"}


def test_resume_of_the_same_experiment_extended_keeps_its_runs(tmp_path, capsys):
    out = tmp_path / "out"
    base = ["--out", str(out), "--workers", "1", "--no-progress"]
    assert main(["experiment", str(write_spec(tmp_path, SIX, steps=10)), *base]) == 0
    capsys.readouterr()
    extended = write_spec(tmp_path, SMALL, steps=10, name="more_seeds.toml")  # same name
    assert main(["experiment", str(extended), *base, "--resume"]) == 0
    captured = capsys.readouterr()
    assert "6 already done, 6 run, 0 failed" in captured.out
    assert "warning: --resume: the spec differs" in captured.err
    assert (out / "spec.toml").read_text() == extended.read_text()


@pytest.mark.parametrize("where", ["file", "under a file", "unwritable"])
def test_an_out_that_cannot_be_a_folder_is_one_line(tmp_path, capsys, monkeypatch, where):
    spec = write_spec(tmp_path, SIX, steps=10)
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder\n")
    out = {"file": blocker, "under a file": blocker / "sub" / "deeper"}.get(where, tmp_path / "ro")
    if where == "unwritable":  # root may write anywhere: the refusal is simulated

        def refuse(self, *args, **kwargs):
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "mkdir", refuse)
    code = main(["experiment", str(spec), "--out", str(out), "--workers", "1"])
    assert code == 2
    assert (
        one_line(capsys)
        == f"dataspace-abm: error: --out {out}: "
        + {
            "file": "is a file, not a folder",
            "under a file": f"cannot create: {blocker} is a file, not a folder",
            "unwritable": "cannot create: Permission denied",
        }[where]
    )
    assert blocker.read_text() == "not a folder\n" and not (tmp_path / "ro").exists()


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_killed_dask_worker_process_stops_the_batch_at_its_deadline(tmp_path):
    """The same with a real scheduler process and a worker killed with SIGKILL."""
    dask = str(Path(sys.executable).with_name("dask"))
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    worker_cmd = [dask, "worker", address, "--no-nanny", "--nthreads", "1", "--no-dashboard"]
    worker_cmd += ["--host", "127.0.0.1"]
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet
    )
    worker = subprocess.Popen(worker_cmd, **quiet)
    spec = write_spec(tmp_path, SIX, steps=600)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "dataspace_abm.cli", "experiment", str(spec), "--out", str(out)]
    cmd += ["--scheduler", address, "--connect-timeout", "60", "--no-progress"]
    try:
        batch = subprocess.Popen(
            [*cmd, "--worker-warning", "0.5", "--worker-deadline", "2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 90
        while not parts(out) and batch.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        worker.kill()
        _, err = batch.communicate(timeout=60)
        kept = parts(out)
        assert batch.returncode == 2 and 1 <= len(kept) < 6, err
        assert err.splitlines() == [
            "dataspace-abm: warning: no Dask worker for 0.5 s; waiting up to 2 s for one "
            "to join (finished runs are kept)",
            f"dataspace-abm: error: --scheduler {address}: no Dask worker for 2 s "
            f"(--worker-deadline); {len(kept)} of 6 runs are kept in {out}/parts; "
            "--resume continues",
        ]
        worker = subprocess.Popen(worker_cmd, **quiet)
        resumed = subprocess.run(
            [*cmd, "--resume"], capture_output=True, text=True, timeout=90, check=True
        )
        assert f"{len(kept)} already done, {6 - len(kept)} run, 0 failed" in resumed.stdout
        assert set(kept) <= set(parts(out)) and len(parts(out)) == 6
    finally:
        stop(worker, scheduler)
