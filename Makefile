VENV := .venv
PY := $(VENV)/bin/python
# pytest by its script, not `python -m pytest` (which would put the working directory, the repo root, on sys.path)
PYTEST := $(VENV)/bin/pytest
STAMP := $(VENV)/.samplerlab-setup

.PHONY: setup test test-fast test-cpu-kernels typecheck regen serve demo clean

setup: $(STAMP)

$(STAMP): tools/setup_host.sh tools/setup_webui_hosts.sh tools/setup_gradio_venv.sh requirements-dev.txt
	bash tools/setup_host.sh

# The fast lane (under a minute, no host): lint, the JS mirror against its goldens (Debian's nodejs), the core.
CORE_TESTS := tests/test_samplers_schedules.py tests/test_samplers_sampling.py tests/test_samplers_guidance.py \
  tests/test_js_goldens.py
test-fast: setup typecheck
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	node --test tests/js
	$(PYTEST) -q $(CORE_TESTS)

# The type checker on the core and both adapters (pyproject.toml [tool.mypy]), as the hosts import them: the link in
# .host/typecheck/ gives the clone the package name comfyui_sampler_lab, whatever its folder is called.
TYPECHECK_ROOT := .host/typecheck/comfyui_sampler_lab
typecheck: setup
	mkdir -p $(dir $(TYPECHECK_ROOT)) && ln -sfn "$(CURDIR)" $(TYPECHECK_ROOT)
	$(VENV)/bin/mypy $(addprefix $(TYPECHECK_ROOT)/,samplers nodes sampler_lab_webui)

# The core and the goldens under each of torch's CPU kernel sets (ATEN_CPU_CAPABILITY only narrows what the CPU
# offers: a CPU without AVX-512 runs the avx512 lane with its best), and on one thread.
test-cpu-kernels: setup
	for cap in default avx2 avx512; do ATEN_CPU_CAPABILITY=$$cap $(PYTEST) -q $(CORE_TESTS) || exit 1; done
	OMP_NUM_THREADS=1 $(PYTEST) -q $(CORE_TESTS)

# Lint, the JS mirror against its goldens, then the whole Python suite (the booted web UIs: make test-webui).
test: setup typecheck
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	node --test tests/js
	$(PYTEST) -q tests --ignore=tests/webui_boot

# Everything generated from the code (each has a test that fails while it is stale): the example and demo workflows
# (from the host's /object_info), the JS goldens and parameter table, the web UI accordion's tooltips, the README's
# bad-input table (from the real server's answers) and family table (from every node on the tiny model of each
# family).
regen: setup
	$(PY) tools/make_workflows.py
	$(PY) tools/make_demo_workflows.py
	$(PY) tools/make_js_goldens.py
	$(PY) tools/make_js_params.py
	$(PY) tools/make_webui_hints.py
	$(PY) tools/make_bad_input_table.py
	$(PY) tools/make_family_table.py

demo: setup
	$(PY) tools/run_demo.py

# Benchmarks (bench/<name>.py, results in bench/results/): make bench-quality | bench-solvers | bench-overhead |
# bench-fullsize [ARGS="--device cuda --models sd15,sdxl"]
bench-%: setup
	PYTHONPATH=tools $(PY) bench/$*.py $(ARGS)

serve: setup
	$(PY) tools/serve.py --port 8188

clean:
	rm -rf $(VENV) .host out

# --- other hosts ------------------------------------------------------------------------------------------------
# The whole suite (browser tests included) against any ComfyUI checkout, in its own venv .host/venv-<folder name>
# (tools/setup_test_host.sh):                       make test-host COMFYUI_ROOT=../ComfyUI
# ComfyUI 0.33.0 from ../shared/hosts:              make test-host-0.33.0
# The browser tests against the newest comfyui-frontend-package on PyPI, served with --front-end-root, on the
# development host or on COMFYUI_ROOT:               make test-frontend-latest [COMFYUI_ROOT=...]
HOST_ROOT = $(abspath $(COMFYUI_ROOT))
# Tests that never touch ComfyUI (the A1111/Forge hosts in their own venvs) run once, in `make test`.
NOT_COMFYUI := --ignore=tests/webui/test_webui_hosts.py --ignore=tests/webui/test_webui_gradio.py \
  --ignore=tests/webui/test_webui_params.py --ignore=tests/webui_boot

