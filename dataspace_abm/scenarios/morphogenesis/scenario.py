"""The morphogenesis scenario of the holarchy's engine (``scenario = "morphogenesis"``).

``HolarchyModel(scenario="morphogenesis")`` is an organism of organs of self-assembling
cells: the levels, the Mesa agents, the per-step table, the batch runner and its measures
are the engine's; the rules are the regimes of ``regimes/morphogenesis.py`` (``mode =
"landscape"``: self-assembly under the organism's landscape; ``"command"``: a planner that
assigns every cell its place). Its parameters are those of :mod:`.model` and :mod:`.nested`
under a ``morph_`` prefix; the preset is the nested demo: one organism of three organs of
eight cells, a biological cell's energy costs, send-on-delta at 1e-3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ...core.parameter import ENERGY_SETTINGS, Parameter, ParameterError
from ..base import Environment, Scenario
from .form import named_form
from .model import PARAMETERS as CELL_PARAMETERS

# the cell model's parameters, all but those the engine has of its own (seed, message
# sizes, energy costs)
OWN = tuple(
    name for name in CELL_PARAMETERS
    if name not in ("seed", "float_bits", "header_bits", "c_act", "c_inf", "c_bit")
)  # fmt: skip
NESTING: dict[str, Parameter] = {
    "morph_organ_gap": Parameter(
        8.0, "float", "morphogenesis", "distance between the organs' targets", low=0.0, high=1e3
    ),
    "morph_spread": Parameter(
        1.0, "float", "morphogenesis", "scale of the form an organ draws", low=0.1, high=10.0
    ),
    "morph_k_organism": Parameter(
        1.0,
        "float",
        "morphogenesis",
        "rate at which the organism moves a centre",
        low=0.0,
        high=100.0,
    ),  # fmt: skip
    "morph_pi_organ": Parameter(
        1.0, "float", "morphogenesis", "precision of an organ's report", low=1e-9, high=1e9
    ),
}


def _prefixed(name: str) -> Parameter:
    spec = CELL_PARAMETERS[name]
    return Parameter(
        spec.default, spec.kind, "morphogenesis", spec.doc, low=spec.low, high=spec.high,
        choices=spec.choices,
    )  # fmt: skip


MORPH_PARAMETERS: dict[str, Parameter] = {
    **{f"morph_{name}": _prefixed(name) for name in OWN},
    **NESTING,
}
PRESET: dict[str, Any] = {
    "n_organizations": 1,  # the organism
    "organs_per_organization": 3,
    "cells_per_organ": 8,
    "d": 2,
    "delta": 1e-3,
    "p_loss": 0.0,
    **ENERGY_SETTINGS["cell"],
}
REGIMES = {
    "landscape": "dataspace_abm.regimes.morphogenesis:SelfAssembly",
    "command": "dataspace_abm.regimes.morphogenesis:AssignedPlaces",
}


class FormEnvironment(Environment):
    """The organism's surroundings: its target is the centre of its organs' targets (the
    origin); the cells have no niche of their own (their place is what they infer). Its
    columns are the form's measures, which the regime reports (``SelfAssembly.measures``)."""

    columns = ("form_error", "placement_error", "certainty", "permutation")

    def target(self, t: int) -> np.ndarray:
        return np.zeros(self.p["d"])

    def niche(self, t: int) -> np.ndarray:
        return np.zeros((self.holarchy.n_cells, self.p["d"]))

    @property
    def static_niche(self) -> bool:
        return True

    def stiffness(self, rng: np.random.Generator) -> np.ndarray:
        return np.ones(self.holarchy.n_cells)


def check(params: Mapping[str, Any]) -> None:
    """The organs' size is the form's, the space is the plane, and the rules are this
    scenario's two."""
    if params["mode"] not in REGIMES:
        raise ParameterError("mode", params["mode"], "'landscape' or 'command' (morphogenesis)")
    n = named_form(params["morph_form"], params["morph_decay"]).n
    if params["cells_per_organ"] != n:
        raise ParameterError("cells_per_organ", params["cells_per_organ"], f"{n}, the form's size")
    if params["d"] != 2:
        raise ParameterError("d", params["d"], "2: the form lies in the plane")
    if params["p_loss"] or params["node_capacity"]:
        raise ParameterError("p_loss", params["p_loss"], "0, with node_capacity 0 (morphogenesis)")


def regenerate(model, organ: int, keep: str = "left", noise: float = 1 / 512) -> np.ndarray:
    """Cut organ ``organ`` of a morphogenesis ``HolarchyModel`` in half across the form's
    long axis; the ``keep`` half divides into the freed rows (as SPM's split, and as
    ``MorphogenesisModel.regenerate``). Returns the daughters' rows."""
    if keep not in ("left", "right"):
        raise ParameterError("keep", keep, "one of 'left', 'right'")
    hol, cells = model.holarchy, model.state.levels[0]
    own = np.arange(hol.starts[1][organ], hol.ends[1][organ])
    own = own[cells.alive[own]]
    order = own[np.argsort(cells.x[own, 0], kind="stable")]
    half = len(order) // 2
    kept, gone = (order[:half], order[half:]) if keep == "left" else (order[half:], order[:half])
    model.remove_rows(0, gone)
    daughters = np.sort(gone)[: len(kept)]
    model.revive_rows(0, daughters)
    m = model.regime.form.m
    model.regime.on_revived(daughters, kept, noise * model.rng.standard_normal((len(kept), 2 + m)))
    return daughters


MORPHOGENESIS = Scenario(
    name="morphogenesis",
    doc="cells that infer their place in their organ's form, organs placed by the organism",
    environment=FormEnvironment,
    parameters=MORPH_PARAMETERS,
    preset=PRESET,
    check=check,
    regimes=REGIMES,
    on_page=False,  # it has a page of its own: dataspace-abm viz --page morphogenesis
)

__all__ = ["MORPHOGENESIS", "MORPH_PARAMETERS", "FormEnvironment", "regenerate"]
