"""The AI-and-grid scenario's per-step measures: jobs served, the energy balance of each
region, emissions against a baseline that does the same work without coordination, and
the costs.

The baseline is a twin fleet with the same servers and the same arriving jobs whose every
server runs at its niche (inference at its users' demand, training at full power while
its pool has a job for it): nobody coordinates, every job is done as it comes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...core.state import State
from .jobs import TOLERANCES
from .power import throughput

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
    "emissions_per_work",
    "baseline_emissions_per_work",
    "training_emission_cut",
    "training_work",
    "work_arrived",
    "work_done",
    "training_backlog",
    "baseline_backlog",
    "work_dropped",
    "deadline_misses",
    *(f"deadline_misses_flex{round(100 * s)}" for s in TOLERANCES),
    "baseline_deadline_misses",
    "training_work_edge",
    "training_energy",
    "inference_energy",
    "inference_energy_edge",
    "training_edge_share",
    "inference_edge_share",
    "training_region0_share",
    "work_moved",
    "migration_bits",
    "plan_bits",
    "dr_power_ratio",
    "time_to_cut",
    "training_renewable_share",
    "inference_sla_violations",
    "gpu_utilisation",
    "headroom",
    "grid_price",
    "energy_cost",
    "gpu_capital_cost",
    "idle_capital_cost",
)

TOTALS = ("emissions", "base", "work", "base_work", "training", "training_renewable",
          "training_emissions", "base_training_emissions", "work_edge", "work_region0",
          "inference", "inference_edge")  # fmt: skip


class Fleet:
    """What the measures carry from step to step: running totals, each region's surplus
    left over, the event's reference power."""

    def __init__(self, env: GridEnvironment) -> None:
        self.room = np.zeros(env.p["regions"])  # surplus the fleet left unused last step
        self.totals = dict.fromkeys(TOTALS, 0.0)
        self.started = False  # the row before the first step serves no work
        self.draw = 0.0  # the fleet's mean IT power last step
        self.dr_draw: float | None = None
        self.time_to_cut = np.nan


def _serve(env: GridEnvironment, book_name: str, t: int, x: np.ndarray, serve: bool):
    """Serve a book's ready jobs with the training servers at power ``x``; returns the work
    done per server and the power each server draws (at its setting while it has work)."""
    p, book = env.p, env.books[book_name]
    training = (env.pool >= 0) & env.alive
    speed = np.where(training, throughput(x, p["perf_exponent"], p["power_floor"]), 0.0)
    pool = np.maximum(env.pool, 0)
    capacity = np.bincount(pool[training], weights=speed[training] * env.hours,
                           minlength=env.n_pools)  # fmt: skip
    done = book.serve(t, capacity, env.hours * p["job_scaling"]) if serve else np.zeros(env.n_pools)
    busy = np.where(capacity > 0, done / np.maximum(capacity, 1e-300), 0.0)
    draw = np.where(training, x * busy[pool], np.where(env.alive, x, 0.0))
    work = np.where(training, speed * busy[pool] * env.hours, 0.0)
    book.check_deadlines(t, env.tier_of_pool)
    return work, draw


def _balance(env: GridEnvironment, t: int, draw: np.ndarray):
    """Per region: the fleet's facility power (kW) and the part the surplus covered."""
    kw = draw * env.pue * env.p["server_kw"]
    fleet = np.bincount(env.region, weights=kw, minlength=env.grid.n)
    surplus = env.grid.surplus(t) * env.fleet_kw
    return kw, fleet, np.minimum(fleet, surplus)


