"""The weightless demo, self-contained: a generated image data set (`dataset.py`), its exact denoiser as a ComfyUI
MODEL and the demo nodes (`nodes.py`), the demo workflows' builder and runner (`make_workflows.py`, `run_demo.py`)."""
