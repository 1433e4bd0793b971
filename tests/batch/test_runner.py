"""Batches: the same runs on 1 or 2 workers and on Dask, kill -9 and resume, failed runs."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from processes import stop

from dataspace_abm.batch.report import write_outputs
from dataspace_abm.batch.runner import run_batch
from dataspace_abm.batch.spec import load_spec
from dataspace_abm.cli import main

SMALL = """
[experiment]
name = "small"
[fixed]
n_organizations = 2
organs_per_organization = 2
[sweep]
mode = ["landscape", "command", "flat"]
cells_per_organ = [2, 3]
[replications]
count = 2
seed = 4
[run]
steps = {steps}
[output]
measures = ["tracking_error", "niche_error", "energy_total", "bits_total", "peak_node_load"]
keep = 5
[[figures]]
name = "errors"
x = "cells_per_organ"
y = ["tracking_error", "bits_total"]
hue = "mode"
"""


def write_spec(folder: Path, text: str = SMALL, steps: int = 30, name="spec.toml") -> Path:
    path = folder / name
    path.write_text(text.format(steps=steps))
    return path


def batch(spec_path: Path, out: Path, **kw) -> pd.DataFrame:
    spec = load_spec(spec_path)
    result = run_batch(spec, out, progress=False, **kw)
    write_outputs(spec, out, result)
    return pd.read_parquet(out / "runs.parquet")


def sorted_runs(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["run_key", "step"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    return sorted_runs(batch(write_spec(folder), folder / "out", workers=1))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_runs_table_is_tidy(reference):
    assert len(reference) == 3 * 2 * 2 * 7  # points x seeds x kept steps (0, 5, ..., 30)
    assert reference.groupby("run_key").size().eq(7).all()
    assert {"mode", "cells_per_organ", "n_organizations", "seed", "replication"} <= set(
        reference.columns
    )
    assert sorted(reference["seed"].unique()) == [4, 5]


def test_two_workers_give_the_same_runs(tmp_path, reference):
    runs = batch(write_spec(tmp_path), tmp_path / "out", workers=2)
    pd.testing.assert_frame_equal(sorted_runs(runs), reference)


def test_dask_local_cluster_gives_the_same_runs(tmp_path, reference):
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        runs = batch(write_spec(tmp_path), tmp_path / "out", client=client)
    pd.testing.assert_frame_equal(sorted_runs(runs), reference)


@pytest.mark.slow
def test_separate_dask_scheduler_and_worker_processes_give_the_same_runs(tmp_path, reference):
    dask = str(Path(sys.executable).with_name("dask"))
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    common = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        **common,
    )
    worker = subprocess.Popen(
        [dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"]
        + ["--host", "127.0.0.1"],
        **common,
    )
    try:
        out = tmp_path / "out"
        code = main(
            ["experiment", str(write_spec(tmp_path)), "--scheduler", address, "--out", str(out)]
            + ["--no-progress", "--connect-timeout", "60"]
        )
        assert code == 0
        runs = pd.read_parquet(out / "runs.parquet")
    finally:
        stop(worker, scheduler)
    pd.testing.assert_frame_equal(sorted_runs(runs), reference)


@pytest.mark.slow
def test_a_batch_killed_with_sigkill_resumes_without_loss_or_repeats(tmp_path):
    spec = write_spec(tmp_path, steps=1500)  # 12 runs of ~0.2-0.5 s each
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "dataspace_abm.cli", "experiment", str(spec), "--out", str(out)]
    proc = subprocess.Popen(
        [*cmd, "--workers", "2", "--no-progress"],
        start_new_session=True,  # its own process group: the pool's workers die with it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(list((out / "parts").glob("*.parquet"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list((out / "parts").glob("*.parquet")))
    assert 3 <= done < 12, "the batch was not killed part-way"
    resumed = subprocess.run(
        [*cmd, "--resume", "--no-progress"], capture_output=True, text=True, check=True
    )
    assert f"{done} already done, {12 - done} run, 0 failed" in resumed.stdout
    runs = pd.read_parquet(out / "runs.parquet")
    assert runs.groupby(["point", "replication"])["run_key"].nunique().eq(1).all()
    assert len(runs) == 12 * 301 and not runs.duplicated(["run_key", "step"]).any()
    uninterrupted = batch(spec, tmp_path / "whole", workers=1)
    pd.testing.assert_frame_equal(sorted_runs(runs), sorted_runs(uninterrupted))


FAILING = """
[experiment]
model = "batch_models:FailingHolarchy"
[fixed]
n_organizations = 2
organs_per_organization = 2
cells_per_organ = 2
[sweep]
gain = [0.0, 0.25, 0.5]
[replications]
count = 2
[run]
steps = 10
[output]
measures = ["tracking_error"]
"""


def test_a_run_that_raises_is_recorded_and_the_others_complete(tmp_path, capsys):
    spec = write_spec(tmp_path, FAILING)
    out = tmp_path / "out"
    code = main(["experiment", str(spec), "--out", str(out), "--workers", "2", "--no-progress"])
    assert code == 1  # everything written, but the batch says some runs failed
    failures = pd.read_csv(out / "failures.csv")
    assert len(failures) == 2 and set(failures["gain"]) == {0.25}
    assert set(failures["error"]) == {"RuntimeError: deliberate failure at gain 0.25"}
    assert failures["traceback"].str.contains("batch_models.py").all()
    runs = pd.read_parquet(out / "runs.parquet")
    assert sorted(runs["gain"].unique()) == [0.0, 0.5]
    assert runs.groupby(["point", "replication"]).size().eq(11).all()  # steps 0..10 each
    report = (out / "report.md").read_text()
    assert "## Failed runs" in report and "deliberate failure" in report
    # resume retries only the failed runs
    main(["experiment", str(spec), "--out", str(out), "--resume", "--no-progress"])
    assert "4 already done, 2 run, 2 failed" in capsys.readouterr().out


DYING = FAILING.replace("FailingHolarchy", "DyingHolarchy").replace("count = 2", "count = 3")


def test_a_worker_that_dies_costs_its_run_a_retry_not_the_batch(tmp_path, monkeypatch):
    monkeypatch.setenv("BATCH_TEST_MARKERS", str(tmp_path))
    spec = write_spec(tmp_path, DYING)
    runs = batch(spec, tmp_path / "out", workers=2)
    assert (tmp_path / "seed-2").exists()  # a worker did die, once
    assert len(runs.groupby(["point", "replication"])) == 9
    assert not (tmp_path / "out" / "failures.csv").exists()


@pytest.mark.slow
def test_a_dask_worker_that_dies_costs_its_run_a_retry_not_the_batch(tmp_path, monkeypatch):
    from distributed import Client, LocalCluster

    monkeypatch.setenv("BATCH_TEST_MARKERS", str(tmp_path))
    spec = write_spec(tmp_path, DYING)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        runs = batch(spec, tmp_path / "out", client=client)
    assert (tmp_path / "seed-2").exists()
    assert len(runs.groupby(["point", "replication"])) == 9


def test_stop_condition_ends_runs_early(tmp_path):
    stop = '\n[run.stop]\nmeasure = "alive_cells"\nabove = 0\nafter = 10\nhold = 5\n'
    runs = batch(write_spec(tmp_path, SMALL + stop), tmp_path / "out", workers=1)
    assert runs.groupby("run_key")["step"].max().eq(10).all()  # checked at kept steps


def test_resume_without_changes_runs_nothing(tmp_path, capsys):
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    args = ["experiment", str(spec), "--out", str(out), "--no-progress"]
    assert main([*args, "--workers", "1"]) == 0
    first = pd.read_parquet(out / "runs.parquet")
    assert main([*args, "--resume"]) == 0
    assert "12 already done, 0 run" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs.parquet"), first)


UNREAD = """
[experiment]
name = "unread"
[fixed]
n_organizations = 2
organs_per_organization = 2
cells_per_organ = 3
[sweep]
mode = ["autonomous", "command"]
central_capacity = [1, 100]
[replications]
count = 2
[run]
steps = 20
[output]
measures = ["tracking_error", "bits_total"]
"""


def test_a_parameter_the_regime_never_reads_runs_once(tmp_path):
    spec = load_spec(write_spec(tmp_path, UNREAD))
    result = run_batch(spec, tmp_path / "out", workers=1, progress=False)
    # autonomous ignores society's capacity: 2 of its 4 planned runs are the other 2
    assert (result.total, result.ran) == (6, 6)
    write_outputs(spec, tmp_path / "out", result)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    per_mode = runs.groupby("mode")["run_key"].nunique()
    assert per_mode.to_dict() == {"autonomous": 2, "command": 4}
    auto = runs[runs["mode"] == "autonomous"]
    assert set(auto["central_capacity"]) == {1, 100}  # each point keeps its own values
    tables = [g.drop(columns=["central_capacity", "point"]) for _, g in auto.groupby("point")]
    pd.testing.assert_frame_equal(*(t.reset_index(drop=True) for t in tables))


def test_a_worker_takes_its_share_of_the_cores():
    """Two workers on two cores run their kernels on one thread each, not two."""
    import os

    import numba

    from dataspace_abm.batch.runner import _start_worker

    before = numba.get_num_threads()
    try:
        _start_worker(os.getppid(), 1)  # the watcher sees its parent alive and waits
        assert numba.get_num_threads() == 1
        _start_worker(os.getppid(), 10_000)  # never more than numba has
        assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    finally:
        numba.set_num_threads(before)
