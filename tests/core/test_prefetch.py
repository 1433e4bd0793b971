"""The cache hint of compiled loops (``core/prefetch.py``): emitted, and changing nothing."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit
from numba.core.errors import TypingError

from dataspace_abm.core.prefetch import AHEAD, prefetch_row


@njit
def _gathered_sums(values, rows):
    """Sum of ``values[rows]``'s first column, each row asked for ``AHEAD`` reads early."""
    total = 0.0
    for j in range(rows.size):
        if j + AHEAD < rows.size:
            prefetch_row(values, rows[j + AHEAD])
        prefetch_row(values, rows[j])  # the row about to be read, the last one too
        total += values[rows[j], 0]
    return total


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 300),
    width=st.integers(1, 9),
    seed=st.integers(0, 2**32 - 1),
    reads=st.integers(0, 500),
)
def test_a_prefetched_gather_reads_the_same_numbers(n, width, seed, reads):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal((n, width))
    rows = rng.integers(0, n, size=reads)
    want = 0.0
    for row in rows:  # the same additions in the same order
        want += values[row, 0]
    assert _gathered_sums(values, rows) == want


def test_the_hint_is_in_the_compiled_code():
    """Equal numbers would not show a hint left out: the LLVM code must call it."""
    values, rows = np.ones((4, 2)), np.arange(4)
    _gathered_sums(values, rows)
    (llvm,) = _gathered_sums.inspect_llvm().values()
    assert "@llvm.prefetch" in llvm


def test_only_rows_of_a_two_dimensional_array_are_asked_for():
    @njit
    def flat(values):
        prefetch_row(values, 0)

    with pytest.raises(TypingError):
        flat(np.ones(3))
