"""The four control regimes, one module each, on the shared phases of ``base.Regime``.

``regime_class(mode, engine)`` picks the class a model runs: the landscape and flat
regimes' cell levels run in compiled kernels under the default (vectorized) engine.
"""

from collections.abc import Mapping
from typing import Any

from .autonomous import Autonomous
from .base import Gains, Regime, StepInputs
from .command import Command
from .flat import Flat
from .flat_compiled import CompiledFlat
from .landscape import SCOPES, Landscape
from .landscape_compiled import CompiledLandscape

REGIMES: dict[str, type[Regime]] = {r.name: r for r in (Landscape, Command, Flat, Autonomous)}
MODES = tuple(REGIMES)


def regime_class(mode: str, engine: str) -> type[Regime]:
    """The regime of ``mode``, in its compiled form where ``engine`` is vectorized."""
    if engine == "vectorized" and mode == "landscape":
        return CompiledLandscape
    if engine == "vectorized" and mode == "flat":
        return CompiledFlat
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
