"""The step's standard normals: numpy's numbers, drawn by a compiled loop and on every core.

Every number is what ``Generator.standard_normal`` gives from the same generator in the
same state, and the generator is left in the same state after: numba's ``Generator``
runs numpy's ziggurat on numpy's bit generator (tested bit for bit against numpy, tails
included, ``tests/regimes/test_noise.py``). It is faster because it is one compiled loop,
not numpy's call per number through the distribution's C interface (0.94 against 2.0 ms
for 2 x 10^5 numbers, docs/performance.md). Below ``COMPILED_FROM`` numbers numpy draws
them itself: handing numba a generator costs about 8 us.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

BLOCK_ROWS = 1 << 16  # the noise of a level of two blocks or more: drawn in blocks this size
COMPILED_FROM = 1024  # numbers from which the compiled loop is the faster
# blocks handed to the compiled fill at once: a tuple's length is part of its type, so one
# length means one compiled (and cached) kernel for every size; a typed list would have
# needed 0.5 s of compiling in every process
GROUP = 16


@njit(cache=True)
def _fill(rng: np.random.Generator, out: np.ndarray) -> None:
    """``rng.standard_normal(out=out)`` for a contiguous one-dimensional ``out``."""
    for i in range(out.size):
        out[i] = rng.standard_normal()


@njit(cache=True, parallel=True)
def _fill_blocks(generators, out: np.ndarray, edges: np.ndarray) -> None:
    """``out[edges[b]:edges[b + 1]]`` from ``generators[b]``, block by block on numba's
    threads (each block's generator is its own). On the kernels' threads rather than a pool
    of its own: after a parallel kernel numba's OpenMP threads spin a while, and a pool
    started then shared the two cores with them (the noise of 10^6 cells in 7.1-7.6 ms a
    step against 4.6-5.2 now, the same numbers)."""
    for b in prange(len(generators)):
        _fill(generators[b], out[edges[b] : edges[b + 1]])


def fill_normals(rng: np.random.Generator, out: np.ndarray) -> np.ndarray:
    """Fill the C-contiguous array ``out`` as ``rng.standard_normal(out=out)`` does: the
    same numbers, the generator in the same state after. Returns ``out``."""
    if out.size < COMPILED_FROM or not out.flags.c_contiguous:
        return rng.standard_normal(out=out)
    _fill(rng, out.reshape(-1))
    return out


def standard_normals(rng: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
    """``rng.standard_normal(shape)``: the same numbers, drawn by :func:`fill_normals`."""
    return fill_normals(rng, np.empty(shape))


def normal_rows(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """``n x d`` standard normals. A level of at least two ``BLOCK_ROWS`` is drawn in
    ``n // BLOCK_ROWS`` blocks, each from its own generator seeded from ``rng``, filled on
    every core at once (:func:`_fill_blocks`); the blocks depend on ``n``
    only, so the numbers are the same on any machine and with any number of threads."""
    blocks = n // BLOCK_ROWS
    if blocks < 2:
        return standard_normals(rng, (n, d))
    out = np.empty((n, d))
    seeds = rng.integers(2**63, size=blocks)
    edges = np.linspace(0, n, blocks + 1).astype(np.int64) * d  # in numbers, not rows
    generators = [np.random.default_rng(int(seed)) for seed in seeds]
    for first in range(0, blocks, GROUP):  # the last group padded with empty blocks
        group = generators[first : first + GROUP]
        bounds = edges[first : first + GROUP + 1]
        bounds = np.concatenate([bounds, np.full(GROUP + 1 - bounds.size, bounds[-1])])
        group += [group[-1]] * (GROUP - len(group))
        _fill_blocks(tuple(group), out.reshape(-1), bounds)
    return out
