"""Runs host_cases.py against one web UI tree in this (fresh) interpreter:

    python tests/webui/cases/run_cases.py a1111|forge HOST_ROOT [pytest args...]

The repo root is the ComfyUI pack (it has an __init__.py), so pytest would import it as a package above the cases;
an inert stand-in under its name keeps that import (and ComfyUI) out of this process, as tests/conftest.py does.
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(REPO, "tools"))
from pack_root import shield_pack_root  # noqa: E402


if __name__ == "__main__":
    kind, root, *rest = sys.argv[1:]
    os.environ["SAMPLERLAB_WEBUI_KIND"], os.environ["SAMPLERLAB_WEBUI_ROOT"] = kind, root
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    shield_pack_root()
    sys.exit(pytest.main(["-q", "--noconftest", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning",
                          "-W", "ignore::UserWarning", os.path.join(HERE, "host_cases.py"), *rest]))
