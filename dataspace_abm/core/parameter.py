"""How a parameter is declared: its default, kind, range and meaning; the error for a bad value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def shown(value: Any) -> str:
    """A value as the user wrote it: ``inf``, not ``np.float64(inf)``."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


class ParameterError(ValueError):
    """A parameter is unknown, of the wrong type or outside its allowed range."""

    def __init__(self, name: str, value: Any, allowed: str) -> None:
        self.name, self.value, self.allowed = name, value, allowed
        super().__init__(f"parameter '{name}' = {shown(value)} is invalid: allowed {allowed}")


@dataclass(frozen=True)
class Parameter:
    """One parameter: its default, kind (int, float, str, sizes, series, path), range, meaning."""

    default: Any
    kind: str
    section: str
    doc: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # True: the value must be strictly greater than `low`
    high_open: bool = False
    choices: tuple[str, ...] = ()

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        lb = "(" if self.low_open or self.low is None else "["
        rb = ")" if self.high_open or self.high is None else "]"
        what = {"int": "an integer", "float": "a finite number", "sizes": "an integer"}.get(
            self.kind, "a list of finite numbers"
        )
        if self.kind == "sizes":
            what = "an integer or a list of integers"
        if self.kind == "path":
            return "a file path, or '' for none"
        return f"{what} in {lb}{lo}, {hi}{rb}"


def param(default, kind, section, doc, **kw) -> Parameter:
    """A parameter's declaration (shorthand for the tables)."""
    return Parameter(default, kind, section, doc, **kw)


POS = {"low": 0.0, "low_open": True}  # strictly positive
PRECISION = {"low": 1e-9, "high": 1e9}  # beyond, squared errors overflow or vanish


# Version 1's rules (docs/odd.md section 13): the cells' gradient rule at its action gain, a
# well-only landscape and version 1's protocol. ``resolve({**VERSION_1, ...})`` runs them.
VERSION_1: dict[str, Any] = {
    "cell_rule": "gradient",
    "k_a": 0.1,
    "landscape_parts": "well",
    "network": "v1",
    "parent_noise": "own",
}


# Energy in two documented settings (docs/odd.md, D17), J: a data-centre network (a switch
# hop per bit, a server's full-range power move as the unit of action) and a biological
# cell (ATP per bit at a synapse, one kinesin step as the unit of action).
ENERGY_SETTINGS: dict[str, dict[str, float]] = {
    "data_centre": {"c_act": 9.0e6, "c_inf": 1.5e-10, "c_bit": 9.8e-12, "c_central": 1.5e-10},
    "cell": {"c_act": 7.3e-20, "c_inf": 7.3e-20, "c_bit": 7.3e-16, "c_central": 7.3e-20},
}
