"""Compiled (numba) kernels for the cell level, the only level with millions of rows.

Each kernel fuses what the numpy path (``regimes/`` with ``equations.py``) does in a
dozen whole-array passes into one pass over memory, with the same floating-point
operations in the same order, so both paths give the same trajectories. The numpy path
stays the reference (``engine = "numpy"``); tests hold the two together.
"""

from __future__ import annotations

import numpy as np
from numba import njit


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


@njit(cache=True)
def filter_cells_step(
    x, mu, var, o, a, pref, eta, pi_eta, tilt, h, pi_h, noise, process, alive,
    noise_sd, q, r, k_a, a_max, drift, process_sd, x_min, x_max,
):  # fmt: skip
    """Version 2's cells: sense, filter the estimate, act toward the preferred state from
    it (``equations.filter_update``, ``preferred_state``, ``act_toward`` fused); returns
    (action energy / c_act, living cells)."""
    n, d = x.shape
    action = 0.0
    living = 0
    has_process = process.shape[0] == n
    for i in range(n):
        var_pred = var[i] + q
        gain = var_pred / (var_pred + r)
        pe, ph = pi_eta[i], pi_h[i]
        a2 = 0.0
        for k in range(d):
            ok = x[i, k] + noise_sd * noise[i, k]
            predicted = mu[i, k] + a[i, k]
            m = predicted + gain * (ok - predicted)
            p = ((pe * eta[i, k] + tilt[i, k]) + ph * h[i, k]) / (pe + ph)
            ak = min(max(k_a * (p - m), -a_max), a_max)
            xk = (x[i, k] + ak) + drift
            if has_process:
                xk = xk + process_sd * process[i, k]
            xk = min(max(xk, x_min), x_max)
            o[i, k], mu[i, k], pref[i, k], a[i, k], x[i, k] = ok, m, p, ak, xk
            a2 += ak * ak
        var[i] = (1.0 - gain) * var_pred
        if alive[i]:
            action += a2
            living += 1
    return action, living


@njit(cache=True)
def report_up(
    x, sent_up, reported, report_time, now, alive, lost, parent, load, parent_load, delta2,
    reported_at, refresh_every,
):  # fmt: skip
    """Send-on-delta reports of every row to its parent, and the refresh of a report not
    sent for ``refresh_every`` steps (the fair network's repair); returns the number sent."""
    n, d = x.shape
    has_loss = lost.shape[0] == n
    step = int(now)
    sent = 0
    for i in range(n):
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


@njit(cache=True)
def receive_landscape(
    eta, pi_eta, landscape_time, alive, lost, parent, changed, theta, pi_child, info_time,
    load, parent_load,
):  # fmt: skip
    """Each living child of a parent whose landscape changed receives it; returns the count."""
    n, d = eta.shape
    has_loss = lost.shape[0] == n
    sent = 0
    for i in range(n):
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


@njit(cache=True)
def cells_summary(
    x, h, o, mu, eta, pi_eta, tilt, pi_h, pi_o, alive, load, shift, landscape_time
):  # fmt: skip
    """Sums over living cells of x, |x - h|, |x - s*| and free energy, and of the times their
    landscapes rest on; their count; the largest load.

    The optimum is ``s*_i = h_i + shift / pi_h,i`` (``equations.central_setpoints``, with
    ``shift = (T - mean h) / mean(1 / pi_h)``). The niche term of the free energy is taken
    around ``h + tilt / pi_h`` (``equations.tilted_free_energy``); without a tilt that is
    ``h`` itself, version 1's free energy."""
    n, d = x.shape
    niche = 0.0
    gap = 0.0
    seen = 0.0
    free = 0.0
    living = 0
    max_load = 0
    for i in range(n):
        if load[i] > max_load:
            max_load = load[i]
        if not alive[i]:
            continue
        living += 1
        seen += landscape_time[i]
        dist = e_o = e_eta = e_h = off = 0.0  # 0.0 + a == a: the same sums as equations.sqnorm
        for k in range(d):
            v, a, b, c = (
                x[i, k] - h[i, k],
                o[i, k] - mu[i, k],
                mu[i, k] - eta[i, k],
                mu[i, k] - (h[i, k] + tilt[i, k] / pi_h[i]),
            )
            dist += v * v
            g = x[i, k] - (h[i, k] + shift[k] / pi_h[i])
            off += g * g
            e_o += a * a
            e_eta += b * b
            e_h += c * c
        niche += np.sqrt(dist)
        gap += np.sqrt(off)
        free += (0.5 * pi_o * e_o + 0.5 * pi_eta[i] * e_eta) + 0.5 * pi_h[i] * e_h
    sum_x = np.zeros(d)
    for k in range(d):  # one column at a time: accumulators stay in registers
        total = 0.0
        for i in range(n):
            if alive[i]:
                total += x[i, k]
        sum_x[k] = total
    return sum_x, niche, gap, free, seen, living, max_load


NONE_BOOL = np.zeros(0, dtype=np.bool_)
NONE_FLOAT = np.zeros((0, 1))
