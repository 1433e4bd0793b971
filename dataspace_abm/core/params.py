"""Every model parameter in one table: name, default, type, allowed range, section, meaning.

The table drives validation (before any work starts), the resolved ``config.toml`` written
beside each run, ``--set key=value`` on the command line and the sliders of the app.
"""

from __future__ import annotations

import math
import numbers
import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..regimes import MODES, SCOPES
from ..scenarios import SCENARIOS
from .parameter import ENERGY_SETTINGS as ENERGY_SETTINGS  # re-exported
from .parameter import POS, PRECISION, Parameter, ParameterError
from .parameter import VERSION_1 as VERSION_1  # re-exported: params.VERSION_1
from .parameter import param as _p
from .structure import count_holons

PARAMETERS: dict[str, Parameter] = {
    # run
    "scenario": _p(
        "default",
        "str",
        "run",
        "what the holarchy stands for: "
        + "; ".join(f"{s.name}, {s.doc}" for s in SCENARIOS.values()),
        choices=tuple(SCENARIOS),
    ),
    "mode": _p("landscape", "str", "run", "control regime", choices=MODES),
    "engine": _p(
        "vectorized",
        "str",
        "run",
        "whole levels with compiled cell kernels, whole levels in numpy only (the reference),"
        " or one Mesa agent at a time",
        choices=("vectorized", "numpy", "agents"),
    ),
    "collect_every": _p(1, "int", "run", "data collection period in steps", low=1),
    # structure
    "n_organizations": _p(8, "int", "structure", "organizations under society", low=1),
    "organs_per_organization": _p(
        8, "sizes", "structure", "organs per organization (one value or one each)", low=1
    ),
    "cells_per_organ": _p(
        8, "sizes", "structure", "cells per organ (one value or one per organ)", low=1
    ),
    "d": _p(2, "int", "structure", "dimension of the state space", low=1, high=64),
    # dynamics
    "pi_o": _p(10.0, "float", "dynamics", "sensing precision (all levels)", **PRECISION),
    "pi_prior": _p(1.0, "float", "dynamics", "base precision of a landscape", **PRECISION),
    "pi_h": _p(0.5, "float", "dynamics", "stiffness of a cell's niche", **PRECISION),
    "pi_h_spread": _p(
        0.0, "float", "dynamics", "log-normal spread of pi_h across cells", low=0.0, high=5.0
    ),
    "k_mu": _p(
        0.1, "float", "dynamics", "perception gain of cells", low=0.0, low_open=True, high=1e6
    ),
    "k_a": _p(0.5, "float", "dynamics", "action gain of cells", low=0.0, low_open=True, high=1e6),
    "timescale_ratio": _p(
        2.0,
        "float",
        "dynamics",
        "each level's gains are r^-level of the cells'",
        low=1.0,
        high=1e3,
    ),
    "a_max": _p(0.5, "float", "dynamics", "ramp limit of a cell's move per step", **POS),
    "cell_rule": _p(
        "filter",
        "str",
        "dynamics",
        "how a cell infers and acts: a gradient step of its belief and action on the raw"
        " observation (version 1), or a filtered estimate, a closed-form preferred state and"
        " action on the estimate (version 2)",
        choices=("filter", "gradient"),
    ),
    "k_shape": _p(
        0.1,
        "float",
        "dynamics",
        "gain of the integrators that move landscapes: parents' centres, flat cells' own"
        " (cell_rule = filter; version 1 uses k_a)",
        low=0.0,
        low_open=True,
        high=1e6,
    ),
    "filter_q": _p(
        1e-4,
        "float",
        "dynamics",
        "state change per step the filter expects (variance; cell_rule = filter)",
        low=1e-12,
        high=1e3,
    ),
    "shaping": _p(
        "integral",
        "str",
        "dynamics",
        "how a parent moves its children's centre: by integrating its action (docs/odd.md 7), or"
        " around its own landscape's centre plus the integrated action",
        choices=("integral", "feedforward"),
    ),
    "centre_leak": _p(
        0.0,
        "float",
        "dynamics",
        "share of its learned offset a parent forgets each step (shaping = feedforward)",
        low=0.0,
        high=1.0,
        high_open=True,
    ),
    "centre_margin": _p(
        1.0,
        "float",
        "dynamics",
        "how far beyond the state bounds a centre may lie, in widths of the bounded range",
        low=0.0,
        high=100.0,
    ),
    "landscape_parts": _p(
        "tilt",
        "str",
        "regimes",
        "what a landscape is made of (landscape): a well whose centre the parents move, or"
        " a tilt (a price) the top shaping level learns by dual ascent (cell_rule = filter)",
        choices=("tilt", "well"),
    ),
    "tilt_gain": _p(
        0.02,
        "float",
        "regimes",
        "dual-ascent gain of the top shaping level's tilt per unit of error and step, for a"
        " six-step round trip (scaled down by 6 / round trip on longer ones)",
        low=0.0,
        high=1e3,
    ),
    "tilt_feedforward": _p(
        "off",
        "str",
        "regimes",
        "a change of T the scenario announces (a demand-response event) moves the top's tilt"
        " at once by the change over the cells' declared price response, mean(1 / pi_h)"
        " (landscape_parts = tilt); dual ascent corrects the rest",
        choices=("off", "on"),
    ),
    "tilt_route": _p(
        "relay",
        "str",
        "regimes",
        "how the top's tilt reaches the cells (landscape_parts = tilt): relayed a level a step,"
        " or published straight to them over every hop, as command's orders go",
        choices=("relay", "direct"),
    ),
    "gain": _p(
        0.0,
        "float",
        "dynamics",
        "attention: children's precision rises with parent's error",
        low=0.0,
        high=1e6,
    ),
    "sensing_noise": _p(
        1.0,
        "float",
        "dynamics",
        "sensing noise sd in units of 1/sqrt(pi_o)",
        low=0.0,
        high=1e3,
    ),
    "parent_noise": _p(
        "mean",
        "str",
        "dynamics",
        "a parent's sensing noise: that of the mean of its children's reports (sd over the"
        " square root of its children), or a holon's own, as a cell's (version 1)",
        choices=("mean", "own"),
    ),
    "process_noise": _p(0.0, "float", "dynamics", "sd of cells' process noise", low=0.0, high=1e3),
    "x_min": _p(-1e9, "float", "dynamics", "lower bound of cells' states", low=-1e9, high=1e9),
    "x_max": _p(1e9, "float", "dynamics", "upper bound of cells' states", low=-1e9, high=1e9),
    "drift": _p(
        0.0, "float", "dynamics", "constant drift of every cell per step", low=-1e3, high=1e3
    ),
    # messages
    "delta": _p(0.05, "float", "messages", "send-on-delta threshold", low=0.0, high=1e6),
    "header_bits": _p(64, "int", "messages", "bits of a message header", low=0, high=10**6),
    "float_bits": _p(32, "int", "messages", "bits per transmitted number", low=1, high=128),
    "network": _p(
        "fair",
        "str",
        "messages",
        "the protocol every regime's messages follow: version 1's (a message is read the"
        " next step whatever its hops; command draws its loss once), or version 2's fair one"
        " (hop_latency steps and a loss draw per hop, losses repaired by refreshing)",
        choices=("fair", "v1"),
    ),
    "hop_latency": _p(
        1, "int", "messages", "steps a message takes per hop (network = fair)", low=0, high=1000
    ),
    "refresh_every": _p(
        50,
        "int",
        "messages",
        "a sender resends a value it has not sent for this many steps (network = fair)",
        low=1,
    ),
    "p_loss": _p(
        0.0,
        "float",
        "messages",
        "probability that a message is lost",
        low=0.0,
        high=1.0,
        high_open=True,
    ),
    # command and flat regimes
    "central_capacity": _p(
        100_000,
        "int",
        "regimes",
        "messages society handles per step and direction (command; under network = fair,"
        " every regime's society)",
        low=1,
    ),
    "node_capacity": _p(
        0,
        "int",
        "messages",
        "messages every holon handles per step and direction, the rest queued oldest first,"
        " a fresher report or landscape taking a waiting one's place"
        " (0: unlimited; network = fair; society's is at most central_capacity)",
        low=0,
    ),
    "flat_graph": _p(
        "small_world",
        "str",
        "regimes",
        "lateral graph of cells (flat)",
        choices=("small_world", "scale_free"),
    ),
    "flat_degree": _p(4, "int", "regimes", "mean degree of the flat graph", low=2, high=1000),
    "flat_rewire": _p(
        0.1, "float", "regimes", "rewiring probability (small world)", low=0.0, high=1.0
    ),
    "gateways": _p(4, "int", "regimes", "cells that sense the target (flat)", low=1),
    "coordination_scope": _p(
        "society",
        "str",
        "regimes",
        "highest level that shapes landscapes (landscape): it takes T(t) as its own centre",
        choices=SCOPES,
    ),
    "pi_env": _p(
        1e9,
        "float",
        "regimes",
        "precision with which the top shaping level observes T(t) (1e9: exactly)",
        **PRECISION,
    ),
    "trust_threshold": _p(
        1.1,
        "float",
        "regimes",
        "data space: organizations share observations of T with partners trusted at least"
        " this much (0: all, above 1: nobody)",
        low=0.0,
        high=1.1,
    ),
    # environment
    "target": _p(
        "constant",
        "str",
        "environment",
        "target pattern T(t)",
        choices=("constant", "steps", "daily", "series"),
    ),
    "target_level": _p(
        1.0, "float", "environment", "target value (every dimension)", low=-1e6, high=1e6
    ),
    "target_amplitude": _p(
        0.5, "float", "environment", "size of target steps / daily swing", low=-1e6, high=1e6
    ),
    "target_period": _p(96, "int", "environment", "steps per daily cycle / between steps", low=2),
    "target_series": _p([], "series", "environment", "given target series (one per step)"),
    "niche": _p("static", "str", "environment", "cells' niches", choices=("static", "daily")),
    "niche_mean": _p(0.0, "float", "environment", "mean of the niches", low=-1e6, high=1e6),
    "niche_spread": _p(0.5, "float", "environment", "sd of niches across cells", low=0.0, high=1e6),
    "niche_amplitude": _p(
        0.3, "float", "environment", "daily swing of each niche", low=0.0, high=1e6
    ),
    "niche_period": _p(96, "int", "environment", "steps per niche cycle", low=2),
    "niche_phase": _p(
        "independent",
        "str",
        "environment",
        "phases of daily niches: each cell its own, one per organ, or one for all",
        choices=("independent", "organ", "shared"),
    ),
    # perturbations
    "remove_at": _p(
        -1, "int", "perturbations", "step at which holons are removed (-1 never)", low=-1
    ),
    "remove_level": _p(
        "cell", "str", "perturbations", "level of the removed holons", choices=("cell", "organ")
    ),
    "remove_fraction": _p(
        0.3, "float", "perturbations", "fraction removed", low=0.0, high=1.0, high_open=True
    ),
    "burst_at": _p(-1, "int", "perturbations", "first step of a noise burst (-1 never)", low=-1),
    "burst_steps": _p(20, "int", "perturbations", "length of the noise burst", low=1),
    "burst_scale": _p(
        5.0, "float", "perturbations", "sensing noise multiplier in a burst", low=0.0, high=1e6
    ),
    "loss_at": _p(
        -1, "int", "perturbations", "step from which p_loss applies (-1: always)", low=-1
    ),
    # energy
    "c_act": _p(1.0, "float", "energy", "J per unit squared move of a cell", low=0.0, high=1e12),
    "c_inf": _p(1e-3, "float", "energy", "J per belief update", low=0.0, high=1e12),
    "c_bit": _p(1e-6, "float", "energy", "J per bit per hop", low=0.0, high=1e12),
    "c_central": _p(1e-3, "float", "energy", "J per cell handled centrally", low=0.0, high=1e12),
    "temperature": _p(300.0, "float", "energy", "K, for the Landauer floor", **POS),
}

