"""The page benchmark: steps a second while Play runs, in chromium, for one and for several
sessions at once.

``dataspace-abm page-bench`` serves the page on a free port of 127.0.0.1, opens
``sessions`` browser contexts (one Solara session each), presses Play in every one, and
reads each page's step counter at the start and the end of a measuring window. It prints
the steps a second of every session, their minimum and mean, and writes them as JSON.
The browser is Debian's chromium driven by Playwright (a dev dependency); nothing is
fetched from outside 127.0.0.1. The figures are measurements of a shared machine, not
assertions: the test suite runs this at a small size and checks only the output's shape.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SLOW = 120_000  # ms: two shared cores, a cold server and a cold browser
STEP = ".dataspace-step span"  # the summary card's step row: label, value


def free_port() -> int:
    """A port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(port: int, page: str = "holarchy") -> list[str]:
    """``dataspace-abm viz`` for ``page`` on ``port``, from this interpreter's environment."""
    script = Path(sys.executable).with_name("dataspace-abm")
    viz = ["viz", "--port", str(port), "--page", page]
    if script.exists():
        return [str(script), *viz]
    return [sys.executable, "-m", "dataspace_abm.cli", *viz]


def start_server(port: int, log: Path, page: str = "holarchy") -> subprocess.Popen:
    """Start the server of ``page`` on ``port``; returns once the page answers."""
    out = log.open("w")
    proc = subprocess.Popen(server_command(port, page), stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + SLOW / 1000
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server stopped (code {proc.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"the server did not answer within {SLOW / 1000:.0f} s:\n{log.read_text()}")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server, killing it if it does not stop within 30 s."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def server_memory(proc: subprocess.Popen) -> float:
    """The server's resident memory in MB (psutil)."""
    import psutil

    return psutil.Process(proc.pid).memory_info().rss / 1e6


def _step(page) -> int:
    return int(page.locator(STEP).nth(1).inner_text())


def _open(browser, url: str):
    page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    page.set_default_timeout(SLOW)
    page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
    page.goto(url)
    page.locator(STEP).nth(1).wait_for()
    return page


def measure(sessions: int = 1, seconds: float = 10.0, warmup: float = 2.0) -> dict[str, Any]:
    """Play in ``sessions`` pages at once; the steps a second each reached, and memory."""
    if sessions < 1:
        raise ValueError(f"sessions = {sessions} is invalid: allowed an integer >= 1")
    if seconds <= 0:
        raise ValueError(f"seconds = {seconds} is invalid: allowed a number > 0")
    from playwright.sync_api import sync_playwright

    port, log = free_port(), Path(f"/tmp/dataspace-page-bench-{free_port()}.log")
    server = start_server(port, log)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            pages = [_open(browser, f"http://127.0.0.1:{port}/") for _ in range(sessions)]
            memory_open = server_memory(server)
            for page in pages:
                page.get_by_role("button", name="▶", exact=True).click()
            time.sleep(warmup)
            start = [(_step(p), time.perf_counter()) for p in pages]
            time.sleep(seconds)
            end = [(_step(p), time.perf_counter()) for p in pages]
            for page in pages:
                page.get_by_role("button", name="❚❚", exact=True).click()
            rates = [(s1 - s0) / (t1 - t0) for (s0, t0), (s1, t1) in zip(start, end, strict=True)]
            memory_playing = server_memory(server)
            browser.close()
    finally:
        stop_server(server)
    return {
        "sessions": sessions,
        "seconds": seconds,
        "steps_per_second": rates,
        "min_steps_per_second": min(rates),
        "mean_steps_per_second": sum(rates) / len(rates),
        "server_mb_open": memory_open,
        "server_mb_playing": memory_playing,
    }


def _sessions_held(browser, url: str) -> tuple[int, int]:
    """The sessions and models a fresh tab reads on its summary card (its own not counted)."""
    page = _open(browser, url)
    words = page.locator(".dataspace-sessions").inner_text()
    page.context.close()
    sessions, models = (int(n) for n in re.findall(r"\d+", words))
    return sessions - 1, models - 1


def release(
    sessions: int = 5, seconds: float = 5.0, rounds: int = 3, cull: str = "120s"
) -> dict[str, Any]:
    """Rounds of: open ``sessions`` tabs, play ``seconds``, close them, wait out Solara's
    cull timeout ``cull``. The server's memory and the sessions it holds after each round:
    a closed tab's model is dropped if the count falls to 0, and memory that does not grow
    from round to round is reused rather than leaked."""
    from playwright.sync_api import sync_playwright

    port, log = free_port(), Path(f"/tmp/dataspace-page-release-{free_port()}.log")
    url = f"http://127.0.0.1:{port}/"
    os.environ["SOLARA_KERNEL_CULL_TIMEOUT"] = cull  # the server's, read when it starts
    try:
        server = start_server(port, log)
    finally:
        del os.environ["SOLARA_KERNEL_CULL_TIMEOUT"]
    wait = _seconds(cull) + 15  # Solara culls on a timer after the timeout
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            before = server_memory(server)
            for _ in range(rounds):
                pages = [_open(browser, url) for _ in range(sessions)]
                for page in pages:
                    page.get_by_role("button", name="▶", exact=True).click()
                time.sleep(seconds)
                playing = server_memory(server)
                for page in pages:
                    page.context.close()
                time.sleep(wait)
                held, models = _sessions_held(browser, url)
                row = {"mb_playing": playing, "mb_after": server_memory(server)}
                rows.append({**row, "sessions_held": held, "models_in_memory": models})
            browser.close()
    finally:
        stop_server(server)
    return {"sessions": sessions, "cull": cull, "mb_before": before, "rounds": rows}


def _seconds(timeout: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    return float(timeout[:-1]) * units[timeout[-1]] if timeout[-1] in units else float(timeout)


def run(sessions: list[int], seconds: float, out: Path | None = None) -> list[dict[str, Any]]:
    """Measure each session count in turn; print a line each and write them as JSON."""
    rows = []
    for n in sessions:
        row = measure(n, seconds)
        rows.append(row)
        each = ", ".join(f"{r:.1f}" for r in row["steps_per_second"])
        print(
            f"{n} session(s): {row['min_steps_per_second']:.1f} steps/s at least "
            f"({each}); server {row['server_mb_playing']:.0f} MB"
        )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(rows, indent=1))
    return rows
