"""A compiled pass the measures need over every cell, whatever the regime and engine."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

KERNEL_ROWS = 50_000  # a kernel block holds KERNEL_ROWS to 2 * KERNEL_ROWS rows
LARGE = 2 * KERNEL_ROWS  # cells from which the regimes' kernels run in blocks too


@njit(cache=True, parallel=True)
def living_sums(x: np.ndarray, alive: np.ndarray, starts: np.ndarray):
    """Per parent (children are the rows from ``starts[j]`` to the next start): the sum of
    its living children's rows and their count: ``np.add.reduceat(x * alive[:, None],
    starts)`` to rounding (numpy's order of additions is its own), in one pass and no
    temporary, parents on every core. Used from ``LARGE`` cells on, so small runs keep
    numpy's numbers (and never start the threading layer)."""
    n, d = x.shape
    parents = starts.size
    sums = np.zeros((parents, d))
    counts = np.zeros(parents)
    for j in prange(parents):  # a parent's sums are its own: no two threads share one
        stop = starts[j + 1] if j + 1 < parents else n
        if d == 2:  # the same sums in registers: 0.7 against 1.8 ms at 10^6 cells
            count, s0, s1 = 0.0, 0.0, 0.0
            for i in range(starts[j], stop):
                w = 1.0 if alive[i] else 0.0
                count += w
                s0 += x[i, 0] * w
                s1 += x[i, 1] * w
            counts[j], sums[j, 0], sums[j, 1] = count, s0, s1
        else:
            for i in range(starts[j], stop):
                w = 1.0 if alive[i] else 0.0
                counts[j] += w
                for k in range(d):
                    sums[j, k] += x[i, k] * w
    return sums, counts
