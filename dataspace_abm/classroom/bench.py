"""The classroom benchmark: steps a second of the shared model with N students joined.

``dataspace-abm classroom-bench`` starts a fresh classroom server for each student count,
joins that many students as websocket clients (each reads every view pushed to it, as a
page does, and sends a steer of its own landscape about once a second; ``--browsers`` of
them are chromium pages instead), lets the teacher set the rate and start, and reads the
step count from ``/status`` at the start and the end of a measuring window. It prints a
line per count with its ratio to the 0-student run, and writes the rows as JSON with the
server's CPU and memory and the machine's description. The figures are measurements of a
shared machine, not assertions (the test suite runs a quick one and checks its shape).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from ..viz.bench import ARGS, CHROMIUM, free_port, stop_server

START_TIMEOUT = 60.0  # s for the server to answer /status
WARMUP = 2.0  # s of running before the window opens
TARGET_STUDENTS, TARGET_RATE = 30, 2.0  # the target: >= 2 steps/s with 30 students
STEER_EVERY = 1.0  # s between a client's steers
COUNT_VIEWS = """(() => { window.benchViews = 0; const Socket = window.WebSocket;
  window.WebSocket = function (...a) { const s = new Socket(...a);
    s.addEventListener("message", (e) => { if (e.data.startsWith('{"view"')) benchViews++; });
    return s; }; })();"""  # a browser's count of the views pushed to its page


def classroom_command(port: int, key: str, seed: int, organizations: int) -> list[str]:
    """``dataspace-abm classroom`` on ``port``, from this interpreter's environment."""
    options = ["classroom", "--port", str(port), "--teacher-key", key, "--seed", str(seed)]
    options += ["--organizations", str(organizations)]
    script = Path(sys.executable).with_name("dataspace-abm")
    if script.exists():
        return [str(script), *options]
    return [sys.executable, "-m", "dataspace_abm.cli", *options]


