"""Every node on a tiny random-weight model of every model family the host has (tools/families.py), in-process.

A cell passes when the node works (finite output of the right shape; for CADS, every text stream of the positive
changed at the noisiest call) or refuses with a ValueError naming its input. Cells known to be wrong are strict
xfails: each says what is wrong, and flips to a failure (XPASS) once someone fixes it. The README's "Model families"
table is what the cells give (tools/make_family_table.py writes it).
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

import families
import make_family_table

#: Cells known to be wrong, (family, node) → what is wrong: bugs for the nodes' developers, each a strict xfail that
#: flips to a failure once fixed. None today (CADS on the pooled `y` of SD3/Flux/HunyuanVideo/HiDream, HiDream's Llama
#: tokens and Stable Cascade's `clip_text`/`clip_text_pooled` were, until nodes/patches.py learnt those inputs).
KNOWN_WRONG: dict[tuple[str, str], str] = {}

#: The prediction form each family's tiny model must have (as its checkpoint's would).
FORMS = {
    "sd15": "ε",
    "sd2_v": "v",
    "sdxl": "ε",
    "sdxl_v_zsnr": "v",
    "sd35": "flow",
    "flux_dev": "flow",
    "flux_schnell": "flow",
    "chroma": "flow",
    "qwen_image": "flow",
    "z_image": "flow",
    "lumina2": "flow",
    "wan21": "flow",
    "wan22": "flow",
    "hunyuan_video": "flow",
    "ltxv": "flow",
    "hidream": "flow",
    "cosmos": "EDM",
    "cosmos_predict2": "flow",
    "stable_cascade": "ε",
}

_OUTCOMES: dict[tuple[str, str], families.Outcome] = {}


def outcome(name: str, node: str) -> families.Outcome:
    """The cell's outcome, run once per session."""
    if (name, node) not in _OUTCOMES:
        _OUTCOMES[(name, node)] = families.run_cell(families.FAMILIES[name], node)
    return _OUTCOMES[(name, node)]


def _cells():
    for name in families.FAMILIES:
        for node in families.NODES:
            wrong = KNOWN_WRONG.get((name, node))
            marks = [pytest.mark.xfail(strict=True, reason=wrong)] if wrong else []
            yield pytest.param(name, node, marks=marks, id=f"{name}-{node}")


def test_every_family_has_a_form_and_every_known_wrong_cell_exists():
    assert set(FORMS) == set(families.FAMILIES)
    assert all(name in families.FAMILIES and node in families.NODES for name, node in KNOWN_WRONG)


def test_a_family_whose_config_the_host_lacks_is_reported_missing(host):
    absent = dataclasses.replace(families.FAMILIES["sd15"], config="NoSuchModelConfig")
    assert "NoSuchModelConfig" in families.missing_reason(absent)
    assert families.missing_reason(families.FAMILIES["sd15"]) is None
    with pytest.raises(LookupError, match="NoSuchModelConfig"):
        families.build_model(absent)


@pytest.mark.parametrize("name", list(families.FAMILIES))
def test_tiny_model_has_the_family_form_and_every_parameter_set(family_on_host, name):
    """Built twice, the same weights (none left as uninitialised memory), all finite; the form the family has."""
    family = family_on_host(name)
    model, again = families.cached_model(family), families.build_model(family)
    assert families.prediction(model) == FORMS[name]
    weights, other = model.model.state_dict(), again.model.state_dict()
    assert weights.keys() == other.keys()
    for key, value in weights.items():
        assert torch.isfinite(value).all(), key
        assert torch.equal(value, other[key]), f"{key} is not initialised deterministically"
    if name == "sdxl_v_zsnr":  # the checkpoint's "ztsnr" marker: the schedule ends at (nearly) zero SNR
        assert float(model.get_model_object("model_sampling").sigma_max) > 1000


@pytest.mark.parametrize("name", list(families.FAMILIES))
def test_tiny_model_output_depends_on_the_latent_and_the_prompt(host, family_on_host, name):
    """One step at cfg 1 from two noises and with two prompts: three different results."""
    family = family_on_host(name)
    model = families.cached_model(family)

    def one_step(seed: int, prompt: int) -> torch.Tensor:
        return host.ksample(
            model,
            family.conditioning(prompt),
            family.conditioning(prompt + 1),
            family.empty_latent(),
            seed=seed,
            steps=1,
            cfg=1.0,
            sampler_name="euler",
            scheduler="simple",
            denoise=0.5,
        )

    base = one_step(0, 1)
    assert torch.isfinite(base).all()
    assert not torch.allclose(base, one_step(1, 1))
    assert not torch.allclose(base, one_step(0, 3))


@pytest.mark.parametrize("name,node", _cells())
def test_node_works_or_refuses_naming_its_input(family_on_host, name, node):
    family_on_host(name)
    result = outcome(name, node)
    assert result.status in ("works", "refused"), result.detail


def test_readme_table_is_what_the_cells_give(host):
    built, missing = families.host_families()
    outcomes = {(name, node): outcome(name, node) for name in built for node in families.NODES}
    forms = {name: families.prediction(families.cached_model(families.FAMILIES[name])) for name in built}
    with open(make_family_table.README, encoding="utf-8") as f:
        readme = f.read()
    assert families.readme_table(readme) == families.render_table(outcomes, forms, missing), (
        "README table is stale: run .venv/bin/python tools/make_family_table.py"
    )
