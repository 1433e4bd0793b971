"""Serve the page with no internet: every front-end file from this machine, nothing phoned home.

Solara's server proxies the page's front-end files from its asset cache, which the
``solara-assets`` package fills at install time. Pointing the proxy's upstream at a closed
port on 127.0.0.1 makes a file missing from that cache fail on the spot instead of being
fetched from a CDN; usage telemetry and the version check against PyPI are switched off.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings

NO_CDN = "http://127.0.0.1:9/no-cdn/"  # the discard port: nothing listens, nothing leaves
OFFLINE_ENV = {
    "SOLARA_ASSETS_PROXY": "true",
    "SOLARA_ASSETS_CDN": NO_CDN,
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
}
APP = "dataspace_abm.app"


def keep_offline() -> None:
    """Apply the offline settings to Solara modules already loaded (``solara run app.py``)."""
    settings = sys.modules.get("solara.settings")
    if settings is not None:
        settings.assets.proxy = True
        settings.assets.cdn = NO_CDN
    server_settings = sys.modules.get("solara.server.settings")
    if server_settings is not None:
        server_settings.telemetry.mixpanel_enable = False


def serve(host: str = "127.0.0.1", port: int = 8765) -> int:
    """Run the Solara server for the page until interrupted; returns an exit code."""
    if importlib.util.find_spec("solara_assets") is None:
        print(
            "dataspace-abm: error: the package solara-assets is missing, so the page's files "
            "would have to come from the internet; install the project with its dependencies",
            file=sys.stderr,
        )
        return 2
    os.environ.update(OFFLINE_ENV)  # before Solara reads its settings on import
    # served on 127.0.0.1 over http, Solara warns on every page load that it cannot set a
    # samesite=none cookie (only needed when embedded in a https iframe)
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    from solara.__main__ import run

    args = ["--host", host, "--port", str(port), "--production", "--no-check-version"]
    run.main([*args, "--no-open", APP], prog_name="dataspace-abm viz", standalone_mode=False)
    return 0
