"""The four control regimes, one module each, on the shared phases of ``base.Regime``."""

from .autonomous import Autonomous
from .base import Regime
from .command import Command
from .flat import Flat
from .landscape import Landscape

REGIMES: dict[str, type[Regime]] = {r.name: r for r in (Landscape, Command, Flat, Autonomous)}

__all__ = ["REGIMES", "Autonomous", "Command", "Flat", "Landscape", "Regime"]
