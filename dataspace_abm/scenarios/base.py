"""The scenario record and the environment every scenario builds on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.parameter import Parameter
from ..core.state import State
from ..core.structure import Holarchy


class Environment:
    """What a scenario tells the model each step: ``T(t)``, the niches, its own measures.

    Built once per model from the resolved parameters, the holarchy and the model's
    generator; it holds no reference to the model.
    """

    columns: tuple[str, ...] = ()  # the scenario's own per-step measures

    def __init__(self, params: Mapping[str, Any], holarchy: Holarchy, rng: np.random.Generator):
        self.p = params
        self.holarchy = holarchy

    def begin_step(self, t: int, state: State) -> None:
        """Look at the state before step ``t`` (a scenario with events may remember it)."""

    def target(self, t: int) -> np.ndarray:
        raise NotImplementedError

    def niche(self, t: int) -> np.ndarray:
        raise NotImplementedError

    def announced(self, t: int) -> np.ndarray | None:
        """The part of ``T``'s change at step ``t`` that was decided rather than measured
        (a demand-response event called by the grid), or None."""
        return None

    @property
    def static_niche(self) -> bool:
        return False

    def stiffness(self, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def measures(self, t: int, state: State) -> dict[str, float]:
        """The scenario's own measures after step ``t`` (none by default)."""
        return {}


def no_checks(params: Mapping[str, Any]) -> None:
    """A scenario without cross-checks of its own."""


@dataclass(frozen=True)
class Scenario:
    """One scenario: its environment, parameters, presets, columns and checks."""

    name: str
    doc: str
    environment: type[Environment]
    parameters: Mapping[str, Parameter] = field(default_factory=dict)
    preset: Mapping[str, Any] = field(default_factory=dict)  # defaults it changes
    check: Callable[[Mapping[str, Any]], None] = no_checks  # raises ParameterError
    # rules of its own, by mode: "module:Class" of a regime (imported when a model is
    # built, so that the registry does not import the regimes)
    regimes: Mapping[str, str] = field(default_factory=dict)
    on_page: bool = True  # offered by the holarchy's page

    @property
    def columns(self) -> tuple[str, ...]:
        return self.environment.columns
