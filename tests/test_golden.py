"""Recorded per-step tables: a change that is not meant to change behaviour changes nothing.

Version 1's rules were recorded before the package was reorganized and are kept as they
were (``v1_*``; the AI-and-grid scenario's version 1 runs are gone with that version of
the scenario); version 2's defaults are recorded under their own names.
``GOLDEN_UPDATE=1 pytest tests/test_golden.py`` records them anew, for a change that is
meant to change behaviour (a new version of the model); every other change keeps them.
"""

import os
from pathlib import Path

import pandas as pd
import pytest

from dataspace_abm import HolarchyModel
from dataspace_abm.core import params as P

GOLDEN = Path(__file__).parent / "golden"
STRESS = {"n_organizations": 3, "organs_per_organization": 3, "cells_per_organ": 6}
V1_RUNS = {
    **{f"default_{mode}": ({"mode": mode}, 600) for mode in P.MODES},
    # loss on every kind of link, removals, the data space, attention, the other engines
    "stress_landscape": (
        {**STRESS, "coordination_scope": "organization", "trust_threshold": 0.3,
         "pi_env": 20.0, "p_loss": 0.2, "gain": 0.5, "remove_at": 30, "niche": "daily"}, 80,
    ),
    "stress_command": (
        {**STRESS, "mode": "command", "p_loss": 0.2, "central_capacity": 9, "remove_at": 30,
         "remove_level": "organ", "process_noise": 0.05, "target": "steps",
         "target_period": 20}, 80,
    ),
    "stress_flat": (
        {**STRESS, "mode": "flat", "p_loss": 0.2, "flat_graph": "scale_free", "remove_at": 30,
         "burst_at": 10}, 80,
    ),
    "stress_numpy": ({**STRESS, "engine": "numpy", "p_loss": 0.1, "remove_at": 20}, 40),
    "stress_agents": ({**STRESS, "engine": "agents", "p_loss": 0.1, "remove_at": 20}, 40),
}  # fmt: skip
RUNS = {
    **{f"v1_{name}": ({**P.VERSION_1, **kw}, steps) for name, (kw, steps) in V1_RUNS.items()},
    **{f"v2_default_{mode}": ({"mode": mode}, 300) for mode in P.MODES},
    "v2_stress_landscape": (
        {**STRESS, "p_loss": 0.2, "node_capacity": 4, "remove_at": 30, "niche": "daily",
         "hop_latency": 2}, 80,
    ),
    "v2_stress_command": (
        {**STRESS, "mode": "command", "p_loss": 0.2, "central_capacity": 9, "remove_at": 30,
         "remove_level": "organ", "target": "steps", "target_period": 20, "node_capacity": 5},
        80,
    ),
    "v2_stress_agents": ({**STRESS, "engine": "agents", "p_loss": 0.1, "remove_at": 20}, 40),
    # the AI-and-grid scenario's version 2 (its version 1 is gone: work was not conserved)
    "v2_ai_grid_landscape": (
        {"scenario": "ai_grid", "regions": 2, "day_ahead": "on", "gpu_cost": 0.05,
         "dr_at": 260, "remove_at": 300, "remove_level": "organ"}, 384,
    ),
    "v2_ai_grid_command": ({"scenario": "ai_grid", "mode": "command", "dr_at": 40}, 96),
}  # fmt: skip


def run_table(name: str) -> pd.DataFrame:
    params, steps = RUNS[name]
    return HolarchyModel(rng=11, **params).run(steps)


@pytest.mark.parametrize("name", RUNS)
def test_per_step_table_is_unchanged(name):
    path = GOLDEN / f"{name}.parquet"
    table = run_table(name)
    if os.environ.get("GOLDEN_UPDATE") == "1":
        table.to_parquet(path, index=False)
    expected = pd.read_parquet(path)
    # columns added since the recording are new measures; every recorded one is unchanged
    pd.testing.assert_frame_equal(table[expected.columns], expected, check_exact=True)


BATCH = """
[experiment]
name = "golden"
[fixed]
cell_rule = "gradient"
k_a = 0.1
landscape_parts = "well"
network = "v1"
parent_noise = "own"
n_organizations = 2
organs_per_organization = 2
p_loss = 0.1
[sweep]
mode = ["landscape", "command", "flat", "autonomous"]
cells_per_organ = [3, 5]
[replications]
count = 2
seed = 4
[run]
steps = 40
[output]
keep = 4
[derived.late_error]
measure = "tracking_error"
stat = "mean"
from = 20
"""


def test_batch_runs_table_and_summary_are_unchanged(tmp_path):
    from dataspace_abm.batch.report import write_outputs
    from dataspace_abm.batch.runner import run_batch
    from dataspace_abm.batch.spec import parse_spec

    spec = parse_spec(BATCH)
    write_outputs(spec, tmp_path, run_batch(spec, tmp_path, workers=1, progress=False))
    runs, summary = pd.read_parquet(tmp_path / "runs.parquet"), tmp_path / "summary.csv"
    if os.environ.get("GOLDEN_UPDATE") == "1":
        runs.to_parquet(GOLDEN / "batch_runs.parquet", index=False)
        (GOLDEN / "batch_summary.csv").write_bytes(summary.read_bytes())
    expected = pd.read_parquet(GOLDEN / "batch_runs.parquet")
    # run keys hash every parameter, so a parameter added since the recording changes them
    recorded = [c for c in expected.columns if c != "run_key"]
    pd.testing.assert_frame_equal(runs[recorded], expected[recorded], check_exact=True)
    got, want = pd.read_csv(summary), pd.read_csv(GOLDEN / "batch_summary.csv")
    got = got[got["measure"].isin(want["measure"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
