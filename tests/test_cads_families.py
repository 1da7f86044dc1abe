"""CADS (Sadat et al. ICLR 2024: ŷ = √γ(t)·y + s·√(1 − γ(t))·n) on a tiny model of every family the host has
(tools/families.py), through the real host in-process: what the model's apply_model receives.

At the noisiest call (t = 1 ≥ τ2, γ = 0) every text stream of the positive (tools/families.py `Family.streams`: the
tokens of every text encoder and the pooled vectors) must differ from the run without CADS, and everything else
(guidance, size embeddings, masks, image and reference latents, the negative) must arrive bit for bit as without it.
"""

from __future__ import annotations

import importlib
import logging
import uuid

import pytest
import torch

import families

TAU1, TAU2 = 0.6, 0.9


@pytest.fixture(scope="module")
def pack(host):
    host.load_builtin_extra_nodes()
    return host.import_pack()


@pytest.fixture(scope="module")
def cads(pack):
    return pack.NODE_CLASS_MAPPINGS["SamplerLabCADS"]()


@pytest.fixture(scope="module")
def patches(pack):
    return importlib.import_module(pack.__name__ + ".nodes.patches")


def _copy(value):
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


def _same(a, b) -> bool:
    """Bit for bit: tensors equal in dtype, shape and every value; lists elementwise; anything else by ==."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(u, v) for u, v in zip(a, b))
    return a == b


def recorded_calls(model, positive, negative, latent, steps: int = 1, scheduler: str = "simple") -> list[dict]:
    """Every argument of every apply_model call of a KSampler run (after the wrappers patched before: CADS)."""
    import comfy.patcher_extension
    import hostlib

    calls = []

    def record(executor, x, t, c_concat, c_crossattn, control, transformer_options, **kwargs):
        calls.append(
            {
                "chunks": list(transformer_options.get("cond_or_uncond") or [0]),
                "model": executor.class_obj,
                "args": {
                    "x": x.clone(),
                    "t": t.clone(),
                    "c_concat": _copy(c_concat),
                    "c_crossattn": _copy(c_crossattn),
                    **{k: _copy(v) for k, v in kwargs.items()},
                },
            }
        )
        return executor(x, t, c_concat, c_crossattn, control, transformer_options, **kwargs)

    m = model.clone()
    m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.APPLY_MODEL, "test_cads_families_record", record)
    hostlib.ksample(
        m, positive, negative, latent, seed=0, steps=steps, cfg=3.0, sampler_name="euler", scheduler=scheduler
    )
    return calls


def rows(call: dict, chunk: int, tensor: torch.Tensor) -> torch.Tensor:
    """The rows of `tensor` that belong to `chunk` (0 positive, 1 negative) of the call."""
    batch = tensor.shape[0] // len(call["chunks"])
    return torch.cat([tensor[j * batch : (j + 1) * batch] for j, c in enumerate(call["chunks"]) if c == chunk])


#: Image and reference inputs that the families' text-to-image conditioning lacks: added, they must pass untouched.
_IMAGE_INPUTS = {
    "flux_dev": lambda: {"reference_latents": [torch.randn(1, 16, 16, 16, generator=torch.Generator().manual_seed(5))]},
    "qwen_image": lambda: {
        "reference_latents": [torch.randn(1, 16, 1, 16, 16, generator=torch.Generator().manual_seed(5))]
    },
}


def conditioning(family: families.Family, seed: int) -> list:
    [[cond, extras]] = family.conditioning(seed)
    return [[cond, {**extras, **_IMAGE_INPUTS.get(family.name, dict)()}]]


@pytest.mark.parametrize("name", list(families.FAMILIES))
def test_cads_anneals_every_text_stream_and_nothing_else(family_on_host, cads, patches, name):
    family = family_on_host(name)
    model = families.cached_model(family)
    positive, negative, latent = conditioning(family, 1), conditioning(family, 2), family.empty_latent()
    plain = recorded_calls(model, positive, negative, latent)
    (patched,) = cads.patch(model, 0.25, TAU1, TAU2, 1.0)
    noised = recorded_calls(patched, positive, negative, latent)
    assert plain and len(noised) == len(plain)
    streams = {s.name: s for s in family.streams}
    changed = set()
    for call, ref in zip(noised, plain):
        assert call["chunks"] == ref["chunks"] and call["args"].keys() == ref["args"].keys()
        sigma_max = float(model.get_model_object("model_sampling").sigma_max)
        assert call["args"]["t"].tolist() == pytest.approx([sigma_max] * len(call["args"]["t"]))  # t = 1 ≥ τ2: γ = 0
        for key, value in ref["args"].items():
            stream = streams.get(key)
            if stream is None:
                assert _same(call["args"][key], value), f"{family.title}: CADS changed {key}"
                continue
            text, clean = call["args"][key][..., : stream.width], value[..., : stream.width]
            assert _same(call["args"][key][..., clean.shape[-1] :], value[..., clean.shape[-1] :]), key  # not text
            assert _same(rows(call, 1, text), rows(ref, 1, clean)), f"{family.title}: the negative {key} changed"
            if 0 in call["chunks"] and not torch.allclose(rows(call, 0, text), rows(ref, 0, clean)):
                changed.add(key)
    assert changed == set(streams), f"{family.title}: CADS left {set(streams) - changed} unchanged"


@pytest.mark.parametrize("name", list(families.FAMILIES))
def test_cads_table_knows_every_conditioning_input_and_gives_each_text_stream_its_own_noise(
    family_on_host, patches, name
):
    family = family_on_host(name)
    [call, *_] = recorded_calls(
        families.cached_model(family), conditioning(family, 1), conditioning(family, 2), family.empty_latent()
    )
    model_cls, batch = type(call["model"]), call["args"]["x"].shape[0]
    conds = {k: v for k, v in call["args"].items() if k not in ("x", "t", "c_concat")}
    for key, value in conds.items():
        if isinstance(value, torch.Tensor) and value.shape[:1] == (batch,):
            assert patches.cads_role(model_cls, key) is not patches.UNKNOWN_INPUT, f"{model_cls.__name__}: {key}"
    texts = patches.cads_text_inputs(model_cls, conds, batch)
    assert {key for key, _ in texts} == {s.name for s in family.streams}
    assert len({(text.pooled, text.part) for _, text in texts}) == len(texts)  # distinct cads_stream parts


def test_an_unknown_conditioning_input_is_named_once_and_left_alone(family_on_host, cads, caplog):
    """A custom node's model_conds entry that the table does not know: one warning naming the class and the key."""
    import comfy.conds

    family = family_on_host("sd15")
    model = families.cached_model(family)
    key = f"samplerlab_test_{uuid.uuid4().hex[:8]}"
    [[cond, extras]] = family.conditioning(1)
    positive = [[cond, {**extras, "model_conds": {key: comfy.conds.CONDRegular(torch.arange(3.0).reshape(1, 3))}}]]
    plain = recorded_calls(model, positive, family.conditioning(2), family.empty_latent())
    (patched,) = cads.patch(model, 0.25, TAU1, TAU2, 1.0)
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            noised = recorded_calls(patched, positive, family.conditioning(2), family.empty_latent(), steps=2)
    named = [r.getMessage() for r in caplog.records if key in r.getMessage()]
    assert len(named) == 1 and type(model.model).__name__ in named[0], named
    ref = next(c for c in plain if 0 in c["chunks"])
    assert all(_same(rows(c, 0, c["args"][key]), rows(ref, 0, ref["args"][key])) for c in noised if 0 in c["chunks"])