OWNER: dict[str, str] = {}  # a scenario's own parameter -> that scenario
for _scenario in SCENARIOS.values():
    PARAMETERS.update(_scenario.parameters)
    OWNER.update(dict.fromkeys(_scenario.parameters, _scenario.name))

STRUCTURE_KEYS = ("n_organizations", "organs_per_organization", "cells_per_organ")


def default_params() -> dict[str, Any]:
    """Every parameter at its default."""
    return {name: spec.default for name, spec in PARAMETERS.items()}


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def to_toml(params: Mapping[str, Any], run: Mapping[str, Any] | None = None) -> str:
    """The resolved parameters as ``config.toml``: one section per group, ranges as comments.

    ``run`` adds run-level settings (steps, seed) to the ``[run]`` section.
    """
    lines = ["# dataspace_abm parameters as resolved; any key can be set with --set key=value."]
    sections: dict[str, list[str]] = {}
    for name, spec in PARAMETERS.items():
        if name in params:
            entry = f"{name} = {_toml_value(params[name])}  # {spec.doc}; {spec.allowed()}"
            sections.setdefault(spec.section, []).append(entry)
    for name, value in (run or {}).items():
        sections.setdefault("run", []).append(f"{name} = {_toml_value(value)}")
    for section, entries in sections.items():
        lines += ["", f"[{section}]", *entries]
    return "\n".join(lines) + "\n"


