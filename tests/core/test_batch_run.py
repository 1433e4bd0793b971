"""The model runs unchanged under Mesa's own batch runner."""

import mesa

from dataspace_abm import HolarchyModel


def test_mesa_batch_run_returns_rows():
    results = mesa.batch_run(
        HolarchyModel,
        parameters={"mode": ["landscape", "command"], "cells_per_organ": 4},
        rng=[1, 2],
        max_steps=15,
        data_collection_period=1,
        number_processes=1,
        display_progress=False,
    )
    assert len(results) == 2 * 2 * 16  # modes x seeds x (initial row + 15 steps)
    row = results[-1]
    assert row["Step"] == 15 and row["mode"] == "command"
    assert sum(r["bits_total"] for r in results if r["mode"] == "command") > 0
    assert {"tracking_error", "energy_total", "peak_node_load"} <= row.keys()


def test_mesa_batch_run_in_parallel_processes():
    results = mesa.batch_run(
        HolarchyModel,
        parameters={"mode": "flat"},
        rng=[1, 2],
        max_steps=5,
        number_processes=2,
        display_progress=False,
    )
    assert sorted(r["tracking_error"] > 0 for r in results) == [True, True]