def status(port: int, timeout: float = 10.0) -> dict[str, Any]:
    """The classroom's ``/status``."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=timeout) as reply:
        return json.loads(reply.read())


def start_classroom(
    port: int, log_path: Path, key: str = "bench", seed: int = 1, organizations: int = 30
) -> subprocess.Popen:
    """Start a classroom server on ``port`` (its output into ``log_path``); returns once
    ``/status`` answers, raises RuntimeError with the log if it stops or stays silent."""
    log = Path(log_path).open("w")
    command = classroom_command(port, key, seed, organizations)
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    log.close()  # the child keeps its own descriptor
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = Path(log_path).read_text()
            raise RuntimeError(f"the classroom server stopped (code {proc.returncode}):\n{text}")
        try:
            status(port, timeout=5)
            return proc
        except OSError:
            time.sleep(0.3)
    stop_classroom(proc)
    raise RuntimeError(
        f"the classroom server did not answer /status on port {port} within "
        f"{START_TIMEOUT:.0f} s:\n{Path(log_path).read_text()}"
    )


def stop_classroom(proc: subprocess.Popen) -> None:
    """Stop the server (the page's own way: killed if it does not stop within 30 s)."""
    if proc.poll() is None:
        stop_server(proc)


def usage(pid: int) -> tuple[float, float]:
    """A process's CPU seconds so far and resident memory in MB (psutil, else /proc)."""
    try:
        import psutil
    except ImportError:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        return cpu, rss / 1e6
    process = psutil.Process(pid)
    times = process.cpu_times()
    return times.user + times.system, process.memory_info().rss / 1e6


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    if Path("/proc/cpuinfo").exists():
        names = [ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in ln]
        model = names[0].split(":", 1)[1].strip() if names else ""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


class Student:
    """A websocket client that joins, reads every view pushed to it and steers its own
    organization's landscape about once a second (a well near its organization)."""

    def __init__(self, number: int) -> None:
        self.name = f"bench-{number}"
        self.views = 0
        self.joined = asyncio.Event()
        self.organization: int | None = None
        self.view: dict[str, Any] | None = None
        self.errors: list[str] = []
        self.rng = random.Random(number)

    async def run(self, url: str) -> None:
        import websockets

        async with websockets.connect(url, max_size=None) as socket:
            await socket.send(json.dumps({"do": "join", "name": self.name}))
            steering = asyncio.create_task(self._steer(socket))
            try:
                async for raw in socket:
                    message = json.loads(raw)
                    if "view" in message:
                        self.views += 1
                        self.view = message["view"]
                    elif "joined" in message:
                        self.organization = message["joined"]
                        self.joined.set()
                    elif "error" in message:
                        self.errors.append(message["error"])
            finally:
                steering.cancel()

    async def _steer(self, socket) -> None:
        await asyncio.sleep(self.rng.uniform(0, STEER_EVERY))  # the class does not act in step
        while True:
            if self.view is not None:
                x, y = self.view["organization_state"]
                steer = {
                    "do": "steer",
                    "centre": [x + self.rng.uniform(-0.3, 0.3), y + self.rng.uniform(-0.3, 0.3)],
                    "precision": self.rng.uniform(0.2, 2.0),
                    "tilt": [0.0, 0.0],
                }
                await socket.send(json.dumps(steer))
            await asyncio.sleep(STEER_EVERY)


class Teacher:
    """The teacher's socket: sets the rate, starts the round, reads its views."""

    def __init__(self) -> None:
        self.views = 0
        self.replies: asyncio.Queue = asyncio.Queue()

    async def run(self, url: str, rate: float, ready: asyncio.Event) -> None:
        import websockets

        async with websockets.connect(url, max_size=None) as socket:
            reader = asyncio.create_task(self._read(socket))
            try:
                for request in ({"do": "rate", "value": rate}, {"do": "start"}):
                    await socket.send(json.dumps(request))
                    reply = await self.replies.get()
                    if "error" in reply:
                        raise RuntimeError(f"the teacher's {request} was refused: {reply}")
                ready.set()
                await reader
            finally:
                reader.cancel()

    async def _read(self, socket) -> None:
        async for raw in socket:
            message = json.loads(raw)
            if "view" in message:
                self.views += 1
            else:
                await self.replies.put(message)


async def _browsers(port: int, count: int, stack: list) -> list:
    """``count`` chromium pages at /student, joined; each counts the views it receives."""
    if not count:
        return []
    from playwright.async_api import async_playwright

    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium or --browsers 0")
    pw = await async_playwright().start()
    stack.append(pw.stop)
    browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    stack.append(browser.close)
    pages = []
    for i in range(count):
        context = await browser.new_context(viewport={"width": 1280, "height": 720})
        await context.route(
            "**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort()
        )
        page = await context.new_page()
        await page.add_init_script(COUNT_VIEWS)
        await page.goto(f"http://127.0.0.1:{port}/student")
        await page.fill("#name", f"browser-{i}")
        await page.click("#join")
        await page.wait_for_function(
            "() => /organization \\d+/.test(document.getElementById('title').textContent)",
            timeout=60_000,
        )
        pages.append(page)
    return pages


async def _until(event: asyncio.Event, task: asyncio.Task, problem: str) -> None:
    """Wait up to 60 s for ``event``; raise ``problem`` (and the task's error) if not."""
    waiting = asyncio.create_task(event.wait())
    await asyncio.wait({waiting, task}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    if not event.is_set():
        error = task.exception() if task.done() else None
        raise RuntimeError(f"{problem} ({error or 'no answer within 60 s'})")


async def _measure(
    proc: subprocess.Popen,
    port: int,
    key: str,
    students: int,
    browsers: int,
    seconds: float,
    rate: float,
) -> dict[str, Any]:
    """Join the class, start the round, warm up, then measure over ``seconds``."""
    url = f"ws://127.0.0.1:{port}"
    clients = [Student(i) for i in range(students - browsers)]
    tasks = [asyncio.create_task(c.run(f"{url}/ws/student")) for c in clients]
    stack: list = []
    try:
        for client, task in zip(clients, tasks, strict=True):
            await _until(client.joined, task, f"{client.name} did not join: {client.errors}")
        pages = await _browsers(port, browsers, stack)
        teacher, ready = Teacher(), asyncio.Event()
        tasks.append(asyncio.create_task(teacher.run(f"{url}/ws/teacher?key={key}", rate, ready)))
        await _until(ready, tasks[-1], "the teacher did not start the round")
        await asyncio.sleep(WARMUP)

        async def snapshot() -> tuple[int, float, float, list[int], int]:
            before = time.perf_counter()
            step = (await asyncio.to_thread(status, port))["step"]
            now = (before + time.perf_counter()) / 2
            views = [c.views for c in clients]
            views += [await page.evaluate("window.benchViews") for page in pages]
            return step, now, usage(proc.pid)[0], views, teacher.views

        step0, t0, cpu0, views0, teacher0 = await snapshot()
        await asyncio.sleep(seconds)
        step1, t1, cpu1, views1, teacher1 = await snapshot()
        final = await asyncio.to_thread(status, port)
        elapsed = t1 - t0
        received = [(b - a) / elapsed for a, b in zip(views0, views1, strict=True)]
        return {
            "students": students,
            "browsers": browsers,
            "rate_set": rate,
            "seconds": round(elapsed, 3),
            "steps": step1 - step0,
            "steps_per_second": (step1 - step0) / elapsed,
            "views_received": sum(received) / len(received) if received else 0.0,
            "teacher_views_per_second": (teacher1 - teacher0) / elapsed,
            "server_cpu_percent": 100 * (cpu1 - cpu0) / elapsed,
            "server_rss_mb": usage(proc.pid)[1],
            "students_seen": final["students"],
            "failure": final["failure"],
            "client_errors": sorted({e for c in clients for e in c.errors}),
        }
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for close in reversed(stack):
            await close()


def measure(students: int, seconds: float, rate: float, browsers: int = 0) -> dict[str, Any]:
    """One student count on a fresh server (see the module's docstring)."""
    port, key = free_port(), "bench"
    log = Path(tempfile.gettempdir()) / f"dataspace-classroom-bench-{port}.log"
    proc = start_classroom(port, log, key=key, organizations=max(30, students))
    try:
        row = asyncio.run(_measure(proc, port, key, students, browsers, seconds, rate))
    finally:
        stop_classroom(proc)
    row["server_log_tracebacks"] = log.read_text().count("Traceback")
    return row


def main(args: argparse.Namespace) -> int:
    """``classroom-bench``: measure each student count, print a line each, write JSON."""
    counts = [int(c) for c in args.students.split(",") if c.strip()]
    rows = []
    for n in counts:
        row = measure(n, args.seconds, args.rate, min(args.browsers, n))
        rows.append(row)
        base = next((r["steps_per_second"] for r in rows if r["students"] == 0), None)
        ratio = f" (x{row['steps_per_second'] / base:.2f} of 0 students)" if base else ""
        print(
            f"{n:3d} students ({row['browsers']} in chromium): "
            f"{row['steps_per_second']:5.2f} steps/s at rate {args.rate:g}{ratio}; "
            f"{row['views_received']:.1f} views/s each; "
            f"server {row['server_cpu_percent']:.0f}% CPU, {row['server_rss_mb']:.0f} MB",
            flush=True,
        )
    at_target = [r for r in rows if r["students"] == TARGET_STUDENTS]
    met = all(r["steps_per_second"] >= TARGET_RATE for r in at_target) if at_target else None
    verdict = {True: "met", False: "not met", None: "not measured"}[met]
    print(f"target >= {TARGET_RATE:g} steps/s with {TARGET_STUDENTS} students: {verdict}")
    result = {
        "machine": machine(),
        "seconds": args.seconds,
        "rate_set": args.rate,
        "target": {"students": TARGET_STUDENTS, "steps_per_second": TARGET_RATE, "met": met},
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"written to {args.out}")
    return 0