def flatten(doc: Mapping[str, Any]) -> dict[str, Any]:
    """``{section: {key: value}}`` (as in config.toml) to ``{key: value}``; flat keys pass."""
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, Mapping):
            flat.update(value)
        else:
            flat[key] = value
    return flat


def is_number(value: Any) -> bool:
    """A real number, Python's or numpy's (``np.int64``, ``np.float32``, ...), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _check_number(name: str, spec: Parameter, value: Any) -> float | int:
    if not is_number(value):
        raise ParameterError(name, value, spec.allowed())
    value = value.item() if isinstance(value, np.generic) else value  # a plain int or float
    if not math.isfinite(value):
        raise ParameterError(name, value, spec.allowed())
    if spec.kind in ("int", "sizes") and not float(value).is_integer():
        raise ParameterError(name, value, spec.allowed())
    if spec.low is not None and (value < spec.low or (spec.low_open and value == spec.low)):
        raise ParameterError(name, value, spec.allowed())
    if spec.high is not None and (value > spec.high or (spec.high_open and value == spec.high)):
        raise ParameterError(name, value, spec.allowed())
    return int(value) if spec.kind in ("int", "sizes") else float(value)


def check_value(name: str, value: Any) -> Any:
    """Return ``value`` normalised, or raise :class:`ParameterError` naming the range."""
    if name not in PARAMETERS:
        raise ParameterError(name, value, "one of the known parameters: " + ", ".join(PARAMETERS))
    spec = PARAMETERS[name]
    if spec.kind == "str":
        if value not in spec.choices:
            raise ParameterError(name, value, spec.allowed())
        return value
    if isinstance(value, np.ndarray) and spec.kind in ("sizes", "series"):
        value = value.tolist()
    if spec.kind == "sizes" and isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) == 0:
            raise ParameterError(name, value, spec.allowed() + ", non-empty")
        return [_check_number(name, spec, v) for v in value]
    if spec.kind == "path":
        if not isinstance(value, str):
            raise ParameterError(name, value, "a file path, or '' for none")
        return value
    if spec.kind == "series":
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise ParameterError(name, value, "a list of finite numbers")
        for v in value:
            if not is_number(v) or not math.isfinite(v):
                raise ParameterError(name, value, "a list of finite numbers")
        return [float(v) for v in value]
    return _check_number(name, spec, value)


def resolve(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults (with the scenario's presets) updated by ``overrides``, each value checked;
    then the cross-checks of sizes, series, regimes and the scenario."""
    overrides = dict(overrides or {})
    params = default_params()
    scenario = check_value("scenario", overrides.get("scenario", params["scenario"]))
    params.update(SCENARIOS[scenario].preset)  # the scenario's defaults; the user's win
    params.update(overrides)
    params = {name: check_value(name, value) for name, value in params.items()}
    for name, owner in OWNER.items():
        if owner != scenario and params[name] != PARAMETERS[name].default:
            raise ParameterError(
                name, params[name], f"its default unless scenario = {owner!r} (it has no effect)"
            )
    n_cells, n_organs = _check_sizes(params)
    if params["target"] == "series" and not params["target_series"]:
        raise ParameterError("target_series", [], "a non-empty list when target = 'series'")
    if params["mode"] == "flat" and params["flat_degree"] >= n_cells:
        if n_cells < 3:
            raise ParameterError("mode", "flat", f"a model of at least 3 cells (it has {n_cells})")
        raise ParameterError(
            "flat_degree",
            params["flat_degree"],
            f"an integer in [2, {n_cells - 1}]: the flat regime needs more cells than its mean"
            f" degree (the model has {n_cells})",
        )
    if params["mode"] == "flat" and params["gateways"] > n_cells:
        raise ParameterError("gateways", params["gateways"], f"[1, {n_cells}]")
    if params["landscape_parts"] == "tilt" and params["cell_rule"] != "filter":
        raise ParameterError(
            "landscape_parts", "tilt", "'well' unless cell_rule = 'filter' (a tilt needs it)"
        )
    if params["node_capacity"] and params["network"] != "fair":
        raise ParameterError(
            "node_capacity", params["node_capacity"], "0 unless network = 'fair' (its queues)"
        )
    if params["x_min"] >= params["x_max"]:
        raise ParameterError("x_max", params["x_max"], f"a value above x_min = {params['x_min']}")
    SCENARIOS[scenario].check(params)
    _check_memory(n_cells, n_organs + params["n_organizations"] + 1, params)
    return params


