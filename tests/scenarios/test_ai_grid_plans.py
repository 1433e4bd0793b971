"""The scenario's pure parts: the power curve, the jobs' queue, the plan and provisioning."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataspace_abm.core.params import resolve
from dataspace_abm.scenarios.ai_grid.jobs import JobBook
from dataspace_abm.scenarios.ai_grid.plan import (
    energy_cost_per_work,
    plan_load,
    provisioned_headroom,
)
from dataspace_abm.scenarios.ai_grid.power import power_for, throughput

exponents = st.floats(0.1, 1.0)
floors = st.floats(0.05, 1.0)


@given(st.floats(0.0, 1.0), exponents, floors)
def test_power_for_inverts_throughput(u, exponent, floor):
    x = power_for(np.array([u]), exponent, floor)
    assert throughput(x, exponent, floor)[0] == pytest.approx(u, abs=1e-9)


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), exponents, floors)
def test_throughput_rises_and_power_falls_faster_at_the_top(a, b, exponent, floor):
    """Concave and increasing: a cap cuts power faster than work (work per power rises)."""
    lo, hi = sorted((a, b))
    f = throughput(np.array([lo, hi]), exponent, floor)
    assert f[0] <= f[1] + 1e-12
    if lo > 1e-6:
        assert f[0] / lo >= f[1] / hi - 1e-9


def test_emerald_calibration_of_the_curve():
    """A 25 % power cut keeps about 0.91 of the work (Emerald AI, 2025)."""
    assert throughput(np.array([0.75]), 0.35, 0.3)[0] == pytest.approx(0.904, abs=0.002)


def test_jobs_are_served_earliest_deadline_first_within_each_pool():
    book = JobBook(n_pools=2)
    book.add(np.array([0, 0, 1]), np.array([2.0, 2.0, 1.0]), 0, np.array([20, 10, 5]))
    done = book.serve(0, capacity=np.array([1.5, 5.0]), hours=1.0)
    np.testing.assert_allclose(done, [1.5, 1.0])
    np.testing.assert_allclose(book.cols["remaining"], [1.5, 1.0, 0.0])  # deadline 10 first
    assert book.backlog == pytest.approx(2.5)
    assert book.check_deadlines(10, np.array([0, 1])).tolist() == [1, 0, 0, 0]
    assert book.check_deadlines(11, np.array([0, 1])).sum() == 0  # counted once
    assert book.drop(np.array([0])) == pytest.approx(2.5) and book.backlog == 0.0
    assert book.arrived == pytest.approx(book.done + book.backlog + book.lost)


rooms = st.lists(st.floats(-1.0, 2.0), min_size=2, max_size=48).map(np.array)


@settings(max_examples=200)
@given(rooms, st.floats(0.05, 1.0), st.floats(0.0, 1.0), exponents)
def test_a_plan_does_the_work_within_capacity_using_the_surplus_first(room, cap, share, e):
    def work_of(load):
        return cap * throughput(load / cap, e, 0.3)

    work = share * work_of(np.full(room.size, cap)).sum()
    load = plan_load(room, cap, work, work_of)
    assert np.all(load >= -1e-12) and np.all(load <= cap + 1e-12)
    assert work_of(load).sum() == pytest.approx(work, rel=1e-6, abs=1e-9)
    free = np.clip(room, 0.0, cap)
    fossil = np.maximum(load - free, 0.0)
    if work_of(free).sum() >= work:
        assert fossil.max() <= 1e-9  # the surplus alone does it
    else:
        assert np.all(load >= free - 1e-9)  # all of the surplus is taken
        topped = fossil > 1e-9
        if topped.any():  # the grid tops up to one level: lowest loads first
            assert np.ptp(load[topped]) <= 1e-6


def test_provisioning_buys_headroom_only_when_gpus_are_cheap():
    p = resolve({"scenario": "ai_grid"})
    day = np.arange(96) / 4.0
    room = np.where((day > 9) & (day < 15), 0.6, -0.2)  # a surplus at noon only
    price = np.where(room > 0, 0.10, 0.30)
    h = [
        provisioned_headroom({**p, "gpu_cost": g}, room, price, 0.5, 1.1)
        for g in (2.5, 0.05, 0.005)
    ]
    assert h[0] == pytest.approx(1.25) and h[0] <= h[1] <= h[2] and h[2] > 2
    # the energy price per unit of work falls with headroom: the cheapest hours fill first
    e = energy_cost_per_work(room, price, 0.5, 0.5 / np.array([1.25, 2, 4]) * 96, 0.03)
    assert e[0] >= e[1] >= e[2]
