"""One shared model for a class: seats, rounds, the teacher's controls and the record.

A round runs three models on the same seed side by side: the class's (students steer it),
the model's own landscape rule (nobody steers) and central command (the computed plan), so
that the scoreboard compares the class with both on the same cells, niches and draws.
Every method takes the room's lock: the player's thread and the server's connections call
them concurrently.
"""

from __future__ import annotations

import io
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .scores import SCORES, class_totals, organization_scores
from .steering import ORGAN, ORGANIZATION, ClassroomModel

ROUNDS = ("shape", "planner")
MODELS = ("class", "own_rule", "command")
VIEW = (-1.5, 3.5)  # the map's range in both dimensions (target 1, niches 0 +- 0.5)
PRECISION_MAX, TILT_MAX, RATE_MAX = 4.0, 3.0, 20.0
HISTORY = 200  # steps of the trails the pages draw


class RoomError(ValueError):
    """A request the room refuses; the message says why (shown to the one who asked)."""


def class_parameters(organizations: int) -> dict[str, Any]:
    """The class's model: ``organizations`` organizations of 4 organs of 16 cells, d = 2,
    society's queue at 200 messages a step so that commanding every cell queues."""
    return {
        "engine": "numpy",
        "n_organizations": organizations,
        "organs_per_organization": 4,
        "cells_per_organ": 16,
        "collect_every": 1,
        "central_capacity": 200,
    }


@dataclass
class Seat:
    """A student: their name, the token their browser keeps, their organization."""

    name: str
    token: str
    organization: int
    connected: bool = True
    landscape: dict[str, Any] | None = None  # their last landscape, restored on return


@dataclass
class Record:
    """The round so far: per model, each step's organization scores."""

    steps: list[int] = field(default_factory=list)
    scores: dict[str, list[dict[str, np.ndarray]]] = field(
        default_factory=lambda: {name: [] for name in MODELS}
    )
    inputs: list[np.ndarray] = field(default_factory=list)  # class: steered, centre, pi, tilt
    students: list[list[str]] = field(default_factory=list)
    events: list[tuple[int, str]] = field(default_factory=list)  # (step, what the teacher did)
    sums: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)  # (model, key): so far


def _check_point(name: str, value: Any) -> np.ndarray:
    try:
        point = np.asarray(value, dtype=float).reshape(2)
    except (TypeError, ValueError) as error:
        raise RoomError(f"{name} must be two numbers") from error
    lo, hi = VIEW[0] - 5.0, VIEW[1] + 5.0
    if not np.all(np.isfinite(point)) or np.any(point < lo) or np.any(point > hi):
        raise RoomError(f"{name} must lie in [{lo}, {hi}] in both dimensions")
    return point


