"""Where the A1111 / Forge host trees and their test venv are: SAMPLERLAB_A1111_ROOT / SAMPLERLAB_FORGE_ROOT, else
.host/stable-diffusion-webui(-forge) as tools/setup_webui_hosts.sh unpacks them from ../shared/hosts/. A tarball
without its unpacked tree (or without the venv) is a set-up error, not a reason to skip."""

import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOSTS = {  # kind: (environment variable, default tree, tarball in ../shared/hosts)
    "a1111": ("SAMPLERLAB_A1111_ROOT", "stable-diffusion-webui", "a1111-1.10.1.tar.gz"),
    "forge": ("SAMPLERLAB_FORGE_ROOT", "stable-diffusion-webui-forge", "forge-dfdcbab.tar.gz"),
}
WEBUI_PYTHON = os.environ.get("SAMPLERLAB_WEBUI_PYTHON") or os.path.join(REPO, ".host", "venv-webui", "bin", "python")


@pytest.fixture
def webui():
    """(python of the webui test venv, host_root function)."""
    return WEBUI_PYTHON, host_root


def host_root(kind: str) -> str:
    """The tree to test `kind` against; fails when the tarball is there but set-up has not run; skips otherwise."""
    variable, tree, tarball = HOSTS[kind]
    root = os.environ.get(variable) or os.path.join(REPO, ".host", tree)
    has_tarball = os.path.exists(os.path.join(REPO, "..", "shared", "hosts", tarball))
    if os.path.isdir(os.path.join(root, "modules")):
        if not os.path.exists(WEBUI_PYTHON):
            pytest.fail(f"{kind} tree at {root} but no test venv {WEBUI_PYTHON}: run `make setup`")
        return root
    if os.environ.get(variable):
        pytest.fail(f"{variable}={root} is not a web UI tree (no modules/)")
    if has_tarball:
        pytest.fail(f"../shared/hosts/{tarball} is there but {root} is not unpacked: run `make setup`")
    pytest.skip(f"no {kind} tree: set {variable} or put {tarball} in ../shared/hosts and run `make setup`")
