"""The JS mirror's golden values (tests/js/goldens.json) are what samplers/ gives today, each within the tolerance its
entry declares; `node --test tests/js` (run by `make test`) checks js/samplerlab_math.js against them."""

from __future__ import annotations

import copy
import math

import loader
import make_js_goldens
import make_js_params
import make_webui_hints


def test_goldens_hold_what_samplers_gives_today():
    stale = make_js_goldens.stale_entries(make_js_goldens.written(), make_js_goldens.goldens())
    assert not stale, "goldens.json is stale (run .venv/bin/python tools/make_js_goldens.py):\n" + "\n".join(stale[:20])


def test_a_stale_value_is_named_with_its_arguments():
    fresh = make_js_goldens.goldens()
    old = copy.deepcopy(fresh)
    args, values = old["karrasSigmas"]["cases"][3]
    values[3] *= 1 + 1e-9  # beyond the entry's rtol 1e-12
    old["denoiseTotalSteps"]["cases"][1][1] += 1  # an exact (integer) entry
    stale = make_js_goldens.stale_entries(old, fresh)
    assert len(stale) == 2
    assert stale[0].startswith(f"karrasSigmas({', '.join(map(repr, args))})[3]: {values[3]!r} → ")
    sd_betas = make_js_goldens.goldens()["rescaleZeroTerminalSnr"]["cases"][0][0][0]
    assert make_js_goldens._short(sd_betas) == f"[{sd_betas[0]!r}, …998 more…, {sd_betas[-1]!r}]"
    assert stale[1].startswith("denoiseTotalSteps(4, 0.5): ")


def test_the_last_digit_of_a_float_kernel_is_not_stale():
    fresh = make_js_goldens.goldens()
    old = copy.deepcopy(fresh)
    values = old["karrasSigmas"]["cases"][3][1]
    before = values[7]
    values[7] = math.nextafter(before, math.inf)  # one unit in the last place, as another CPU's kernels give
    assert values[7] != before
    assert make_js_goldens.stale_entries(old, fresh) == []


def test_every_twin_is_a_function_of_the_core():
    for name, entry in make_js_goldens.goldens().items():
        if name.startswith("_"):
            continue
        package, *path = entry["twin"].split(".")
        assert package == "samplers", (name, entry["twin"])
        target = loader.core()
        for attribute in path:
            target = getattr(target, attribute, None)
        assert callable(target), (name, entry["twin"])


def test_regenerating_keeps_the_digits_of_values_within_tolerance():
    fresh = make_js_goldens.goldens()
    old = copy.deepcopy(fresh)
    values = old["karrasSigmas"]["cases"][3][1]
    values[7] = math.nextafter(values[7], math.inf)  # another CPU's last digit: kept
    values[8] *= 1 + 1e-6  # a real change in samplers/: rewritten
    written = make_js_goldens.refreshed(old, fresh)["karrasSigmas"]["cases"][3][1]
    assert written[7] == values[7] != fresh["karrasSigmas"]["cases"][3][1][7]
    assert written[8] == fresh["karrasSigmas"]["cases"][3][1][8] != values[8]


def test_the_front_end_fallbacks_are_the_core_table():
    with open(make_js_params.OUT, encoding="utf-8") as f:
        assert f.read() == make_js_params.render(), "js/samplerlab_params.js is stale (run make regen)"


def test_the_web_ui_tooltips_are_the_parameter_table():
    with open(make_webui_hints.OUT, encoding="utf-8") as f:
        assert f.read() == make_webui_hints.render(), "javascript/sampler_lab_hints.js is stale (run make regen)"