def _check_number(name: str, value: Any, lo: float, hi: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise RoomError(f"{name} must be a number") from error
    if not lo <= number <= hi:
        raise RoomError(f"{name} must lie in [{lo}, {hi}]")
    return number


class Room:
    """The classroom's state (see the module's docstring).

    Args:
        seed: the seed of every round's three models.
        organizations: organizations in the model (seats for at most that many students).
        rate: steps a second while the round runs.
    """

    def __init__(self, seed: int = 1, organizations: int = 30, rate: float = 5.0) -> None:
        if not 1 <= organizations <= 200:
            raise RoomError("organizations must lie in [1, 200]")
        self.seed, self.organizations = seed, organizations
        self.rate = _check_number("rate", rate, 0.1, RATE_MAX)
        self.lock = threading.RLock()
        self.seats: dict[str, Seat] = {}
        self.version = 0  # counts changes the pages should show
        self.running = False
        self.reset("shape")

    # --- rounds ------------------------------------------------------------------------
    def reset(self, round_type: str = "shape", planner: str | None = None) -> None:
        """A new round from step 0: every model rebuilt on the room's seed. ``planner``: the
        name of the student who commands in the planner round."""
        with self.lock:
            if round_type not in ROUNDS:
                raise RoomError(f"round must be one of {', '.join(ROUNDS)}")
            planner_token = None
            if round_type == "planner":
                match = [s for s in self.seats.values() if s.name == planner and s.connected]
                if not match:
                    raise RoomError("planner must be the name of a joined student")
                planner_token = match[0].token
            p = class_parameters(self.organizations)
            mode = "command" if round_type == "planner" else "landscape"
            # the baselines run the classroom's model too (unsteered it is the engine's own
            # model, step for step: tested) so that the teacher's shocks reach them
            self.models = {
                "class": ClassroomModel(rng=self.seed, planned=True, mode=mode, **p),
                "own_rule": ClassroomModel(rng=self.seed, mode="landscape", **p),
                "command": ClassroomModel(rng=self.seed, mode="command", **p),
            }
            self.round, self.planner = round_type, planner_token
            self.running = False
            self.record = Record()
            self.trails: list[list[list[float]]] = [[] for _ in range(self.organizations)]
            self.history: dict[str, list[list[float]]] = {name: [] for name in MODELS}
            self.removal_rng = np.random.default_rng(self.seed + 1)
            for seat in self.seats.values():
                seat.landscape = None
            self._note()

    def _note(self) -> None:
        self.version += 1

    @property
    def step_count(self) -> int:
        return self.models["class"].steps

    def start(self) -> None:
        with self.lock:
            self.running = True
            self._note()

    def pause(self) -> None:
        with self.lock:
            self.running = False
            self._note()

    def set_rate(self, rate: float) -> None:
        with self.lock:
            self.rate = _check_number("rate", rate, 0.1, RATE_MAX)
            self._note()

    def remove(self, fraction: float = 0.25) -> int:
        """Remove the same ``fraction`` of the living cells from all three models."""
        with self.lock:
            fraction = _check_number("fraction", fraction, 0.0, 0.9)
            alive = np.flatnonzero(self.models["class"].state.levels[0].alive)
            count = int(round(fraction * alive.size))
            rows = np.sort(self.removal_rng.choice(alive, size=count, replace=False))
            for model in self.models.values():
                model.remove_rows(0, rows)
            self.record.events.append((self.step_count, f"removed {count} cells"))
            self._note()
            return count

    def shock(self, size: float = 0.5) -> None:
        """Move the target by ``size`` in every dimension in all three models."""
        with self.lock:
            size = _check_number("size", size, -2.0, 2.0)
            for model in self.models.values():
                model.shock(size)
            self.record.events.append((self.step_count, f"target moved by {size:+g}"))
            self._note()

    # --- seats -------------------------------------------------------------------------
    def join(self, name: str, token: str | None = None, organization: int | None = None) -> Seat:
        """Seat a student: back at their organization if their ``token`` is known and it is
        free, else at ``organization`` if free, else at a free one never held before."""
        with self.lock:
            name = str(name).strip()[:40]
            if not name:
                raise RoomError("name must not be empty")
            held = {s.organization for s in self.seats.values() if s.connected}
            seat = self.seats.get(token) if token else None
            if seat is not None and seat.organization not in held:
                seat.connected, seat.name = True, name
            else:
                org = self._free(held, organization)
                seat = Seat(name=name, token=secrets.token_urlsafe(16), organization=org)
                self.seats[seat.token] = seat
            if seat.landscape is not None and self.round == "shape":
                self.models["class"].steer(seat.organization, **self._arrays(seat.landscape))
            self._note()
            return seat

    def _free(self, held: set[int], wish: int | None) -> int:
        if wish is not None:
            wish = int(_check_number("organization", wish, 0, self.organizations - 1))
            if wish in held:
                raise RoomError(f"organization {wish} is taken")
            return wish
        free = [k for k in range(self.organizations) if k not in held]
        if not free:
            raise RoomError("every organization is taken")
        reserved = {s.organization for s in self.seats.values() if not s.connected}
        fresh = [k for k in free if k not in reserved]  # a leaver's stays theirs if it can
        return (fresh or free)[0]

    def leave(self, token: str) -> None:
        """The student's tab closed: their organization runs the model's own rule."""
        with self.lock:
            seat = self.seats.get(token)
            if seat is None or not seat.connected:
                return
            seat.connected = False
            self.models["class"].release(seat.organization)
            self._note()

    def seat(self, token: str) -> Seat:
        seat = self.seats.get(token)
        if seat is None or not seat.connected:
            raise RoomError("join first")
        return seat

    # --- what students do --------------------------------------------------------------
    @staticmethod
    def _arrays(landscape: dict[str, Any]) -> dict[str, Any]:
        return {
            "centre": np.asarray(landscape["centre"], dtype=float),
            "precision": float(landscape["precision"]),
            "tilt": np.asarray(landscape["tilt"], dtype=float),
        }

    def steer(self, token: str, centre: Any, precision: Any, tilt: Any) -> None:
        """The landscape the student's organization draws for its organs (their own only:
        the organization comes from their seat, never from the request)."""
        with self.lock:
            seat = self.seat(token)
            if self.round != "shape":
                raise RoomError("in the planner round only the planner gives orders")
            landscape = {
                "centre": _check_point("centre", centre).tolist(),
                "precision": _check_number("precision", precision, 0.0, PRECISION_MAX),
                "tilt": _check_point("tilt", tilt).tolist(),
            }
            if np.max(np.abs(landscape["tilt"])) > TILT_MAX:
                raise RoomError(f"tilt must lie in [-{TILT_MAX}, {TILT_MAX}]")
            seat.landscape = landscape
            self.models["class"].steer(seat.organization, **self._arrays(landscape))
            self._note()

    def order(self, token: str, organization: Any, setpoint: Any) -> None:
        """The planner's set point for every organ of ``organization`` ("all": every organ)."""
        with self.lock:
            seat = self.seat(token)
            if self.round != "planner" or seat.token != self.planner:
                raise RoomError("only the planner gives orders, in the planner round")
            model = self.models["class"]
            parent = model.holarchy.parent[ORGAN]
            if organization == "all":
                organs = np.arange(parent.size)
            else:
                org = int(_check_number("organization", organization, 0, self.organizations - 1))
                organs = np.flatnonzero(parent == org)
            model.order(organs, _check_point("setpoint", setpoint))
            self._note()

    # --- the step ----------------------------------------------------------------------
    def step(self) -> None:
        """One step of all three models, and its scores recorded."""
        with self.lock:
            for name, model in self.models.items():
                model.step()
                scores = organization_scores(model)
                self.record.scores[name].append(scores)
                sums = self.record.sums  # kept as it goes: every page asks every 0.1 s
                for key in ("bits", "energy"):
                    sums[name, key] = sums.get((name, key), 0.0) + scores[key]
            self.record.steps.append(self.step_count)
            self.record.inputs.append(self._inputs())
            owners = [""] * self.organizations
            for s in self.seats.values():
                if s.connected:
                    owners[s.organization] = s.name
            self.record.students.append(owners)
            self._keep_trails()
            self._note()

    def _keep_trails(self) -> None:
        """The pages' trails: each organization's own state, each model's gap and error."""
        t = self.step_count
        org_x = self.models["class"].state.levels[ORGANIZATION].x
        for k, trail in enumerate(self.trails):
            trail.append([round(float(org_x[k, 0]), 4), round(float(org_x[k, 1]), 4)])
            del trail[:-HISTORY]
        for name, rows in self.history.items():
            m = self.models[name].metrics
            rows.append([t, round(m["optimality_gap"], 5), round(m["tracking_error"], 5)])
            del rows[:-HISTORY]

    def _inputs(self) -> np.ndarray:
        """Per organization: steered, centre (2), precision, tilt (2) of the class model."""
        model = self.models["class"]
        wheel = getattr(model.regime, "wheel", None)
        if wheel is None:
            return np.full((self.organizations, 6), np.nan)
        return np.column_stack([wheel.steered, wheel.centre, wheel.precision, wheel.tilt])

    # --- the record --------------------------------------------------------------------
    def table(self) -> pd.DataFrame:
        """The round so far, tidy: one row per step, model and organization, with its
        student, the class's landscape inputs, and the teacher's events."""
        with self.lock:
            rec, n = self.record, self.organizations
            frames = []
            for name in MODELS:
                if not rec.steps:
                    break
                cols = {k: np.concatenate([s[k] for s in rec.scores[name]]) for k in SCORES}
                frame = pd.DataFrame(
                    {
                        "round": self.round,
                        "model": name,
                        "step": np.repeat(rec.steps, n),
                        "organization": np.tile(np.arange(n), len(rec.steps)),
                        **cols,
                    }
                )
                if name == "class":
                    inputs = np.concatenate(rec.inputs)
                    for i, col in enumerate(
                        ("steered", "centre_0", "centre_1", "precision", "tilt_0", "tilt_1")
                    ):
                        frame[col] = inputs[:, i]
                    frame["student"] = np.concatenate(rec.students)
                frames.append(frame)
            if not frames:
                return pd.DataFrame(columns=["round", "model", "step", "organization", *SCORES])
            table = pd.concat(frames, ignore_index=True)
            # an event happens between steps: it is on the rows of the step after it
            done: dict[int, str] = {}
            for t, text in rec.events:
                done[t + 1] = f"{done[t + 1]}; {text}" if t + 1 in done else text
            table["event"] = [done.get(t, "") for t in table["step"]]
            return table

    def parquet(self) -> bytes:
        """The round's table as Parquet bytes (the teacher's download)."""
        buffer = io.BytesIO()
        self.table().to_parquet(buffer, index=False)
        return buffer.getvalue()

    def totals(self, name: str) -> dict[str, float]:
        """A model's class totals now: this step's gap and tracking error, the round's bits
        and energy so far, this step's queue wait (the model's own measure)."""
        with self.lock:
            model = self.models[name]
            scores = self.record.scores[name]
            now = class_totals(scores[-1]) if scores else class_totals(organization_scores(model))
            return {
                "optimality_gap": now["optimality_gap"],
                "tracking_error": now["tracking_error"],
                "bits": float(model.totals["bits"]),
                "energy": float(model.totals["energy"]),
                "queue_wait": float(model.metrics["queue_wait_mean"]),
            }

    def cumulative(self, name: str, key: str) -> np.ndarray:
        """Per organization: ``key`` (bits or energy) summed over the round so far."""
        return self.record.sums.get((name, key), np.zeros(self.organizations))

    def organs_of(self, organization: int) -> np.ndarray:
        return np.flatnonzero(self.models["class"].holarchy.parent[ORGAN] == organization)
