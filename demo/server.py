"""A small ComfyUI server boot for the demo (no dependency on tests/): the host's main.py on 127.0.0.1 with this
pack linked as custom_nodes/comfyui-sampler-lab, talking JSON over urllib."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

REPO_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
HOST_DIR = os.path.join(REPO_DIR, ".host", "ComfyUI")
PACK_DIR_NAME = "comfyui-sampler-lab"


class ServerError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DemoServer:
    """Context manager: boots ComfyUI (CPU) in a temp base directory with this pack installed."""

    def __init__(self, boot_timeout: float = 120.0, python: str | None = None):
        self.boot_timeout = boot_timeout
        self.python = python or sys.executable
        self.port = _free_port()
        self.base_dir = None
        self.proc = None
        self.client_id = uuid.uuid4().hex
        self.boot_seconds = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def output_dir(self) -> str:
        return os.path.join(self.base_dir, "output")

    def __enter__(self):
        self.base_dir = tempfile.mkdtemp(prefix="samplerlab-demo-")
        for sub in ("custom_nodes", "input", "output", "temp", "user", "models"):
            os.makedirs(os.path.join(self.base_dir, sub), exist_ok=True)
        os.symlink(REPO_DIR, os.path.join(self.base_dir, "custom_nodes", PACK_DIR_NAME), target_is_directory=True)
        self.log = open(os.path.join(self.base_dir, "server.log"), "wb")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env.pop("PYTHONPATH", None)
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [self.python, "main.py", "--cpu", "--listen", "127.0.0.1", "--port", str(self.port), "--disable-auto-launch",
             "--database-url", "sqlite:///:memory:", "--base-directory", self.base_dir, "--preview-method", "auto"],
            cwd=HOST_DIR, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True)
        try:
            while True:
                if self.proc.poll() is not None:
                    raise ServerError(f"ComfyUI exited with code {self.proc.returncode} while booting:\n{self.log_tail()}")
                try:
                    self.get("/object_info/KSampler")
                    break
                except (urllib.error.URLError, ConnectionError, OSError):
                    pass
                if time.monotonic() - t0 > self.boot_timeout:
                    raise ServerError(f"ComfyUI not ready after {self.boot_timeout:.0f} s:\n{self.log_tail()}")
                time.sleep(0.2)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.boot_seconds = time.monotonic() - t0
        return self

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
        if self.base_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None
        return False

    def log_tail(self, n: int = 40) -> str:
        try:
            with open(os.path.join(self.base_dir, "server.log"), "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-n:])
        except OSError:
            return ""

    def get(self, path: str, timeout: float = 30.0):
        with urllib.request.urlopen(self.url + path, timeout=timeout) as r:
            return json.loads(r.read().decode())

    def object_info(self) -> dict:
        return self.get("/object_info")

    def post_prompt(self, api_prompt: dict) -> str:
        body = json.dumps({"prompt": api_prompt, "client_id": self.client_id}).encode()
        req = urllib.request.Request(self.url + "/prompt", data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read().decode())["prompt_id"]
        except urllib.error.HTTPError as e:
            raise ServerError(f"/prompt rejected ({e.code}): {e.read().decode()[:3000]}") from None

    def wait(self, prompt_id: str, timeout: float = 300.0) -> dict:
        t0 = time.monotonic()
        while True:
            entry = self.get(f"/history/{prompt_id}").get(prompt_id)
            if entry is not None:
                status = entry.get("status") or {}
                if status.get("status_str") == "error":
                    msgs = [m[1] for m in status.get("messages", []) if m and m[0] == "execution_error"]
                    d = msgs[-1] if msgs else status
                    raise ServerError(f"prompt failed in node {d.get('node_id')} ({d.get('node_type')}): "
                                      f"{d.get('exception_type')}: {d.get('exception_message')}\n" + "".join(d.get("traceback") or []))
                if status.get("completed"):
                    return entry
            if self.proc.poll() is not None:
                raise ServerError("ComfyUI died:\n" + self.log_tail())
            if time.monotonic() - t0 > timeout:
                raise ServerError(f"prompt {prompt_id} not done after {timeout} s")
            time.sleep(0.05)

    def run(self, api_prompt: dict, timeout: float = 300.0) -> dict:
        return self.wait(self.post_prompt(api_prompt), timeout)

    def output_files(self, entry: dict, kind: str = "images") -> list[str]:
        """Paths of the files a history entry's outputs list under `kind` ('images' or 'latents')."""
        paths = []
        for out in entry.get("outputs", {}).values():
            for f in out.get(kind, []) or []:
                if f.get("type", "output") == "output":
                    paths.append(os.path.join(self.output_dir, f.get("subfolder", ""), f["filename"]))
        return paths
