"""Runs host_cases.py against one web UI tree in this (fresh) interpreter:

    python tests/webui/cases/run_cases.py a1111|forge HOST_ROOT [pytest args...]

tests/pytest.ini is its configuration (rootdir tests/, tools/ on sys.path), so the repo root (the ComfyUI pack, with
its __init__.py) is never imported here and never on sys.path.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


if __name__ == "__main__":
    kind, root, *rest = sys.argv[1:]
    os.environ["SAMPLERLAB_WEBUI_KIND"], os.environ["SAMPLERLAB_WEBUI_ROOT"] = kind, root
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(
        pytest.main(
            [
                "-q",
                "--noconftest",
                "-p",
                "no:cacheprovider",
                "-W",
                "ignore::DeprecationWarning",
                "-W",
                "ignore::UserWarning",
                os.path.join(HERE, "host_cases.py"),
                *rest,
            ]
        )
    )
