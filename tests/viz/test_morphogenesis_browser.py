"""The morphogenesis page in chromium, offline: the form assembles, is cut, regrows."""

from __future__ import annotations

import re
import time

from offline import is_local, need_browser

from dataspace_abm.viz.bench import ARGS, CHROMIUM, SLOW, free_port, start_server, stop_server


def _row(page, name: str) -> str:
    return page.locator(f".dataspace-{name} span").nth(1).inner_text()


def _step(page) -> int:
    return int(re.match(r"\d+", _row(page, "step"))[0])


def _play_until(page, done, seconds: float = 180.0) -> None:
    page.get_by_role("button", name="▶", exact=True).click()
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.5)
    page.get_by_role("button", name="❚❚", exact=True).click()


def test_the_form_assembles_is_cut_and_regrows_in_chromium(tmp_path):
    need_browser()
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    server = start_server(port, tmp_path / "server.log", page="morphogenesis")
    outside: list[str] = []

    def guard(route):
        if is_local(route.request.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            context.set_default_timeout(SLOW)
            expect.set_options(timeout=SLOW)
            context.route("**/*", guard)
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            expect(page.locator(".dataspace-form-svg")).to_be_visible()
            assert page.locator(".dataspace-cell").count() == 8
            _play_until(page, lambda: _step(page) >= 800)
            assert _row(page, "identities-a-permutation") == "yes"
            page.get_by_role("button", name="Cut: left half divides").click()
            error = page.locator(".dataspace-form-error span").nth(1)
            expect(error).to_have_text(re.compile(r"^([2-9]|\d\d)"))  # the card redrawn
            cut_error = float(_row(page, "form-error"))
            start = _step(page)
            _play_until(page, lambda: _step(page) > start + 2500)
            page.screenshot(path=str(tmp_path / "morphogenesis-regrown.png"))
            regrown = float(_row(page, "form-error"))
            permutation = _row(page, "identities-a-permutation")
            browser.close()
    finally:
        stop_server(server)
    assert outside == []
    assert cut_error > 2.0  # half the places empty
    assert permutation == "yes" and regrown < 0.5
    assert "Traceback" not in (tmp_path / "server.log").read_text()
