"""What differs between host releases (0.3.75 … 0.33): LATENT keys of newer hosts, where the nodes sit in the node
library, expert inputs marked advanced, search aliases. Runs on whichever host SAMPLERLAB_COMFYUI_ROOT names."""

from __future__ import annotations

import inspect

import pytest
import torch

RATIO_KEYS = ("downscale_ratio_spacial", "downscale_ratio_temporal")

CATEGORIES = {  # where the newest host keeps the built-ins of the same kind
    "SamplerLabKarrasSigmas": "model/sampling/schedulers",  # beside KarrasScheduler
    "SamplerLabSpacingSigmas": "model/sampling/schedulers",
    "SamplerLabHeunChurn": "model/sampling/samplers",  # beside the Sampler* nodes
    "SamplerLabKSampler": "model/sampling",  # beside KSampler
    "SamplerLabZeroTerminalSNR": "model/patch",  # beside ModelSamplingDiscrete (its zsnr option)
    "SamplerLabCFGRescale": "model/patch",  # beside RescaleCFG
    "SamplerLabCADS": "model/patch",
}
DEMO_CATEGORY = "model/sampling/sampler_lab/demo"

ADVANCED = {
    "SamplerLabHeunChurn": {"s_tmin", "s_tmax", "s_noise"},
    "SamplerLabKSampler": {"s_tmin", "s_tmax", "s_noise"},
    "SamplerLabCADS": {"psi", "rescale", "apply_to_negative", "seed"},
}

ALIASES = {  # a user typing these in the node search must find the node
    "karras": {"SamplerLabKarrasSigmas", "SamplerLabKSampler"},
    "edm": {"SamplerLabKarrasSigmas", "SamplerLabHeunChurn", "SamplerLabKSampler"},
    "churn": {"SamplerLabHeunChurn", "SamplerLabKSampler"},
    "zsnr": {"SamplerLabZeroTerminalSNR"},
    "zero snr": {"SamplerLabZeroTerminalSNR"},
    "cads": {"SamplerLabCADS"},
    "rescale cfg": {"SamplerLabCFGRescale"},
    "trailing": {"SamplerLabSpacingSigmas"},
}


@pytest.fixture(scope="module")
def pack(host):
    host.load_builtin_extra_nodes()
    return host.import_pack()


def host_takes_ratios() -> bool:
    import comfy.sample

    params = inspect.signature(comfy.sample.fix_empty_latent_channels).parameters
    return all(k in params for k in RATIO_KEYS)


def both_ksamplers(host, pack, latent: dict, seed=7, steps=3):
    """(host KSampler output, our KSampler output) for the same LATENT dict (each gets its own copy)."""
    import nodes
    from hostlib import sd15_conditioning

    model = host.tiny_model("sd15_eps")
    pos, neg = sd15_conditioning(1), sd15_conditioning(2)
    (theirs,) = nodes.KSampler().sample(model, seed, steps, 5.0, "euler", "karras", pos, neg, dict(latent))
    (ours,) = pack.NODE_CLASS_MAPPINGS["SamplerLabKSampler"]().sample(
        model, seed, steps, 5.0, pos, neg, dict(latent), 1.0, 7.0, 0.0, 0.05, 50.0, 1.003
    )
    return theirs, ours


def test_empty_latent_with_downscale_ratios_goes_through_like_the_host_ksampler(host, pack):
    # an empty latent made for a VAE that downscales 4× (the tiny SD1.x model's latent format says 8×)
    latent = {
        "samples": torch.zeros(1, 4, 16, 16),
        "downscale_ratio_spacial": 4,
        "downscale_ratio_temporal": 1,
        "batch_index": [0],
    }
    theirs, ours = both_ksamplers(host, pack, latent)
    assert set(ours) == set(theirs)
    assert ours["samples"].shape == theirs["samples"].shape
    assert torch.isfinite(ours["samples"]).all()
    assert set(latent) == {"samples", *RATIO_KEYS, "batch_index"}  # the input LATENT is left as it was
    if host_takes_ratios():  # ComfyUI >= 0.10: the ratio resizes the empty latent; both keys leave the output
        assert not set(RATIO_KEYS) & set(ours)
        assert tuple(ours["samples"].shape) == (1, 4, 8, 8)
    else:  # older hosts know no ratios: the keys pass through untouched, as in the host's KSampler
        assert ours["downscale_ratio_spacial"] == 4 and tuple(ours["samples"].shape) == (1, 4, 16, 16)


def test_host_empty_latent_into_our_ksampler_matches_the_host_keys(host, pack):
    import nodes

    (empty,) = nodes.EmptyLatentImage().generate(128, 128, 1)
    theirs, ours = both_ksamplers(host, pack, empty)
    assert set(ours) == set(theirs)
    assert ours["samples"].shape == theirs["samples"].shape == (1, 4, 16, 16)
    # and the result feeds a second pass (img2img) the same way
    again_theirs, again_ours = both_ksamplers(host, pack, ours, steps=2)
    assert set(again_ours) == set(again_theirs)


def test_nodes_sit_beside_the_newest_hosts_builtins(pack):
    mappings = pack.NODE_CLASS_MAPPINGS
    for node_id, category in CATEGORIES.items():
        assert mappings[node_id].CATEGORY == category, node_id
    demo = [cls for name, cls in mappings.items() if name.startswith("SamplerLabDemo")]
    assert demo and all(cls.CATEGORY == DEMO_CATEGORY for cls in demo)
    assert set(CATEGORIES) | {n for n in mappings if n.startswith("SamplerLabDemo")} == set(mappings)


def test_expert_inputs_are_advanced_and_the_rest_is_not(pack):
    for node_id, cls in pack.NODE_CLASS_MAPPINGS.items():
        spec = cls.INPUT_TYPES()
        for section in ("required", "optional"):
            for name, (_, *opts) in spec.get(section, {}).items():
                flagged = bool(opts and opts[0].get("advanced"))
                assert flagged == (name in ADVANCED.get(node_id, ())), f"{node_id}.{name}"
                if flagged:
                    assert "default" in opts[0], f"{node_id}.{name}: folded away but has no default"


def test_search_aliases_find_the_nodes(pack):
    mappings = pack.NODE_CLASS_MAPPINGS
    for node_id, cls in mappings.items():
        aliases = getattr(cls, "SEARCH_ALIASES", [])
        assert isinstance(aliases, list) and all(isinstance(a, str) and a == a.lower() for a in aliases), node_id
    for alias, expected in ALIASES.items():
        found = {n for n, cls in mappings.items() if alias in getattr(cls, "SEARCH_ALIASES", [])}
        assert expected <= found, alias


def test_the_server_publishes_categories_advanced_inputs_and_aliases(server):
    info = server.object_info()
    host_has_aliases = "search_aliases" in info["KSampler"]  # newer hosts send them; 0.3.75 ignores the attribute
    for node_id, category in CATEGORIES.items():
        node = info[node_id]
        assert node["category"] == category
        for name in ADVANCED.get(node_id, ()):
            section = "required" if name in node["input"]["required"] else "optional"
            assert node["input"][section][name][1].get("advanced") is True, (node_id, name)
        if host_has_aliases:
            assert node["search_aliases"], node_id
    if host_has_aliases:
        for alias, expected in ALIASES.items():
            assert {n for n in CATEGORIES if alias in info[n]["search_aliases"]} >= expected, alias
