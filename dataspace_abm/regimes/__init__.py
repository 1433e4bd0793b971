"""The four control regimes, one module each, on the shared phases of ``base.Regime``.

``regime_class(mode, engine)`` picks the class a model runs: under the default
(vectorized) engine the cells run in compiled kernels (``compiled.py``,
``landscape_compiled.py``, ``flat_compiled.py``).
"""

from collections.abc import Mapping
from typing import Any

from .autonomous import Autonomous
from .base import Gains, Regime, StepInputs
from .command import Command
from .compiled import CompiledAutonomous, CompiledCommand
from .flat import Flat
from .flat_compiled import CompiledFlat
from .landscape import SCOPES, Landscape
from .landscape_compiled import CompiledLandscape

REGIMES: dict[str, type[Regime]] = {r.name: r for r in (Landscape, Command, Flat, Autonomous)}
MODES = tuple(REGIMES)


COMPILED: dict[str, type[Regime]] = {
    "landscape": CompiledLandscape,
    "command": CompiledCommand,
    "flat": CompiledFlat,
    "autonomous": CompiledAutonomous,
}


def regime_class(mode: str, engine: str) -> type[Regime]:
    """The regime of ``mode``, in its compiled form where ``engine`` is vectorized."""
    if engine == "vectorized" and mode in COMPILED:
        return COMPILED[mode]
    return REGIMES[mode]


def effective_parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with every parameter its regime never reads at its default: two runs
    with the same effective parameters and seed give the same tables."""
    from ..core.params import PARAMETERS

    unread = REGIMES[params["mode"]].unread
    return {k: PARAMETERS[k].default if k in unread else v for k, v in params.items()}


__all__ = [
    "MODES",
    "REGIMES",
    "SCOPES",
    "Autonomous",
    "Command",
    "CompiledAutonomous",
    "CompiledCommand",
    "CompiledFlat",
    "CompiledLandscape",
    "Flat",
    "Gains",
    "Landscape",
    "Regime",
    "StepInputs",
    "effective_parameters",
    "regime_class",
]