def _check_sizes(params: Mapping[str, Any]) -> tuple[int, int]:
    """Lists of sizes must have one value per parent; returns the cells and organs."""
    n_org, organs = params["n_organizations"], params["organs_per_organization"]
    if isinstance(organs, list) and len(organs) != n_org:
        raise ParameterError(
            "organs_per_organization", organs, f"one value or a list of {n_org} values"
        )
    n_organs = count_holons(n_org, organs)
    cells = params["cells_per_organ"]
    if isinstance(cells, list) and len(cells) != n_organs:
        raise ParameterError("cells_per_organ", cells, f"one value or a list of {n_organs}")
    return count_holons(n_organs, cells), n_organs


def cell_count(params: Mapping[str, Any]) -> int:
    """Number of cells of a resolved parameter set (sizes may be lists)."""
    n_organs = count_holons(params["n_organizations"], params["organs_per_organization"])
    return count_holons(n_organs, params["cells_per_organ"])


BYTES_PER_CELL = 1200  # a Mesa agent and its AgentSet slots; errs high (850 B measured at 10^6)
BYTES_PER_FLOAT_ROW = 8


def memory_estimate(n_cells: int, n_holons: int, params: Mapping[str, Any]) -> int:
    """Bytes the model will hold: agents plus per-level arrays (and the flat graph's edges)."""
    per_row = BYTES_PER_CELL + 24 * params["d"] * BYTES_PER_FLOAT_ROW
    edges = (
        params["flat_degree"] * n_cells * (4 * params["d"] + 4) * 8
        if params["mode"] == "flat"
        else 0
    )
    return (n_cells + n_holons) * per_row + edges


