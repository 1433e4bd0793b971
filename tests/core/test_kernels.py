"""The measures' compiled pass and the queues' counting selection give numpy's numbers."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dataspace_abm.core.equations import oldest_first
from dataspace_abm.core.kernels import living_sums


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=1, max_size=8),
    d=st.integers(1, 3),
    seed=st.integers(0, 2**31),
)
def test_living_sums_are_numpys_reduceat(sizes, d, seed):
    rng = np.random.default_rng(seed)
    n = sum(sizes)
    x, alive = rng.normal(size=(n, d)) * 1e3, rng.random(n) < 0.7
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    sums, counts = living_sums(x, alive, starts)
    w = alive.astype(float)
    expected = np.add.reduceat(x * w[:, None], starts, axis=0)
    np.testing.assert_allclose(sums, expected, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(counts, np.add.reduceat(w, starts))


@settings(max_examples=200, deadline=None)
@given(
    since=st.lists(st.integers(-1, 6), min_size=0, max_size=40),
    capacity=st.integers(1, 45),
)
def test_oldest_first_takes_what_a_stable_sort_takes(since, capacity):
    """The oldest ``capacity`` entries, ties by index: what a stable argsort picks."""
    pending = np.array(since, dtype=np.int64)
    idx = np.flatnonzero(pending >= 0)
    expected = np.sort(idx[np.argsort(pending[idx], kind="stable")[:capacity]])
    np.testing.assert_array_equal(oldest_first(pending, capacity), expected)
