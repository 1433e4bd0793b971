"""A cell's inference and action: pure functions over arrays whose columns are cells.

Each function takes the columns it is asked about (``cols``: one cell's, or every cell's)
and returns theirs, so the per-agent engine and the vectorized one share them. A cell's
generative model is the form: believing it is identity ``j`` with probability ``q[j]``,
it expects to sit at ``X q``, to release ``S q`` and to sense ``C q``. What it senses is
its own position, its own release and the signals of every living cell at its place. It
descends its free energy: its belief toward what explains its senses (perception), its
position and release toward what its belief predicts (action), as in SPM's ADEM with the
same restriction: a cell's action reaches only its own senses.
"""

from __future__ import annotations

import numpy as np

from .form import Form, field


def softmax(v: np.ndarray) -> np.ndarray:
    """Identity beliefs from their log-odds ``v`` (identities x cells), column by column."""
    e = np.exp(v - v.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def ramp(time: float, duration: float = 1.0) -> float:
    """The extracellular signal's build-up, 1 - exp(-2 t / duration): at first no cell has
    released anything. SPM's demo has the same form with t the fraction of its run
    (``duration`` its length); ``duration`` 1 is this project's default."""
    return 1.0 - np.exp(-2.0 * time / duration)


Gain = float | np.ndarray


def _column(gain: Gain) -> Gain:
    """A gain as it multiplies rows of a sense: a scalar as is, one per row as a column."""
    return gain if np.ndim(gain) == 0 else np.asarray(gain, dtype=float).reshape(-1, 1)


def expected(form: Form, q: np.ndarray, build_up: float) -> np.ndarray:
    """What cells with beliefs ``q`` expect to sense: position, release, signal at their
    place, stacked (2 + 2m) x cells."""
    return np.vstack([form.positions, form.signals, build_up * form.sensed]) @ q


def sensed(
    x: np.ndarray,
    s: np.ndarray,
    alive: np.ndarray,
    cols: slice | np.ndarray,
    decay: float,
    build_up: float,
    gain: Gain = 1.0,
    position_gain: Gain = 1.0,
    release_gain: Gain = 1.0,
) -> np.ndarray:
    """What cells ``cols`` sense: their position, their release, the signal of every
    living cell at their place, stacked. Each sense is scaled by its gain (1 intact): the
    signal by ``gain``, the position by ``position_gain``, the release by ``release_gain``;
    a gain is one number or one per row (per signal, per coordinate)."""
    signal = _column(gain) * build_up * field(x[:, alive], s[:, alive], x[:, cols], decay)
    position = _column(position_gain) * x[:, cols]
    return np.vstack([position, _column(release_gain) * s[:, cols], signal])


def free_energy(
    error: np.ndarray, v: np.ndarray, pi_sense: float, pi_identity: float
) -> np.ndarray:
    """Each cell's free energy (Laplace, constants dropped): precision-weighted squared
    sensory errors plus the prior's on the identity log-odds (prior mean 0)."""
    return 0.5 * pi_sense * (error**2).sum(axis=0) + 0.5 * pi_identity * (v**2).sum(axis=0)


def belief_gradient(
    form: Form,
    q: np.ndarray,
    v: np.ndarray,
    error: np.ndarray,
    build_up: float,
    pi_sense: float,
    pi_identity: float,
) -> np.ndarray:
    """dF/dv for cells with beliefs ``q`` = softmax(v) and sensory errors ``error`` =
    sensed - expected: the softmax's Jacobian (diag q - q q') times the errors' pull."""
    pull = np.vstack([form.positions, form.signals, build_up * form.sensed]).T @ error
    return -pi_sense * (q * pull - q * (q * pull).sum(axis=0)) + pi_identity * v


def action_gradient(
    x: np.ndarray,
    s: np.ndarray,
    alive: np.ndarray,
    cols: slice | np.ndarray,
    error: np.ndarray,
    decay: float,
    build_up: float,
    pi_sense: float,
    gain: Gain = 1.0,
    position_gain: Gain = 1.0,
    release_gain: Gain = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """dF/dx and dF/ds for cells ``cols``, through their own senses only: moving changes
    its position and the signal at its place; releasing changes its release and, at
    distance 0, the signal it senses itself. The gains are those of :func:`sensed`."""
    m = s.shape[0]
    e_x, e_s, e_c = error[:2], error[2 : 2 + m], error[2 + m :]
    here = x[:, cols]  # 2 x k
    diff = here[:, :, None] - x[:, None, :]  # 2 x k x n
    distance = np.sqrt((diff**2).sum(axis=0))
    others = alive[None, :] & (distance > 0)
    weight = np.where(others, np.exp(-decay * distance) / np.where(others, distance, 1.0), 0.0)
    g_c = _column(gain)
    # d(signal_c at i)/d x_i = -decay * gain_c * build_up * sum_j s_cj w_ij (x_i - x_j)
    slope = np.einsum("cj,kj,akj->cak", s, weight, diff)
    if np.ndim(g_c) == 0:
        slope = slope * (-decay * g_c * build_up)
    else:
        slope = slope * (-decay * build_up) * g_c[:, :, None]
    dx = pi_sense * (_column(position_gain) * e_x + np.einsum("ck,cak->ak", e_c, slope))
    ds = pi_sense * (_column(release_gain) * e_s + g_c * build_up * e_c)
    return dx, ds


def posterior_log_det(
    form: Form, q: np.ndarray, build_up: float, pi_sense: float, pi_identity: float
) -> np.ndarray:
    """Half the log-determinant of each cell's Laplace posterior precision over its
    log-odds, pi_sense J'J + pi_identity I with J = d expected / d v (Gauss-Newton). The
    Laplace free energy is :func:`free_energy` plus this term plus constants: the cells
    descend :func:`free_energy` only, while the free energy SPM's DEM reports includes it."""
    n = q.shape[0]
    predict = np.vstack([form.positions, form.signals, build_up * form.sensed])
    jacobian = q.T[:, :, None] * np.eye(n)[None] - q.T[:, :, None] * q.T[:, None, :]
    j = np.einsum("ri,kij->krj", predict, jacobian)  # cells x senses x identities
    precision = pi_sense * np.einsum("kri,krj->kij", j, j) + pi_identity * np.eye(n)[None]
    return 0.5 * np.linalg.slogdet(precision)[1]


def descend(
    form: Form,
    x: np.ndarray,
    s: np.ndarray,
    alive: np.ndarray,
    cols: slice | np.ndarray,
    v: np.ndarray,
    p: dict,
    build_up: float,
    gains: dict | None = None,
) -> dict[str, np.ndarray]:
    """One step of the descent for cells ``cols`` (log-odds ``v``) of the channel whose
    cells are the columns of ``x``, ``s``, ``alive``: new log-odds, position and release,
    and each cell's free energy before the step. ``p`` has ``decay``, ``pi_sense``,
    ``pi_identity``, ``dt``, ``k_belief`` and ``k_act``; ``gains`` the senses' gains
    (``sensed``'s keywords; default all intact)."""
    gains = gains or {}
    q = softmax(v)
    error = sensed(x, s, alive, cols, p["decay"], build_up, **gains)
    error = error - expected(form, q, build_up)
    dv = belief_gradient(form, q, v, error, build_up, p["pi_sense"], p["pi_identity"])
    dx, ds = action_gradient(x, s, alive, cols, error, p["decay"], build_up, p["pi_sense"], **gains)
    rate = p["dt"] * p["k_act"]
    return {
        "v": v - p["dt"] * p["k_belief"] * dv,
        "x": x[:, cols] - rate * dx,
        "s": s[:, cols] - rate * ds,
        "F": free_energy(error, v, p["pi_sense"], p["pi_identity"]),
    }
