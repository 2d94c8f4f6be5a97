"""``scheduler serve``: the page on this machine, in the browser."""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
import webbrowser
from typing import TYPE_CHECKING

from scheduler.core.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_serving(host: str, token: str | None) -> None:
    """Serving beyond this machine needs a token: staff names are on the
    page."""
    if not is_loopback(host) and not token:
        raise UsageError(
            f"--host {host} would serve the page beyond this computer; "
            "it shows staff names, so it needs --token T as well (the page "
            "then asks each browser for it once). Without --host the page "
            "is served on 127.0.0.1, to this computer only."
        )


def serve(
    outputs: Path,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    browser: bool = True,
    max_upload_mb: int = 50,
) -> None:
    import uvicorn

    from scheduler.web.app import create_app

    check_serving(host, token)
    if not 1 <= port <= 65535:
        raise UsageError("--port must be from 1 to 65535.")
    app = create_app(outputs, token=token, max_upload_mb=max_upload_mb)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    url = f"http://{shown}:{port}/"
    print(f"The page is at {url}  (Ctrl-C stops it)", flush=True)
    if token:
        print(f"Token for other browsers: {url}?token={token}", flush=True)
    # No access log: URLs carry filter values, and names stay out of logs.
    logging.getLogger("scheduler.web").setLevel(logging.WARNING)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=host, port=port, access_log=False, log_level="warning"
        )
    )
    if browser:
        threading.Thread(
            target=_open_when_up, args=(server, url), daemon=True
        ).start()
    server.run()


def _open_when_up(server, url: str, seconds: float = 60.0) -> None:
    """Open the browser once the server answers (not before: a slow start
    would show the browser's error page)."""
    end = time.monotonic() + seconds
    while not server.started and time.monotonic() < end:
        time.sleep(0.1)
    if server.started:
        webbrowser.open(url)
