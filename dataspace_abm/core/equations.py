"""The model's mathematics: small pure functions over numpy arrays.

Every function works on one holon's row (shape ``(1, d)``) and on a whole level at once
(shape ``(n, d)``): the state dimension is always the last axis. Reductions along that
axis are the same operation for one row and for many, so the per-agent engine and the
vectorized engine compute bit-for-bit the same numbers.

Notation follows docs/odd.md: ``o`` observation, ``mu`` belief, ``eta`` landscape centre
given by the parent, ``h`` a cell's niche, ``pi_*`` precisions, ``k`` gains.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def sqnorm(v: Array) -> Array:
    """Squared Euclidean norm over the state dimension (last axis).

    Summed column by column: for the short state axis this is an order of magnitude faster
    than ``np.sum(axis=-1)``, and the same operations for one row as for a whole level.
    """
    out = v[..., 0] * v[..., 0]
    for k in range(1, v.shape[-1]):
        out = out + v[..., k] * v[..., k]
    return out


def norm(v: Array) -> Array:
    """Euclidean norm over the state dimension (last axis)."""
    return np.sqrt(sqnorm(v))


def _col(p: Array | float) -> Array | float:
    """A per-row precision ``(n,)`` as a column ``(n, 1)`` so it broadcasts over ``d``."""
    return p[..., None] if isinstance(p, np.ndarray) and p.ndim >= 1 else p


def perceive(
    mu: Array,
    o: Array,
    eta: Array,
    pi_o: float,
    pi_eta: Array | float,
    k: float,
    h: Array | None = None,
    pi_h: Array | float = 0.0,
) -> Array:
    """One semi-implicit step of belief updating, stable for any precision.

    ``mu <- (mu + k (pi_o o + pi_eta eta + pi_h h)) / (1 + k (pi_o + pi_eta + pi_h))``.
    Its fixed point is the precision-weighted mean of ``o``, ``eta`` and ``h``.
    """
    pe, ph = _col(pi_eta), _col(pi_h)
    num = pi_o * o + pe * eta
    den = pi_o + pe
    if h is not None:
        num = num + ph * h
        den = den + ph
    return (mu + k * num) / (1.0 + k * den)


def precision_weighted_mean(
    o: Array, eta: Array, pi_o: float, pi_eta: Array | float, h: Array, pi_h: Array | float
) -> Array:
    """The closed-form fixed point of :func:`perceive` for fixed inputs."""
    pe, ph = _col(pi_eta), _col(pi_h)
    return (pi_o * o + pe * eta + ph * h) / (pi_o + pe + ph)


def free_energy(
    o: Array,
    mu: Array,
    eta: Array,
    pi_o: float,
    pi_eta: Array | float,
    h: Array | None = None,
    pi_h: Array | float = 0.0,
) -> Array:
    """Laplace-form variational free energy per holon (constants dropped).

    ``F = 1/2 pi_o |o - mu|^2 + 1/2 pi_eta |mu - eta|^2 [+ 1/2 pi_h |mu - h|^2]``.
    """
    f = 0.5 * pi_o * sqnorm(o - mu) + 0.5 * pi_eta * sqnorm(mu - eta)
    if h is not None:
        f = f + 0.5 * pi_h * sqnorm(mu - h)
    return f


def act(o: Array, mu: Array, k_a: float, pi_o: float, a_max: float = np.inf) -> Array:
    """Action down the free-energy gradient through the observation, ``-k_a pi_o (o - mu)``.

    Clipped to the ramp limit ``a_max`` in each dimension (cells' physical limit; parents
    pass ``inf``, since moving a landscape centre costs nothing physical).
    """
    return np.clip(-k_a * pi_o * (o - mu), -a_max, a_max)


def attention(pi_base: float, gain: float, o: Array, mu: Array) -> Array:
    """Precision a parent gives its children: steeper wells while the parent is off target."""
    return pi_base * (1.0 + gain * norm(o - mu))


def moved(new: Array, last_sent: Array, delta: float) -> Array:
    """Send-on-delta: True where a value moved by more than ``delta`` since it was last sent."""
    return sqnorm(new - last_sent) > delta * delta


def segment_sum(values: Array, starts: Array) -> Array:
    """Sums of consecutive segments of rows beginning at ``starts`` (non-empty segments).

    numpy's reduceat: in order for short segments, pairwise in its own order from nine rows
    on (``flat_kernels`` copies that order); the same whether called for one segment or
    for all of them.
    """
    return np.add.reduceat(values, starts, axis=0)


def coarse_grain(values: Array, alive: Array, starts: Array, previous: Array) -> Array:
    """Mean of each parent's living children's rows; a parent with none keeps ``previous``.

    Children of one parent are contiguous rows; ``starts`` holds each block's first row.
    """
    w = alive.astype(values.dtype)
    total = segment_sum(values * w[:, None], starts)
    count = segment_sum(w, starts)
    safe = np.where(count > 0, count, 1.0)
    return np.where((count > 0)[:, None], total / safe[:, None], previous)


def central_setpoints(
    h: Array, pi_h: Array, target: Array, alive: Array, lo: float = -np.inf, hi: float = np.inf
) -> Array:
    """Command's optimum: ``argmin sum pi_h |s - h|^2`` subject to ``mean(s) = T`` and
    ``lo <= s <= hi``, over the living cells.

    Without a bound in the way it is ``s_i = h_i + (T - mean h) (1/pi_h,i) / mean(1/pi_h)``;
    otherwise ``s_i = clip(h_i + nu / pi_h,i, lo, hi)`` with the multiplier ``nu`` that
    meets ``T`` (:func:`bounded_shift`, the KKT conditions).
    """
    w = alive.astype(float)
    if not w.any():  # nobody left to command
        return h.copy()
    shift = bounded_shift(h, pi_h, target, alive, lo, hi)
    s = h + shift[None, :] * (1.0 / pi_h)[:, None]
    return s if np.isinf(lo) and np.isinf(hi) else np.clip(s, lo, hi)


def bounded_shift(
    h: Array, pi_h: Array, target: Array, alive: Array, lo: float = -np.inf, hi: float = np.inf
) -> Array:
    """The multiplier ``nu`` per dimension with ``mean(clip(h + nu / pi_h, lo, hi)) = T`` over
    the living cells: the closed form ``(T - mean h) / mean(1 / pi_h)`` when no living cell
    would leave the bounds, else found by bisection (at a bound if ``T`` lies beyond)."""
    w = alive.astype(float)
    n = max(w.sum(), 1.0)
    mean_h = np.sum(h * w[:, None], axis=0) / n
    inv = 1.0 / pi_h
    mean_inv = np.sum(inv * w) / n
    shift = (target - mean_h) / max(mean_inv, 1e-300)
    if np.isinf(lo) and np.isinf(hi):
        return shift
    live = alive.astype(bool)
    hl, invl = h[live], inv[live]
    for k in range(h.shape[1]):
        s = hl[:, k] + shift[k] * invl
        if s.min() >= lo and s.max() <= hi:
            continue
        low = float(np.min((lo - hl[:, k]) / invl))  # every living cell at lo
        high = float(np.max((hi - hl[:, k]) / invl))  # every one at hi
        for _ in range(80):
            mid = 0.5 * (low + high)
            if np.mean(np.clip(hl[:, k] + mid * invl, lo, hi)) < target[k]:
                low = mid
            else:
                high = mid
        shift[k] = 0.5 * (low + high)
    return shift


def oldest_first(pending_since: Array, capacity: int) -> Array:
    """Indices of at most ``capacity`` pending entries (``since >= 0``, a step), oldest
    first, ties by index; returned in index order.

    Counted rather than sorted: every entry pending since before the cut-off step, then the
    first ones pending since the cut-off (a million pending entries: one pass, not a sort).
    """
    idx = np.flatnonzero(pending_since >= 0)
    if idx.size <= capacity:
        return idx
    since = pending_since[idx]
    taken = np.cumsum(np.bincount(since))  # entries pending since each step or earlier
    cut = int(np.searchsorted(taken, capacity, side="right"))  # the step that overflows
    chosen = since < cut
    ties = np.flatnonzero(since == cut)[: capacity - (int(taken[cut - 1]) if cut else 0)]
    chosen[ties] = True
    return idx[chosen]


def message_bits(n_floats: int, float_bits: int, header_bits: int) -> int:
    """Size of one message in bits."""
    return n_floats * float_bits + header_bits


BOLTZMANN = 1.380649e-23  # J/K


def landauer_floor(bits: float, temperature: float) -> float:
    """The least energy to erase ``bits`` at ``temperature``: ``bits k T ln 2`` joules."""
    return bits * BOLTZMANN * temperature * np.log(2.0)


def in_window(t: int, start: int, length: int) -> bool:
    """Whether step ``t`` lies in the window of ``length`` steps from ``start`` (-1: none)."""
    return 0 <= start <= t < start + length


# --- version 2 of the cells' rule (``cell_rule = "filter"``) ----------------------------
def filter_update(
    m: Array, var: Array, a: Array, o: Array, q: float, r: float
) -> tuple[Array, Array]:
    """One step of a Kalman filter of a holon's own state, the same in every dimension.

    The holon knows its last action ``a`` (predict ``m + a``, variance ``var + q``) and
    weighs the new observation ``o`` (noise variance ``r``) by the gain
    ``K = var_pred / (var_pred + r)``: the gain falls as evidence accumulates and rises
    with the change ``q`` it expects, so a calm world gives a calm estimate.
    """
    var_pred = var + q
    gain = var_pred / (var_pred + r)
    m_new = m + a + _col(gain) * (o - (m + a))
    return m_new, (1.0 - gain) * var_pred


def filter_steady_state(q: float, r: float) -> tuple[float, float]:
    """The filter's fixed point: predicted variance ``(q + sqrt(q^2 + 4 q r)) / 2`` and its
    gain ``var_pred / (var_pred + r)``."""
    var_pred = (q + np.sqrt(q * q + 4.0 * q * r)) / 2.0
    return float(var_pred), float(var_pred / (var_pred + r))


def preferred_state(
    eta: Array, pi_eta: Array | float, tilt: Array, h: Array, pi_h: Array | float
) -> Array:
    """The state a cell's free energy prefers: ``argmin 1/2 pi_eta |mu - eta|^2 - b . mu +
    1/2 pi_h |mu - h|^2 = (pi_eta eta + b + pi_h h) / (pi_eta + pi_h)``.

    With no well (``pi_eta = 0``) it is ``h + b / pi_h``: the cell keeps its own place and
    shifts by the price ``b``.
    """
    pe, ph = _col(pi_eta), _col(pi_h)
    return (pe * eta + tilt + ph * h) / (pe + ph)


def act_toward(pref: Array, m: Array, k_a: float, a_max: float = np.inf) -> Array:
    """Action toward the preferred state from the estimate, ``k_a (pref - m)``, clipped to
    the ramp limit: sensing noise reaches the state only through the filtered estimate."""
    return np.clip(k_a * (pref - m), -a_max, a_max)


def optimal_tilt(h: Array, pi_h: Array, target: Array, alive: Array) -> Array:
    """The price that makes the cells' mean preferred state (no well) meet ``T``:
    ``b = (T - mean h) / mean(1 / pi_h)``, over the living cells (the Lagrange multiplier
    of ``mean(s) = T``)."""
    w = alive.astype(float)
    n = max(w.sum(), 1.0)
    mean_h = np.sum(h * w[:, None], axis=0) / n
    mean_inv = max(np.sum(w / pi_h) / n, 1e-300)
    return (target - mean_h) / mean_inv


def tilted_free_energy(
    o: Array, m: Array, eta: Array, pi_o: float, pi_eta: Array | float, tilt: Array,
    h: Array, pi_h: Array | float,
) -> Array:  # fmt: skip
    """A cell's free energy under the filter rule, up to a constant:
    ``1/2 pi_o |o - m|^2 + 1/2 pi_eta |m - eta|^2 + 1/2 pi_h |m - h - b / pi_h|^2``.

    The tilt ``- b . m`` is written as a shift of the niche by ``b / pi_h`` (the same
    function of ``m`` plus a constant), so that ``F >= 0``.
    """
    ph = _col(pi_h)
    shifted = h + tilt / ph
    return free_energy(o, m, eta, pi_o, pi_eta, shifted, pi_h)
