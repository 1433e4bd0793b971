"""The compiled noise is numpy's noise: the same numbers, the generator left the same."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataspace_abm.regimes import noise

ZIGGURAT_TAIL = 3.6541528853610088  # numpy's ziggurat_nor_r: beyond it, the tail's own draw


def _same_state(a: np.random.Generator, b: np.random.Generator) -> bool:
    return a.bit_generator.state == b.bit_generator.state


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**63 - 1),
    rows=st.integers(0, 3000),
    d=st.integers(1, 3),
)
def test_standard_normals_are_numpys_numbers(seed: int, rows: int, d: int) -> None:
    """Below and above ``COMPILED_FROM``: the same array, and the generator continues as
    numpy's would (a following ``random`` and ``integers`` draw agree too)."""
    ours, numpys = np.random.default_rng(seed), np.random.default_rng(seed)
    got = noise.standard_normals(ours, (rows, d))
    want = numpys.standard_normal((rows, d))
    assert got.shape == want.shape and np.array_equal(got, want)
    assert _same_state(ours, numpys)
    assert ours.random() == numpys.random()
    assert ours.integers(2**40) == numpys.integers(2**40)


def test_the_tails_and_rejections_are_numpys_too() -> None:
    """Two million numbers take the ziggurat's slow paths (its tail beyond 3.654 and the
    wedge rejections) thousands of times: still numpy's bits."""
    ours, numpys = np.random.default_rng(2026), np.random.default_rng(2026)
    got = noise.standard_normals(ours, 2_000_000)
    want = numpys.standard_normal(2_000_000)
    assert np.count_nonzero(np.abs(want) > ZIGGURAT_TAIL) > 200
    assert np.array_equal(got, want)
    assert _same_state(ours, numpys)


def test_a_strided_array_is_refused_as_numpy_refuses_it() -> None:
    out = np.zeros((4000, 2))[:, :1]
    with pytest.raises(ValueError, match="contiguous"):
        np.random.default_rng(3).standard_normal(out=out)
    with pytest.raises(ValueError, match="contiguous"):
        noise.fill_normals(np.random.default_rng(3), out)


@pytest.mark.parametrize(
    ("blocks", "d"), [(2, 2), (noise.GROUP, 1), (noise.GROUP + 1, 2), (2 * noise.GROUP + 3, 3)]
)
def test_blocks_are_drawn_from_their_own_generators_on_every_core(blocks: int, d: int) -> None:
    """From two blocks each block's rows are its own generator's numbers, its seed drawn
    from the model's generator: what one thread drawing block after block gives, also
    past one group of blocks (the last group padded with empty ones)."""
    n = blocks * noise.BLOCK_ROWS + 1234
    got = noise.normal_rows(np.random.default_rng(11), n, d)
    rng = np.random.default_rng(11)
    seeds = rng.integers(2**63, size=n // noise.BLOCK_ROWS)
    edges = np.linspace(0, n, seeds.size + 1).astype(np.int64)
    for k, seed in enumerate(seeds):
        block = np.random.default_rng(int(seed)).standard_normal((edges[k + 1] - edges[k], d))
        assert np.array_equal(got[edges[k] : edges[k + 1]], block)
