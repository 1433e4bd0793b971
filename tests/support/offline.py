"""The browser tests' guard: every request not to this machine is refused and recorded,
so a page that needs anything from outside 127.0.0.1 fails its test."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

from dataspace_abm.viz.bench import CHROMIUM

LOCAL = {"127.0.0.1", "localhost", "::1"}


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in LOCAL


def need_browser() -> None:
    """Skip without playwright or chromium; under CI a missing chromium fails."""
    pytest.importorskip("playwright", reason="playwright is in the dev extra")
    if not os.access(CHROMIUM, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (Debian's chromium; `make test` installs it)")


class Offline:
    """Watches browser contexts and pages: ``seen["outside"]`` lists every address not on
    this machine that was asked for (refused), ``seen["requests"]`` counts what the route
    guard let through or refused."""

    def __init__(self) -> None:
        self.seen: dict = {"outside": [], "requests": 0}

    def guard(self, route) -> None:
        self.seen["requests"] += 1
        if is_local(route.request.url):
            route.continue_()
        else:  # refused, and the test fails on it
            self.seen["outside"].append(route.request.url)
            route.abort()

    def note_request(self, request) -> None:  # also what the route guard might not see
        if not is_local(request.url) and request.url not in self.seen["outside"]:
            self.seen["outside"].append(request.url)

    def note_socket(self, ws) -> None:
        if not is_local(ws.url):
            self.seen["outside"].append(ws.url)

    def watch(self, context) -> None:
        """Guard ``context`` and every page it opens."""
        context.route("**/*", self.guard)
        context.on("request", self.note_request)
        context.on("page", lambda page: page.on("websocket", self.note_socket))
        for page in context.pages:
            page.on("websocket", self.note_socket)
