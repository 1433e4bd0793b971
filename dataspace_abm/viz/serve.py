"""Serve the page with no internet: every front-end file from this machine, nothing phoned home.

Solara's server proxies the page's front-end files from its asset cache, which the
``solara-assets`` package fills at install time. Pointing the proxy's upstream at a closed
port on 127.0.0.1 makes a file missing from that cache fail on the spot instead of being
fetched from a CDN; usage telemetry and the version check against PyPI are switched off.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
import warnings

NO_CDN = "http://127.0.0.1:9/no-cdn/"  # the discard port: nothing listens, nothing leaves
OFFLINE_ENV = {
    "SOLARA_ASSETS_PROXY": "true",
    "SOLARA_ASSETS_CDN": NO_CDN,
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
    "SOLARA_THEME_SHOW_BANNER": "false",  # Solara's badge would cover the views' legends
}
# A closed tab's session (its model) is dropped this long after the tab went away; Solara's
# default of 24 h would keep every student's model of a seminar. Set to override.
CULL_TIMEOUT = "120s"
APP = "dataspace_abm.viz.app"
PAGES = {"holarchy": APP, "morphogenesis": "dataspace_abm.viz.morphogenesis_page"}


def keep_offline() -> None:
    """Apply the offline settings to Solara modules already loaded (``solara run app.py``)."""
    settings = sys.modules.get("solara.settings")
    if settings is not None:
        settings.assets.proxy = True
        settings.assets.cdn = NO_CDN
    server_settings = sys.modules.get("solara.server.settings")
    if server_settings is not None:
        server_settings.telemetry.mixpanel_enable = False
        server_settings.theme.show_banner = False


def session_count() -> int:
    """How many sessions (virtual kernels, one a browser tab) the server holds now."""
    from solara.server import kernel_context

    return len(kernel_context.contexts)


def _error(message: str) -> int:
    print(f"dataspace-abm: error: {message}", file=sys.stderr)
    return 2


def address_problem(host: str, port: int) -> str | None:
    """Why the page cannot be served on ``host:port`` (bad port, taken, unknown host), or None."""
    if not 1 <= port <= 65535:
        return f"--port = {port} is invalid: allowed an integer in [1, 65535]"
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except (socket.gaierror, UnicodeError) as exc:
        return f"--host {host}: cannot be resolved ({exc})"
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == 98:  # EADDRINUSE
                return f"--port {port}: the port is taken on {host}; choose another with --port"
            return f"--host {host} --port {port}: cannot listen there ({exc.strerror})"
    return None


def serve(host: str = "127.0.0.1", port: int = 8765, page: str = "holarchy") -> int:
    """Run the Solara server for ``page`` (one of ``PAGES``) until interrupted; returns an
    exit code."""
    if page not in PAGES:
        return _error(f"--page {page!r} is invalid: allowed one of {', '.join(PAGES)}")
    problem = address_problem(host, port)
    if problem is not None:
        return _error(problem)
    if importlib.util.find_spec("solara_assets") is None:
        return _error(
            "the package solara-assets is missing, so the page's files would have to come "
            "from the internet; install the project with its dependencies"
        )
    os.environ.update(OFFLINE_ENV)  # before Solara reads its settings on import
    os.environ.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", CULL_TIMEOUT)
    # served on 127.0.0.1 over http, Solara warns on every page load that it cannot set a
    # samesite=none cookie (only needed when embedded in a https iframe)
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    from solara.__main__ import run

    args = ["--host", host, "--port", str(port), "--production", "--no-check-version"]
    run.main(
        [*args, "--no-open", PAGES[page]], prog_name="dataspace-abm viz", standalone_mode=False
    )
    return 0
