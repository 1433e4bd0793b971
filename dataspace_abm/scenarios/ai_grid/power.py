"""A GPU server's power-performance curve: throughput as a function of its power setting.

At the top of the curve power falls faster than throughput (a power cap, DVFS): a server
at power ``x >= floor`` does ``x ** exponent`` of its full-speed work. Below the lowest cap
(``floor``) it runs at the floor part of the time, so throughput falls in proportion.
Emerald AI's field trial (2025) reports a weighted mean job performance of 0.91 at a 25 %
power cut: ``0.75 ** 0.35 = 0.90``, the default exponent.
"""

from __future__ import annotations

import numpy as np


def throughput(x: np.ndarray, exponent: float, floor: float) -> np.ndarray:
    """Work per unit time at power ``x`` (fractions of rated power), 1 at full power."""
    x = np.clip(x, 0.0, 1.0)
    capped = x**exponent
    return np.where(x >= floor, capped, x * floor ** (exponent - 1.0))


def power_for(u: np.ndarray, exponent: float, floor: float) -> np.ndarray:
    """The power that gives throughput ``u`` (the inverse of :func:`throughput`)."""
    u = np.clip(u, 0.0, 1.0)
    capped = u ** (1.0 / exponent)
    return np.where(u >= floor**exponent, capped, u * floor ** (1.0 - exponent))
