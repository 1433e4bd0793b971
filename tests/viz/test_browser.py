"""The page in a real browser: Debian's chromium driven by Playwright, with no way out.

``dataspace-abm viz`` serves the page on a free port of 127.0.0.1. Every request the
browser makes is intercepted: one to any other host is refused and fails the test, so the
page must load all its front-end files from this machine. As root, the same visit runs
again inside a network namespace that has nothing but loopback (``unshare -n``).

The visit: wait for the page, press Step ten times and see the step counter and the
landscape change, switch the control regime and reset, play and pause, type a seed the
model refuses and see its message while the model stays, and save screenshots.

Run as a script (``python tests/test_browser.py OUT``), it makes the same visit and
writes what it saw to ``OUT/visit.json``; the namespace test uses that.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from offline import Offline, need_browser

from dataspace_abm.viz.bench import ARGS, CHROMIUM, SLOW, free_port, start_server, stop_server
from dataspace_abm.viz.model import VizModel
from dataspace_abm.viz.presets import presets


def visit(out: Path) -> dict:
    """Serve the page, drive it in chromium, save screenshots; return what was seen."""
    from playwright.sync_api import expect, sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = start_server(port, out / "server.log")
    offline = Offline()
    seen = offline.seen

    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(out / "profile"),  # a fresh user-data-dir
                executable_path=CHROMIUM,
                headless=True,
                args=ARGS,
                viewport={"width": 1500, "height": 1100},
                service_workers="block",
            )
            context.set_default_timeout(SLOW)
            expect.set_options(timeout=SLOW)
            offline.watch(context)
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            seen.update(drive(page, out, expect))
            context.close()
    finally:
        stop_server(server)
    seen["server_log"] = (out / "server.log").read_text()
    (out / "visit.json").write_text(json.dumps(seen, indent=1))
    return seen


def _step_is(page, n: int) -> None:
    page.wait_for_function(
        f"() => document.querySelectorAll('.dataspace-step span')[1]?.innerText === '{n}'"
    )


def _choose(page, label: str, option: str) -> None:
    page.locator(".v-select", has_text=label).locator(".v-select__slot").click()
    page.get_by_role("option", name=option, exact=True).click()


def _levels(page) -> list[str]:
    return page.locator(".dataspace-landscape-svg .dataspace-level").all_inner_texts()


def drive(page, out: Path, expect) -> dict:
    """The visit itself, on a loaded page."""
    step_value = page.locator(".dataspace-step span").nth(1)
    mode_value = page.locator(".dataspace-mode span").nth(1)
    caption = page.locator(".dataspace-landscape-caption")
    landscape = page.locator(".dataspace-landscape-image")
    for part in ("landscape", "holarchy", "timeseries", "summary"):
        expect(page.locator(f".dataspace-{part} svg, .dataspace-{part} span").first).to_be_visible()
    expect(step_value).to_have_text("0")
    expect(caption).to_contain_text("step 0:")
    first_caption, first_picture = caption.inner_text(), landscape.screenshot()
    step = page.get_by_role("button", name="Step", exact=True)
    for i in range(1, 11):
        step.click()
        expect(step_value).to_have_text(str(i))
    expect(caption).to_contain_text("step 10:")
    picture = landscape.screenshot()
    page.screenshot(path=str(out / "page-landscape-step-10.png"), full_page=True)
    seen = {
        "caption_before": first_caption,
        "caption_after": caption.inner_text(),
        "landscape_changed": picture != first_picture,
        "targets": page.locator(".dataspace-landscape-svg .dataspace-target").count(),
    }
    # switch the control regime: the hint asks for Reset, Reset applies it
    _choose(page, "Control regime", "command")
    expect(page.locator(".dataspace-changed")).to_contain_text("Control regime")
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(mode_value).to_have_text("command")
    expect(step_value).to_have_text("0")
    expect(page.locator(".dataspace-changed")).to_have_count(0)
    expect(caption).to_contain_text("command regime")
    # Play until three steps have passed, then pause
    page.get_by_role("button", name="▶", exact=True).click()
    page.wait_for_function(
        "() => Number(document.querySelectorAll('.dataspace-step span')[1].innerText) >= 3"
    )
    page.get_by_role("button", name="❚❚", exact=True).click()
    expect(page.get_by_role("button", name="▶", exact=True)).to_be_enabled()
    played = step_value.inner_text()
    for _ in range(20):  # a step already under way may still land
        time.sleep(1.0)
        if step_value.inner_text() == played:
            break
        played = step_value.inner_text()
    seen["played"] = int(played)
    # a seed the model refuses: its message shows and the model on the page stays
    seed = page.get_by_label("Seed")
    seed.fill("twelve")
    page.get_by_role("button", name="Reset", exact=True).click()
    error = page.locator(".dataspace-error")
    expect(error).to_contain_text("'seed'")
    expect(mode_value).to_have_text("command")
    expect(step_value).to_have_text(played)
    seen["error"] = error.inner_text()
    step.click()
    expect(step_value).to_have_text(str(int(played) + 1))  # the kept model still runs
    page.screenshot(path=str(out / "page-refused-seed.png"), full_page=True)
    seen["mode_after"], seen["step_after"] = mode_value.inner_text(), step_value.inner_text()
    seed.fill("1")
    # a preset sets every control; run to step 25 stops there; the levels stay
    _choose(page, "Exercise preset", "Exercise 2, run B")
    expect(page.get_by_label("Run to step")).to_have_value("400")
    expect(mode_value).to_have_text("landscape")
    expect(step_value).to_have_text("0")
    expect(page.locator(".dataspace-settings")).to_contain_text("well")
    expect(page.locator(".dataspace-settings")).to_contain_text("π 3")
    seen["run_to_field"] = page.get_by_label("Run to step").input_value()
    pi_field = page.locator(".dataspace-number-pi_prior input")
    expect(pi_field).to_have_value("3.0")  # the field may arrive a moment after the card
    seen["pi_field"] = pi_field.input_value()
    levels_start = _levels(page)
    page.get_by_label("Run to step").fill("25")
    page.get_by_role("button", name="Run", exact=True).click()
    _step_is(page, 25)
    time.sleep(1.5)
    seen["run_to_stopped_at"] = int(step_value.inner_text())
    seen["levels_same"] = levels_start == _levels(page) and len(levels_start) > 3
    # cut organs: the holarchy greys them, a removed organ's landscape says so
    _choose(page, "Exercise preset", "Exercise 3, run A")
    expect(page.get_by_label("Run to step")).to_have_value("800")  # the preset's, then ours
    expect(step_value).to_have_text("0")
    page.get_by_label("Run to step").fill("401")
    page.get_by_role("button", name="Run", exact=True).click()
    _step_is(page, 401)
    values, _ = presets()["Exercise 3, run A"]
    model = VizModel(**values)
    model.run(401)
    gone = np.flatnonzero(~model.state.levels[1].alive)
    seen["grey_organs"] = page.locator('.dataspace-node-organ[fill="#ddd"]').count()
    seen["removed_organs"] = len(gone)
    page.get_by_label("index (0-15)").fill(str(gone[0]))
    expect(page.locator(".dataspace-removed")).to_have_count(1)
    seen["removed_caption"] = caption.inner_text()
    page.set_viewport_size({"width": 1280, "height": 720})
    page.evaluate("window.scrollTo(0, 0)")
    time.sleep(1.0)  # the grid settles into its columns
    seen["first_row"] = [
        page.locator(f".dataspace-{name}-svg").bounding_box() for name in ("landscape", "holarchy")
    ]
    page.screenshot(path=str(out / "page-1280x720.png"))
    return seen


def check(seen: dict) -> None:
    assert seen["outside"] == [], f"requests left 127.0.0.1: {seen['outside']}"
    assert seen["requests"] > 5  # the guard did see the page's own files
    assert seen["caption_before"].startswith("organ 0, step 0:")
    assert seen["caption_after"].startswith("organ 0, step 10:")
    assert seen["caption_after"] != seen["caption_before"]
    assert seen["landscape_changed"], "the landscape picture did not change in 10 steps"
    assert "kept" in seen["error"] and "'seed'" in seen["error"]
    assert seen["played"] >= 3, "Play did not advance the model"
    assert (seen["mode_after"], seen["step_after"]) == ("command", str(seen["played"] + 1))
    assert seen["targets"] == 1
    assert seen["run_to_field"] == "400" and float(seen["pi_field"]) == 3.0
    assert seen["run_to_stopped_at"] == 25
    assert seen["levels_same"], "the contour levels changed within a run"
    assert seen["grey_organs"] == seen["removed_organs"] == 6
    assert "removed" in seen["removed_caption"]
    # at 1280x720 the two pictures share the first row, whole, wider than Solara's
    # 400 px sidebar left them (430 px, where their text came out at 8-11 px)
    land, tree = seen["first_row"]
    assert land["x"] + land["width"] <= tree["x"] and tree["x"] + tree["width"] <= 1280
    assert max(land["y"] + land["height"], tree["y"] + tree["height"]) <= 720
    assert min(land["width"], tree["width"]) >= 440
    assert "Traceback" not in seen["server_log"], seen["server_log"]


def test_page_in_chromium_stays_on_this_machine(tmp_path):
    need_browser()
    seen = visit(tmp_path)
    check(seen)
    assert (tmp_path / "page-landscape-step-10.png").stat().st_size > 10_000


def _namespaces_work() -> bool:
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("ip")):
        return False
    probe = ["unshare", "-n", "sh", "-c", "ip link set lo up"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def test_page_works_in_a_network_namespace_with_only_loopback(tmp_path):
    need_browser()
    if not _namespaces_work():
        pytest.skip("needs root and `unshare -n` (a network namespace with only loopback)")
    script = " ".join(shlex.quote(str(a)) for a in (sys.executable, Path(__file__), tmp_path))
    inner = f"ip link set lo up && exec {script}"
    support = str(Path(__file__).parents[1] / "support")  # what pytest puts on the path
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [support, os.environ.get("PYTHONPATH")])),
    }
    proc = subprocess.run(
        ["unshare", "-n", "sh", "-c", inner], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    check(json.loads((tmp_path / "visit.json").read_text()))


if __name__ == "__main__":  # the visit on its own, e.g. inside `unshare -n`
    visit(Path(sys.argv[1]))
