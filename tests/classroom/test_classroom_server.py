"""The classroom's server over its real websockets: a student's socket acts on their own
organization only, the teacher's needs the key, a closed socket frees its seat."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.request

import pytest
import uvicorn
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from dataspace_abm.classroom.room import Room
from dataspace_abm.classroom.server import FORBIDDEN, WEBSOCKETS, Classroom
from dataspace_abm.viz.bench import free_port


@pytest.fixture
def served():
    classroom = Classroom(Room(seed=2, organizations=5), teacher_key="secret")
    port = free_port()
    config = uvicorn.Config(classroom.app, port=port, log_level="warning", ws=WEBSOCKETS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    with contextlib.ExitStack() as sockets:  # every socket a test opens, closed after it
        OPEN.append(sockets)
        yield classroom, f"127.0.0.1:{port}"
        OPEN.pop()
    server.should_exit = True
    thread.join(10)


OPEN: list[contextlib.ExitStack] = []


def opened(url: str):
    """A client socket, closed when the test ends (if not before)."""
    return OPEN[-1].enter_context(connect(url))


def reply(socket, key: str, timeout: float = 10.0) -> dict:
    """The next message carrying ``key`` (pushed views in between are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(socket.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        if key in message:
            return message


def join(address: str, name: str, **extra):
    socket = opened(f"ws://{address}/ws/student")
    socket.send(json.dumps({"do": "join", "name": name, **extra}))
    return socket, reply(socket, "joined")


def status(address: str) -> dict:
    with urllib.request.urlopen(f"http://{address}/status", timeout=10) as answer:
        return json.load(answer)


def test_a_student_socket_acts_on_its_own_organization_whatever_it_names(served):
    classroom, address = served
    ann, seat_a = join(address, "Ann")
    bob, seat_b = join(address, "Bob")
    assert seat_a["joined"] != seat_b["joined"]
    view = reply(ann, "view")["view"]
    assert view["organization"] == seat_a["joined"] and view["role"] == "shaper"
    assert set(view) >= {"organs", "price", "trail", "organization_state", "bits"}
    assert "cells" not in json.dumps(view)  # an organization never sees its cells
    ann.send(json.dumps({"do": "steer", "organization": seat_b["joined"], "centre": [2, 2],
                         "precision": 1.0, "tilt": [0, 0]}))  # fmt: skip
    assert reply(ann, "done")["done"] == "steer"
    wheel = classroom.room.models["class"].regime.wheel
    assert wheel.steered[seat_a["joined"]] and not wheel.steered[seat_b["joined"]]
    ann.send(json.dumps({"do": "order", "organization": "all", "setpoint": [1, 1]}))
    assert "only the planner" in reply(ann, "error")["error"]
    ann.send(json.dumps({"do": "join", "name": "Ann again", "organization": seat_b["joined"]}))
    assert reply(ann, "error")["error"] == "already joined"
    eve, _ = join(address, "Eve")  # a third seat
    eve.close()
    intruder = opened(f"ws://{address}/ws/student")
    intruder.send(json.dumps({"do": "join", "name": "Mallory", "organization": seat_b["joined"]}))
    assert reply(intruder, "error")["error"] == f"organization {seat_b['joined']} is taken"
    intruder.send(json.dumps({"do": "steer", "centre": [0, 0], "precision": 1, "tilt": [0, 0]}))
    assert reply(intruder, "error")["error"] == "join first"
    for socket in (ann, bob, intruder):
        socket.close()


def test_the_teachers_socket_needs_the_key_and_runs_the_round(served):
    classroom, address = served
    for query in ("", "?key=wrong"):
        socket = opened(f"ws://{address}/ws/teacher{query}")
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
        assert closed.value.rcvd.code == FORBIDDEN
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"http://{address}/round.parquet", timeout=10)
    teacher = opened(f"ws://{address}/ws/teacher?key=secret")
    student, _ = join(address, "Ann")
    teacher.send(json.dumps({"do": "rate", "value": 20}))
    assert reply(teacher, "done")["done"] == "rate"
    teacher.send(json.dumps({"do": "rate", "value": 50}))
    assert reply(teacher, "error")["error"] == "rate must lie in [0.1, 20.0]"
    teacher.send(json.dumps({"do": "start"}))
    reply(teacher, "done")
    deadline = time.monotonic() + 30
    while status(address)["step"] < 5:
        assert time.monotonic() < deadline, "the round did not run"
        time.sleep(0.1)
    teacher.send(json.dumps({"do": "pause"}))
    reply(teacher, "done")
    time.sleep(0.3)
    paused_at = status(address)["step"]
    time.sleep(0.5)
    assert status(address)["step"] == paused_at
    seen = reply(student, "view")["view"]
    while seen["step"] != paused_at or seen["running"]:
        seen = reply(student, "view")["view"]
    teacher.send(json.dumps({"do": "reset", "round": "shape"}))
    reply(teacher, "done")
    while seen["step"] != 0:
        seen = reply(student, "view")["view"]
    with urllib.request.urlopen(f"http://{address}/round.parquet?key=secret", timeout=10) as f:
        assert f.read(4) == b"PAR1"
    teacher.close()
    student.close()


def test_a_closed_socket_frees_its_organization_and_the_token_brings_it_back(served):
    classroom, address = served
    socket, seat = join(address, "Ann")
    assert seat["joined"] not in status(address)["free"]
    socket.close()
    deadline = time.monotonic() + 10
    while seat["joined"] not in status(address)["free"]:
        assert time.monotonic() < deadline, "the seat was not freed"
        time.sleep(0.05)
    other, _ = join(address, "Bob")  # given another one: Ann's is kept for her
    again, back = join(address, "Ann", token=seat["token"])
    assert back["joined"] == seat["joined"] and back["token"] == seat["token"]
    other.close()
    again.close()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["classroom", "--port", "0"], "--port"),
        (["classroom", "--organizations", "500"], "--organizations"),
    ],
)
def test_a_bad_option_is_one_line_and_exit_code_2_before_anything_starts(argv, message, capsys):
    from dataspace_abm.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]
