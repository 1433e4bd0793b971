"""The AI-and-grid scenario's own per-step measures: energy balance, emissions against the
uncoordinated baseline (every server at its niche), training work, SLAs and costs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...core.state import State

if TYPE_CHECKING:
    from .environment import GridEnvironment

COLUMNS = (
    "renewable_supply",
    "renewable_absorbed",
    "curtailment",
    "fleet_energy",
    "fleet_renewable",
    "fossil_energy",
    "emissions",
    "baseline_emissions",
    "emission_cut",
    "training_work",
    "training_work_edge",
    "training_energy",
    "inference_energy",
    "inference_energy_edge",
    "training_edge_share",
    "inference_edge_share",
    "dr_power_ratio",
    "training_renewable_share",
    "inference_sla_violations",
    "gpu_utilisation",
    "energy_cost",
    "gpu_capital_cost",
    "idle_capital_cost",
)


def step_measures(env: GridEnvironment, t: int, state: State) -> dict[str, float]:
    """The measures after step ``t``; adds this step to the run's totals in ``env.totals``."""
    p = env.p
    cells = state.levels[0]
    alive = cells.alive
    x = np.clip(cells.x[alive, 0], 0.0, None)
    h = state.h[alive, 0]
    pue, infer = env.pue[alive], env.inference[alive]
    edge = env.edge[env.holarchy.parent[0][alive]]
    kw, hours, fu = p["server_kw"], env.hours, env.fleet_kw
    fleet = float(np.sum(x * pue)) * kw
    renewable = (env.solar(t) + env.wind_power(t)) * fu
    other = env.other_load(t) * fu
    surplus = max(0.0, renewable - other)
    fleet_renewable = min(fleet, surplus)
    absorbed = min(renewable, other) + fleet_renewable
    base = float(np.sum(h * pue)) * kw
    fossil, base_fossil = fleet - fleet_renewable, base - min(base, surplus)
    training_kw = float(np.sum((x * pue)[~infer])) * kw
    share = fleet_renewable / fleet if fleet > 0 else 0.0
    tot = env.totals
    tot["training"] += training_kw * hours
    tot["training_renewable"] += training_kw * share * hours
    tot["emissions"] += fossil * hours * p["carbon_intensity"]
    tot["base"] += base_fossil * hours * p["carbon_intensity"]
    work, work_edge = float(np.sum(x[~infer])), float(np.sum(x[~infer & edge]))
    inference_kw = fleet - training_kw
    inference_edge_kw = float(np.sum((x * pue)[infer & edge])) * kw
    tot["work"] += work
    tot["work_edge"] += work_edge
    tot["inference"] += inference_kw
    tot["inference_edge"] += inference_edge_kw
    utilisation = float(x.mean()) if x.size else 0.0
    dr_ratio = utilisation / env.dr_level if env.in_event(t) and env.dr_level else 1.0
    shortfall = max(0.0, other - renewable) / fu
    price = p["price_base"] * (1.0 + p["price_scarcity"] * shortfall)
    gpu_hour = 8 * p["gpu_cost"] * hours  # an 8-GPU server for one step
    return {
        "renewable_supply": renewable * hours,
        "renewable_absorbed": absorbed * hours,
        "curtailment": (renewable - absorbed) * hours,
        "fleet_energy": fleet * hours,
        "fleet_renewable": fleet_renewable * hours,
        "fossil_energy": fossil * hours,
        "emissions": fossil * hours * p["carbon_intensity"],
        "baseline_emissions": base_fossil * hours * p["carbon_intensity"],
        "emission_cut": 1.0 - tot["emissions"] / tot["base"] if tot["base"] > 0 else 0.0,
        "training_work": work * hours,
        "training_work_edge": work_edge * hours,
        "training_energy": training_kw * hours,
        "inference_energy": inference_kw * hours,
        "inference_energy_edge": inference_edge_kw * hours,
        "training_edge_share": tot["work_edge"] / tot["work"] if tot["work"] > 0 else 0.0,
        "inference_edge_share": (
            tot["inference_edge"] / tot["inference"] if tot["inference"] > 0 else 0.0
        ),
        "dr_power_ratio": dr_ratio,
        "training_renewable_share": (
            tot["training_renewable"] / tot["training"] if tot["training"] > 0 else 0.0
        ),
        "inference_sla_violations": int(np.sum(x[infer] < h[infer] - p["sla_tolerance"])),
        "gpu_utilisation": utilisation,
        "energy_cost": fleet * hours * price,
        "gpu_capital_cost": x.size * gpu_hour,
        "idle_capital_cost": float(np.sum(1.0 - x)) * gpu_hour,
    }
