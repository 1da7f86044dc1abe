"""Sampler Lab against the real sampler, scheduler and CFG modules of AUTOMATIC1111 1.10.1 and Forge.

Each host runs in its own interpreter (the webui test venv; see tools/setup_webui_hosts.sh), so the hosts' `modules`
package never meets this process's ComfyUI. The cases are tests/webui/cases/host_cases.py; none may skip.
"""

import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNNER = os.path.join(REPO, "tests", "webui", "cases", "run_cases.py")


@pytest.mark.parametrize("kind", ["a1111", "forge"])
def test_cases_pass_against_the_real_host(kind, webui):
    python, host_root = webui
    root = host_root(kind)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(HF_HUB_OFFLINE="1", HF_HOME=os.path.join(REPO, ".host", "hf-home"), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [python, RUNNER, kind, root, "-rfEs"], cwd=REPO, env=env, capture_output=True, text=True, timeout=900
    )
    report = done.stdout[-6000:] + done.stderr[-3000:]
    assert done.returncode == 0, f"{kind} cases failed:\n{report}"
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary, report
