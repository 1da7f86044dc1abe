"""AUTOMATIC1111 / Forge entry of Sampler Lab (the web UIs import every .py file directly under scripts/).

The web UIs put this extension's folder first on sys.path while they import its scripts (`load_scripts` in their
modules/scripts.py), so the adapter imports by its unique package name, `sampler_lab_webui`; it loads the core
`samplers/` as `sampler_lab_core` (never a bare `samplers`, `modules` or `webui`, which would clash with the host's or
another extension's modules).
"""

from sampler_lab_webui.script import make_script_class

SamplerLabScript = make_script_class()