# The A1111 1.10.1, Forge and Forge Classic web UIs booted for real (unmodified trees from ../shared/hosts, this
# checkout in their extensions/, a random-weight SD1.5 checkpoint; tools/setup_webui_boot.sh), Sampler Lab through
# them (tests/webui_boot: the HTTP API, the UI in Chromium, API-only mode), one host after the other:
#                                                    make test-webui [WEBUI_HOSTS="a1111 forge forge-classic"]
WEBUI_HOSTS ?= a1111 forge forge-classic
.PHONY: test-webui
test-webui: setup
	@if [ ! -d ../shared/hosts ]; then echo "test-webui: skipped: no ../shared/hosts/ (the web UI trees)"; exit 0; fi; \
	for host in $(WEBUI_HOSTS); do bash tools/setup_webui_boot.sh $$host || exit 1; done; \
	SAMPLERLAB_BOOT_HOSTS=$$(echo $(WEBUI_HOSTS) | tr ' ' ,) $(PYTEST) -q tests/webui_boot

HOST_VENV = .host/venv-$(notdir $(HOST_ROOT))
HOST_0330 := .host/comfyui-0.33.0
HOST_0330_TARBALL := ../shared/hosts/comfyui-0.33.0.tar.gz
FRONTEND_LATEST := .host/frontend-latest

.PHONY: test-host host-0.33.0 test-host-0.33.0 test-frontend-latest

test-host:
	@test -n "$(COMFYUI_ROOT)" || { echo "usage: make test-host COMFYUI_ROOT=<a ComfyUI checkout>" >&2; exit 2; }
	bash tools/setup_test_host.sh "$(HOST_ROOT)" "$(HOST_VENV)"
	SAMPLERLAB_COMFYUI_ROOT="$(HOST_ROOT)" $(HOST_VENV)/bin/pytest -q tests $(NOT_COMFYUI)

host-0.33.0: $(HOST_0330)/main.py

$(HOST_0330)/main.py:
	mkdir -p $(HOST_0330)
	tar -xzf $(HOST_0330_TARBALL) -C $(HOST_0330) --strip-components=1
	touch $@

test-host-0.33.0: host-0.33.0
	$(MAKE) test-host COMFYUI_ROOT=$(HOST_0330)

ifeq ($(strip $(COMFYUI_ROOT)),)
test-frontend-latest: setup
	$(PY) -m pip install -q --upgrade --no-deps --target $(FRONTEND_LATEST) comfyui-frontend-package
	@grep -h '^Version' $(FRONTEND_LATEST)/comfyui_frontend_package-*.dist-info/METADATA
	SAMPLERLAB_FRONTEND_ROOT=$(FRONTEND_LATEST)/comfyui_frontend_package/static $(PYTEST) -q tests/test_browser.py
else
test-frontend-latest:
	bash tools/setup_test_host.sh "$(HOST_ROOT)" "$(HOST_VENV)"
	$(HOST_VENV)/bin/python -m pip install -q --upgrade --no-deps --target $(FRONTEND_LATEST) comfyui-frontend-package
	@grep -h '^Version' $(FRONTEND_LATEST)/comfyui_frontend_package-*.dist-info/METADATA
	SAMPLERLAB_FRONTEND_ROOT=$(FRONTEND_LATEST)/comfyui_frontend_package/static SAMPLERLAB_COMFYUI_ROOT="$(HOST_ROOT)" \
	  $(HOST_VENV)/bin/pytest -q tests/test_browser.py
endif