def available_memory() -> int:
    """MemAvailable from /proc/meminfo, or a large number where it cannot be read."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 1 << 50


def _largest_size(params: Mapping[str, Any]) -> str:
    """The structure parameter furthest above its default: the likely cause of a huge model."""

    def growth(name: str) -> float:
        value = params[name]
        return (max(value) if isinstance(value, list) else value) / PARAMETERS[name].default

    return max(STRUCTURE_KEYS, key=growth)


def _check_memory(n_cells: int, n_holons: int, params: Mapping[str, Any]) -> None:
    need, have = memory_estimate(n_cells, n_holons, params), available_memory()
    if need > have:
        name = _largest_size(params)
        raise ParameterError(
            name,
            params[name],
            f"sizes whose estimated memory ({need / 2**30:.3g} GiB for {n_cells:.3g} cells:"
            f" n_organizations x organs_per_organization x cells_per_organ) fits in the free"
            f" memory ({have / 2**30:.1f} GiB)",
        )


def parse_assignment(text: str, table: Mapping[str, Parameter] | None = None) -> tuple[str, Any]:
    """``key=value`` from the command line, ``key`` one of ``table`` (the model's
    parameters by default); the value is read as TOML (numbers, lists, text)."""
    table = PARAMETERS if table is None else table
    if "=" not in text:
        raise ParameterError(text, text, "the form key=value")
    key, raw = (part.strip() for part in text.split("=", 1))
    if key not in table:
        raise ParameterError(key, raw, "one of the known parameters: " + ", ".join(table))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word such as command or small_world
    return key, value
