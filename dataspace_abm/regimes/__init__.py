"""The four control regimes, one module each, on the shared phases of ``base.Regime``.

``regime_class(mode, engine)`` picks the class a model runs: the landscape regime's cell
level runs in compiled kernels under the default (vectorized) engine.
"""

from .autonomous import Autonomous
from .base import Gains, Regime, StepInputs
from .command import Command
from .flat import Flat
from .landscape import SCOPES, Landscape
from .landscape_compiled import CompiledLandscape

REGIMES: dict[str, type[Regime]] = {r.name: r for r in (Landscape, Command, Flat, Autonomous)}
MODES = tuple(REGIMES)


def regime_class(mode: str, engine: str) -> type[Regime]:
    """The regime of ``mode``, in its compiled form where ``engine`` is vectorized."""
    if engine == "vectorized" and mode == "landscape":
        return CompiledLandscape
    return REGIMES[mode]


__all__ = [
    "MODES",
    "REGIMES",
    "SCOPES",
    "Autonomous",
    "Command",
    "CompiledLandscape",
    "Flat",
    "Gains",
    "Landscape",
    "Regime",
    "StepInputs",
    "regime_class",
]