def _times(model, call: dict) -> torch.Tensor:
    """t ∈ [0, 1] of each row of a discrete-schedule call: its timestep over the last one (SDXL: 999)."""
    ms = model.get_model_object("model_sampling")
    return ms.timestep(call["args"]["t"]).double() / ms.timestep(ms.sigmas[-1:]).double()


def test_noise_scale_zero_without_rescale_scales_the_text_by_sqrt_gamma(family_on_host, cads):
    """s = 0 is not off: where γ(t) < 1 the paper's ŷ = √γ·y + 0·n is y scaled down (tokens and SDXL's pooled
    part; its size embeddings untouched)."""
    family = family_on_host("sdxl")
    model = families.cached_model(family)
    args = (conditioning(family, 1), conditioning(family, 2), family.empty_latent())
    plain = recorded_calls(model, *args, steps=4, scheduler="karras")
    (patched,) = cads.patch(model, 0.0, 0.0, 1.0, 1.0, rescale=False)  # γ = 1 − t
    gammas = []
    for call, ref in zip(recorded_calls(patched, *args, steps=4, scheduler="karras"), plain):
        gamma = 1 - _times(model, ref)
        gammas += rows(ref, 0, gamma).tolist()
        scale = rows(ref, 0, gamma).sqrt().reshape(-1, 1, 1)
        torch.testing.assert_close(
            rows(call, 0, call["args"]["c_crossattn"]).double(),
            rows(ref, 0, ref["args"]["c_crossattn"]).double() * scale,
            rtol=1e-6,
            atol=1e-7,
        )
        torch.testing.assert_close(
            rows(call, 0, call["args"]["y"])[:, :1280].double(),
            rows(ref, 0, ref["args"]["y"])[:, :1280].double() * scale[:, 0],
            rtol=1e-6,
            atol=1e-7,
        )
        assert _same(call["args"]["y"][:, 1280:], ref["args"]["y"][:, 1280:])
        assert _same(rows(call, 1, call["args"]["c_crossattn"]), rows(ref, 1, ref["args"]["c_crossattn"]))
    assert min(gammas) == 0.0 and any(0.0 < g < 0.99 for g in gammas)


