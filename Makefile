VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.samplerlab-setup

.PHONY: setup test serve demo clean

setup: $(STAMP)

$(STAMP): tools/setup_host.sh requirements-dev.txt
	bash tools/setup_host.sh

test: setup
	$(PY) -m pytest -q tests

demo: setup
	$(PY) demo/run_demo.py

serve: setup
	$(PY) tools/serve.py --port 8188

clean:
	rm -rf $(VENV) .host out
