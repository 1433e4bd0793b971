"""Experimental designs: the points of a batch, as a full grid or a SALib sample.

``grid`` crosses every swept list (BehaviorSpace's full factorial). ``lhs`` (Latin
hypercube), ``sobol`` (Saltelli's scheme, for Sobol indices) and ``morris`` (elementary
effects) sample the swept bounds through SALib, whose sizes they keep: ``lhs`` N rows,
``sobol`` N (D + 2) rows, or N (2D + 2) with second-order indices, ``morris`` N (D + 1).
Explicit ``combinations`` are crossed with the design: every combination gets every point.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core import params as P

if TYPE_CHECKING:
    from .spec import Design, Sweep

DESIGNS = ("grid", "lhs", "sobol", "morris")


@dataclass(frozen=True)
class Point:
    """One parameter combination of the batch (replications are added when planning)."""

    index: int
    values: Mapping[str, Any]  # the varied parameters: the combination's, then the sweeps'
    label: str | None = None  # the combination's label, if the spec has combinations
    combination: int | None = None
    sample: tuple[float, ...] | None = None  # the SALib row (log10 for log sweeps)
    groups: Mapping[str, str] = field(default_factory=dict)  # a combination group's label

    def overrides(self, fixed: Mapping[str, Any], every: int) -> dict[str, Any]:
        """The model's keyword arguments at this point (``collect_every`` from the keep)."""
        return {**fixed, **self.values, "collect_every": every}

    def resolve(self, fixed: Mapping[str, Any], every: int) -> dict[str, Any]:
        """Every model parameter at this point, checked by the model's own validation."""
        return P.resolve(self.overrides(fixed, every))


def salib_problem(sweeps: Sequence[Sweep]) -> dict[str, Any]:
    """The SALib problem of the swept bounds (in log10 where a sweep is logarithmic)."""
    bounds = [[math.log10(s.low), math.log10(s.high)] if s.log else [s.low, s.high] for s in sweeps]
    return {"num_vars": len(sweeps), "names": [s.name for s in sweeps], "bounds": bounds}


def sample(sweeps: Sequence[Sweep], design: Design) -> np.ndarray:
    """The SALib sample matrix of a sampling design, one row per point, seeded."""
    from SALib.sample import latin, morris, sobol  # imported only for sampling designs

    problem, n, seed = salib_problem(sweeps), design.samples, design.seed
    match design.kind:
        case "lhs":
            return latin.sample(problem, n, seed=seed)
        case "sobol":
            return sobol.sample(problem, n, calc_second_order=design.second_order, seed=seed)
        case "morris":
            return morris.sample(problem, n, num_levels=design.levels, seed=seed)
    raise ValueError(f"not a sampling design: {design.kind}")


def expected_size(n_sweeps: int, design: Design) -> int:
    """Points per combination that SALib's formulas give for a sampling design."""
    n, d = design.samples, n_sweeps
    return {
        "lhs": n,
        "sobol": n * (2 * d + 2 if design.second_order else d + 2),
        "morris": n * (d + 1),
    }[design.kind]


def _value(sweep: Sweep, x: float) -> Any:
    value = 10.0**x if sweep.log else float(x)
    if P.PARAMETERS[sweep.name].kind in ("int", "sizes"):
        return int(round(value))
    return value


def build_points(
    sweeps: Sequence[Sweep], combinations: Sequence[Mapping[str, Any]], design: Design
) -> tuple[Point, ...]:
    """All points: every combination (or none) crossed with the grid or the sample."""
    names = [s.name for s in sweeps]
    if design.kind == "grid":
        rows = list(itertools.product(*(s.values for s in sweeps)))
        raw: list[tuple[float, ...] | None] = [None] * len(rows)
    else:
        matrix = sample(sweeps, design)
        rows = [tuple(_value(s, x) for s, x in zip(sweeps, row, strict=True)) for row in matrix]
        raw = [tuple(float(x) for x in row) for row in matrix]
    groups: list[tuple[int | None, Mapping[str, Any]]] = list(enumerate(combinations))
    points: list[Point] = []
    for index, combo in groups or [(None, {})]:
        fixed = {k: v for k, v in combo.items() if k not in ("label", "groups")}
        groups = combo.get("groups", {})
        for row, sample_row in zip(rows, raw, strict=True):
            values = {**fixed, **dict(zip(names, row, strict=True))}
            point = Point(len(points), values, combo.get("label"), index, sample_row, groups)
            points.append(point)
    return tuple(points)
