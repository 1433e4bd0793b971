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

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

BLOCK_ROWS = 1 << 16  # the noise of a level of two blocks or more: drawn in blocks this size
COMPILED_FROM = 1024  # numbers from which the compiled loop is the faster
_POOLS: dict[int, ThreadPoolExecutor] = {}  # per process: a forked child has no threads


@njit(cache=True, nogil=True)
def _fill(rng: np.random.Generator, out: np.ndarray) -> None:
    """``rng.standard_normal(out=out)`` for a contiguous one-dimensional ``out``, without
    the GIL (each thread has its own generator)."""
    for i in range(out.size):
        out[i] = rng.standard_normal()


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


def _pool() -> ThreadPoolExecutor:
    """This process's threads for drawing noise (made on first use after a fork too)."""
    pid = os.getpid()
    if pid not in _POOLS:
        _POOLS[pid] = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="draws")
    return _POOLS[pid]


def normal_rows(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """``n x d`` standard normals. A level of at least two ``BLOCK_ROWS`` is drawn in
    ``n // BLOCK_ROWS`` blocks, each from its own generator seeded from ``rng``, filled on
    every core at once (the compiled loop releases the GIL); the blocks depend on ``n``
    only, so the numbers are the same on any machine and with any number of threads."""
    blocks = n // BLOCK_ROWS
    if blocks < 2:
        return standard_normals(rng, (n, d))
    out = np.empty((n, d))
    seeds = rng.integers(2**63, size=blocks)
    edges = np.linspace(0, n, blocks + 1).astype(np.int64)

    def fill(k: int) -> None:
        fill_normals(np.random.default_rng(int(seeds[k])), out[edges[k] : edges[k + 1]])

    list(_pool().map(fill, range(blocks)))
    return out
