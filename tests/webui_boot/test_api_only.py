"""Sampler Lab in the booted web UIs' API-only mode (`--nowebui`, how many servers run): no UI is built, so
nothing that is registered from a UI-time hook may be missing — the sampler, the schedules, the script and the
`[Sampler Lab]` X/Y/Z axes — and each cell of a plot over our axis is that cell's settings run alone."""

from __future__ import annotations

from booted import SCRIPT, differ, generate, lab, ours, payload, same, script_info, skip_unless_booted, xyz_args

pytestmark = skip_unless_booted


def test_the_extension_is_whole_without_a_ui(api_only_ui):
    ui = api_only_ui
    assert "EDM Heun" in [s["name"] for s in ui.get("/sdapi/v1/samplers")]
    assert len(script_info(ui, SCRIPT)["args"]) == 16
    axes = next(a for a in script_info(ui, "x/y/z plot")["args"] if a["label"] == "X type")["choices"]
    ours_axes = [a for a in axes if a.startswith("[Sampler Lab] ")]
    assert ours_axes == [
        f"[Sampler Lab] {label}"
        for label in (
            "S_churn",
            "S_tmin",
            "S_tmax",
            "S_noise",
            "rho",
            "CFG rescale phi",
            "CADS noise scale",
            "CADS tau1",
            "CADS tau2",
            "CADS psi",
            "CADS seed",
        )
    ]


def test_xyz_over_our_axis_without_a_ui(api_only_ui):
    """X/Y/Z over φ (it switches CFG rescale on in each cell; neither value is φ's default, which the infotext
    leaves out): each cell records and equals its own settings."""
    ui, results = api_only_ui, {}
    body = payload(script_name="x/y/z plot", script_args=xyz_args(ui, "[Sampler Lab] CFG rescale phi", "0, 0.3"))
    images, infos = generate(ui, results, body)
    assert len(images) == 3, "the grid and its two cells"
    for cell, info, phi in zip(images[1:], infos[1:], ("0.0", "0.3")):
        alone, alone_infos = generate(ui, results, lab({"rescale_enabled": True, "phi": float(phi)}))
        assert same(cell, alone[0]), f"the φ = {phi} cell is not the same settings run alone"
        assert (
            ours(info)
            == ours(alone_infos[0])
            == {
                "Sampler Lab CFG rescale": "True",
                "Sampler Lab CFG rescale phi": phi,
            }
        )
    assert differ(images[1], images[2])
