"""The classroom's web server: the teacher's page at ``/``, the students' at ``/student``,
one websocket each, the round as Parquet, and the player that steps the room.

Everything a page needs is in its one HTML file (no script or font from elsewhere), so a
classroom works on loopback or a closed network. A student's socket is bound to their
seat when they join: what they send acts on their own organization, whatever it names.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
import time
from functools import partial
from importlib.resources import files
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from .room import Room, RoomError
from .views import student_view, teacher_view

STUDENT_PERIOD, TEACHER_PERIOD = 0.1, 0.25  # seconds between a page's updates, at most
WEBSOCKETS = "websockets-sansio"  # uvicorn's websockets implementation (not the legacy one)
FORBIDDEN = 4403  # websocket close code: the teacher's key was wrong


class Player(threading.Thread):
    """Steps the room at its rate while its round runs; never catches up in a burst."""

    def __init__(self, room: Room) -> None:
        super().__init__(name="classroom-player", daemon=True)
        self.room = room
        self.stopped = threading.Event()
        self.failure: str | None = None

    def run(self) -> None:
        due = time.perf_counter()
        while not self.stopped.is_set():
            if not self.room.running:
                self.stopped.wait(0.05)
                due = time.perf_counter()
                continue
            try:
                self.room.step()
            except Exception as error:  # a broken step pauses the round, the server stays
                self.failure = f"{type(error).__name__}: {error}"
                self.room.pause()
                continue
            due += 1.0 / self.room.rate
            wait = due - time.perf_counter()
            if wait > 0:
                self.stopped.wait(wait)
            else:
                due = time.perf_counter()


def _page(name: str) -> str:
    return files("dataspace_abm.classroom").joinpath("pages", f"{name}.html").read_text()


class Classroom:
    """The app around one room (see the module's docstring).

    Args:
        room: the shared model.
        teacher_key: what the teacher's page must carry (``/?key=...``); random if None.
    """

    def __init__(self, room: Room, teacher_key: str | None = None) -> None:
        self.room = room
        self.key = teacher_key or secrets.token_urlsafe(8)
        self.player = Player(room)
        self.app = Starlette(
            routes=[
                Route("/", self.teacher_page),
                Route("/student", self.student_page),
                Route("/status", self.status),
                Route("/round.parquet", self.download),
                WebSocketRoute("/ws/teacher", self.teacher_socket),
                WebSocketRoute("/ws/student", self.student_socket),
            ],
            lifespan=self.lifespan,
        )

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette):
        """The player steps the room while the server runs."""
        self.player.start()
        yield
        self.player.stopped.set()

    def _teacher(self, key: str | None) -> bool:
        return key is not None and secrets.compare_digest(key, self.key)

    async def teacher_page(self, request: Request) -> Response:
        if not self._teacher(request.query_params.get("key")):
            return HTMLResponse(
                "<p>The teacher's page needs the key the classroom printed when it started"
                " (<code>/?key=...</code>). Students: <a href='/student'>/student</a>.</p>",
                status_code=403,
            )
        return HTMLResponse(_page("teacher"))

    async def student_page(self, request: Request) -> Response:
        return HTMLResponse(_page("student"))

    async def status(self, request: Request) -> Response:
        """Public, read-only: the round, the step, and which organizations are free."""
        room = self.room
        with room.lock:
            held = {s.organization for s in room.seats.values() if s.connected}
            return JSONResponse(
                {
                    "round": room.round,
                    "step": room.step_count,
                    "running": room.running,
                    "rate": room.rate,
                    "students": len(held),
                    "free": [k for k in range(room.organizations) if k not in held],
                    "failure": self.player.failure,
                }
            )

    async def download(self, request: Request) -> Response:
        if not self._teacher(request.query_params.get("key")):
            return Response("the teacher's key is needed", status_code=403)
        data = await asyncio.to_thread(self.room.parquet)
        name = f"classroom-{self.room.round}-step{self.room.step_count}.parquet"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(data, media_type="application/vnd.apache.parquet", headers=headers)

    async def _push(self, socket: WebSocket, view, period: float, lock: asyncio.Lock) -> None:
        """Send the page its view whenever the room changed, at most every ``period``."""
        last = -1
        while True:
            version = self.room.version
            if version != last:
                last = version
                try:
                    data = {"view": view()}
                except RoomError as error:
                    data = {"error": str(error)}
                async with lock:
                    await socket.send_json(data)
            await asyncio.sleep(period)

    async def teacher_socket(self, socket: WebSocket) -> None:
        await socket.accept()  # then closed with a code the page can tell the teacher
        if not self._teacher(socket.query_params.get("key")):
            await socket.close(code=FORBIDDEN, reason="the teacher's key is wrong")
            return
        lock = asyncio.Lock()
        pusher = asyncio.create_task(
            self._push(socket, lambda: teacher_view(self.room), TEACHER_PERIOD, lock)
        )
        try:
            while True:
                message = await socket.receive_json()
                reply = self._teacher_does(message)
                async with lock:
                    await socket.send_json(reply)
        except WebSocketDisconnect:
            pass
        finally:
            pusher.cancel()

    def _teacher_does(self, message: dict[str, Any]) -> dict[str, Any]:
        room, do = self.room, message.get("do")
        try:
            match do:
                case "start":
                    room.start()
                case "pause":
                    room.pause()
                case "rate":
                    room.set_rate(message.get("value"))
                case "reset":
                    room.reset(message.get("round", "shape"), message.get("planner"))
                case "remove":
                    room.remove(message.get("fraction", 0.25))
                case "shock":
                    room.shock(message.get("size", 0.5))
                case "step":
                    room.step()
                case _:
                    raise RoomError(f"unknown request {do!r}")
        except RoomError as error:
            return {"error": str(error)}
        return {"done": do}

    async def student_socket(self, socket: WebSocket) -> None:
        await socket.accept()
        lock = asyncio.Lock()
        token: str | None = None
        pusher: asyncio.Task | None = None
        try:
            while True:
                message = await socket.receive_json()
                reply: dict[str, Any]
                try:
                    if message.get("do") == "join":
                        if token is not None:
                            raise RoomError("already joined")
                        seat = self.room.join(
                            message.get("name", ""), message.get("token"),
                            message.get("organization"),
                        )  # fmt: skip
                        token = seat.token
                        reply = {"joined": seat.organization, "token": token, "name": seat.name}
                        view = partial(student_view, self.room, token)
                        pusher = asyncio.create_task(self._push(socket, view, STUDENT_PERIOD, lock))
                    elif token is None:
                        raise RoomError("join first")
                    else:
                        reply = self._student_does(token, message)
                except RoomError as error:
                    reply = {"error": str(error)}
                async with lock:
                    await socket.send_json(reply)
        except WebSocketDisconnect:
            pass
        finally:
            if pusher is not None:
                pusher.cancel()
            if token is not None:
                self.room.leave(token)

    def _student_does(self, token: str, message: dict[str, Any]) -> dict[str, Any]:
        do = message.get("do")
        if do == "steer":  # the seat's organization; a named one is ignored
            self.room.steer(
                token, message.get("centre"), message.get("precision"), message.get("tilt")
            )
        elif do == "order":
            self.room.order(token, message.get("organization"), message.get("setpoint"))
        else:
            raise RoomError(f"unknown request {do!r}")
        return {"done": do}


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    seed: int = 1,
    organizations: int = 30,
    teacher_key: str | None = None,
    log_level: str = "warning",
) -> None:
    """Serve a classroom until interrupted; prints the teacher's and the students' URLs."""
    import uvicorn

    classroom = Classroom(Room(seed=seed, organizations=organizations), teacher_key)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"teacher:  http://{shown}:{port}/?key={classroom.key}", flush=True)
    print(f"students: http://{shown}:{port}/student", flush=True)
    uvicorn.run(classroom.app, host=host, port=port, log_level=log_level, ws=WEBSOCKETS)
