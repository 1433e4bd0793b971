"""Scenarios: what the holarchy stands for, one record each.

A scenario is an environment (the target ``T(t)``, the niches and their stiffness, its own
per-step measures), its own parameters, the presets it gives the model's parameters, the
columns it adds to the per-step table and its cross-checks. The model, the parameter table,
the experiment-spec reader and the page consult this registry; the parameter ``scenario``
names one of its entries.
"""

from __future__ import annotations

from .ai_grid import AI_GRID
from .base import Scenario
from .default import DEFAULT
from .morphogenesis.scenario import MORPHOGENESIS

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (DEFAULT, AI_GRID, MORPHOGENESIS)}


def scenario_columns() -> dict[str, tuple[str, ...]]:
    """Each scenario's own per-step columns."""
    return {name: s.columns for name, s in SCENARIOS.items()}


__all__ = ["SCENARIOS", "Scenario", "scenario_columns"]
