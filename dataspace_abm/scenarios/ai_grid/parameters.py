"""Parameters of the AI-and-grid scenario (``scenario = "ai_grid"``), with their sources.

Power is in units of rated IT power: a cell's state is its server's draw as a fraction of
rated power, grid quantities are in units of the fleet's rated IT power ("fleet units").
Sources for each figure: docs/ai_grid.md.
"""

from __future__ import annotations

from typing import Any

from ...core.parameter import POS, PRECISION, Parameter
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
    "gpu_cost": _f(
        2.5, "capital cost, USD per GPU-hour (H100 rental about 2-3)", low=0.0, high=1e3
    ),
    "provisioning": _p(
        "economic",
        "str",
        SECTION,
        "the fleet's headroom: from gpu_cost and the energy prices"
        " (docs/ai_grid.md), or fixed at headroom (what-ifs)",
        choices=("economic", "fixed"),
    ),
    "headroom": _f(
        1.25,
        "training capacity over mean training work (provisioning = fixed)",
        low=1.0,
        high=20.0,
    ),
    "load_factor_max": _f(
        0.8, "highest mean load a fleet is provisioned for (OCCTO: about 80 %)", low=0.05, high=1.0
    ),
    "headroom_max": _f(4.0, "most headroom provisioning considers", low=1.0, high=20.0),
    "pi_h_inference": _f(
        200.0,
        "niche stiffness of inference and of training that tolerates no slowdown",
        **PRECISION,
    ),
    "flex_stiffness": _f(
        5.0,
        "niche stiffness of training that tolerates 10 % slowdown (s: 5 x 0.1 / s)",
        **PRECISION,
    ),
    "flex0_share": _f(0.25, "share of training servers whose jobs tolerate no slowdown", **UNIT),
    "flex10_share": _f(0.25, "share whose jobs tolerate 10 % slowdown", **UNIT),
    "flex25_share": _f(0.25, "share whose jobs tolerate 25 % slowdown", **UNIT),
    "flex50_share": _f(0.25, "share whose jobs tolerate 50 % slowdown", **UNIT),
    "job_hours": _f(
        24.0, "mean work of a training job, server-hours at full speed", low=0.05, high=1e4
    ),  # fmt: skip
    "job_scaling": _f(
        4.0,
        "most servers a job can be resized over, in units of the one it wants",
        low=1.0,
        high=1e3,
    ),
    "job_wait_hours": _f(
        1.0, "waiting allowance of every job before its deadline counts", low=0.0, high=1e4
    ),
    "perf_exponent": _f(
        0.35,
        "throughput = power ** exponent above the lowest cap (Emerald AI: 0.91 at -25 %)",
        low=0.05,
        high=1.0,
    ),
    "power_floor": _f(
        0.3, "lowest power cap; below it a server pauses part of the time", low=0.01, high=1.0
    ),  # fmt: skip
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
    "price_base": _f(0.10, "USD per kWh of power beyond the surplus", low=0.0, high=100.0),
    "price_scarcity": _f(2.0, "relative price rise per fleet unit of shortfall", low=0.0, high=1e3),
    "price_surplus": _f(0.03, "USD per kWh of surplus renewable power", low=0.0, high=100.0),
    "carbon_price": _f(0.0, "USD per tonne of CO2 on fossil power", low=0.0, high=1e4),
    "regions": _p(
        1, "int", SECTION, "grid regions, each with its weather and other load", low=1, high=8
    ),  # fmt: skip
    "region_offset_hours": _f(
        3.0, "how far each region's clock runs ahead of the previous one", low=0.0, high=12.0
    ),
    "migrate_work": _p(
        "on",
        "str",
        SECTION,
        "operators move flexible jobs not yet started to their site in"
        " the region with most surplus to spare (regions > 1)",
        choices=("off", "on"),
    ),
    "migration_margin": _f(
        0.05,
        "surplus to spare, fleet units, by which a region must beat a job's own to draw it",
        low=0.0,
        high=1e3,
    ),
    "migration_steps": _p(
        1, "int", SECTION, "steps a moved job takes to be ready again", low=0, high=96
    ),  # fmt: skip
    "checkpoint_gb": _f(
        10.0, "GB sent when a job moves (checkpoint and data)", low=0.0, high=1e6
    ),  # fmt: skip
    "day_ahead": _p(
        "off",
        "str",
        SECTION,
        "a day-ahead plan from forecasts is the grid's landscape, corrected in the day",
        choices=("off", "on"),
    ),
    "forecast_error": _f(
        0.1, "relative sd of the day-ahead surplus forecast", low=0.0, high=10.0
    ),  # fmt: skip
    "grid_series": _p(
        "",
        "path",
        SECTION,
        "CSV of hourly solar_mw, wind_mw, other_load_mw (and region) replacing the weather",
    ),
    "dr_at": _p(-1, "int", SECTION, "step a demand-response event starts (-1 never)", low=-1),
    "dr_steps": _p(12, "int", SECTION, "length of the event in steps (3 h)", low=1),
    "dr_cut": _f(0.25, "power cut asked of the fleet during the event", **UNIT),
}


# A preset changes these defaults; anything the user sets still wins.
GRID_PRESET: dict[str, Any] = {
    "d": 1,
    "x_min": 0.0,
    "x_max": 1.0,
    "sensing_noise": 0.1,  # a server knows its power draw to about 3 % of rated power
    "delta": 0.01,  # report a change of 1 % of rated power
    "a_max": 1.0,  # a power cap is set in seconds, well within a 15-minute step
    "k_a": 1.0,  # and the server goes there within the step
    "hop_latency": 0,  # a message crosses a network in far less than 15 minutes
    "tilt_feedforward": "on",  # an event or a planned change moves the price at once
    "tilt_route": "direct",  # a price is published to every server
    "tilt_gain": 0.5,  # servers answer a price by 1/pi_h (about 0.3 here, 2 by default)
}
