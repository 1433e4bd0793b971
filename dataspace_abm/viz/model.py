"""The model as the page drives it: the controls and the model built from their values.

:class:`VizModel` is a :class:`HolarchyModel` that takes the page's values (a seed typed
as text, the scenario select). A set of values the model refuses raises its
:class:`ParameterError` before anything is built; the page then keeps the model it has.
"""

from __future__ import annotations

import weakref
from typing import Any

from ..core.model import HolarchyModel
from ..core.params import MODES, PARAMETERS, SCOPES, ParameterError
from ..scenarios import SCENARIOS as SCENARIO_RECORDS

SCENARIOS = tuple(n for n, s in SCENARIO_RECORDS.items() if s.on_page)  # the select's
MODELS: weakref.WeakSet = weakref.WeakSet()  # the page's models still in memory
# Under ai_grid these sliders keep the scenario's own values (its preset)
# until a student moves them away from the page's starting value.
PRESET_UNLESS_MOVED = (
    "pi_o",
    "pi_prior",
    "pi_h",
    "sensing_noise",
    "gain",
    "delta",
    "target",
    "landscape_parts",
)


def _seed(value: Any) -> int:
    """A seed from the page's text box: a non-negative integer."""
    try:
        seed = int(str(value).strip())
    except ValueError:
        raise ParameterError("seed", value, "an integer >= 0") from None
    if seed < 0:
        raise ParameterError("seed", value, "an integer >= 0")
    return seed


class VizModel(HolarchyModel):
    """A :class:`HolarchyModel` built from the page's controls.

    Args:
        seed: the random seed, as a number or the text typed on the page.
        scenario_name: the scenario select: ``"default"`` or ``"ai_grid"``.
        **parameters: model parameters, as for :class:`HolarchyModel`.
    """

    def __init__(
        self,
        seed: int | str = 1,
        scenario_name: str = "default",
        **parameters: Any,
    ) -> None:
        if scenario_name not in SCENARIOS:
            raise ParameterError("scenario_name", scenario_name, f"one of {SCENARIOS}")
        if scenario_name != "default":
            parameters = {
                name: value
                for name, value in parameters.items()
                if name not in PRESET_UNLESS_MOVED or value != CONTROLS[name]["value"]
            }
            parameters["scenario"] = scenario_name
        super().__init__(rng=_seed(seed), **parameters)
        self.scenario_name = scenario_name
        MODELS.add(self)


def _slider(name: str, label: str, lo: float, hi: float, step: float, value=None) -> dict:
    kind = "SliderInt" if PARAMETERS[name].kind in ("int", "sizes") else "SliderFloat"
    default = PARAMETERS[name].default if value is None else value
    return {"type": kind, "label": label, "value": default, "min": lo, "max": hi, "step": step}


def _choice(label: str, values: tuple[str, ...], value: str) -> dict:
    return {"type": "Select", "label": label, "value": value, "values": list(values)}


def _select(name: str, label: str, values: tuple[str, ...]) -> dict:
    return _choice(label, values, PARAMETERS[name].default)


# sizes start small (4 x 4 x 8 = 128 cells) and stop at 8 x 8 x 16 = 1024, which still draws
CONTROLS: dict[str, dict] = {
    "scenario_name": _choice("Scenario", SCENARIOS, SCENARIOS[0]),
    "mode": _select("mode", "Control regime", MODES),
    "n_organizations": _slider("n_organizations", "Organizations", 1, 8, 1, 4),
    "organs_per_organization": _slider("organs_per_organization", "Organs each", 1, 8, 1, 4),
    "cells_per_organ": _slider("cells_per_organ", "Cells each", 1, 16, 1),
    "pi_o": _slider("pi_o", "Sensing precision π_o", 0.5, 50.0, 0.5),
    "landscape_parts": _select("landscape_parts", "Landscape parts", ("tilt", "well")),
    "pi_prior": _slider("pi_prior", "Landscape precision π", 0.1, 10.0, 0.1),
    "pi_h": _slider("pi_h", "Niche stiffness π_h", 0.05, 5.0, 0.05),
    "sensing_noise": _slider("sensing_noise", "Sensing noise", 0.0, 5.0, 0.1),
    "gain": _slider("gain", "Attention gain", 0.0, 5.0, 0.1),
    "delta": _slider("delta", "Send-on-delta threshold", 0.0, 0.5, 0.01),
    "target": _select("target", "Target pattern", ("constant", "steps", "daily")),
    "remove_at": _slider("remove_at", "Remove holons at step (-1 never)", -1, 500, 1),
    "remove_level": _select("remove_level", "Remove level", ("cell", "organ")),
    "remove_fraction": _slider("remove_fraction", "Fraction removed", 0.0, 0.9, 0.05),
    "p_loss": _slider("p_loss", "Message loss p", 0.0, 0.9, 0.05),
    "coordination_scope": _select("coordination_scope", "Coordination scope", SCOPES),
    "gpu_cost": _slider("gpu_cost", "GPU cost, USD/GPU-hour (ai_grid)", 0.1, 10.0, 0.1),
    "burst_at": _slider("burst_at", "Noise burst at step (-1 never)", -1, 500, 1),
    "seed": {"type": "InputText", "label": "Seed", "value": "1"},
}


def initial_values() -> dict[str, Any]:
    """The controls' starting values, as Reset would pass them."""
    return {name: spec["value"] for name, spec in CONTROLS.items()}
