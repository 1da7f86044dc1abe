"""Writes the test data of "the 0.1 example workflows still load and run unchanged" (tests/test_workflows.py):

- tests/data/workflows_0.1/*.json: the example workflows of release 0.1.0, byte for byte as that release shipped
  them (`git show RELEASE:workflows/<name>`);
- tests/data/workflows_0.1_api.json: the API prompt each of them gave under 0.1.0's own node definitions, i.e. which
  named input every saved widget value and link was meant for. Read from the /object_info of the real host (ComfyUI
  0.3.75, the host 0.1.0 was tested on) with the 0.1.0 pack installed in place of this checkout, and converted with
  workflow_api.ui_to_api, the converter the tests use.

RELEASE is the 0.1.0 state: CHANGELOG.md's "## 0.1.0 — 2026-11-23" is the released section from b20395c until
0.2's "Unreleased" opened (e31f214), and the first 0.2 change is 1d198f1 ("Layout: development tools in tools/", 3.5 h
later). The last commit before it, aeb8ef8, is 0.1.0; its workflows/ stayed unchanged until dbf1db1 (0.3's
families), but for Lin et al.'s year in one note (815c1ec).

Run: .venv/bin/python tools/make_workflows_0_1.py   (needs this clone's git history; boots the host once)
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import tempfile

from hostserver import PACK_NODE_DIR_NAME, HostServer
from workflow_api import ui_to_api

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
RELEASE = "aeb8ef81f3e2b5ce6db62451d2d3717583858f51"  # 0.1.0
OUT_DIR = os.path.join(REPO, "tests", "data", "workflows_0.1")
API_PATH = os.path.join(REPO, "tests", "data", "workflows_0.1_api.json")


def _git(*args: str) -> bytes:
    return subprocess.run(["git", "-C", REPO, *args], check=True, capture_output=True).stdout


class ReleaseServer(HostServer):
    """The host with `pack_dir` (a release's tree) as custom_nodes/comfyui_sampler_lab instead of this checkout."""

    def __init__(self, pack_dir: str):
        super().__init__(fixture=False)
        self.pack_dir = pack_dir

    def _link(self, src: str, name: str) -> None:
        super()._link(self.pack_dir if name == PACK_NODE_DIR_NAME else src, name)


def release_workflows() -> dict[str, bytes]:
    """{file name: bytes} of the release's example workflows (workflows/*.json; not the demo's)."""
    names = _git("ls-tree", "--name-only", RELEASE, "workflows/").decode().split()
    return {os.path.basename(n): _git("show", f"{RELEASE}:{n}") for n in names if n.endswith(".json")}


def release_object_info() -> dict:
    """/object_info of the host with the release's pack installed."""
    with tempfile.TemporaryDirectory(prefix="samplerlab-0.1-") as tmp:
        pack_dir = os.path.join(tmp, PACK_NODE_DIR_NAME)
        os.makedirs(pack_dir)
        with tarfile.open(fileobj=io.BytesIO(_git("archive", "--format=tar", RELEASE))) as tar:
            tar.extractall(pack_dir, filter="data")
        with ReleaseServer(pack_dir) as server:
            if not server.custom_node_imports().get(PACK_NODE_DIR_NAME):
                raise RuntimeError("the 0.1.0 pack did not import:\n" + server.log_tail())
            return server.object_info()


def main() -> None:
    workflows = release_workflows()
    info = release_object_info()
    os.makedirs(OUT_DIR, exist_ok=True)
    meant = {}
    for name, data in sorted(workflows.items()):
        with open(os.path.join(OUT_DIR, name), "wb") as f:
            f.write(data)
        api = ui_to_api(json.loads(data), info)
        meant[name.removesuffix(".json")] = {
            node_id: {"class_type": node["class_type"], "inputs": node["inputs"]} for node_id, node in api.items()
        }
    with open(API_PATH, "w", encoding="utf-8") as f:
        json.dump({"release": RELEASE, "written_by": "tools/make_workflows_0_1.py", "workflows": meant}, f, indent=1)
        f.write("\n")
    print("wrote", sorted(workflows), "and", os.path.relpath(API_PATH, REPO))


if __name__ == "__main__":
    main()
