"""Compiled (numba) kernels for command's centre and its cells' reports (the cells' own
step is ``landscape_kernels.filter_cells_step``, toward their orders).

The same conventions as ``landscape_kernels.py``: the same floating-point operations per
row as the numpy code, rows in fixed blocks of whole organs (``landscape_kernels.blocks``),
each block's sums added in block order, so the numbers do not depend on the number of
threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def view_moments(view_h, pi_h, alive, bounds):
    """Over living cells: the sum of the niches the centre has read and of ``1 / pi_h``
    (the optimum's shift, ``equations.bounded_shift`` without a bound in the way)."""
    count, d = bounds.size - 1, view_h.shape[1]
    sums = np.zeros((count, d + 1))
    for c in prange(count):
        sum_h, sum_inv = view_moments_block(view_h, pi_h, alive, bounds[c], bounds[c + 1])
        sums[c, :d], sums[c, d] = sum_h, sum_inv
    total = np.zeros(d + 1)
    for c in range(count):
        for k in range(d + 1):
            total[k] += sums[c, k]
    return total[:d], total[d]


@njit(cache=True)
def view_moments_block(view_h, pi_h, alive, start, stop):
    """:func:`view_moments` over rows ``start`` to ``stop``, on one core."""
    d = view_h.shape[1]
    sum_h = np.zeros(d)
    sum_inv = 0.0
    if d == 2:  # the same sums in registers (landscape_kernels.summary_block2)
        h0 = h1 = 0.0
        for i in range(start, stop):
            if alive[i]:
                h0 += view_h[i, 0]
                h1 += view_h[i, 1]
                sum_inv += 1.0 / pi_h[i]
        sum_h[0], sum_h[1] = h0, h1
        return sum_h, sum_inv
    for i in range(start, stop):
        if alive[i]:
            for k in range(d):
                sum_h[k] += view_h[i, k]
            sum_inv += 1.0 / pi_h[i]
    return sum_h, sum_inv


@njit(cache=True, parallel=True)
def plan_orders(
    view_h, pi_h, shift, lo, hi, setpoint, sent_order, ordered_at, pending_out, alive, step,
    delta2, refresh_every, bounds,
):  # fmt: skip
    """Command's centre: every cell's set point ``clip(h + shift / pi_h, lo, hi)`` from the
    niches it has read, and the orders that moved by more than ``delta`` (or are due a
    refresh) queued since ``step``; returns (the living cells' sum of set points, living
    cells)."""
    count, d = bounds.size - 1, view_h.shape[1]
    sums = np.zeros((count, d))
    livings = np.zeros(count, dtype=np.int64)
    for c in prange(count):
        sums[c], livings[c] = plan_block(
            view_h, pi_h, shift, lo, hi, setpoint, sent_order, ordered_at, pending_out,
            alive, step, delta2, refresh_every, bounds[c], bounds[c + 1],
        )  # fmt: skip
    total = np.zeros(d)
    for c in range(count):
        for k in range(d):
            total[k] += sums[c, k]
    return total, livings.sum()


@njit(cache=True)
def plan_block(
    view_h, pi_h, shift, lo, hi, setpoint, sent_order, ordered_at, pending_out, alive, step,
    delta2, refresh_every, start, stop,
):  # fmt: skip
    """:func:`plan_orders` over rows ``start`` to ``stop``, on one core."""
    d = view_h.shape[1]
    total = np.zeros(d)
    living = 0
    if d == 2:  # the same operations in scalars, the sums in registers
        shift0, shift1 = shift[0], shift[1]
        total0 = total1 = 0.0
        for i in range(start, stop):
            inv = 1.0 / pi_h[i]
            s0 = min(max(view_h[i, 0] + shift0 * inv, lo), hi)
            s1 = min(max(view_h[i, 1] + shift1 * inv, lo), hi)
            setpoint[i, 0], setpoint[i, 1] = s0, s1
            v0, v1 = s0 - sent_order[i, 0], s1 - sent_order[i, 1]
            dist = v0 * v0 + v1 * v1  # 0.0 + a == a: the sum of the loop below
            if alive[i]:
                living += 1
                total0 += s0
                total1 += s1
                due = step - ordered_at[i] >= refresh_every
                if (dist > delta2 or due) and pending_out[i] < 0:
                    pending_out[i] = step
        total[0], total[1] = total0, total1
        return total, living
    for i in range(start, stop):
        inv = 1.0 / pi_h[i]
        dist = 0.0
        for k in range(d):
            s = min(max(view_h[i, k] + shift[k] * inv, lo), hi)
            setpoint[i, k] = s
            v = s - sent_order[i, k]
            dist += v * v
        if alive[i]:
            living += 1
            for k in range(d):
                total[k] += setpoint[i, k]
            if (dist > delta2 or step - ordered_at[i] >= refresh_every) and pending_out[i] < 0:
                pending_out[i] = step
    return total, living


@njit(cache=True, parallel=True)
def niche_reports(
    h, sent_h, x, sent_up, reported_at, alive, load, send, step, delta2, refresh_every, fair,
    bounds,
):  # fmt: skip
    """Version 2's reports to command's centre: every living cell whose niche moved by
    more than ``delta`` since it last reported it, or whose report is due a refresh,
    reports (``sent_h``, ``sent_up`` and, under the fair network, ``reported_at`` updated,
    one on its load, True in ``send``); a departed cell's refresh timer still turns, as
    in the numpy code. Returns how many report."""
    count = bounds.size - 1
    sent = np.zeros(count, dtype=np.int64)
    for c in prange(count):
        sent[c] = reports_block(
            h, sent_h, x, sent_up, reported_at, alive, load, send, step, delta2,
            refresh_every, fair, bounds[c], bounds[c + 1],
        )  # fmt: skip
    return sent.sum()


@njit(cache=True)
def reports_block(
    h, sent_h, x, sent_up, reported_at, alive, load, send, step, delta2, refresh_every, fair,
    start, stop,
):  # fmt: skip
    """:func:`niche_reports` over rows ``start`` to ``stop``, on one core."""
    d = h.shape[1]
    sent = 0
    for i in range(start, stop):
        dist = 0.0
        for k in range(d):
            v = h[i, k] - sent_h[i, k]
            dist += v * v
        due = step - reported_at[i] >= refresh_every
        if due or dist > delta2:
            if fair:
                reported_at[i] = step
            if alive[i]:
                send[i] = True
                sent += 1
                load[i] += 1
                for k in range(d):
                    sent_h[i, k] = h[i, k]
                    sent_up[i, k] = x[i, k]
    return sent


@njit(cache=True, parallel=True)
def living_sum(values, alive, bounds):
    """The sum of ``values`` over the living rows, and their count, block by block."""
    count = bounds.size - 1
    sums = np.zeros(count)
    livings = np.zeros(count, dtype=np.int64)
    for c in prange(count):
        sums[c], livings[c] = living_sum_block(values, alive, bounds[c], bounds[c + 1])
    total = 0.0
    for c in range(count):
        total += sums[c]
    return total, livings.sum()


@njit(cache=True)
def living_sum_block(values, alive, start, stop):
    """:func:`living_sum` over rows ``start`` to ``stop``, on one core."""
    total = 0.0
    living = 0
    for i in range(start, stop):
        if alive[i]:
            total += values[i]
            living += 1
    return total, living
