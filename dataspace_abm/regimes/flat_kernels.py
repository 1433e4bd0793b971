"""Compiled (numba) kernels for the flat regime's cells under version 2 (the price).

Each kernel does what ``flat.py`` does in numpy (with ``base.filter_cells`` and ``_move``)
in one pass over memory, with the same floating-point operations in the same order per
cell, block by block (``landscape_kernels.blocks``) in parallel; each block's sums are
added in block order, so the numbers do not depend on the number of threads. The numpy
path stays the reference (``engine = "numpy"``); tests hold the two together.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..core.prefetch import AHEAD, prefetch_row
from .landscape_kernels import act_within_bounds, sense_and_estimate


@njit(cache=True, parallel=True)
def price_step(
    in_starts, in_ends, w_edge, recv_m, recv_b, recv_t, held_m, held_b, m, b, t_est,
    upstream, gateway, target, delta, price_delta, still_m, still_b, price_gain,
    x, mu, var, o, a, pref, eta, pi_eta, tilt, h, pi_h, noise, process, alive,
    noise_sd, q, r, k_a, a_max, drift, process_sd, x_min, x_max, bounds,
):  # fmt: skip
    """Version 2's cells, fused: consensus on the mean estimate and the price (dead zone,
    against what the neighbours hold; ``w_edge``: each in-edge's mixing weight, zero from
    a departed sender), the target from upstream, dual ascent, then sense, filter and act
    (``Flat._step_price``); returns (action energy / c_act, living)."""
    count = bounds.size - 1
    actions = np.zeros(count)
    livings = np.zeros(count, dtype=np.int64)
    for c in prange(count):
        action, living = price_block(
            in_starts, in_ends, w_edge, recv_m, recv_b, recv_t, held_m, held_b, m, b,
            t_est, upstream, gateway, target, delta, price_delta, still_m, still_b, price_gain,
            x, mu, var, o, a, pref, eta, pi_eta, tilt, h, pi_h, noise, process, alive,
            noise_sd, q, r, k_a, a_max, drift, process_sd, x_min, x_max, bounds[c],
            bounds[c + 1],
        )  # fmt: skip
        actions[c], livings[c] = action, living
    action = 0.0
    for c in range(count):  # in block order: the same sum on any number of threads
        action += actions[c]
    return action, livings.sum()


@njit(cache=True, inline="always")
def _dead_zone(recv, e, held, i, width, still, w, out, row):
    """``out[row] = w * dead_zone(recv[e] - held[i], width)`` (``flat.dead_zone``); a
    squared size of at most ``still`` has a root within ``width`` (:func:`still_below`),
    so its shrink is exactly zero, without the root and the division."""
    d = out.shape[1]
    size2 = 0.0  # 0.0 + v * v == v * v: the same sum as equations.sqnorm
    for k in range(d):
        out[row, k] = recv[e, k] - held[i, k]
        size2 += out[row, k] * out[row, k]
    if size2 <= still:
        shrink = 0.0
    else:
        size = np.sqrt(size2)
        shrink = max(size - width, 0.0) / (size if size > 0 else 1.0)
    for k in range(d):
        out[row, k] = w * (out[row, k] * shrink)


def still_below(width: float) -> float:
    """The largest double whose square root is at most ``width`` (-1 if ``width <= 0``): a
    difference of squared size up to it lies in the dead zone."""
    if not width > 0:
        return -1.0
    limit = width * width
    while np.sqrt(limit) > width:
        limit = np.nextafter(limit, 0.0)
    while np.sqrt(np.nextafter(limit, np.inf)) <= width:
        limit = np.nextafter(limit, np.inf)
    return float(limit)


@njit(cache=True)
def _run(v, lo, n, k):
    """Sum of ``v[lo:lo + n, k]``, ``n <= 128``, as numpy adds a strided run
    (``pairwise_sum_DOUBLE``): in order below 8 terms, else in 8 interleaved partial sums."""
    if n < 8:
        res = -0.0
        for j in range(lo, lo + n):
            res += v[j, k]
        return res
    r0, r1, r2, r3 = v[lo, k], v[lo + 1, k], v[lo + 2, k], v[lo + 3, k]
    r4, r5, r6, r7 = v[lo + 4, k], v[lo + 5, k], v[lo + 6, k], v[lo + 7, k]
    j = 8
    while j < n - n % 8:
        r0 += v[lo + j, k]
        r1 += v[lo + j + 1, k]
        r2 += v[lo + j + 2, k]
        r3 += v[lo + j + 3, k]
        r4 += v[lo + j + 4, k]
        r5 += v[lo + j + 5, k]
        r6 += v[lo + j + 6, k]
        r7 += v[lo + j + 7, k]
        j += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while j < n:
        res += v[lo + j, k]
        j += 1
    return res


@njit(cache=True)
def _pairwise(v, lo, n, k):
    """:func:`_run` for any ``n``: above 128 terms numpy sums two halves (the first a
    multiple of 8) and adds them. Iterative (a stack of halves), since numba's cache does
    not keep recursive functions safely."""
    if n <= 128:
        return _run(v, lo, n, k)
    los, ns = np.empty(64, np.int64), np.empty(64, np.int64)
    lefts, stage = np.empty(64), np.zeros(64, np.int64)
    top, los[0], ns[0] = 0, lo, n
    result = 0.0
    while True:
        if ns[top] > 128:  # split: the left half first
            half = ns[top] // 2
            half -= half % 8
            stage[top] = 1
            los[top + 1], ns[top + 1], stage[top + 1] = los[top], half, 0
            top += 1
            continue
        result = _run(v, los[top], ns[top], k)  # a leaf
        while True:  # hand the result to the parent
            if top == 0:
                return result
            top -= 1
            if stage[top] == 1:  # its left half: now the right
                lefts[top] = result
                half = ns[top] // 2
                half -= half % 8
                stage[top] = 2
                los[top + 1], ns[top + 1], stage[top + 1] = los[top] + half, ns[top] - half, 0
                top += 1
                break
            result = lefts[top] + result


@njit(cache=True, inline="always")
def _segment_sum(v, n, k):
    """``equations.segment_sum`` of one segment of ``n`` rows (``np.add.reduceat``: the
    first row, plus the rest summed as numpy reduces a run, :func:`_pairwise`)."""
    if n == 0:
        return 0.0
    if n > 8:
        return v[0, k] + _pairwise(v, 1, n - 1, k)
    res = -0.0  # below 8 terms numpy's run is a sum in order
    for j in range(1, n):
        res += v[j, k]
    return v[0, k] + res if n > 1 else v[0, k]


CHUNK = 256  # cells whose in-edges' dead zones one loop computes (see _dead_zones2)


@njit(cache=True)
def _dead_zones2(
    in_starts, in_ends, recv_m, recv_b, held_m, held_b, first, stop, delta, price_delta,
    still_m, still_b, chunk,
):  # fmt: skip
    """:func:`_dead_zone` of the in-edges of cells ``first`` to ``stop`` (two dimensions),
    into ``chunk``'s columns from the first cell's first edge: the differences (m, then b)
    in rows 0-3, their shrinks in rows 4 and 5. The shrinks, in a loop of their own, are
    computed four at a time (numba vectorizes the roots and divisions; the same bits): a
    price step 50.0 against 42.7 ms at 10^6 cells on both cores (docs/performance.md)."""
    e0 = in_starts[first]
    for i in range(first, stop):
        h0, h1, g0, g1 = held_m[i, 0], held_m[i, 1], held_b[i, 0], held_b[i, 1]
        for e in range(in_starts[i], in_ends[i]):
            j = e - e0
            r0, r1 = recv_m[e, 0] - h0, recv_m[e, 1] - h1
            q0, q1 = recv_b[e, 0] - g0, recv_b[e, 1] - g1
            chunk[0, j], chunk[1, j], chunk[2, j], chunk[3, j] = r0, r1, q0, q1
            chunk[4, j], chunk[5, j] = r0 * r0 + r1 * r1, q0 * q0 + q1 * q1
    for j in range(in_ends[stop - 1] - e0):
        chunk[4, j] = _shrink(chunk[4, j], delta, still_m)
        chunk[5, j] = _shrink(chunk[5, j], price_delta, still_b)


@njit(cache=True, inline="always")
def _shrink(size2, width, still):
    """A difference's factor in the dead zone, from its squared size (:func:`_dead_zone`),
    without a branch: zero up to ``still``."""
    size = np.sqrt(size2)
    shrink = max(size - width, 0.0) / (size if size > 0 else 1.0)
    return 0.0 if size2 <= still else shrink  # as the branch: NaN stays NaN


@njit(cache=True)
def price_block(
    in_starts, in_ends, w_edge, recv_m, recv_b, recv_t, held_m, held_b, m, b, t_est,
    upstream, gateway, target, delta, price_delta, still_m, still_b, price_gain,
    x, mu, var, o, a, pref, eta, pi_eta, tilt, h, pi_h, noise, process, alive,
    noise_sd, q, r, k_a, a_max, drift, process_sd, x_min, x_max, start, stop,
):  # fmt: skip
    """:func:`price_step` over cells ``start`` to ``stop``, on one core. A cell reads its
    own rows and its in-edges only, and writes its own rows: cells are independent."""
    n, d = x.shape
    has_process = process.shape[0] == n
    widest = most = 0  # one cell's in-edges at most, and one chunk's
    for i in range(start, stop):
        widest = max(widest, in_ends[i] - in_starts[i])
    for c0 in range(start, stop, CHUNK):
        most = max(most, in_ends[min(c0 + CHUNK, stop) - 1] - in_starts[c0])
    terms_m, terms_b = np.empty((widest, d)), np.empty((widest, d))  # one cell's in-edges
    sum_m, sum_b = np.empty(d), np.empty(d)
    chunk = np.empty((6, most if d == 2 else 0))  # a chunk's differences and shrinks
    action = 0.0
    living = 0
    e0 = 0
    for i in range(start, stop):
        first, deg = in_starts[i], in_ends[i] - in_starts[i]
        if d == 2 and (i - start) % CHUNK == 0:
            e0 = first  # the chunk's first edge
            _dead_zones2(
                in_starts, in_ends, recv_m, recv_b, held_m, held_b, i, min(i + CHUNK, stop),
                delta, price_delta, still_m, still_b, chunk,
            )  # fmt: skip
        if d == 2 and 1 <= deg <= 8:  # the common case, from the chunk's rows
            # the first term plus the rest in order (np.add.reduceat below 9 rows), each
            # ``w * (difference * shrink)`` as flat.dead_zone weighs it
            j, w = first - e0, w_edge[first]
            fm0, fm1 = w * (chunk[0, j] * chunk[4, j]), w * (chunk[1, j] * chunk[4, j])
            fb0, fb1 = w * (chunk[2, j] * chunk[5, j]), w * (chunk[3, j] * chunk[5, j])
            rm0 = rm1 = rb0 = rb1 = -0.0  # x + -0.0 == x: one edge gives its term alone
            for e in range(first + 1, first + deg):
                j, w = e - e0, w_edge[e]
                rm0 += w * (chunk[0, j] * chunk[4, j])
                rm1 += w * (chunk[1, j] * chunk[4, j])
                rb0 += w * (chunk[2, j] * chunk[5, j])
                rb1 += w * (chunk[3, j] * chunk[5, j])
            sum_m[0], sum_m[1], sum_b[0], sum_b[1] = fm0 + rm0, fm1 + rm1, fb0 + rb0, fb1 + rb1
        else:
            for e in range(first, first + deg):
                w = w_edge[e]
                _dead_zone(recv_m, e, held_m, i, delta, still_m, w, terms_m, e - first)
                _dead_zone(recv_b, e, held_b, i, price_delta, still_b, w, terms_b, e - first)
            for k in range(d):
                sum_m[k] = _segment_sum(terms_m, deg, k)
                sum_b[k] = _segment_sum(terms_b, deg, k)
        up = upstream[i]
        var_pred = var[i] + q
        gain = var_pred / (var_pred + r)
        pe, ph = pi_eta[i], pi_h[i]
        a2 = 0.0
        for k in range(d):
            mean_est = m[i, k] + sum_m[k]
            if gateway[i]:
                target_est = target[k]
            elif up >= 0:
                target_est = recv_t[up, k]
            else:
                target_est = t_est[i, k]
            price = (b[i, k] + sum_b[k]) + price_gain * (target_est - mean_est)
            b[i, k], tilt[i, k] = price, price
            before = mu[i, k]
            # base.filter_cells and _move, as landscape_kernels.filter_block
            ok, mk = sense_and_estimate(x[i, k], mu[i, k], a[i, k], noise[i, k], noise_sd, gain)
            p = ((pe * eta[i, k] + price) + ph * h[i, k]) / (pe + ph)
            noise_ik = process[i, k] if has_process else 0.0
            ak, bounded = act_within_bounds(
                x[i, k], noise_ik, p, mk, k_a, a_max, drift, process_sd, x_min, x_max, has_process
            )
            o[i, k], mu[i, k], pref[i, k], a[i, k], x[i, k] = ok, mk, p, ak, bounded
            a2 += ak * ak
            # dynamic average consensus: an estimate follows its own cell's estimate
            m[i, k] = (mean_est + mk) - before
            t_est[i, k] = target_est
        var[i] = (1.0 - gain) * var_pred
        if alive[i]:
            action += a2
            living += 1
    return action, living


@njit(cache=True, parallel=True)
def gossip_senders(
    m, t_est, b, gossiped_at, alive, receivers, load, outbox, delta2, price_delta2, step,
    fair, refresh_every, bounds,
):  # fmt: skip
    """Send-on-delta of each cell's (m, t, b), and the refresh of one not sent for
    ``refresh_every`` steps. A cell's outbox row holds its last message (m, t, b, then the
    step: one cache line for the receivers to read), which is also its books: what it sent
    and what its neighbours hold of it (``CompiledFlat.outbox``). Counts a message per
    living receiver (``receivers``: per cell, its living out-neighbours) on the sender's
    load; returns the messages sent."""
    count = bounds.size - 1
    sent = np.zeros(count, dtype=np.int64)
    for c in prange(count):
        sent[c] = senders_block(
            m, t_est, b, gossiped_at, alive, receivers, load, outbox, delta2, price_delta2,
            step, fair, refresh_every, bounds[c], bounds[c + 1],
        )  # fmt: skip
    return sent.sum()


@njit(cache=True)
def senders_block(
    m, t_est, b, gossiped_at, alive, receivers, load, outbox, delta2, price_delta2, step,
    fair, refresh_every, start, stop,
):  # fmt: skip
    """:func:`gossip_senders` over cells ``start`` to ``stop``, on one core."""
    d = m.shape[1]
    sent = 0
    for i in range(start, stop):
        moved_m = moved_t = moved_b = 0.0  # equations.moved of each, in the row's loop
        for k in range(d):
            v_m, v_t, v_b = (
                m[i, k] - outbox[i, k],
                t_est[i, k] - outbox[i, d + k],
                b[i, k] - outbox[i, 2 * d + k],
            )
            moved_m += v_m * v_m
            moved_t += v_t * v_t
            moved_b += v_b * v_b
        send = (
            moved_m > delta2
            or moved_t > delta2
            or moved_b > price_delta2
            or (fair and step - gossiped_at[i] >= refresh_every)
        )
        if send and fair:  # as in Flat.send: the refresh clock runs for the departed too
            gossiped_at[i] = step
        if not (send and alive[i]):
            continue
        for k in range(d):
            outbox[i, k], outbox[i, d + k], outbox[i, 2 * d + k] = m[i, k], t_est[i, k], b[i, k]
        outbox[i, 3 * d] = step
        load[i] += receivers[i]
        sent += receivers[i]
    return sent


@njit(cache=True, parallel=True)
def gossip_receivers(
    in_starts, in_ends, src, outbox, lost, alive, recv_m, recv_t, recv_b, recv_time, load,
    now, bounds,
):  # fmt: skip
    """Every living cell takes the messages its senders sent it this step (and not lost)
    straight into its in-edges' mailboxes, and counts them on its load; returns, over
    the living cells, the sum of the mean age of their in-edges' gossip (at ``now``,
    ``Flat.information_age``) and their count."""
    count = bounds.size - 1
    ages = np.zeros(count)
    livings = np.zeros(count, dtype=np.int64)
    for c in prange(count):
        ages[c], livings[c] = receivers_block(
            in_starts, in_ends, src, outbox, lost, alive, recv_m, recv_t, recv_b, recv_time,
            load, now, bounds[c], bounds[c + 1],
        )  # fmt: skip
    age = 0.0
    for c in range(count):
        age += ages[c]
    return age, livings.sum()


@njit(cache=True)
def receivers_block(
    in_starts, in_ends, src, outbox, lost, alive, recv_m, recv_t, recv_b, recv_time, load,
    now, start, stop,
):  # fmt: skip
    """:func:`gossip_receivers` over cells ``start`` to ``stop``, on one core."""
    d = recv_m.shape[1]
    has_loss = lost.shape[0] == src.shape[0]
    total = 0.0
    living = 0
    edges = src.shape[0]
    for i in range(start, stop):
        if not alive[i]:
            continue
        arrived = 0
        age = 0.0
        for e in range(in_starts[i], in_ends[i]):
            if e + AHEAD < edges:  # the sender's row of a later edge: the misses overlap
                prefetch_row(outbox, src[e + AHEAD])
            s = src[e]
            if outbox[s, 3 * d] == now and not (has_loss and lost[e]):
                for k in range(d):
                    recv_m[e, k], recv_t[e, k] = outbox[s, k], outbox[s, d + k]
                    recv_b[e, k] = outbox[s, 2 * d + k]
                recv_time[e] = now
                arrived += 1
            age += now - recv_time[e]
        load[i] += arrived
        total += age / max(in_ends[i] - in_starts[i], 1)
        living += 1
    return total, living


@njit(cache=True, parallel=True)
def information_age(in_starts, in_ends, recv_time, alive, now, bounds):
    """Over living cells: the sum of the mean age of their in-edges' gossip, and their
    count (``Flat.information_age``)."""
    count = bounds.size - 1
    sums = np.zeros(count)
    livings = np.zeros(count, dtype=np.int64)
    for c in prange(count):
        sums[c], livings[c] = age_block(
            in_starts, in_ends, recv_time, alive, now, bounds[c], bounds[c + 1]
        )
    total = 0.0
    for c in range(count):
        total += sums[c]
    return total, livings.sum()


@njit(cache=True)
def age_block(in_starts, in_ends, recv_time, alive, now, start, stop):
    """:func:`information_age` over cells ``start`` to ``stop``, on one core."""
    total = 0.0
    living = 0
    for i in range(start, stop):
        if not alive[i]:
            continue
        age = 0.0
        for e in range(in_starts[i], in_ends[i]):
            age += now - recv_time[e]
        total += age / max(in_ends[i] - in_starts[i], 1)
        living += 1
    return total, living


@njit(cache=True)
def upstream_edges(in_starts, in_ends, src, out_starts, out_dst, gateway, alive):
    """Per cell, the first in-edge from a living neighbour one hop nearer a living gateway
    (breadth first over the living cells, ``flat.upstream_edges``); -1 for gateways and
    cells no gateway reaches. ``out_dst``: the receivers of each cell's out-edges, from
    ``out_starts``. Level by level, each level's cells in order (memory stays local)."""
    n = alive.size
    depth = np.full(n, -1, dtype=np.int64)
    frontier = np.empty(n, dtype=np.int64)
    size = 0
    for i in range(n):
        if gateway[i] and alive[i]:
            depth[i] = 0
            frontier[size] = i
            size += 1
    reached = np.empty(n, dtype=np.int64)
    hops = 0
    while size:
        hops += 1
        found = 0
        for f in range(size):
            i = frontier[f]
            for j in range(out_starts[i], out_starts[i + 1]):
                v = out_dst[j]
                if alive[v] and depth[v] < 0:
                    depth[v] = hops
                    reached[found] = v
                    found += 1
        frontier[:found] = np.sort(reached[:found])
        size = found
    up = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        if depth[i] <= 0:
            continue
        for e in range(in_starts[i], in_ends[i]):
            s = src[e]
            if alive[s] and depth[s] == depth[i] - 1:
                up[i] = e
                break
    return up
