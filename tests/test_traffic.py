"""The benchmark's count of memory traffic matches what the kernels are handed."""

from collections import defaultdict

import numpy as np
import pytest

import dataspace_abm.core.metrics as metrics
import dataspace_abm.regimes.landscape_kernels as K
from dataspace_abm import HolarchyModel, traffic


def _stepped_with_kernel_args(mode: str, monkeypatch) -> tuple[HolarchyModel, dict]:
    """A model of two kernel blocks (every compiled path runs), stepped until every kernel
    of its passes ran (a landscape is sent only once it changed), and the arrays each was
    handed in its last call, by the kernel's one-core name."""
    handed: dict[str, list] = defaultdict(list)
    on_cores = K.on_cores

    def recording(parallel, serial, args, bounds, extra=()):
        handed[serial.__name__] = list(args)
        return on_cores(parallel, serial, args, bounds, extra)

    def direct(kernel, name):
        def call(*args):
            handed[name] = list(args)
            return kernel(*args)

        return call

    monkeypatch.setattr(K, "on_cores", recording)
    monkeypatch.setattr(K, "coarse_grain_cells", direct(K.coarse_grain_cells, "coarse_grain_cells"))
    monkeypatch.setattr(metrics, "living_sums", direct(metrics.living_sums, "living_sums"))
    model = HolarchyModel(
        rng=2, mode=mode, n_organizations=10, organs_per_organization=10, cells_per_organ=1000
    )
    for _ in range(20):
        model.step()
        if all(p.kernel in handed for p in traffic.passes(model) if p.kernel):
            break
    return model, handed


def _sized(arrays, sizes) -> list[np.ndarray]:
    """The arrays of a cell or an edge a row (the levels above and empty ones left out)."""
    return [a for a in arrays if isinstance(a, np.ndarray) and a.ndim and a.shape[0] in sizes]


@pytest.mark.parametrize("mode", traffic.COUNTED)
def test_each_pass_lists_exactly_the_cell_arrays_its_kernel_is_handed(mode, monkeypatch):
    model, handed = _stepped_with_kernel_args(mode, monkeypatch)
    n = model.holarchy.n_cells
    sizes = {n} | ({model.regime.graph.src.size} if mode == "flat" else set())
    checked = 0
    cells = vars(model.state.levels[0])
    for name, kernel, read, written, unread in traffic.passes(model):
        if not kernel:
            continue
        args = _sized(handed[kernel], sizes)
        assert args, f"{kernel} ran with cell arrays ({name})"
        listed = [*read.values(), *written.values(), *(cells[u] for u in unread)]
        for label, array in {**read, **written}.items():
            assert any(np.shares_memory(array, arg) for arg in args), (name, label)
        for arg in args:  # nothing the kernel touches is left out of the count
            assert any(np.shares_memory(arg, array) for array in listed), (name, arg.shape)
        checked += 1
    assert checked == {"landscape": 6, "flat": 5, "autonomous": 3}[mode]


def test_the_count_weighs_edges_by_degree_and_an_array_read_twice_once(monkeypatch):
    model, _ = _stepped_with_kernel_args("flat", monkeypatch)
    n, edges = model.holarchy.n_cells, model.regime.graph.src.size
    receivers = next(p for p in traffic.passes(model) if p.name == "gossip: receivers")
    # recv_m, recv_t, recv_b (d = 2, float64) and recv_time a row an edge, and the load
    assert traffic.pass_bytes({}, receivers.written) == 3 * 16 * edges + 8 * edges + 8 * n
    h = model.state.h
    assert traffic.pass_bytes({"h": h, "eta": h}, {}) == h.nbytes


def test_the_landscape_step_moves_more_than_version_1_counted():
    """Version 2's filter reads the variance, the action and the tilt and writes the
    preferred state and the variance: more than the 543 bytes counted for version 1."""
    model = HolarchyModel(rng=1, n_organizations=2, organs_per_organization=2, cells_per_organ=5)
    model.step()
    per_cell = traffic.bytes_per_cell_step(model)
    assert per_cell > 543
    by_pass = {p.name: traffic.pass_bytes(p.read, p.written) / 20 for p in traffic.passes(model)}
    # reads var, x, mu, a, noise, eta, tilt, h, pi_eta, pi_h, alive; writes o, mu, pref, a,
    # x, var (d = 2, float64; alive a byte)
    assert by_pass["sense, filter, act"] == (8 + 7 * 16 + 2 * 8 + 1) + (5 * 16 + 8)
    assert by_pass["sense, filter, act"] > 97 + 64  # version 1's kernel, as once counted


def test_regimes_not_counted_are_refused_by_name():
    model = HolarchyModel(rng=1, mode="command", n_organizations=2, organs_per_organization=2,
                          cells_per_organ=5)  # fmt: skip
    model.step()
    with pytest.raises(ValueError, match="mode"):
        traffic.passes(model)
