"""The JS mirror's golden values (tests/js/goldens.json) are what samplers/ gives today; `node --test tests/js`
(run by `make test`) checks js/samplerlab_math.js against them."""
from __future__ import annotations

from pathlib import Path

import make_js_goldens


def test_goldens_are_regenerated_from_samplers():
    written = Path(make_js_goldens.OUT).read_text(encoding="utf-8")
    assert written == make_js_goldens.render(), "goldens.json is stale: run .venv/bin/python tools/make_js_goldens.py"
