"""The flat regime's compiled kernels (``regimes/flat_compiled.py``) against numpy's.

From ``COMPILED_FROM`` cells on (on every core at two blocks, 133,120 cells here, as
``BLOCKED`` in tests/core/test_engines.py) version 2's cells and their gossip run in
compiled kernels; the numpy engine is the reference. Below, and whenever a message may
not be written straight into its mailbox, the numpy code runs unchanged.
"""

import numba
import numpy as np
import pandas as pd
import pytest

from dataspace_abm import HolarchyModel
from dataspace_abm.regimes import CompiledFlat, Flat, regime_class
from dataspace_abm.regimes.flat import _upstream_by_levels
from dataspace_abm.regimes.flat_kernels import _segment_sum, upstream_edges

BLOCKED = dict(  # 133,120 cells: two blocks
    mode="flat", n_organizations=4, organs_per_organization=32, cells_per_organ=1040,
    p_loss=0.1, remove_at=6, remove_level="organ", niche="daily",
)  # fmt: skip
CELL_ARRAYS = ("x", "mu", "var", "o", "pref", "tilt", "load", "alive")
FLAT_ARRAYS = (
    "m", "t", "b", "sent_m", "sent_t", "sent_b", "recv_m", "recv_t", "recv_b", "recv_time",
    "held_m", "held_b", "upstream",
)  # fmt: skip


def assert_same_run(a: HolarchyModel, b: HolarchyModel, exact: bool = False) -> None:
    """The two models' states agree: cells' arrays, flat's estimates and mailboxes."""
    tol = {} if exact else {"rtol": 1e-9, "atol": 1e-9}
    check = np.testing.assert_array_equal if exact else np.testing.assert_allclose
    for name in CELL_ARRAYS:
        check(getattr(a.state.levels[0], name), getattr(b.state.levels[0], name), **tol)
    for name in FLAT_ARRAYS:
        check(getattr(a.regime.arrays, name), getattr(b.regime.arrays, name), **tol)
    np.testing.assert_array_equal(a.regime.gossiped_at, b.regime.gossiped_at)


def test_the_default_engine_takes_the_compiled_flat():
    assert regime_class("flat", "vectorized") is CompiledFlat
    assert regime_class("flat", "numpy") is Flat
    assert regime_class("flat", "agents") is Flat


@pytest.mark.parametrize(
    "extra",
    [{}, {"network": "v1"}, {"d": 3, "flat_graph": "scale_free", "flat_degree": 6}],
    ids=["fair", "v1", "d3-scale-free"],
)
def test_the_kernels_give_the_numpy_engines_run(extra):
    """Loss, an organ removed at step 6, moving niches: the per-step table to 1e-9 and the
    states too (in fact bit for bit but for the sums over all cells). Three dimensions and
    hubs of a scale-free graph take the general path of the consensus sums."""
    vec = HolarchyModel(rng=4, **BLOCKED, **extra)
    ref = HolarchyModel(rng=4, engine="numpy", **BLOCKED, **extra)
    a, b = vec.run(12), ref.run(12)
    assert vec.regime.compiled_calls == 2 * 12  # the kernels ran: step and send, each step
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-9)
    assert_same_run(vec, ref)
    assert not vec.state.levels[0].alive.all()


def test_a_later_hop_falls_back_to_numpy():
    """Under hop_latency 2 the gossip waits in the delay line: the numpy code runs."""
    vec = HolarchyModel(rng=4, hop_latency=2, **BLOCKED)
    ref = HolarchyModel(rng=4, engine="numpy", hop_latency=2, **BLOCKED)
    a, b = vec.run(12), ref.run(12)
    assert vec.regime.compiled_calls == 0
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-9)
    assert_same_run(vec, ref)


def test_one_thread_or_two_give_the_same_numbers():
    models = []
    for threads in (1, 2):
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        try:
            model = HolarchyModel(rng=4, **BLOCKED)
            model.run(8)
            models.append(model)
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    pd.testing.assert_frame_equal(models[0].table, models[1].table, check_exact=True)
    assert_same_run(*models, exact=True)


def test_a_small_model_runs_numpy_exactly():
    """Below COMPILED_FROM cells: numpy's code and sums (the recorded golden tables compare
    exactly)."""
    vec = HolarchyModel(rng=2, mode="flat", p_loss=0.1, remove_at=5)
    ref = HolarchyModel(rng=2, mode="flat", p_loss=0.1, remove_at=5, engine="numpy")
    a, b = vec.run(15), ref.run(15)
    assert isinstance(vec.regime, CompiledFlat) and vec.regime.compiled_calls == 0
    pd.testing.assert_frame_equal(a, b, check_exact=True)


@pytest.mark.parametrize("graph", ["small_world", "scale_free"])
def test_the_compiled_routes_are_the_level_by_level_routes(graph):
    model = HolarchyModel(rng=3, mode="flat", flat_graph=graph, gateways=3)
    regime, rng = model.regime, np.random.default_rng(0)
    g, gateway = regime.graph, regime.arrays.gateway
    alive = np.ones(model.holarchy.n_cells, dtype=bool)
    # a link runs both ways: a cell's receivers, by sender, are its senders, in order
    np.testing.assert_array_equal(g.dst[g.by_src], g.src)
    for _ in range(3):
        got = upstream_edges(g.in_starts, g.in_ends, g.src, g.out_starts, g.src, gateway, alive)
        np.testing.assert_array_equal(got, _upstream_by_levels(g, gateway, alive))
        alive[rng.choice(alive.size, alive.size // 5, replace=False)] = False


def test_segment_sums_add_as_numpy_reduceat_does():
    """numpy reduces a run pairwise (in 8 partial sums from 8 terms, in halves above 128):
    the kernels' sums are the same numbers, for every length."""
    rng = np.random.default_rng(1)
    for n in [*range(1, 300), 1000, 2053]:
        v = rng.standard_normal((n, 2)) * 10.0 ** rng.uniform(-6, 6, (n, 1))
        want = np.add.reduceat(v, [0], axis=0)[0]
        np.testing.assert_array_equal([_segment_sum(v, n, k) for k in range(2)], want)
