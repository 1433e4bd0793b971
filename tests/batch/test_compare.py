"""Paired comparisons, Pareto fronts and re-weighted energy from per-run tables."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dataspace_abm.batch.compare import (
    best_alternative,
    energy_at,
    paired_difference,
    pareto_front,
)
from dataspace_abm.core.model import HolarchyModel


def table(values: dict[str, list[float]], cell: str = "a") -> pd.DataFrame:
    rows = [
        {"cell": cell, "mode": mode, "replication": r, "y": v}
        for mode, vs in values.items()
        for r, v in enumerate(vs)
    ]
    return pd.DataFrame(rows)


def test_the_best_is_the_lowest_mean_and_its_margin_is_paired():
    # command is lower in every seed by 1 +- 0.1: decided; the seed effect (+10 r) cancels
    data = table({"landscape": [10 * r + 2.0 + 0.1 * (-1) ** r for r in range(5)],
                  "command": [10 * r + 1.0 for r in range(5)],
                  "flat": [10 * r + 5.0 for r in range(5)]})  # fmt: skip
    row = best_alternative(data, "y", ["cell"]).iloc[0]
    assert (row["best"], row["runner_up"]) == ("command", "landscape")
    assert row["difference"] == pytest.approx(1.02)
    assert row["low"] > 0 and row["decided"]
    # unpaired, the seeds' spread (sd 16) would hide a difference of 1
    assert row["high"] - row["low"] < 0.5


def test_an_interval_that_contains_zero_is_undecided():
    data = table({"landscape": [1.0, 2.0, 1.0, 2.0, 1.5], "command": [2.0, 1.0, 2.0, 1.0, 1.4]})
    row = best_alternative(data, "y", ["cell"]).iloc[0]
    assert row["low"] < 0 < row["high"] and not row["decided"]


def test_paired_difference_counts_the_seeds_where_a_is_lower():
    data = table({"landscape": [1.0, 1.0, 3.0, 1.0, 1.0], "command": [2.0] * 5})
    row = paired_difference(data, "y", ["cell"], "landscape", "command").iloc[0]
    assert (row["a_lower"], row["n"]) == (4, 5)
    assert row["difference"] == pytest.approx(-0.6)


@given(st.lists(st.tuples(st.floats(0, 10), st.floats(0, 10)), min_size=1, max_size=30))
def test_no_point_off_the_front_beats_a_point_on_it(pairs):
    points = pd.DataFrame(pairs, columns=["bits", "gap"])
    front = pareto_front(points, "bits", "gap")
    assert not front.empty
    for _, p in points.iterrows():
        on = front[(front["bits"] <= p["bits"]) & (front["gap"] <= p["gap"])]
        assert not on.empty  # every point is matched or beaten by one on the front
    assert np.all(np.diff(front["gap"].to_numpy()) <= 0)  # more budget, no worse error


def test_reweighted_energy_is_the_energy_of_a_run_at_those_coefficients():
    settings = dict(n_organizations=2, organs_per_organization=3, cells_per_organ=4)
    coefficients = {"c_act": 2.0, "c_inf": 1e-5, "c_bit": 3e-4, "c_central": 0.5}
    runs = {}
    for name, extra in (("default", {}), ("other", coefficients)):
        model = HolarchyModel(rng=2, mode="command", **settings, **extra)
        for _ in range(40):
            model.step()
        runs[name] = model.datacollector.get_model_vars_dataframe()
    sums = {f"energy_{k}_end": [runs["default"][f"energy_{k}"].sum()]
            for k in ("action", "inference", "communication", "central")}  # fmt: skip
    predicted = energy_at(pd.DataFrame(sums), coefficients).iloc[0]
    assert predicted == pytest.approx(runs["other"]["energy_total"].sum(), rel=1e-9)
    # and the coefficients did not change what the model did
    pd.testing.assert_series_equal(runs["default"]["bits_total"], runs["other"]["bits_total"])
