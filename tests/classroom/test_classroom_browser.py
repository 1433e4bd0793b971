"""The classroom in real browsers, offline: one teacher and five students in chromium.

``dataspace-abm classroom`` serves on a free port of 127.0.0.1; every request a page makes
to any other host is refused and fails the test. Each student is a context of their own
(their own localStorage). The visit: the students join and get distinct organizations;
one draws a well far from their organs and only their organization moves and changes on
the teacher's board; a sixth, raw client cannot act on another organization, take a held
one or give orders, and the teacher's socket refuses a wrong key; Pause and Reset reach
every student; a closed page or context frees its organization and a reopened page gets
the same one back; screenshots at 1280x720.
"""

from __future__ import annotations

import json
import math
import re
import time
import urllib.request

import pytest
from offline import Offline, need_browser

from dataspace_abm.classroom.bench import start_classroom, stop_classroom
from dataspace_abm.viz.bench import ARGS, CHROMIUM, SLOW, free_port

KEY = "classroom-test"
NAMES = ["ada", "ben", "cleo", "dan", "emil"]
WELL = (3.0, -1.0)  # far from every organ (they start near the niches, 0 +- 0.5)
SIZE, PAD, VIEW = 460, 40, (-1.5, 3.5)  # the student's map: pixels and model range


def pixel(x: float, y: float) -> tuple[float, float]:
    """A model point on the student's map, in the map's pixels."""
    w = (SIZE - 2 * PAD) / (VIEW[1] - VIEW[0])
    return PAD + (x - VIEW[0]) * w, SIZE - PAD - (y - VIEW[0]) * w


def status(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=30) as reply:
        return json.loads(reply.read())


def until(done, what: str, seconds: float = SLOW / 1000) -> None:
    """Poll ``done()`` every 0.1 s until it holds; fail with ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"not within {seconds:.0f} s: {what}"
        time.sleep(0.1)


def organs(page) -> list[tuple[float, float]]:
    """The organ dots on a student's map, in pixels."""
    return page.eval_on_selector_all(
        "#map circle.organ", "els => els.map(e => [Number(e.getAttribute('cx')), "
        "Number(e.getAttribute('cy'))])",
    )  # fmt: skip


def mean_distance(points, to) -> float:
    return sum(math.dist(p, to) for p in points) / len(points)


def slide(page, selector: str, value: float) -> None:
    """Move a range input as a hand would: its value, then its "input" event."""
    page.eval_on_selector(
        selector,
        "(e, v) => { e.value = v; e.dispatchEvent(new Event('input', { bubbles: true })); }",
        str(value),
    )


def landscapes(teacher) -> list[str]:
    return teacher.locator("#board td.landscape").all_inner_texts()


