"""Fixtures of the booted web UI tests: one booted web UI per host of SAMPLERLAB_BOOT_HOSTS for the session (hosts
in turn; `make test-webui` sets the variable and sets each host up with tools/setup_webui_boot.sh)."""

from __future__ import annotations

import pytest
from booted import HOSTS

from webui_server import WebUIServer


@pytest.fixture(scope="session", params=HOSTS or ["none"])
def ui(request) -> WebUIServer:
    """One booted web UI per host (UI and API), stopped before the next host boots."""
    with WebUIServer(request.param) as server:
        yield server


@pytest.fixture(scope="session")
def results() -> dict:
    """Answers of txt2img requests by (host, request): a request that several tests make runs once per host."""
    return {}


@pytest.fixture(scope="session", params=HOSTS or ["none"])
def api_only_ui(request) -> WebUIServer:
    """One web UI per host in API-only mode (`--nowebui`), stopped before the next host boots."""
    with WebUIServer(request.param, api_only=True) as server:
        yield server
