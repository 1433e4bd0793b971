"""Experiment specs: TOML files that declare a batch of runs, checked in full before any run.

A spec names the model, the fixed and swept parameters, the design, the replications,
the run length and stop condition, the measures to keep, derived measures and figures.
Every error names its key (``sweep.gain: empty sweep``). The format is documented in
``docs/experiments.md``; the specs of the headline experiments are in ``experiments/``.
"""

from __future__ import annotations

import importlib
import itertools
import math
import re
import tomllib
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import params as P
from ..core.metrics import COLUMNS
from ..scenarios import scenario_columns
from .designs import DESIGNS, Point, build_points

MEASURES = tuple(c for c in COLUMNS if c != "step")
MODELS = {"holarchy": "dataspace_abm.core.model:HolarchyModel"}
STATS = ("final", "mean", "sum", "max", "min", "increase", "recovery_time", "excess")
FIGURE_KINDS = ("final", "timeseries", "scatter", "map")
SECTIONS = {
    "experiment": ("name", "description", "model", "scenario"),
    "fixed": None,
    "sweep": None,
    "combinations": None,
    "design": ("kind", "samples", "second_order", "levels", "seed"),
    "replications": ("count", "seed", "seeds"),
    "run": ("steps", "stop"),
    "output": ("measures", "keep"),
    "derived": None,
    "figures": None,
    "sensitivity": ("outputs", "log"),
    "labels": None,
}
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SpecError(ValueError):
    """A spec that cannot run: the message names the offending key."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        super().__init__(f"{key}: {problem}")


@dataclass(frozen=True)
class Sweep:
    """One swept parameter: a list of values (grid) or bounds (sampling designs)."""

    name: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    log: bool = False


@dataclass(frozen=True)
class Design:
    """How the points are chosen: a full grid or a SALib sample of ``samples`` base rows."""

    kind: str = "grid"
    samples: int = 0
    second_order: bool = False
    levels: int = 4
    seed: int = 1


@dataclass(frozen=True)
class Stop:
    """End a run early once ``measure`` is below (or above) ``value`` for ``hold`` steps."""

    measure: str
    value: float
    below: bool = True
    hold: int = 0
    after: int = 0


@dataclass(frozen=True)
class Derived:
    """A per-run number computed from the kept steps: ``stat`` of ``measure``."""

    name: str
    measure: str
    stat: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Figure:
    """A figure to draw: ``y`` against ``x`` (a parameter, ``n_cells``, ``label`` or step)."""

    name: str
    kind: str
    x: str
    y: tuple[str, ...]
    hue: str | None = None
    col: str | None = None
    logx: bool = False
    logy: bool = False
    title: str = ""
    row: str | None = None  # a map's rows (its columns are x, its panels col)
    among: tuple[str, ...] = ()  # a map's alternatives (values of hue; default: all)
    labels: Mapping[str, str] = field(default_factory=dict)  # words for the column names

    def words(self, name: str) -> str:
        """What a reader sees for a column: its label from ``[labels]``, or its name."""
        return self.labels.get(name, name)


@dataclass(frozen=True)
class ExperimentSpec:
    """A validated experiment: everything needed to plan, run and report the batch."""

    name: str
    description: str
    model: str  # the model class: "holarchy" or "package.module:Class"
    text: str
    fixed: Mapping[str, Any]
    sweeps: tuple[Sweep, ...]
    combinations: tuple[Mapping[str, Any], ...]
    design: Design
    seeds: tuple[int, ...]
    steps: int
    stop: Stop | None
    measures: tuple[str, ...]
    keep_every: int
    final_only: bool
    derived: tuple[Derived, ...]
    figures: tuple[Figure, ...]
    outputs: tuple[str, ...]
    log_outputs: bool
    points: tuple[Point, ...]
    labels: Mapping[str, str] = field(default_factory=dict)  # words for column names

    def words(self, name: str) -> str:
        """What a reader sees for a column: its label from ``[labels]``, or its name."""
        return self.labels.get(name, name)

    @property
    def varied(self) -> tuple[str, ...]:
        """Parameters that differ between points (sweeps first, then combinations)."""
        names = [s.name for s in self.sweeps]
        for combo in self.combinations:
            names += [k for k in combo if k not in NOT_PARAMETERS and k not in names]
        return tuple(names)

    @property
    def groups(self) -> tuple[str, ...]:
        """Names of the combination groups (``[[combinations.NAME]]``), each a column."""
        return tuple(self.combinations[0].get("groups", {})) if self.combinations else ()

    @property
    def labelled(self) -> bool:
        """True when the combinations carry labels (a ``label`` column in the output)."""
        return bool(self.combinations)

    @property
    def per_run_measures(self) -> tuple[str, ...]:
        """Names of the per-run values: the final kept measures, then the derived ones."""
        return (*self.measures, *(d.name for d in self.derived))


def model_factory(model: str) -> Callable[..., Any]:
    """The model class a spec names: a built-in name or ``package.module:Class``."""
    target = MODELS.get(model, model)
    module, _, attr = target.partition(":")
    factory = getattr(importlib.import_module(module), attr)
    if not callable(factory):
        raise TypeError(f"{target} is not callable")
    return factory


def _model_name(exp: Mapping[str, Any]) -> str:
    """``experiment.model``; ``experiment.scenario``, its old name, still reads (deprecated:
    a scenario is what the ``scenario`` parameter picks, set in ``fixed``)."""
    if "scenario" in exp:
        if "model" in exp:
            raise SpecError("experiment.scenario", "the old name of experiment.model: give one")
        warnings.warn(
            "experiment.scenario is deprecated: call it experiment.model",
            DeprecationWarning,
            stacklevel=4,
        )
        return _str(exp["scenario"], "experiment.scenario")
    return _str(exp.get("model", "holarchy"), "experiment.model")


# --- small typed readers ------------------------------------------------------------
def _table(doc: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, Mapping):
        raise SpecError(key, "must be a table")
    return dict(value)


def _int(value: Any, key: str, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SpecError(key, f"{value!r} is invalid: allowed an integer >= {low}")
    return value


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(key, f"{value!r} is invalid: allowed a finite number")
    return value


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(key, f"{value!r} is invalid: allowed true or false")
    return value


def _str(value: Any, key: str, choices: tuple[str, ...] = ()) -> str:
    if not isinstance(value, str) or (choices and value not in choices):
        allowed = "one of " + ", ".join(choices) if choices else "a string"
        raise SpecError(key, f"{value!r} is invalid: allowed {allowed}")
    return value


def _only(table: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise SpecError(f"{prefix}.{key}", "unknown key; allowed: " + ", ".join(allowed))


def _param(name: str, value: Any, key: str) -> Any:
    if name == "collect_every":
        raise SpecError(key, "collect_every is set by output.keep")
    try:
        return P.check_value(name, value)
    except P.ParameterError as exc:
        raise SpecError(key, str(exc)) from None


# --- sections -----------------------------------------------------------------------
def _grid_values(name: str, raw: Any, key: str) -> tuple[Any, ...]:
    if isinstance(raw, list):
        values = [_param(name, v, f"{key}[{i}]") for i, v in enumerate(raw)]
    elif isinstance(raw, Mapping) and {"start", "stop", "step"} <= raw.keys():
        _only(raw, ("start", "stop", "step"), key)
        start, stop, step = (_number(raw[k], f"{key}.{k}") for k in ("start", "stop", "step"))
        if step == 0:
            raise SpecError(f"{key}.step", "must not be 0")
        count = math.floor((stop - start) / step + 1e-9) + 1  # stop is included
        as_int = all(isinstance(raw[k], int) for k in ("start", "stop", "step"))
        values = [start + i * step if as_int else round(start + i * step, 12) for i in range(count)]
        values = [_param(name, v, key) for v in values]
    elif isinstance(raw, Mapping) and {"low", "high"} & raw.keys():
        raise SpecError(key, "{low, high} bounds need a sampling design (lhs, sobol, morris)")
    else:
        raise SpecError(key, "allowed a list of values or a table {start, stop, step}")
    if not values:
        raise SpecError(key, "empty sweep")
    return tuple(values)


def _bounds(name: str, raw: Any, key: str) -> Sweep:
    if not isinstance(raw, Mapping) or not {"low", "high"} <= raw.keys():
        raise SpecError(key, "a sampling design needs bounds {low, high, log}")
    _only(raw, ("low", "high", "log"), key)
    if P.PARAMETERS.get(name) is None or P.PARAMETERS[name].kind not in ("int", "float", "sizes"):
        raise SpecError(key, f"'{name}' is not a numeric parameter")
    low, high = (_param(name, raw[k], f"{key}.{k}") for k in ("low", "high"))
    log = _bool(raw.get("log", False), f"{key}.log")
    if not low < high:
        raise SpecError(key, f"empty sweep: low ({low}) must be below high ({high})")
    if log and low <= 0:
        raise SpecError(f"{key}.low", "must be > 0 with log = true")
    return Sweep(name, low=float(low), high=float(high), log=log)


def _sweeps(doc: Mapping[str, Any], design: Design) -> tuple[Sweep, ...]:
    sweeps = []
    for name, raw in _table(doc, "sweep").items():
        key = f"sweep.{name}"
        if name not in P.PARAMETERS or name == "collect_every":
            _param(name, raw, key)  # raises: unknown parameter, or one set by output.keep
        if design.kind == "grid":
            sweeps.append(Sweep(name, values=_grid_values(name, raw, key)))
        else:
            sweeps.append(_bounds(name, raw, key))
    if design.kind != "grid" and not sweeps:
        raise SpecError("sweep", f"a {design.kind} design needs at least one swept parameter")
    return tuple(sweeps)


NOT_PARAMETERS = ("label", "groups")  # keys of a combination that are not parameters


def _combination_list(raw: Any, where: str, taken: set[str]) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not all(isinstance(c, Mapping) for c in raw):
        raise SpecError(where, f"must be an array of tables [[{where}]]")
    combos, labels = [], set()
    for i, combo in enumerate(raw):
        key = f"{where}[{i}]"
        out: dict[str, Any] = {}
        for name, value in combo.items():
            if name == "label":
                continue
            if name in taken:
                raise SpecError(f"{key}.{name}", "already set in fixed, sweep or another group")
            out[name] = _param(name, value, f"{key}.{name}")
        text = ", ".join(f"{k}={v}" for k, v in out.items()) or "defaults"
        label = _str(combo.get("label", text), f"{key}.label")
        if label in labels:
            raise SpecError(f"{key}.label", f"{label!r} is used twice")
        labels.add(label)
        combos.append({"label": label, **out})
    return combos


def _combinations(doc: Mapping[str, Any], taken: set[str]) -> tuple[dict[str, Any], ...]:
    """``[[combinations]]``, or named groups ``[[combinations.NAME]]`` crossed with each
    other (each group's label then also has a column of the group's name)."""
    raw = doc.get("combinations", [])
    if not isinstance(raw, Mapping):
        return tuple(_combination_list(raw, "combinations", taken))
    groups: list[tuple[str, list[dict[str, Any]]]] = []
    for group, entries in raw.items():
        if group in P.PARAMETERS or group in ("label", "n_cells"):
            raise SpecError(f"combinations.{group}", "a group cannot be named as a column")
        entries = _combination_list(entries, f"combinations.{group}", taken)
        taken = taken | {k for c in entries for k in c if k != "label"}
        groups.append((group, entries))
    combos = []
    for row in itertools.product(*(entries for _, entries in groups)):
        combo: dict[str, Any] = {"label": ", ".join(c["label"] for c in row)}
        for c in row:
            combo.update({k: v for k, v in c.items() if k != "label"})
        combo["groups"] = {g: c["label"] for (g, _), c in zip(groups, row, strict=True)}
        combos.append(combo)
    return tuple(combos)


def _design(doc: Mapping[str, Any]) -> Design:
    raw = _table(doc, "design")
    _only(raw, SECTIONS["design"], "design")
    kind = _str(raw.get("kind", "grid"), "design.kind", DESIGNS)
    if kind == "grid":
        for key in ("samples", "second_order", "levels"):
            if key in raw:
                raise SpecError(f"design.{key}", "applies to sampling designs only")
        return Design()
    if "samples" not in raw:
        raise SpecError("design.samples", f"required for a {kind} design")
    samples = _int(raw["samples"], "design.samples", 1)
    if kind == "sobol" and samples & (samples - 1):
        raise SpecError("design.samples", f"{samples} is invalid: a sobol design needs 2^k")
    second = _bool(raw.get("second_order", False), "design.second_order")
    if second and kind != "sobol":
        raise SpecError("design.second_order", "applies to sobol designs only")
    levels = _int(raw.get("levels", 4), "design.levels", 2)
    return Design(kind, samples, second, levels, _int(raw.get("seed", 1), "design.seed"))


def _seeds(doc: Mapping[str, Any]) -> tuple[int, ...]:
    raw = _table(doc, "replications")
    _only(raw, SECTIONS["replications"], "replications")
    if "seeds" in raw:
        seeds = raw["seeds"]
        if not isinstance(seeds, list) or not seeds:
            raise SpecError("replications.seeds", "allowed a non-empty list of integers")
        seeds = [_int(s, f"replications.seeds[{i}]") for i, s in enumerate(seeds)]
        if len(set(seeds)) != len(seeds):
            raise SpecError("replications.seeds", "a seed is repeated")
        if "count" in raw and raw["count"] != len(seeds):
            raise SpecError("replications.count", f"{raw['count']!r} != len(seeds)")
        if "seed" in raw:
            raise SpecError("replications.seed", "give either seed (with count) or seeds")
        return tuple(seeds)
    count = _int(raw.get("count", 1), "replications.count", 1)
    first = _int(raw.get("seed", 1), "replications.seed")
    return tuple(range(first, first + count))


def measures_of(scenario: str) -> tuple[str, ...]:
    """Every per-step measure a run of ``scenario`` has: the model's, then the scenario's."""
    return MEASURES + scenario_columns()[scenario]


def _measure(value: Any, key: str, scenario: str) -> str:
    """A per-step measure's name; a scenario's own only where that scenario is set."""
    for other, columns in scenario_columns().items():
        if other != scenario and value in columns:
            raise SpecError(key, f"{value!r} is measured only with fixed.scenario = {other!r}")
    return _str(value, key, measures_of(scenario))


def _stop(raw: Any, steps: int, scenario: str) -> Stop | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise SpecError("run.stop", "must be a table {measure, below|above, hold, after}")
    _only(raw, ("measure", "below", "above", "hold", "after"), "run.stop")
    measure = _measure(raw.get("measure"), "run.stop.measure", scenario)
    if ("below" in raw) == ("above" in raw):
        raise SpecError("run.stop", "give exactly one of below, above")
    side = "below" if "below" in raw else "above"
    value = _number(raw[side], f"run.stop.{side}")
    hold = _int(raw.get("hold", 0), "run.stop.hold")
    after = _int(raw.get("after", 0), "run.stop.after")
    return Stop(measure, value, side == "below", hold, after)


def _output(doc: Mapping[str, Any], steps: int, scenario: str) -> tuple[tuple[str, ...], int, bool]:
    raw = _table(doc, "output")
    _only(raw, SECTIONS["output"], "output")
    measures = raw.get("measures", list(measures_of(scenario)))
    if not isinstance(measures, list) or not measures:
        raise SpecError("output.measures", "allowed a non-empty list of measures")
    for i, m in enumerate(measures):
        _measure(m, f"output.measures[{i}]", scenario)
    keep = raw.get("keep", "all")
    if keep in ("all", "final"):
        return tuple(measures), (steps if keep == "final" else 1), keep == "final"
    every = _int(keep, "output.keep", 1) if not isinstance(keep, str) else None
    if every is None:
        raise SpecError("output.keep", f"{keep!r} is invalid: allowed 'all', 'final' or k >= 1")
    if steps % every:
        raise SpecError("output.keep", f"every {every} steps must divide run.steps = {steps}")
    return tuple(measures), every, False


STAT_OPTIONS = {
    "recovery_time": ("at", "threshold", "margin", "baseline", "hold"),
    "excess": ("at", "baseline", "per_cell"),
}


def _derived(doc: Mapping[str, Any], measures: tuple[str, ...], steps: int) -> tuple:
    out = []
    for name, raw in _table(doc, "derived").items():
        key = f"derived.{name}"
        if not NAME.match(name) or name in MEASURES:
            raise SpecError(key, "a derived measure needs a new name (letters, digits, _)")
        if not isinstance(raw, Mapping):
            raise SpecError(key, "must be a table {measure, stat, ...}")
        stat = _str(raw.get("stat"), f"{key}.stat", STATS)
        options = STAT_OPTIONS.get(stat, ("from", "to", "per_cell"))
        _only(raw, ("measure", "stat", *options), key)
        _str(raw.get("measure"), f"{key}.measure", measures)
        opts = {k: v for k, v in raw.items() if k not in ("measure", "stat")}
        for k, v in opts.items():
            if k == "per_cell":
                _bool(v, f"{key}.{k}")
            elif k in ("threshold", "margin"):
                _number(v, f"{key}.{k}")
            else:
                _int(v, f"{key}.{k}")
        for k in ("from", "to"):
            if k in opts and not 0 <= opts[k] <= steps:
                raise SpecError(
                    f"{key}.{k}", f"{opts[k]} is invalid: allowed a step in [0, {steps}]"
                )
        if opts.get("from", 0) > opts.get("to", steps):
            raise SpecError(f"{key}.from", f"{opts['from']} is after to = {opts['to']}")
        if "at" in options and not 0 <= opts.get("at", -1) < steps:
            raise SpecError(f"{key}.at", f"required, a step in [0, {steps})")
        if stat == "recovery_time" and ("threshold" in opts) == ("margin" in opts):
            raise SpecError(key, "give exactly one of threshold, margin")
        out.append(Derived(name, raw["measure"], stat, opts))
    return tuple(out)


def _labels(doc: Mapping[str, Any]) -> dict[str, str]:
    """``[labels]``: the words a reader sees for column names."""
    return {name: _str(text, f"labels.{name}") for name, text in _table(doc, "labels").items()}


def _figures(
    doc: Mapping[str, Any], spec_cols: set[str], values: tuple, measures: tuple, labels: dict
):
    raw = doc.get("figures", [])
    if not isinstance(raw, list) or not all(isinstance(f, Mapping) for f in raw):
        raise SpecError("figures", "must be an array of tables [[figures]]")
    figures, names = [], set()
    allowed = ("name", "kind", "x", "y", "hue", "col", "row", "among", "logx", "logy", "title")
    for i, fig in enumerate(raw):
        key = f"figures[{i}]"
        _only(fig, allowed, key)
        name = _str(fig.get("name", f"figure_{i + 1}"), f"{key}.name")
        if not NAME.match(name) or name in names:
            raise SpecError(f"{key}.name", f"{name!r}: a new name of letters, digits and _")
        names.add(name)
        kind = _str(fig.get("kind", "final"), f"{key}.kind", FIGURE_KINDS)
        ys = fig.get("y")
        ys = [ys] if isinstance(ys, str) else ys
        if not isinstance(ys, list) or not ys:
            raise SpecError(f"{key}.y", "required: a measure or a list of measures")
        for j, y in enumerate(ys):
            _str(y, f"{key}.y[{j}]", measures if kind == "timeseries" else values)
        cols = tuple(sorted(spec_cols))
        x = "step" if kind == "timeseries" else _str(fig.get("x"), f"{key}.x", cols)
        if kind == "timeseries" and fig.get("x", "step") != "step":
            raise SpecError(f"{key}.x", "a timeseries is drawn against step")
        hue = None if fig.get("hue") is None else _str(fig["hue"], f"{key}.hue", cols)
        col = None if fig.get("col") is None else _str(fig["col"], f"{key}.col", cols)
        row = None if fig.get("row") is None else _str(fig["row"], f"{key}.row", cols)
        if col is not None and kind not in ("timeseries", "map"):
            raise SpecError(f"{key}.col", "panels by a column are for timeseries and maps only")
        if (kind == "map") != (row is not None):
            raise SpecError(f"{key}.row", "a map needs row (and only a map has one)")
        if kind == "map" and hue is None:
            raise SpecError(f"{key}.hue", "a map needs hue: the alternatives it compares")
        among = fig.get("among", [])
        if not isinstance(among, list) or (among and kind != "map"):
            raise SpecError(f"{key}.among", "a list of the hue's values to compare (maps only)")
        flags = {k: _bool(fig.get(k, False), f"{key}.{k}") for k in ("logx", "logy")}
        title = _str(fig.get("title", ""), f"{key}.title")
        figures.append(
            Figure(
                name,
                kind,
                x,
                tuple(ys),
                hue,
                col,
                **flags,
                title=title,
                row=row,
                among=tuple(str(a) for a in among),
                labels=labels,
            )
        )
    return tuple(figures)


def _check_points(
    points: tuple[Point, ...], fixed: Mapping[str, Any], sweeps, combos, every
) -> None:
    swept = {s.name for s in sweeps}
    for point in points:
        try:
            point.resolve(fixed, every)
        except P.ParameterError as exc:
            if exc.name in swept:
                where = f"sweep.{exc.name}"
            elif point.combination is not None and exc.name in combos[point.combination]:
                where = f"combinations[{point.combination}].{exc.name}"
            else:
                where = f"fixed.{exc.name}"
            at = ", ".join(f"{k}={v!r}" for k, v in point.values.items())
            raise SpecError(where, f"{exc} (at {at or 'the fixed values'})") from None


def parse_spec(text: str, name: str = "experiment") -> ExperimentSpec:
    """Parse and validate a spec's TOML text; raise :class:`SpecError` naming the key."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError("toml", f"malformed TOML: {exc}") from None
    for key in doc:
        if key not in SECTIONS:
            raise SpecError(key, "unknown section; allowed: " + ", ".join(SECTIONS))
    exp = _table(doc, "experiment")
    _only(exp, SECTIONS["experiment"], "experiment")
    model = _model_name(exp)
    try:
        model_factory(model)
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        raise SpecError("experiment.model", f"{model!r} cannot be loaded: {exc}") from None
    fixed = {k: _param(k, v, f"fixed.{k}") for k, v in _table(doc, "fixed").items()}
    design = _design(doc)
    sweeps = _sweeps(doc, design)
    for s in sweeps:
        if s.name in fixed:
            raise SpecError(f"sweep.{s.name}", "also set in fixed")
    combos = _combinations(doc, set(fixed) | {s.name for s in sweeps})
    run = _table(doc, "run")
    _only(run, SECTIONS["run"], "run")
    if "steps" not in run:
        raise SpecError("run.steps", "required: the number of steps per run")
    steps = _int(run["steps"], "run.steps", 1)
    scenario = fixed.get("scenario", P.PARAMETERS["scenario"].default)
    stop = _stop(run.get("stop"), steps, scenario)
    measures, every, final_only = _output(doc, steps, scenario)
    if stop is not None and final_only:
        raise SpecError("run.stop", "is checked at kept steps: use output.keep = 'all' or k")
    derived = _derived(doc, measures, steps)
    values = (*measures, *(d.name for d in derived))
    sens = _table(doc, "sensitivity")
    _only(sens, SECTIONS["sensitivity"], "sensitivity")
    if sens and design.kind not in ("sobol", "morris"):
        raise SpecError("sensitivity", "needs design.kind = 'sobol' or 'morris'")
    outputs = sens.get("outputs", list(values))
    if not isinstance(outputs, list) or not outputs:
        raise SpecError("sensitivity.outputs", "allowed a non-empty list of measures")
    for i, o in enumerate(outputs):
        _str(o, f"sensitivity.outputs[{i}]", values)
    points = build_points(sweeps, combos, design)
    _check_points(points, fixed, sweeps, combos, every)
    spec_cols = {s.name for s in sweeps} | {k for c in combos for k in c} | {"n_cells"}
    spec_cols = (spec_cols - {"groups"}) | {g for c in combos for g in c.get("groups", {})}
    labels = _labels(doc)
    figures = _figures(doc, spec_cols, values, measures, labels)
    return ExperimentSpec(
        name=_str(exp.get("name", name), "experiment.name"),
        description=_str(exp.get("description", ""), "experiment.description"),
        model=model,
        text=text,
        fixed=fixed,
        sweeps=sweeps,
        combinations=combos,
        design=design,
        seeds=_seeds(doc),
        steps=steps,
        stop=stop,
        measures=measures,
        keep_every=every,
        final_only=final_only,
        derived=derived,
        figures=figures,
        outputs=tuple(outputs),
        log_outputs=_bool(sens.get("log", False), "sensitivity.log"),
        points=points,
        labels=labels,
    )


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate a spec file; errors read ``PATH: key: problem`` on one line."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise SpecError(str(path), f"cannot read the spec: {exc.strerror}") from None
    try:
        return parse_spec(text, name=path.stem)
    except SpecError as exc:
        raise SpecError(f"{path}: {exc.key}", str(exc)[len(exc.key) + 2 :]) from None
