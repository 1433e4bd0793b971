"""The AI-and-grid scenario: GPU servers (cells) in edge and hyperscale data centres
(organs) of operators (organizations) on a grid region (society). See docs/ai_grid.md."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...core.parameter import ParameterError
from ..base import Scenario
from .environment import GridEnvironment
from .parameters import GRID_PARAMETERS, GRID_PRESET
from .series import GridSeriesError, load_grid_series

TIER_SHARES = ("flex0_share", "flex10_share", "flex25_share", "flex50_share")


def check(params: Mapping[str, Any]) -> None:
    """Power is one number per server; tiers must share something out; a series must read."""
    if params["d"] != 1:
        raise ParameterError("d", params["d"], "1 in the ai_grid scenario (power as a fraction)")
    if sum(params[k] for k in TIER_SHARES) <= 0:
        raise ParameterError(
            "flex0_share", params["flex0_share"], "tier shares whose sum is above 0"
        )
    if params["grid_series"]:
        try:
            load_grid_series(params["grid_series"], regions=params["regions"])
        except GridSeriesError as exc:
            raise ParameterError("grid_series", params["grid_series"], str(exc)) from exc


AI_GRID = Scenario(
    name="ai_grid",
    doc="AI compute on a power grid: GPU servers following the renewable surplus",
    environment=GridEnvironment,
    parameters=GRID_PARAMETERS,
    preset=GRID_PRESET,
    check=check,
)

__all__ = ["AI_GRID", "GridEnvironment"]
