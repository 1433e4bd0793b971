"""Compiled (numba) kernels for the cell level, the only level with millions of rows.

Each kernel fuses what the numpy path (``regimes/`` with ``equations.py``) does in a
dozen whole-array passes into one pass over memory, with the same floating-point
operations in the same order, so both paths give the same trajectories. The numpy path
stays the reference (``engine = "numpy"``); tests hold the two together.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..core.kernels import KERNEL_ROWS

LANDSCAPE, GIVEN, NICHE = 0, 1, 2  # what a cell's filter rule acts toward (filter_block)


def on_cores(parallel, serial, args: tuple, bounds: np.ndarray, extra: tuple = ()):
    """``parallel(*args, bounds)`` on every core, or, for a single block, ``serial`` on
    this thread alone (the same sums; and small models, the page's and a forked batch's,
    never start the threading layer)."""
    if bounds.size == 2:
        return serial(*args, *extra, bounds[0], bounds[1])
    return parallel(*args, bounds)


def blocks(n: int, starts: np.ndarray) -> np.ndarray:
    """Bounds of the kernels' blocks of rows: one below ``2 * KERNEL_ROWS`` rows, else a
    power of two of them (so that 2, 4, 8 ... cores share them evenly), each of about
    ``KERNEL_ROWS`` to ``2 * KERNEL_ROWS`` rows and beginning at one of ``starts`` (a
    parent's first child): a block owns its parents' counters, so blocks run in parallel
    without races. The blocks depend on the structure only; each block's sums are added in
    block order, so the results do not depend on the number of threads, and one block gives
    exactly the sequential sums. The noise has blocks of its own (``noise.normal_rows``):
    the random numbers do not depend on these."""
    count = 1 << ((n // KERNEL_ROWS).bit_length() - 1) if n >= 2 * KERNEL_ROWS else 1
    wanted = np.linspace(0, n, count + 1)[1:-1]
    inner = starts[np.minimum(np.searchsorted(starts, wanted), starts.size - 1)]
    return np.unique(np.concatenate([[0], inner, [n]])).astype(np.int64)


@njit(cache=True)
def landscape_cells_step(
    x, mu, o, a, eta, pi_eta, h, pi_h, noise, process, alive,
    noise_sd, pi_o, k_mu, k_a, a_max, drift, process_sd, x_min, x_max,
):  # fmt: skip
    """Sense, perceive and act for every cell; returns (action energy / c_act, living cells)."""
    n, d = x.shape
    gain = -k_a * pi_o
    action = 0.0
    living = 0
    has_process = process.shape[0] == n
    for i in range(n):
        pe, ph = pi_eta[i], pi_h[i]
        den = 1.0 + k_mu * ((pi_o + pe) + ph)
        a2 = 0.0
        for k in range(d):
            ok = x[i, k] + noise_sd * noise[i, k]
            num = (pi_o * ok + pe * eta[i, k]) + ph * h[i, k]
            m = (mu[i, k] + k_mu * num) / den
            ak = min(max(gain * (ok - m), -a_max), a_max)
            xk = (x[i, k] + ak) + drift
            if has_process:
                xk = xk + process_sd * process[i, k]
            xk = min(max(xk, x_min), x_max)
            o[i, k], mu[i, k], a[i, k], x[i, k] = ok, m, ak, xk
            a2 += ak * ak
        if alive[i]:
            action += a2
            living += 1
    return action, living


# Inlined into the filter kernels here and in flat_kernels.py. They take scalars, not the
# arrays and an index: an array handed to an inlined function is reference-counted at each
# call, and that kept the filter kernel at a third of its speed (35-40 against 10-12 ms on
# one core at 10^6 cells, the same numbers). Numba's cache does not see a change in a
# function a cached kernel inlines: after changing one of these two, delete the caches
# (dataspace_abm/regimes/__pycache__/*.nbi, *.nbc).
@njit(cache=True, inline="always")
def sense_and_estimate(x, mu, a, noise, noise_sd, gain):
    """One component of a row, from its state ``x``, estimate ``mu``, last action ``a`` and
    sensing noise: the observation and the filtered estimate (``equations.filter_update``):
    predict ``mu + a``, weigh the observation by ``gain``."""
    ok = x + noise_sd * noise
    predicted = mu + a
    return ok, predicted + gain * (ok - predicted)


@njit(cache=True, inline="always")
def act_within_bounds(x, process, p, m, k_a, a_max, drift, process_sd, lo, hi, noisy):
    """One component of a row, from its state ``x`` and process noise: the action toward
    ``p`` from ``m`` (``act_toward``) and the state it leads to (``base._move``); returns
    (the move the bounds allowed, the new state)."""
    ak = min(max(k_a * (p - m), -a_max), a_max)
    xk = (x + ak) + drift
    if noisy:
        xk = xk + process_sd * process
    bounded = min(max(xk, lo), hi)
    return ak + (bounded - xk), bounded  # the move a bound allowed: what the next adds


@njit(cache=True, parallel=True)
def filter_cells_step(
    x, mu, var, o, a, pref, eta, pi_eta, tilt, h, pi_h, noise, process, alive,
    noise_sd, q, r, k_a, a_max, drift, process_sd, x_min, x_max, toward, bounds,
):  # fmt: skip
    """Version 2's cells: sense, filter the estimate, act toward the preferred state from
    it (``equations.filter_update``, ``preferred_state``, ``act_toward`` fused), block by
    block in parallel (:func:`blocks`); returns (action energy / c_act, living cells).

    ``toward`` says what the cells prefer: ``LANDSCAPE`` (their well ``eta, pi_eta``
    and tilt), ``GIVEN`` (``eta`` itself: command's orders) or ``NICHE`` (their own
    niche, ``preferred_state(h, 0, 0, h, pi_h)``: autonomous cells)."""
    n, d = x.shape
    count = bounds.size - 1
    actions = np.zeros(count)
    livings = np.zeros(count, dtype=np.int64)
    has_process = process.shape[0] == n
    for c in prange(count):
        action, living = filter_block(
            x, mu, var, o, a, pref, eta, pi_eta, tilt, h, pi_h, noise, process, alive,
            noise_sd, q, r, k_a, a_max, drift, process_sd, x_min, x_max, toward, has_process,
            bounds[c], bounds[c + 1],
        )  # fmt: skip
        actions[c], livings[c] = action, living
    action = 0.0
    for c in range(count):
        action += actions[c]
    return action, livings.sum()


@njit(cache=True)
def filter_block(
    x, mu, var, o, a, pref, eta, pi_eta, tilt, h, pi_h, noise, process, alive,
    noise_sd, q, r, k_a, a_max, drift, process_sd, x_min, x_max, toward, has_process,
    start, stop,
):  # fmt: skip
    """:func:`filter_cells_step` over rows ``start`` to ``stop``, on one core."""
    d = x.shape[1]
    action = 0.0
    living = 0
    for i in range(start, stop):
        var_pred = var[i] + q
        gain = var_pred / (var_pred + r)
        pe, ph = pi_eta[i], pi_h[i]
        a2 = 0.0
        for k in range(d):
            ok, m = sense_and_estimate(x[i, k], mu[i, k], a[i, k], noise[i, k], noise_sd, gain)
            if toward == LANDSCAPE:
                p = ((pe * eta[i, k] + tilt[i, k]) + ph * h[i, k]) / (pe + ph)
            elif toward == GIVEN:
                p = eta[i, k]
            else:
                p = (ph * h[i, k]) / ph
            noise_ik = process[i, k] if has_process else 0.0
            ak, bounded = act_within_bounds(
                x[i, k], noise_ik, p, m, k_a, a_max, drift, process_sd, x_min, x_max, has_process
            )
            o[i, k], mu[i, k], pref[i, k], a[i, k], x[i, k] = ok, m, p, ak, bounded
            a2 += ak * ak
        var[i] = (1.0 - gain) * var_pred
        if alive[i]:
            action += a2
            living += 1
    return action, living


@njit(cache=True, parallel=True)
def report_up(
    x, sent_up, reported, report_time, now, alive, lost, parent, load, parent_load, delta2,
    reported_at, refresh_every, bounds,
):  # fmt: skip
    """Send-on-delta reports of every row to its parent, and the refresh of a report not
    sent for ``refresh_every`` steps (the fair network's repair), block by block in
    parallel; returns the number sent."""
    count = bounds.size - 1
    sent = np.zeros(count, dtype=np.int64)
    for c in prange(count):
        sent[c] = report_block(
            x, sent_up, reported, report_time, now, alive, lost, parent, load, parent_load,
            delta2, reported_at, refresh_every, bounds[c], bounds[c + 1],
        )  # fmt: skip
    return sent.sum()


@njit(cache=True)
def report_block(
    x, sent_up, reported, report_time, now, alive, lost, parent, load, parent_load, delta2,
    reported_at, refresh_every, start, stop,
):  # fmt: skip
    """:func:`report_up` over rows ``start`` to ``stop``, on one core."""
    n, d = x.shape
    has_loss = lost.shape[0] == n
    step = int(now)
    sent = 0
    for i in range(start, stop):
        due = step - reported_at[i] >= refresh_every
        if not alive[i]:
            if due:
                reported_at[i] = step
            continue
        dist = 0.0
        for k in range(d):
            v = x[i, k] - sent_up[i, k]
            dist += v * v
        if dist > delta2 or due:
            reported_at[i] = step
            sent += 1
            load[i] += 1
            arrives = not (has_loss and lost[i])
            for k in range(d):
                sent_up[i, k] = x[i, k]
                if arrives:
                    reported[i, k] = x[i, k]
            if arrives:
                report_time[i] = now
                parent_load[parent[i]] += 1
    return sent


@njit(cache=True, parallel=True)
def receive_landscape(
    eta, pi_eta, landscape_time, alive, lost, parent, changed, theta, pi_child, info_time,
    load, parent_load, bounds,
):  # fmt: skip
    """Each living child of a parent whose landscape changed receives it, block by block in
    parallel; returns the count."""
    count = bounds.size - 1
    sent = np.zeros(count, dtype=np.int64)
    for c in prange(count):
        sent[c] = receive_block(
            eta, pi_eta, landscape_time, alive, lost, parent, changed, theta, pi_child,
            info_time, load, parent_load, bounds[c], bounds[c + 1],
        )  # fmt: skip
    return sent.sum()


@njit(cache=True)
def receive_block(
    eta, pi_eta, landscape_time, alive, lost, parent, changed, theta, pi_child, info_time,
    load, parent_load, start, stop,
):  # fmt: skip
    """:func:`receive_landscape` over rows ``start`` to ``stop``, on one core."""
    n, d = eta.shape
    has_loss = lost.shape[0] == n
    sent = 0
    for i in range(start, stop):
        p = parent[i]
        if not (changed[p] and alive[i]):
            continue
        sent += 1
        parent_load[p] += 1
        if has_loss and lost[i]:
            continue
        for k in range(d):
            eta[i, k] = theta[p, k]
        pi_eta[i] = pi_child[p]
        landscape_time[i] = info_time[p]
        load[i] += 1
    return sent


@njit(cache=True)
def niche_moments(h, pi_h, alive):
    """Over living cells: the sum of niches and of 1 / pi_h (for the optimum's shift)."""
    n, d = h.shape
    sum_h = np.zeros(d)
    sum_inv = 0.0
    for i in range(n):
        if alive[i]:
            for k in range(d):
                sum_h[k] += h[i, k]
            sum_inv += 1.0 / pi_h[i]
    return sum_h, sum_inv


@njit(cache=True, parallel=True)
def cells_summary(
    x, h, o, mu, eta, pi_eta, tilt, pi_h, pi_o, alive, load, shift, landscape_time, lo, hi,
    bounds,
):  # fmt: skip
    """Sums over living cells of x, |x - h|, |x - s*| and free energy, and of the times their
    landscapes rest on; their count; the largest load. Block by block in parallel, each
    block's sums added in block order (:func:`blocks`).

    The optimum is ``s*_i = clip(h_i + shift / pi_h,i, lo, hi)``
    (``equations.central_setpoints``, with ``shift = (T - mean h) / mean(1 / pi_h)`` when no
    bound is in the way). The niche term of the free energy is taken
    around ``h + tilt / pi_h`` (``equations.tilted_free_energy``); without a tilt that is
    ``h`` itself, version 1's free energy."""
    d = x.shape[1]
    count = bounds.size - 1
    sums = np.zeros((count, 4))  # niche, gap, seen, free
    sum_xs = np.zeros((count, d))
    livings = np.zeros(count, dtype=np.int64)
    max_loads = np.zeros(count, dtype=load.dtype)
    for c in prange(count):
        sum_x, niche, gap, free, seen, living, max_load = summary_block(
            x, h, o, mu, eta, pi_eta, tilt, pi_h, pi_o, alive, load, shift, landscape_time,
            lo, hi, bounds[c], bounds[c + 1],
        )  # fmt: skip
        sums[c, 0], sums[c, 1], sums[c, 2], sums[c, 3] = niche, gap, free, seen
        sum_xs[c], livings[c], max_loads[c] = sum_x, living, max_load
    total, sum_x = np.zeros(4), np.zeros(d)
    for c in range(count):
        for j in range(4):
            total[j] += sums[c, j]
        for k in range(d):
            sum_x[k] += sum_xs[c, k]
    return sum_x, total[0], total[1], total[2], total[3], livings.sum(), max_loads.max()


@njit(cache=True)
def summary_block(
    x, h, o, mu, eta, pi_eta, tilt, pi_h, pi_o, alive, load, shift, landscape_time, lo, hi,
    start, stop
):  # fmt: skip
    """:func:`cells_summary` over rows ``start`` to ``stop``, on one core."""
    d = x.shape[1]
    if d == 2:
        return summary_block2(
            x, h, o, mu, eta, pi_eta, tilt, pi_h, pi_o, alive, load, shift, landscape_time,
            lo, hi, start, stop,
        )  # fmt: skip
    niche = 0.0
    gap = 0.0
    seen = 0.0
    free = 0.0
    living = 0
    max_load = 0
    for i in range(start, stop):
        if load[i] > max_load:
            max_load = load[i]
        if not alive[i]:
            continue
        living += 1
        seen += landscape_time[i]
        dist = e_o = e_eta = e_h = off = 0.0  # 0.0 + a == a: the same sums as equations.sqnorm
        for k in range(d):
            v, a, b, e = (
                x[i, k] - h[i, k],
                o[i, k] - mu[i, k],
                mu[i, k] - eta[i, k],
                mu[i, k] - (h[i, k] + tilt[i, k] / pi_h[i]),
            )
            dist += v * v
            g = x[i, k] - min(max(h[i, k] + shift[k] / pi_h[i], lo), hi)
            off += g * g
            e_o += a * a
            e_eta += b * b
            e_h += e * e
        niche += np.sqrt(dist)
        gap += np.sqrt(off)
        free += (0.5 * pi_o * e_o + 0.5 * pi_eta[i] * e_eta) + 0.5 * pi_h[i] * e_h
    sum_x = np.zeros(d)
    for k in range(d):  # one column at a time: accumulators stay in registers
        column = 0.0
        for i in range(start, stop):
            if alive[i]:
                column += x[i, k]
        sum_x[k] = column
    return sum_x, niche, gap, free, seen, living, max_load


@njit(cache=True)
def summary_block2(
    x, h, o, mu, eta, pi_eta, tilt, pi_h, pi_o, alive, load, shift, landscape_time, lo, hi,
    start, stop
):  # fmt: skip
    """:func:`summary_block` in two dimensions: the same operations in the same order, in
    scalars, and the sum of the states in the same loop (0.0 + a == a, so a sum started at
    its first term is the sum started at zero). 9.5-9.8 against 11.3-12.9 ms on one core at
    10^6 cells."""
    niche = gap = seen = free = 0.0
    living = max_load = 0
    sum_x0 = sum_x1 = 0.0
    s0, s1 = shift[0], shift[1]
    for i in range(start, stop):
        if load[i] > max_load:
            max_load = load[i]
        if not alive[i]:
            continue
        living += 1
        seen += landscape_time[i]
        ph = pi_h[i]
        x0, x1, h0, h1, m0, m1 = x[i, 0], x[i, 1], h[i, 0], h[i, 1], mu[i, 0], mu[i, 1]
        v0, v1 = x0 - h0, x1 - h1
        a0, a1 = o[i, 0] - m0, o[i, 1] - m1
        b0, b1 = m0 - eta[i, 0], m1 - eta[i, 1]
        e0, e1 = m0 - (h0 + tilt[i, 0] / ph), m1 - (h1 + tilt[i, 1] / ph)
        g0 = x0 - min(max(h0 + s0 / ph, lo), hi)
        g1 = x1 - min(max(h1 + s1 / ph, lo), hi)
        niche += np.sqrt(v0 * v0 + v1 * v1)
        gap += np.sqrt(g0 * g0 + g1 * g1)
        e_o, e_eta, e_h = a0 * a0 + a1 * a1, b0 * b0 + b1 * b1, e0 * e0 + e1 * e1
        free += (0.5 * pi_o * e_o + 0.5 * pi_eta[i] * e_eta) + 0.5 * ph * e_h
        sum_x0 += x0
        sum_x1 += x1
    sum_x = np.zeros(2)
    sum_x[0], sum_x[1] = sum_x0, sum_x1
    return sum_x, niche, gap, free, seen, living, max_load


@njit(cache=True, parallel=True)
def coarse_grain_cells(reported, report_time, alive, starts, ends, x, info_time):
    """Each organ's state and information time: the means over its living cells of their
    reports and of when those were observed (``equations.coarse_grain`` twice, fused,
    organ by organ in parallel; an organ with no living cell keeps its own)."""
    n_parents, d = x.shape
    for j in prange(n_parents):
        count = 0.0
        seen = 0.0
        if d == 2:  # the same sums in registers, and no array a parent
            t0 = t1 = 0.0
            for i in range(starts[j], ends[j]):
                if alive[i]:
                    count += 1.0
                    seen += report_time[i]
                    t0 += reported[i, 0]
                    t1 += reported[i, 1]
            if count > 0:
                x[j, 0], x[j, 1] = t0 / count, t1 / count
                info_time[j] = seen / count
        else:
            total = np.zeros(d)
            for i in range(starts[j], ends[j]):
                if alive[i]:
                    count += 1.0
                    seen += report_time[i]
                    for k in range(d):
                        total[k] += reported[i, k]
            if count > 0:
                for k in range(d):
                    x[j, k] = total[k] / count
                info_time[j] = seen / count


NONE_BOOL = np.zeros(0, dtype=np.bool_)
NONE_FLOAT = np.zeros((0, 1))
