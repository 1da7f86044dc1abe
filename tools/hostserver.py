"""The one server harness: the real ComfyUI (the host tree's main.py, CPU) on 127.0.0.1 with our pack installed.

Used by tests, the demo, the workflow builder and `tools/serve.py` alike:

    with HostServer() as srv:             # a temp base directory; custom_nodes/comfyui_sampler_lab -> this checkout
        entry = srv.run_prompt(api_prompt)  # history entry; raises HostPromptError on an execution error
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

from hostlib import FIXTURE_NODES_DIR, HOST_DIR, REPO_DIR

PACK_NODE_DIR_NAME = "comfyui_sampler_lab"
FIXTURE_NODE_DIR_NAME = "samplerlab_test_fixtures"


def command(port: int, base_dir: str) -> list[str]:
    """The host's launch command line (run in HOST_DIR): CPU, loopback only, in-memory database. With
    SAMPLERLAB_FRONTEND_ROOT set, the host serves that frontend build (a comfyui-frontend-package's static/ folder)
    instead of the one its requirements installed."""
    cmd = [
        sys.executable,
        "main.py",
        "--cpu",
        "--listen",
        "127.0.0.1",
        "--port",
        str(port),
        "--disable-auto-launch",
        "--database-url",
        "sqlite:///:memory:",
        "--base-directory",
        base_dir,
        "--preview-method",
        "auto",
    ]
    frontend = os.environ.get("SAMPLERLAB_FRONTEND_ROOT")
    if frontend:
        cmd += ["--front-end-root", os.path.realpath(frontend)]
    return cmd


class HostServerError(RuntimeError):
    pass


class HostPromptError(HostServerError):
    """A prompt was rejected (400 from /prompt) or failed during execution."""

    def __init__(self, message, details=None):
        super().__init__(message)
        self.details = details


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


class HostServer:
    """A real ComfyUI server (HOST_DIR's main.py) on 127.0.0.1:<free port> in a temp base directory, with our pack
    linked as custom_nodes/comfyui_sampler_lab and, with fixture=True, the test fixture nodes
    (tools/fixture_nodes) as custom_nodes/samplerlab_test_fixtures. A context manager, or start()/stop().
    """

    def __init__(self, fixture: bool = True, port: int | None = None, boot_timeout: float = 120.0):
        self.fixture = fixture
        self.port = port
        self.boot_timeout = boot_timeout
        self.base_dir = None
        self.proc = None
        self.log_path = None
        self._log_file = None
        self.client_id = uuid.uuid4().hex
        self.boot_seconds = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def output_dir(self) -> str:
        return os.path.join(self.base_dir, "output")

    def _link(self, src: str, name: str) -> None:
        os.symlink(os.path.realpath(src), os.path.join(self.base_dir, "custom_nodes", name), target_is_directory=True)

    def start(self) -> "HostServer":
        if self.proc is not None:
            return self
        self.base_dir = tempfile.mkdtemp(prefix="samplerlab-host-")
        for sub in ("custom_nodes", "models/checkpoints", "input", "output", "temp", "user"):
            os.makedirs(os.path.join(self.base_dir, sub), exist_ok=True)
        self._link(REPO_DIR, PACK_NODE_DIR_NAME)
        if self.fixture:
            self._link(FIXTURE_NODES_DIR, FIXTURE_NODE_DIR_NAME)
        if self.port is None:
            self.port = free_port()
        self.log_path = os.path.join(self.base_dir, "server.log")
        self._log_file = open(self.log_path, "wb")
        # the fixture nodes import hostlib in the server: same host tree, whatever the server's cwd
        env = dict(os.environ, PYTHONUNBUFFERED="1", SAMPLERLAB_COMFYUI_ROOT=HOST_DIR)
        env.pop("PYTHONPATH", None)
        env.setdefault("OMP_NUM_THREADS", "4")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            command(self.port, self.base_dir),
            cwd=HOST_DIR,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.boot_seconds = time.monotonic() - t0
        return self

    def _wait_ready(self):
        import requests

        deadline = time.monotonic() + self.boot_timeout
        while True:
            rc = self.proc.poll()
            if rc is not None:
                raise HostServerError(
                    f"ComfyUI exited with code {rc} during boot.\n--- log tail ---\n" + self.log_tail()
                )
            try:
                r = requests.get(self.url + "/object_info/KSampler", timeout=5)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise HostServerError(
                    f"ComfyUI not ready after {self.boot_timeout:.0f}s.\n--- log tail ---\n" + self.log_tail()
                )
            time.sleep(0.25)

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
            self.proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self.base_dir:
            # read the log before the directory goes
            try:
                self._final_log = self.log_text()
            except OSError:
                self._final_log = ""
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # -- logs --
    def log_text(self):
        if self.log_path and os.path.exists(self.log_path):
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        return getattr(self, "_final_log", "")

    def custom_node_imports(self):
        """{dir name: True/False} from the boot log's "Import times for custom nodes" block (False = failed)."""
        out = {}
        for line in self.log_text().splitlines():
            line = line.strip()
            if " seconds" in line and "/custom_nodes/" in line:
                name = line.rsplit("/", 1)[-1]
                failed = "(IMPORT FAILED)" in line
                out[name] = not failed
        return out

    def log_tail(self, n=60):
        return "\n".join(self.log_text().splitlines()[-n:])

    # -- http --
    def get(self, path, **kw):
        """GET url+path; returns parsed JSON when the response is JSON, else the requests.Response."""
        import requests

        r = requests.get(self.url + path, timeout=kw.pop("timeout", 30), **kw)
        r.raise_for_status()
        if r.headers.get("Content-Type", "").startswith("application/json"):
            return r.json()
        return r

    def post(self, path, payload, **kw):
        import requests

        return requests.post(self.url + path, json=payload, timeout=kw.pop("timeout", 30), **kw)

    def object_info(self, node_class=None):
        return self.get("/object_info" + (f"/{node_class}" if node_class else ""))

    def post_prompt(self, api_prompt, extra_data=None):
        """Queue an API-format prompt; returns prompt_id. Raises HostPromptError on validation errors."""
        payload = {"prompt": api_prompt, "client_id": self.client_id}
        if extra_data:
            payload["extra_data"] = extra_data
        r = self.post("/prompt", payload)
        try:
            body = r.json()
        except ValueError:
            body = {"text": r.text}
        if r.status_code != 200 or "prompt_id" not in body:
            raise HostPromptError(f"/prompt rejected ({r.status_code}): {json.dumps(body, indent=1)[:4000]}", body)
        return body["prompt_id"]

    def wait(self, prompt_id, timeout=60.0, poll=0.1):
        """Poll /history/<id> until done; returns the history entry (outputs, status, ...)."""
        deadline = time.monotonic() + timeout
        while True:
            h = self.get(f"/history/{prompt_id}")
            entry = h.get(prompt_id) if isinstance(h, dict) else None
            if entry is not None:
                status = entry.get("status") or {}
                if status.get("status_str") == "error":
                    msgs = [m for m in status.get("messages", []) if m and m[0] == "execution_error"]
                    details = msgs[-1][1] if msgs else status
                    msg = "prompt failed"
                    if isinstance(details, dict):
                        msg = (
                            f"prompt failed in node {details.get('node_id')} ({details.get('node_type')}): "
                            f"{details.get('exception_type')}: {details.get('exception_message')}\n"
                            + "".join(details.get("traceback") or [])
                        )
                    raise HostPromptError(msg, details)
                if status.get("completed", False) or status.get("status_str") == "success":
                    return entry
            if not self.alive():
                raise HostServerError("ComfyUI died while waiting.\n--- log tail ---\n" + self.log_tail())
            if time.monotonic() > deadline:
                raise HostServerError(
                    f"prompt {prompt_id} not done after {timeout}s.\n--- log tail ---\n" + self.log_tail()
                )
            time.sleep(poll)

    def run_prompt(self, api_prompt, timeout=60.0):
        """post_prompt + wait; returns the history entry."""
        return self.wait(self.post_prompt(api_prompt), timeout=timeout)

    def output_files(self, entry: dict, kind: str = "images") -> list[str]:
        """Paths of the files a history entry's outputs list under `kind` ('images' or 'latents')."""
        return [
            os.path.join(self.output_dir, f.get("subfolder", ""), f["filename"])
            for out in entry.get("outputs", {}).values()
            for f in out.get(kind, []) or []
            if f.get("type", "output") == "output"
        ]


# --------------------------------------------------------------------------------------------------
# API prompt helpers
# --------------------------------------------------------------------------------------------------


def tiny_txt2img_prompt(
    kind="sd15_eps",
    seed=0,
    steps=4,
    cfg=5.0,
    sampler_name="euler",
    scheduler="karras",
    width=128,
    height=128,
    batch=1,
    positive="a photo",
    negative="",
    model_seed=0,
    decode=False,
):
    """API prompt: TinyCheckpoint -> CLIPTextEncode x2 -> EmptyLatentImage -> KSampler -> LatentStats
    (and VAEDecode -> ImageStats when decode). Node ids: "ckpt", "pos", "neg", "empty", "ksampler",
    "stats" (, "decode", "img_stats"). Width/height are pixels (latent is /8)."""
    p = {
        "ckpt": {"class_type": "SamplerLabTestTinyCheckpoint", "inputs": {"kind": kind, "seed": model_seed}},
        "pos": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["ckpt", 1], "text": positive}},
        "neg": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["ckpt", 1], "text": negative}},
        "empty": {"class_type": "EmptyLatentImage", "inputs": {"width": width, "height": height, "batch_size": batch}},
        "ksampler": {
            "class_type": "KSampler",
            "inputs": {
                "model": ["ckpt", 0],
                "seed": seed,
                "steps": steps,
                "cfg": cfg,
                "sampler_name": sampler_name,
                "scheduler": scheduler,
                "positive": ["pos", 0],
                "negative": ["neg", 0],
                "latent_image": ["empty", 0],
                "denoise": 1.0,
            },
        },
        "stats": {"class_type": "SamplerLabTestLatentStats", "inputs": {"samples": ["ksampler", 0]}},
    }
    if decode:
        p["decode"] = {"class_type": "VAEDecode", "inputs": {"samples": ["ksampler", 0], "vae": ["ckpt", 2]}}
        p["img_stats"] = {"class_type": "SamplerLabTestImageStats", "inputs": {"images": ["decode", 0]}}
    return p


def output_stats(entry, node_id, key="stats"):
    """The stats list a SamplerLabTest*Stats node put in a history entry's outputs."""
    return entry["outputs"][node_id][key]
