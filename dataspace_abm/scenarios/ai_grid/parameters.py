"""Parameters of the AI-and-grid scenario (``scenario = "ai_grid"``), with their sources.

Power is in units of rated IT power: a cell's state is its server's draw as a fraction of
rated power, grid quantities are in units of the fleet's rated IT power ("fleet units").
Sources for each figure: docs/ai_grid.md.
"""

from __future__ import annotations

from typing import Any

from ...core.parameter import POS, PRECISION, VERSION_1, Parameter
from ...core.parameter import param as _p

UNIT = {"low": 0.0, "high": 1.0}
SECTION = "ai_grid"


def _f(default, doc, **kw) -> Parameter:
    return _p(default, "float", SECTION, doc, **kw)


GRID_PARAMETERS: dict[str, Parameter] = {
    "step_minutes": _p(15, "int", SECTION, "minutes one step stands for", low=1, high=1440),
    "server_kw": _f(10.0, "rated power of a server, kW (8 x H100 about 10 kW)", **POS),
    "edge_share": _f(0.5, "share of data centres at the edge", **UNIT),
    "edge_inference": _f(0.8, "share of inference servers in an edge data centre", **UNIT),
    "hyperscale_inference": _f(
        0.2, "share of inference servers in a hyperscale data centre", **UNIT
    ),
    "pue_edge": _f(1.4, "power usage effectiveness of edge data centres", low=1.0, high=3.0),
    "pue_hyperscale": _f(1.1, "power usage effectiveness of hyperscale", low=1.0, high=3.0),
    "gpu_cost": _f(2.5, "USD per GPU-hour (H100 rental about 2-3)", low=0.0, high=1e3),
    "gpu_stiffness": _f(2.0, "training niche stiffness pi_h per USD/GPU-hour", low=0.0, high=1e6),
    "pi_h_inference": _f(200.0, "niche stiffness of inference servers", **PRECISION),
    "sla_tolerance": _f(0.05, "inference shortfall below demand that counts as a miss", **UNIT),
    "demand_base": _f(0.35, "inference demand at night, fraction of rated power", **UNIT),
    "demand_peak": _f(0.9, "inference demand at the evening peak", **UNIT),
    "peak_hour": _f(20.0, "hour of the evening peak of user demand", low=0.0, high=24.0),
    "solar_capacity": _f(2.0, "installed solar, fleet units", low=0.0, high=1e3),
    "solar_capacity_factor": _f(
        0.24,
        "solar capacity factor (about 0.15 in winter to 0.32 in summer)",
        low=0.0,
        high=0.32,
    ),
    "sunrise": _f(6.0, "hour of sunrise", low=0.0, high=24.0),
    "sunset": _f(18.0, "hour of sunset", low=0.0, high=24.0),
    "wind_capacity": _f(0.6, "installed wind, fleet units", low=0.0, high=1e3),
    "wind_capacity_factor": _f(0.3, "mean wind capacity factor", **UNIT),
    "wind_persistence": _f(
        0.98, "AR(1) coefficient of wind per step", low=0.0, high=1.0, high_open=True
    ),
    "wind_volatility": _f(0.03, "sd of the wind innovations per step", low=0.0, high=1.0),
    "other_load": _f(
        1.0, "mean load of the region's other consumers, fleet units", low=0.0, high=1e3
    ),
    "other_load_swing": _f(0.2, "relative daily swing of other load (evening peak)", **UNIT),
    "carbon_intensity": _f(0.45, "kg CO2 per kWh of fossil power", low=0.0, high=10.0),
    "price_base": _f(0.10, "USD per kWh with renewable surplus", low=0.0, high=100.0),
    "price_scarcity": _f(2.0, "price rise per fleet unit of shortfall", low=0.0, high=1e3),
    "grid_series": _p(
        "",
        "path",
        SECTION,
        "CSV of hourly solar_mw, wind_mw, other_load_mw replacing the synthetic weather",
    ),
    "dr_at": _p(-1, "int", SECTION, "step a demand-response event starts (-1 never)", low=-1),
    "dr_steps": _p(12, "int", SECTION, "length of the event in steps (3 h)", low=1),
    "dr_cut": _f(0.25, "power cut asked of the fleet during the event", **UNIT),
}


# A preset changes these defaults; anything the user sets still wins.
GRID_PRESET: dict[str, Any] = {
    **VERSION_1,  # calibrated on version 1's rules; its version 2 is a later step
    "d": 1,
    "x_min": 0.0,
    "x_max": 1.0,
    "sensing_noise": 0.1,  # a server knows its power draw to about 3 % of rated power
    "delta": 0.01,  # report a change of 1 % of rated power
    "a_max": 0.25,  # ramp limit: a quarter of rated power per step
    "gain": 2.0,  # attention: steeper landscapes while a parent is off its target
    "shaping": "feedforward",  # a change of T reaches every server at once (15-min steps)
    "timescale_ratio": 1.5,  # with feedforward, a shorter separation still settles
    "centre_leak": 0.2,  # nights ask the impossible (T = 0): forget it by morning
    "k_mu": 1.0,  # a server takes in a new landscape within a step (15 minutes)
}