def raw_reply(socket, timeout: float = 30.0) -> dict:
    """The next message on a raw socket that is not a pushed view."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(socket.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        if "view" not in message:
            return message


def test_a_class_of_five_in_chromium_stays_on_this_machine(tmp_path):
    need_browser()
    from playwright.sync_api import expect, sync_playwright
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    server = start_classroom(port, log, key=KEY, seed=1, organizations=30)
    offline = Offline()
    seen = offline.seen

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            expect.set_options(timeout=SLOW)

            def context():
                ctx = browser.new_context(viewport={"width": 1280, "height": 720})
                ctx.set_default_timeout(SLOW)
                offline.watch(ctx)
                return ctx

            def student_page(ctx):
                page = ctx.new_page()
                page.goto(f"{base}/student")
                return page

            # the teacher's page needs the key; with it, the round waits at step 0
            teacher_ctx = context()
            teacher = teacher_ctx.new_page()
            assert teacher.goto(f"{base}/?key=wrong").status == 403
            teacher.goto(f"{base}/?key={KEY}")
            expect(teacher.locator("#step")).to_have_text("round shape · step 0 · paused")

            # five students join by name, each in their own context, at distinct organizations
            contexts = [context() for _ in NAMES]
            pages = [student_page(ctx) for ctx in contexts]
            orgs = []
            for page, name in zip(pages, NAMES, strict=True):
                page.locator("#name").fill(name)
                page.locator("#join").click()
                title = page.locator("#title")
                expect(title).to_have_text(re.compile(rf"^{name} · organization \d+ · shaper$"))
                orgs.append(int(re.search(r"organization (\d+)", title.inner_text())[1]))
                expect(page.locator("#map-panel")).to_be_visible()
                expect(page.locator("#join-panel")).to_be_hidden()
            assert len(set(orgs)) == len(NAMES), orgs
            expect(teacher.locator("#count")).to_have_text(f"({len(NAMES)})")
            for name, k in zip(NAMES, orgs, strict=True):
                expect(teacher.locator(f"#org-{k} td").nth(1)).to_have_text(name)
            ada, ben = pages[0], pages[1]
            well = pixel(*WELL)
            assert all(mean_distance(organs(p), well) > 150 for p in pages)  # far at step 0
            ben_before = organs(ben)

            # ada draws a steep well far from her organs: on the map, then on the board
            slide(ada, "#precision", 3)
            ada.locator("#map").click(position={"x": well[0], "y": well[1]})
            expect(ada.locator("#centre-x-value")).to_have_text("3.00")
            drawn = "well 3.00 at (3.00, -1.00), tilt (0.00, 0.00)"
            expect(teacher.locator(f"#org-{orgs[0]} td.landscape")).to_have_text(drawn)
            slide(teacher, "#rate", 20)
            expect(teacher.locator("#rate-value")).to_have_text("20")
            teacher.locator("#start").click()
            expect(teacher.locator("#step")).to_contain_text("running")
            until(lambda: mean_distance(organs(ada), well) < 100, "ada's organs reach the well")
            until(lambda: status(port)["step"] >= 20, "20 steps")

            def gap(k: int) -> float:
                return float(teacher.locator(f"#org-{k} td").nth(2).inner_text())

            others = orgs[1:]
            until(
                lambda: gap(orgs[0]) > 2 * max(gap(k) for k in others) and gap(orgs[0]) > 1.5,
                "ada's optimality gap stands out on the board",
            )
            assert mean_distance(organs(ben), well) > 150  # ben's organs did not follow hers
            assert organs(ben) != ben_before  # (they moved by the model's own rule)
            cells = landscapes(teacher)
            assert len(cells) == 30 and cells[orgs[0]] == drawn
            assert all(c == "own rule" for k, c in enumerate(cells) if k != orgs[0]), cells

            # a sixth, raw client: it acts on its own organization only, whatever it names
            with connect(f"ws://127.0.0.1:{port}/ws/student") as eve:
                eve.send(json.dumps({"do": "join", "name": "eve"}))
                eve_org = raw_reply(eve)["joined"]
                assert eve_org not in orgs
                steer = {"do": "steer", "organization": orgs[1], "centre": [-1, 3]}
                eve.send(json.dumps({**steer, "precision": 2, "tilt": [0, 0]}))
                assert raw_reply(eve) == {"done": "steer"}
                eves = "well 2.00 at (-1.00, 3.00), tilt (0.00, 0.00)"
                expect(teacher.locator(f"#org-{eve_org} td.landscape")).to_have_text(eves)
                cells = landscapes(teacher)
                assert cells[orgs[1]] == "own rule" and cells[orgs[0]] == drawn
                assert [k for k, c in enumerate(cells) if c != "own rule"] == sorted(
                    [orgs[0], eve_org]
                )
                eve.send(json.dumps({"do": "order", "organization": orgs[1], "setpoint": [0, 0]}))
                assert "planner" in raw_reply(eve)["error"]  # no orders in the shape round
                with connect(f"ws://127.0.0.1:{port}/ws/student") as mallory:
                    mallory.send(json.dumps({"do": "join", "name": "mal", "organization": orgs[2]}))
                    assert "taken" in raw_reply(mallory)["error"]
            expect(teacher.locator(f"#org-{eve_org} td").nth(1)).to_have_text("—")  # eve left
            for url in (
                f"ws://127.0.0.1:{port}/ws/teacher",
                f"ws://127.0.0.1:{port}/ws/teacher?key=x",
            ):
                with pytest.raises(ConnectionClosed) as closed, connect(url) as socket:
                    socket.recv(timeout=30)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
            for page in pages:  # and the page offers no control over another organization
                assert page.locator("#join-panel").is_hidden()
                assert page.locator("#planner-controls").is_hidden()

            # Pause reaches every student and the step stops
            teacher.locator("#pause").click()
            for page in pages:
                expect(page.locator("#status")).to_contain_text("· paused")
            paused = status(port)
            assert not paused["running"]
            for page in pages:
                expect(page.locator("#status")).to_have_text(
                    f"round shape · step {paused['step']} · paused"
                )
            time.sleep(1.0)  # a window for a step that should not come
            assert status(port)["step"] == paused["step"]

            teacher.screenshot(path=str(tmp_path / "teacher-1280x720.png"))
            ada.screenshot(path=str(tmp_path / "student-1280x720.png"))

            # Reset reaches every student: step 0, every landscape the model's own rule
            teacher.locator("#reset").click()
            for page in pages:
                expect(page.locator("#status")).to_have_text("round shape · step 0 · paused")
            expect(teacher.locator("#step")).to_have_text("round shape · step 0 · paused")
            until(lambda: set(landscapes(teacher)) == {"own rule"}, "every landscape reset")
            expect(ada.locator("#precision-value")).to_have_text("0.00", timeout=10_000)  # hers too

            # a closed page frees its organization; reopened (localStorage kept), it is back
            cleo_org, dan_org = orgs[2], orgs[3]
            pages[2].close()
            until(lambda: cleo_org in status(port)["free"], "cleo's organization freed")
            expect(teacher.locator(f"#org-{cleo_org} td").nth(1)).to_have_text("—")
            cleo = student_page(contexts[2])
            expect(cleo.locator("#title")).to_have_text(f"cleo · organization {cleo_org} · shaper")
            until(lambda: cleo_org not in status(port)["free"], "cleo's organization held again")
            expect(teacher.locator(f"#org-{cleo_org} td").nth(1)).to_have_text("cleo")
            contexts[3].close()  # a closed context too
            until(lambda: dan_org in status(port)["free"], "dan's organization freed")
            expect(teacher.locator(f"#org-{dan_org} td").nth(1)).to_have_text("—")
            assert status(port)["students"] == len(NAMES) - 1
            browser.close()
    finally:
        stop_classroom(server)

    assert seen["outside"] == [], f"requests left 127.0.0.1: {seen['outside']}"
    assert seen["requests"] > 6  # the guard saw the pages' own requests
    for name in ("teacher-1280x720.png", "student-1280x720.png"):
        picture = (tmp_path / name).read_bytes()
        assert picture.startswith(b"\x89PNG") and len(picture) > 20_000, (name, len(picture))
    text = log.read_text()
    assert "Traceback" not in text, text
