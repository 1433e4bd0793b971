"""The map `when_shaping_wins` (docs/experiments/when_shaping_wins): its quick spec runs,
its figures and tables come from the run tables, and the directions the full map found
hold in its strongest cells at 10^2 cells (docs/odd.md claim 3)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from dataspace_abm.batch.compare import paired_difference
from dataspace_abm.batch.derived import run_values
from dataspace_abm.batch.report import write_outputs
from dataspace_abm.batch.runner import run_batch
from dataspace_abm.batch.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
QUICK = ROOT / "experiments" / "when_shaping_wins_quick.toml"


def reports_module():
    path = ROOT / "experiments" / "shaping_reports.py"
    spec = importlib.util.spec_from_file_location("shaping_reports", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["shaping_reports"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("when_shaping_wins_quick")
    spec = load_spec(QUICK)
    result = run_batch(spec, out, workers=2, progress=False)
    assert result.failed == 0
    write_outputs(spec, out, result)
    reports_module().map_report(out, "when_shaping_wins_quick")
    runs = pd.read_parquet(out / "runs.parquet")
    return out, spec, run_values(spec, runs).assign(hop_latency=1)


def gap_difference(per_run, niches: str, society: str, measure="optimality_gap_end"):
    cell = per_run[(per_run["niches"] == niches) & (per_run["society"] == society)]
    return paired_difference(cell, measure, ["niches"], "landscape", "command").iloc[0]


def test_the_figures_exist_and_are_pictures(batch):
    out, spec, _ = batch
    names = [
        "map_optimality_gap_end", "map_tracking_error_end", "map_cost_bits_end",
        "map_cost_energy_end", "information_age", "bits_per_niche_change",
        "information_age_against_capacity", "energy_verdict_against_bit_cost",
    ]  # fmt: skip
    for name in names:
        data = (out / "figures" / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000, name


def test_a_summary_number_is_re_derived_from_the_run_table(batch):
    out, _, _ = batch
    runs = pd.read_parquet(out / "runs.parquet")
    part = runs[(runs["label"] == "1e2, N, 20|1|own") & (runs["mode"] == "landscape")]
    by_run = part[part["step"] >= 200].groupby("replication")["optimality_gap"].mean()
    summary = pd.read_csv(out / "summary.csv")
    row = summary[
        (summary["label"] == "1e2, N, 20|1|own")
        & (summary["mode"] == "landscape")
        & (summary["measure"] == "optimality_gap_end")
    ]
    assert row["mean"].item() == pytest.approx(by_run.mean(), rel=1e-12)
    # and the tables' paired differences are those of the per-run values
    tables = (out / "tables.md").read_text()
    diff = gap_difference(batch[2], "20|1|own", "1e2, N")
    assert f"{diff['difference']:+.3f} [{diff['low']:+.3f}, {diff['high']:+.3f}]" in tables


@pytest.mark.parametrize("society", ["1e2, N/64", "1e2, N"])
def test_idiosyncratic_fast_change_shaping_beats_command_on_the_gap(batch, society):
    # niches every 20 steps, each cell its own phase, a scarce or an ample centre
    diff = gap_difference(batch[2], "20|1|own", society)
    assert diff["a_lower"] >= 4 and diff["high"] < 0


def test_static_niches_command_has_the_smaller_gap(batch):
    diff = gap_difference(batch[2], "static", "1e2, N")
    assert diff["a_lower"] <= 1 and diff["low"] > 0


def test_shared_fast_change_command_has_the_smaller_gap(batch):
    # a change every cell shares is one piece of news for the centre, and a tilt chases it
    diff = gap_difference(batch[2], "20|1|shared", "1e2, N")
    assert diff["a_lower"] <= 1 and diff["low"] > 0


def test_command_tracks_the_target_closer_in_every_cell(batch):
    per_run = batch[2]
    for niches in ("static", "20|1|own", "20|1|shared"):
        diff = gap_difference(per_run, niches, "1e2, N", "tracking_error_end")
        assert diff["a_lower"] <= 1, niches


DOCS = ROOT / "docs" / "experiments"


def test_the_committed_reports_figures_are_pictures():
    for name in ("when_shaping_wins", "pareto"):
        figures = sorted((DOCS / name / "figures").glob("*.png"))
        assert len(figures) >= 4, name
        for path in figures:
            data = path.read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000, path
            assert f"figures/{path.name}" in (DOCS / name / "report.md").read_text()


def test_the_committed_map_table_agrees_with_the_committed_summary():
    """A paired mean difference is the difference of the means when every seed ran."""
    summary = pd.read_csv(DOCS / "when_shaping_wins" / "summary.csv")
    cell = summary[
        (summary["society"] == "1e4, N")
        & (summary["niches"] == "20|1|own")
        & (summary["hop_latency"] == 1)
        & (summary["measure"] == "optimality_gap_end")
    ].set_index("mode")["mean"]
    expected = f"{cell['landscape'] - cell['command']:+.3f} ["
    tables = (DOCS / "when_shaping_wins" / "tables.md").read_text()
    section = tables.split("## Landscape minus command, optimality gap, hop latency 1")[1]
    row = next(line for line in section.splitlines() if line.startswith("| 20|1|own |"))
    assert row.split(" | ")[9].startswith(expected)  # the column of 1e4 cells, capacity N
