"""What each page is sent: a student sees what their organization observes, the teacher
the scoreboard. Plain dicts of numbers, ready for JSON."""

from __future__ import annotations

from typing import Any

import numpy as np

from .room import HISTORY, MODELS, PRECISION_MAX, RATE_MAX, ROUNDS, TILT_MAX, VIEW, Room
from .steering import ORGAN, ORGANIZATION


def _list(values: np.ndarray, digits: int = 4) -> list:
    return np.round(np.nan_to_num(np.asarray(values, dtype=float)), digits).tolist()


def _common(room: Room) -> dict[str, Any]:
    return {
        "step": room.step_count,
        "running": room.running,
        "rate": room.rate,
        "round": room.round,
        "view": list(VIEW),
        "limits": {"precision": PRECISION_MAX, "tilt": TILT_MAX, "rate": RATE_MAX},
        "version": room.version,
        "organizations": room.organizations,
    }


def _trail(room: Room, organization: int) -> list:
    """The organization's coarse-grained state, as it saw it, over the last steps."""
    return room.trails[organization][-HISTORY:]


def student_view(room: Room, token: str) -> dict[str, Any]:
    """A student's page: their organs' reports and their organization's own state, the
    landscape society draws for it (the price), the landscape they draw, their messages.
    Not the cells: an organization never sees them. The planner also sees what the
    centre read of every organ (their cells' niches) and the target."""
    with room.lock:
        seat = room.seat(token)
        k, model = seat.organization, room.models["class"]
        s = model.state
        organs = room.organs_of(k)
        role = "shaper"
        if room.round == "planner":
            role = "planner" if token == room.planner else "watcher"
        view = {
            **_common(room),
            "name": seat.name,
            "organization": k,
            "role": role,
            "organs": _list(s.levels[ORGAN].reported[organs]),
            "organization_state": _list(s.levels[ORGANIZATION].x[k]),
            "trail": _trail(room, k),
            "price": _list(s.levels[ORGANIZATION].tilt[k]),
            "landscape": seat.landscape,
            "bits": float(room.cumulative("class", "bits")[k]),
            "queue_wait": float(room.record.scores["class"][-1]["queue_wait"][k])
            if room.record.steps
            else 0.0,
        }
        if role == "planner":
            e = model.regime.arrays
            parent = model.holarchy.parent[0]
            n_organs = model.holarchy.sizes[ORGAN]
            alive = s.levels[0].alive.astype(float)
            count = np.maximum(np.bincount(parent, weights=alive, minlength=n_organs), 1.0)
            read = (
                np.stack(
                    [
                        np.bincount(parent, weights=e.view_h[:, j] * alive, minlength=n_organs)
                        for j in (0, 1)
                    ],
                    axis=1,
                )
                / count[:, None]
            )
            view["niches_read"] = _list(read)
            view["target"] = _list(model.target)
            orders = model.regime.orders
            view["orders"] = [None if np.isnan(o[0]) else _list(o) for o in orders]
        return view


def teacher_view(room: Room) -> dict[str, Any]:
    """The teacher's page: seats, the scoreboard, the class against its two baselines."""
    with room.lock:
        scores = room.record.scores["class"]
        now = scores[-1] if scores else None
        bits, energy = room.cumulative("class", "bits"), room.cumulative("class", "energy")
        owners = {s.organization: s for s in room.seats.values() if s.connected}
        board = []
        for k in range(room.organizations):
            seat = owners.get(k)
            board.append(
                {
                    "organization": k,
                    "student": seat.name if seat else "",
                    "steered": bool(seat and seat.landscape is not None),
                    "optimality_gap": float(now["optimality_gap"][k]) if now else 0.0,
                    "tracking_contribution": float(now["tracking_contribution"][k]) if now else 0.0,
                    "bits": float(bits[k]),
                    "energy": float(energy[k]),
                    "queue_wait": float(now["queue_wait"][k]) if now else 0.0,
                    "landscape": seat.landscape if seat else None,
                }
            )
        planner = room.seats.get(room.planner) if room.planner else None
        return {
            **_common(room),
            "rounds": list(ROUNDS),
            "planner": planner.name if planner else "",
            "students": sorted(s.name for s in room.seats.values() if s.connected),
            "board": board,
            "totals": {name: room.totals(name) for name in MODELS},
            "history": {name: room.history[name][-HISTORY:] for name in MODELS},
            "events": [f"step {t}: {text}" for t, text in room.record.events],
        }
