"""One real AUTOMATIC1111 / Forge web UI (as tools/setup_webui_boot.sh sets it up) on 127.0.0.1, for tests/webui_boot:

    with WebUIServer("a1111") as ui:                 # boots .host/boot/a1111 in .host/boot/venv-a1111 (CPU)
        ui.post("/sdapi/v1/txt2img", {...})            # JSON in, JSON out; WebUIError with the body on HTTP >= 400

Started with the shared hosts README's offline flags, on a free loopback port (no --listen), the hub cache of
.host/boot/hf-home and the hub offline; `start` waits (bounded) until the API answers and fails with the log's tail;
`stop` ends the server's process group (SIGINT, then SIGKILL) and waits for it.
`python tools/webui_server.py HOST` boots one, prints its address and the boot time, and serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from typing import Any, NoReturn

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOOT = os.path.join(REPO, ".host", "boot")
HOSTS = ("a1111", "forge", "forge-classic")
COMMON_FLAGS = [
    "--skip-prepare-environment",
    "--skip-install",
    "--skip-torch-cuda-test",
    "--api",
    "--no-download-sd-model",
    "--skip-version-check",
]
HOST_FLAGS = {
    "a1111": ["--use-cpu", "all", "--no-half", "--precision", "full", "--no-half-vae"],
    "forge": ["--always-cpu"],
    "forge-classic": ["--always-cpu", "--skip-python-version-check"],
}


class WebUIError(RuntimeError):
    """The web UI did not boot, or answered an HTTP error (`status`, `body`)."""

    def __init__(self, message: str, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.status = status
        self.body = body


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebUIServer:
    """A web UI of `host` (a1111, forge, forge-classic) in its own process group, with its UI or only its API
    (`api_only`: `--nowebui`); a context manager."""

    def __init__(self, host: str, api_only: bool = False, boot_timeout: float = 300.0, request_timeout: float = 300.0):
        if host not in HOSTS:
            raise ValueError(f"unknown host {host!r}; known: {HOSTS}")
        self.host = host
        self.api_only = api_only
        self.tree = os.path.join(BOOT, host)
        self.python = os.path.join(BOOT, f"venv-{host}", "bin", "python")
        self.boot_timeout = boot_timeout
        self.request_timeout = request_timeout
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.log_path = ""  # .host/boot/logs/<host>[-api]-<port>.log, one per server (set by `start`)
        self.boot_seconds: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        # API-only mode (how many servers run): --nowebui, bound to loopback by name (Forge Neo binds 0.0.0.0 there)
        api_only = ["--nowebui", "--server-name", "127.0.0.1"] if self.api_only else []
        return [self.python, "launch.py", *COMMON_FLAGS, "--port", str(self.port), *HOST_FLAGS[self.host], *api_only]

    def environment(self) -> dict[str, str]:
        env = dict(
            os.environ,
            HF_HOME=os.path.join(BOOT, "hf-home"),
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            GRADIO_ANALYTICS_ENABLED="False",
            PYTHONUNBUFFERED="1",
        )
        env.pop("VIRTUAL_ENV", None)
        return env

    def start(self) -> "WebUIServer":
        if not os.path.exists(self.python) or not os.path.isdir(os.path.join(self.tree, "modules")):
            raise WebUIError(f"{self.host} is not set up: run tools/setup_webui_boot.sh {self.host}")
        self.port = free_port()
        os.makedirs(os.path.join(BOOT, "logs"), exist_ok=True)
        name = f"{self.host}{'-api' if self.api_only else ''}-{self.port}.log"
        self.log_path = os.path.join(BOOT, "logs", name)
        started = time.monotonic()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.command(),
                cwd=self.tree,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = started + self.boot_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._fail(f"{self.host} exited with {self.proc.returncode} while booting")
            try:
                self.get("/sdapi/v1/samplers", timeout=5)
                self.boot_seconds = time.monotonic() - started
                return self
            except (OSError, WebUIError):
                time.sleep(1)
        self._fail(f"{self.host} did not answer within {self.boot_timeout:.0f} s")

    def _fail(self, message: str) -> NoReturn:
        tail = self.log_tail()
        self.stop()
        raise WebUIError(f"{message}; log {self.log_path}:\n{tail}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 30.0) -> None:
        """SIGINT to the server's process group, SIGKILL after `timeout` s; returns once it is gone."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGINT, timeout), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def request(self, method: str, path: str, body: Any = None, timeout: float | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.request_timeout) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            raise WebUIError(f"{method} {path}: HTTP {error.code}: {text[:2000]}", error.code, text) from None

    def get(self, path: str, timeout: float | None = None) -> Any:
        return self.request("GET", path, timeout=timeout)

    def post(self, path: str, body: Any, timeout: float | None = None) -> Any:
        return self.request("POST", path, body, timeout=timeout)

    def __enter__(self) -> "WebUIServer":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Boot one web UI on 127.0.0.1 and serve until Ctrl-C.")
    parser.add_argument("host", choices=HOSTS)
    parser.add_argument("--api-only", action="store_true", help="only the HTTP API (--nowebui)")
    parser.add_argument("--boot-timeout", type=float, default=300.0)
    args = parser.parse_args()
    with WebUIServer(args.host, api_only=args.api_only, boot_timeout=args.boot_timeout) as ui:
        print(f"{args.host} at {ui.url} (booted in {ui.boot_seconds:.0f} s; log {ui.log_path})", flush=True)
        try:
            while ui.proc is not None and ui.proc.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
