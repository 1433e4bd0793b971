"""The end of a batch: summary statistics, derived measures, figures and report.md."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dataspace_abm.batch.derived import derive, mean_interval, recovery_time
from dataspace_abm.batch.report import write_outputs
from dataspace_abm.batch.runner import run_batch
from dataspace_abm.batch.spec import Derived, load_spec

SPEC = """
[experiment]
name = "report_test"
description = "Two regimes, two sizes, three seeds."
[fixed]
n_organizations = 2
organs_per_organization = 2
[sweep]
mode = ["landscape", "command"]
[[combinations]]
label = "small"
cells_per_organ = 2
[[combinations]]
label = "large"
cells_per_organ = 4
[replications]
count = 3
[run]
steps = 40
[output]
measures = ["tracking_error", "niche_error", "bits_total", "bits_cumulative"]
keep = "all"
[derived.tracking_end]
measure = "tracking_error"
stat = "mean"
from = 30
[derived.bits_per_cell]
measure = "bits_cumulative"
stat = "final"
per_cell = true
[[figures]]
name = "scaling"
x = "n_cells"
y = ["tracking_end", "bits_per_cell"]
hue = "mode"
logx = true
logy = true
[[figures]]
name = "by_label"
x = "label"
y = ["niche_error"]
hue = "mode"
[[figures]]
name = "series"
kind = "timeseries"
y = ["tracking_error", "bits_total"]
hue = "mode"
col = "label"
logy = true
"""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    (folder / "spec.toml").write_text(SPEC)
    spec = load_spec(folder / "spec.toml")
    out = folder / "out"
    result = run_batch(spec, out, workers=1, progress=False)
    return spec, out, write_outputs(spec, out, result)


def test_figures_exist_as_non_empty_small_pngs(outputs):
    _, out, written = outputs
    names = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert names == ["by_label.png", "scaling.png", "series.png"]
    for path in written.figures:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and 5_000 < len(data) < 300_000


def test_report_shows_figures_summary_spec_versions_and_revision(outputs):
    _, out, _ = outputs
    report = (out / "report.md").read_text()
    for name in ("scaling", "by_label", "series"):
        assert f"![{name}](figures/{name}.png)" in report
    assert "## Summary" in report and "| small | landscape |" in report
    assert 'name = "report_test"' in report  # the spec, verbatim
    assert "- mesa 3." in report and "- SALib " in report and "- python 3." in report
    assert "git " in report


def test_summary_is_mean_sd_and_t_interval_across_replications(outputs):
    spec, out, written = outputs
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 4 * len(spec.per_run_measures)
    row = summary[(summary["label"] == "large") & (summary["mode"] == "command")]
    row = row[row["measure"] == "tracking_end"].iloc[0]
    runs = written.runs
    sel = runs[(runs["label"] == "large") & (runs["mode"] == "command") & (runs["step"] >= 30)]
    values = sel.groupby("replication")["tracking_error"].mean().to_numpy()
    half = stats.t.ppf(0.975, 2) * values.std(ddof=1) / math.sqrt(3)
    assert row["n"] == 3 and row["mean"] == pytest.approx(values.mean())
    assert row["std"] == pytest.approx(values.std(ddof=1))
    assert row["ci95_low"] == pytest.approx(values.mean() - half)
    assert row["ci95_high"] == pytest.approx(values.mean() + half)
    bits = written.per_run["bits_per_cell"] * written.per_run["n_cells"]
    assert np.allclose(bits, written.per_run["bits_cumulative"])


def test_runs_parquet_is_one_row_per_run_and_kept_step(outputs):
    _, out, _ = outputs
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 4 * 3 * 41
    assert {"run_key", "label", "mode", "cells_per_organ", "seed", "replication", "step"} <= set(
        runs.columns
    )
    assert runs.groupby(["point", "replication"])["run_key"].nunique().eq(1).all()


def test_recovery_time_and_excess_on_a_known_series():
    steps = np.arange(0, 100)
    y = np.full(100, 0.1)
    y[50:70] = 1.0  # a perturbation at 50 that lasts 20 steps
    y[75] = 1.0  # and a blip: recovery means staying below for `hold` steps
    assert recovery_time(steps, y, at=50, threshold=0.2, hold=0) == 20
    assert recovery_time(steps, y, at=50, threshold=0.2, hold=10) == 26
    assert math.isnan(recovery_time(steps, y, at=50, threshold=0.05, hold=0))
    excess = Derived("x", "m", "excess", {"at": 50, "baseline": 10})
    assert derive(excess, steps, y, n_cells=4, every=1) == pytest.approx(21 * 0.9)
    mean = Derived("x", "m", "mean", {"from": 50, "to": 69, "per_cell": True})
    assert derive(mean, steps, y, n_cells=4, every=1) == pytest.approx(0.25)


def test_mean_interval_matches_scipy():
    x = [1.0, 2.0, 4.0, 8.0]
    low, high = mean_interval(x)
    ref = stats.t.interval(0.95, 3, loc=np.mean(x), scale=stats.sem(x))
    assert (low, high) == pytest.approx(ref)
    assert mean_interval([3.0]) == (3.0, 3.0)


def test_increase_of_a_cumulative_measure_is_what_accrued_after_from():
    steps = np.arange(0, 101, 5)  # kept every 5 steps
    per_step = np.arange(101.0) ** 0.5  # the measure each step
    cumulative = np.cumsum(per_step)[steps]
    d = Derived("after", "bits_cumulative", "increase", {"from": 50})
    assert derive(d, steps, cumulative, n_cells=1, every=5) == pytest.approx(per_step[51:].sum())
    per_cell = Derived("after", "bits_cumulative", "increase", {"from": 50, "per_cell": True})
    assert derive(per_cell, steps, cumulative, 4, 5) == pytest.approx(per_step[51:].sum() / 4)