def test_noise_scale_zero_with_rescale_gives_the_text_back_or_its_mean(family_on_host, cads):
    """With rescale (ψ = 1), √γ·y is mapped back to y's mean and std: y again where 0 < γ < 1, and y's mean where
    γ = 0 (t ≥ τ2, nothing left to rescale); only τ1 = τ2 = 1 (or bypassing the node) leaves y as it is."""
    family = family_on_host("sd15")
    model = families.cached_model(family)
    args = (conditioning(family, 1), conditioning(family, 2), family.empty_latent())
    plain = recorded_calls(model, *args, steps=4, scheduler="karras")
    (patched,) = cads.patch(model, 0.0, 0.0, 0.95, 1.0)
    kinds = set()
    for call, ref in zip(recorded_calls(patched, *args, steps=4, scheduler="karras"), plain):
        gamma = rows(ref, 0, (0.95 - _times(model, ref)).clamp(0.0, 0.95) / 0.95)
        tokens, clean = rows(call, 0, call["args"]["c_crossattn"]), rows(ref, 0, ref["args"]["c_crossattn"])
        for g, out, y in zip(gamma.tolist(), tokens, clean):
            expected = y.mean().expand_as(y) if g == 0.0 else y
            torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5)
            kinds.add(g == 0.0)
    assert kinds == {True, False}
    (off,) = cads.patch(model, 0.25, 1.0, 1.0, 1.0)
    for call, ref in zip(recorded_calls(off, *args, steps=4, scheduler="karras"), plain):
        assert _same(call["args"]["c_crossattn"], ref["args"]["c_crossattn"])


def test_extra_token_streams_get_their_own_seed_streams_and_part_zero_keeps_the_old_ones(pack):
    """samplers/seeds.py item 4: part 0 is the old 4·prompt + 2·negative + pooled (SD1.x/SDXL noise unchanged, as
    in the web UIs); part p ≥ 1 (a second text encoder's tokens) is 4·(prompt + 4096·p) + 2·negative + pooled."""
    seeds = importlib.import_module(pack.__name__ + ".samplers.seeds")
    stream = seeds.cads_stream
    assert [stream(negative=n, pooled=p) for n in (False, True) for p in (False, True)] == [0, 1, 2, 3]
    assert stream(negative=False, pooled=False, prompt=1) == 4
    assert stream(negative=False, pooled=False, part=1) == 16384
    assert stream(negative=True, pooled=True, prompt=seeds.CADS_PROMPTS - 1, part=seeds.CADS_PARTS - 1) == 2**16 - 1
    every = {
        stream(negative=n, pooled=p, prompt=j, part=k)
        for n in (False, True)
        for p in (False, True)
        for j in (0, 1, seeds.CADS_PROMPTS - 1)
        for k in range(seeds.CADS_PARTS)
    }
    assert len(every) == 2 * 2 * 3 * seeds.CADS_PARTS
    for bad in (-1, seeds.CADS_PARTS):
        with pytest.raises(ValueError, match="part"):
            stream(negative=False, pooled=False, part=bad)


def test_a_model_without_text_input_is_named_once(patches, caplog):
    """A model whose calls carry no text CADS can anneal (e.g. image-conditioned SVD): one warning naming the model
    class and its inputs; nothing is annealed."""
    model_cls = type(f"ImageOnlyModel{uuid.uuid4().hex[:6]}", (), {})
    conds = {"c_crossattn": None, "guidance": torch.ones(2)}  # guidance: known, and not text
    with caplog.at_level(logging.WARNING):
        assert patches.cads_text_inputs(model_cls, conds, 2) == []
        assert patches.cads_text_inputs(model_cls, conds, 2) == []
    named = [r.getMessage() for r in caplog.records if model_cls.__name__ in r.getMessage()]
    assert len(named) == 1 and "no text input" in named[0] and "guidance" in named[0], named