def step_measures(env: GridEnvironment, t: int, state: State) -> dict[str, float]:
    """The measures after step ``t``; adds this step to the run's totals."""
    p, f, grid, hours = env.p, env.fleet, env.grid, env.hours
    tot = f.totals
    serve, f.started = f.started, True
    x = np.clip(state.levels[0].x[:, 0], 0.0, 1.0)
    demand = env.demand(t)
    x = np.where(env.inference, np.minimum(x, demand), x) if serve else x
    work, draw = _serve(env, "run", t, x, serve)
    if serve:  # a server draws what its work takes: a cap above that is not drawn
        cells = state.levels[0]
        drawn = np.where(env.pool >= 0, draw, np.minimum(cells.x[:, 0], demand))
        state.a[:, 0] += drawn - cells.x[:, 0]  # the server sees its move as it came out
        cells.x[:, 0] = drawn
    base_need = env.books["baseline"].need(t, hours)
    base_x = np.where(env.inference, demand, env.training_niche(base_need))
    base_work, base_draw = _serve(env, "baseline", t, base_x, serve)
    kw, fleet_r, renewable_r = _balance(env, t, draw)
    base_kw, base_r, base_renewable_r = _balance(env, t, base_draw)
    ci, fu = p["carbon_intensity"], env.fleet_kw
    renewable, other = grid.renewable(t) * fu, grid.other_load(t) * fu
    surplus = grid.surplus(t) * fu
    f.room = (surplus - fleet_r) / fu
    fleet, fleet_renewable = float(fleet_r.sum()), float(renewable_r.sum())
    fossil_r = fleet_r - renewable_r
    fossil = float(fossil_r.sum())
    base_fossil = float((base_r - base_renewable_r).sum())
    absorbed = float(np.minimum(renewable, other).sum()) + fleet_renewable
    infer, training = env.inference & env.alive, (env.pool >= 0) & env.alive
    edge = env.edge[env.holarchy.parent[0]]
    # each region's fossil share, attributed to the servers in it
    share_r = np.where(fleet_r > 0, renewable_r / np.maximum(fleet_r, 1e-300), 0.0)
    base_share_r = np.where(base_r > 0, base_renewable_r / np.maximum(base_r, 1e-300), 0.0)
    training_kw = float(kw[training].sum())
    training_fossil = float((kw * (1.0 - share_r[env.region]))[training].sum())
    base_training_fossil = float((base_kw * (1.0 - base_share_r[env.region]))[training].sum())
    done, base_done = float(work.sum()), float(base_work.sum())
    run_book, base_book = env.books["run"], env.books["baseline"]
    if serve:
        tot["emissions"] += fossil * hours * ci
        tot["base"] += base_fossil * hours * ci
        tot["work"] += done
        tot["base_work"] += base_done
        tot["training"] += training_kw * hours
        tot["training_renewable"] += (training_kw - training_fossil) * hours
        tot["training_emissions"] += training_fossil * hours * ci
        tot["base_training_emissions"] += base_training_fossil * hours * ci
        tot["work_edge"] += float(work[training & edge].sum())
        tot["work_region0"] += float(work[training & (env.region == 0)].sum())
        tot["inference"] += float(kw[infer].sum())
        tot["inference_edge"] += float(kw[infer & edge].sum())
    # at equal work: work the run still owes beyond the baseline's is charged at the run's
    # own emissions per work so far (and credited likewise if the run is ahead)
    per_work = tot["training_emissions"] / tot["work"] if tot["work"] else 0.0
    base_per_work = tot["base_training_emissions"] / tot["base_work"] if tot["base_work"] else 0.0
    debt = (run_book.backlog - base_book.backlog) * per_work
    mean_draw = float(draw[env.alive].mean()) if env.alive.any() else 0.0
    in_event = env.in_event(t)
    if in_event and f.dr_draw is None:
        f.dr_draw = env.dr_level
    if in_event and np.isnan(f.time_to_cut) and f.dr_draw:
        # at or below the asked power, to 1 % of the power before the event
        if mean_draw <= (1.0 - p["dr_cut"] + 0.01) * f.dr_draw:
            f.time_to_cut = (t - p["dr_at"] + 1) * p["step_minutes"]
    f.draw = mean_draw
    price_r = grid.fossil_price(t)
    cost = float(np.sum(renewable_r * p["price_surplus"] + fossil_r * price_r)) * hours
    gpu_hour = 8 * p["gpu_cost"] * hours  # an 8-GPU server for one step
    unused = np.where(training, 1.0 - work / hours, np.where(infer, 1.0 - x, 0.0))
    n_training = int(np.count_nonzero(training))
    return {
        "renewable_supply": float(renewable.sum()) * hours,
        "renewable_absorbed": absorbed * hours,
        "curtailment": (float(renewable.sum()) - absorbed) * hours,
        "fleet_energy": fleet * hours,
        "fleet_renewable": fleet_renewable * hours,
        "fossil_energy": fossil * hours,
        "emissions": fossil * hours * ci,
        "baseline_emissions": base_fossil * hours * ci,
        "emission_cut": 1.0 - (tot["emissions"] + debt) / tot["base"] if tot["base"] > 0 else 0.0,
        "emissions_per_work": per_work,
        "baseline_emissions_per_work": base_per_work,
        "training_emission_cut": 1.0 - per_work / base_per_work if base_per_work else 0.0,
        "training_work": done,
        "work_arrived": run_book.arrived,
        "work_done": run_book.done,
        "training_backlog": run_book.backlog,
        "baseline_backlog": base_book.backlog,
        "work_dropped": run_book.lost,
        "deadline_misses": int(run_book.misses.sum()),
        **{
            f"deadline_misses_flex{round(100 * s)}": int(run_book.misses[k])
            for k, s in enumerate(TOLERANCES)
        },
        "baseline_deadline_misses": int(base_book.misses.sum()),
        "training_work_edge": float(work[training & edge].sum()),
        "training_energy": training_kw * hours,
        "inference_energy": float(kw[infer].sum()) * hours,
        "inference_energy_edge": float(kw[infer & edge].sum()) * hours,
        "training_edge_share": tot["work_edge"] / tot["work"] if tot["work"] else 0.0,
        "inference_edge_share": (
            tot["inference_edge"] / tot["inference"] if tot["inference"] else 0.0
        ),
        "training_region0_share": tot["work_region0"] / tot["work"] if tot["work"] else 0.0,
        "work_moved": env.moved[0],
        "migration_bits": env.moved[1] * p["checkpoint_gb"] * 8e9,
        "plan_bits": env.plan_bits,
        "dr_power_ratio": mean_draw / f.dr_draw if in_event and f.dr_draw else 1.0,
        "time_to_cut": f.time_to_cut,
        "training_renewable_share": (
            tot["training_renewable"] / tot["training"] if tot["training"] else 0.0
        ),
        "inference_sla_violations": int(np.sum(x[infer] < demand[infer] - p["sla_tolerance"])),
        "gpu_utilisation": done / (n_training * hours) if n_training else 0.0,
        "headroom": env.headroom,
        "grid_price": float(np.mean(price_r)),
        "energy_cost": cost,
        "gpu_capital_cost": int(np.count_nonzero(env.alive)) * gpu_hour,
        "idle_capital_cost": float(np.sum(unused)) * gpu_hour,
    }
