"""The room: seats, rounds, the teacher's events and the record a round leaves."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from dataspace_abm.classroom.room import MODELS, Room, RoomError
from dataspace_abm.classroom.scores import organization_of_cells
from dataspace_abm.classroom.views import student_view, teacher_view


@pytest.fixture
def room() -> Room:
    return Room(seed=4, organizations=6)


def test_students_get_distinct_organizations_or_the_free_one_they_choose(room):
    seats = [room.join(f"s{i}") for i in range(3)]
    assert [s.organization for s in seats] == [0, 1, 2]
    assert room.join("chooser", organization=5).organization == 5
    with pytest.raises(RoomError, match="organization 5 is taken"):
        room.join("late", organization=5)
    with pytest.raises(RoomError, match=r"organization must lie in \[0, 5\]"):
        room.join("late", organization=9)
    with pytest.raises(RoomError, match="name must not be empty"):
        room.join("   ")
    room.join("a"), room.join("b")
    with pytest.raises(RoomError, match="every organization is taken"):
        room.join("one too many")


def test_a_leaver_frees_the_organization_and_gets_it_back_on_return(room):
    ann, bob = room.join("Ann"), room.join("Bob")
    room.steer(ann.token, [2.0, 2.0], 1.0, [0.0, 0.0])
    room.leave(ann.token)
    wheel = room.models["class"].regime.wheel
    assert not wheel.steered[ann.organization]  # it runs the model's own rule
    newcomer = room.join("Cy")
    assert newcomer.organization not in (ann.organization, bob.organization)
    back = room.join("Ann", token=ann.token)
    assert back.organization == ann.organization and back.token == ann.token
    assert wheel.steered[ann.organization]  # with the landscape Ann left
    assert wheel.precision[ann.organization] == 1.0
    with pytest.raises(RoomError, match="join first"):
        room.steer("not a token", [0, 0], 0, [0, 0])


def test_a_leavers_organization_goes_to_another_only_when_no_other_is_free():
    room = Room(seed=1, organizations=2)
    ann = room.join("Ann")
    room.leave(ann.token)
    assert room.join("Bob").organization == 1  # Ann's stays free for her
    assert room.join("Cy").organization == 0  # the last free one
    with pytest.raises(RoomError, match="every organization is taken"):
        room.join("Ann", token=ann.token)  # hers went to Cy, and no other is free


def test_steering_acts_on_the_students_own_organization_only(room):
    ann, bob = room.join("Ann"), room.join("Bob")
    for _ in range(20):
        room.step()
    room.steer(ann.token, [2.5, 2.5], 2.0, [0.1, 0.0])
    for _ in range(60):
        room.step()
    model = room.models["class"]
    organization = organization_of_cells(model)
    cells = model.state.levels[0]
    steered = organization == ann.organization
    assert np.all(cells.pi_eta[steered] == 2.0)
    assert np.all(cells.pi_eta[~steered] == 0.0)
    board = {row["organization"]: row for row in teacher_view(room)["board"]}
    assert board[ann.organization]["landscape"]["centre"] == [2.5, 2.5]
    assert board[bob.organization]["landscape"] is None
    assert board[ann.organization]["optimality_gap"] > 3 * board[bob.organization]["optimality_gap"]


@pytest.mark.parametrize(
    "args, message",
    [
        (([9, 0], 1.0, [0, 0]), r"centre must lie in \[-6.5, 8.5\]"),
        (([0, 0], -1.0, [0, 0]), r"precision must lie in \[0.0, 4.0\]"),
        (([0, 0], "x", [0, 0]), "precision must be a number"),
        (([0, 0], 1.0, [5, 0]), r"tilt must lie in \[-3.0, 3.0\]"),
        (([0], 1.0, [0, 0]), "centre must be two numbers"),
        (([np.nan, 0], 1.0, [0, 0]), "centre must lie"),
    ],
)
def test_a_bad_landscape_is_refused_naming_the_part_and_its_range(room, args, message):
    ann = room.join("Ann")
    with pytest.raises(RoomError, match=message):
        room.steer(ann.token, *args)
    assert not room.models["class"].regime.wheel.steered.any()


def test_only_the_planner_orders_and_only_in_the_planner_round(room):
    ann, bob = room.join("Ann"), room.join("Bob")
    with pytest.raises(RoomError, match="only the planner"):
        room.order(ann.token, "all", [1, 1])
    with pytest.raises(RoomError, match="planner must be the name of a joined student"):
        room.reset("planner", planner="nobody")
    room.reset("planner", planner="Ann")
    with pytest.raises(RoomError, match="only the planner"):
        room.order(bob.token, "all", [1, 1])
    with pytest.raises(RoomError, match="only the planner gives orders"):
        room.steer(bob.token, [1, 1], 1.0, [0, 0])
    room.order(ann.token, 1, [1.5, 0.5])
    orders = room.models["class"].regime.orders
    assert np.allclose(orders[room.organs_of(1)], [1.5, 0.5])
    assert np.isnan(orders[room.organs_of(0)]).all()
    assert student_view(room, bob.token)["role"] == "watcher"
    with pytest.raises(RoomError, match="round must be one of shape, planner"):
        room.reset("chaos")


def test_the_teachers_events_reach_all_three_models_alike(room):
    for _ in range(10):
        room.step()
    removed = room.remove(0.25)
    assert removed == round(0.25 * 6 * 4 * 16)
    alive = [m.state.levels[0].alive for m in room.models.values()]
    assert all(np.array_equal(alive[0], a) for a in alive[1:])
    room.shock(0.5)
    room.step()
    targets = [m.target for m in room.models.values()]
    assert all(np.allclose(t, 1.5) for t in targets)
    with pytest.raises(RoomError, match=r"size must lie in \[-2.0, 2.0\]"):
        room.shock(3)
    events = teacher_view(room)["events"]
    assert events == [f"step 10: removed {removed} cells", "step 10: target moved by +0.5"]


def test_every_number_on_the_scoreboard_comes_back_from_the_rounds_table(room):
    ann = room.join("Ann")
    room.steer(ann.token, [2.0, 0.0], 1.0, [0.0, 0.2])
    for _ in range(40):
        room.step()
    room.remove(0.1)
    for _ in range(10):
        room.step()
    table = pd.read_parquet(io.BytesIO(room.parquet()))
    assert set(table.model) == set(MODELS)
    assert len(table) == 3 * 50 * room.organizations
    for name in MODELS:
        rows = table[table.model == name]
        model = room.models[name]
        last = rows[rows.step == rows.step.max()]
        n = last.alive_cells.sum()
        assert n == model.metrics["alive_cells"]
        gap = (last.optimality_gap * last.alive_cells).sum() / n
        assert gap == pytest.approx(model.metrics["optimality_gap"], rel=1e-9)
        tracking = np.hypot(last.contribution_0.sum(), last.contribution_1.sum())
        assert tracking == pytest.approx(model.metrics["tracking_error"], abs=1e-12)
        # the round's bits and energy since step 1 (step 0's were counted at the build)
        since = model.totals["bits"] - bits_at_build(name)
        assert rows.bits.sum() == pytest.approx(since, rel=1e-9)
    mine = table[(table.model == "class") & (table.organization == ann.organization)]
    assert (mine.student == "Ann").all() and (mine.precision == 1.0).all()
    assert (mine.tilt_1 == 0.2).all()
    assert table.event.str.startswith("removed").sum() == room.organizations * 3


def bits_at_build(name: str) -> float:
    return Room(seed=4, organizations=6).models[name].totals["bits"]
