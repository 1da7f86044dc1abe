"""Bad and extreme input for every number (and latent) our nodes take, sent through the real server's /prompt API.

Each `Case` sets one input of one node in a small demo-model workflow, either as a widget value (the host's own
check refuses values outside the advertised min/max, but not NaN) or through a link from the fixture node
SamplerLabTestNumber (a value from another node's output, which the host does not check at all). `run_cases` queues
them all and reads back, per case, how it ended: refused (by the host's check or by our node, with the message) or
finished, and then whether every output is finite. `render_table` turns that into the README table
"What is refused, and how"; tests/test_bad_input.py asserts each case and that the README holds today's table.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

import requests

import loader

TABLE_START, TABLE_END = "<!-- bad-input-table:start -->", "<!-- bad-input-table:end -->"


@dataclass(frozen=True)
class Case:
    node: str  # our node id without the "SamplerLab" prefix
    input: str
    value: str  # as text: "nan", "-inf", "1e30", "7"
    expect: str  # "refused" or "finite"
    linked: bool = False  # through SamplerLabTestNumber instead of a widget value
    extra: tuple = ()  # other inputs of the same node set for this case: ((name, value), …)

    @property
    def id(self) -> str:
        extra = "".join(f",{k}={v}" for k, v in self.extra)
        return f"{self.node}.{self.input}={self.value}{'(link)' if self.linked else ''}{extra}"


# ---- the workflows -----------------------------------------------------------------------------------------------


def _demo(prediction: str = "eps") -> dict:
    return {
        "model": {"class_type": "SamplerLabDemoModel", "inputs": {"prediction": prediction}},
        "pos": {"class_type": "SamplerLabDemoClass", "inputs": {"class_name": "disc"}},
        "neg": {"class_type": "SamplerLabDemoClass", "inputs": {"class_name": "unconditional"}},
        "empty": {"class_type": "EmptyLatentImage", "inputs": {"width": 128, "height": 128, "batch_size": 1}},
    }


def _ksampler(model=("model", 0), latent=("empty", 0)) -> dict:
    return {
        "class_type": "SamplerLabKSampler",
        "inputs": {
            "model": list(model),
            "seed": 0,
            "steps": 2,
            "cfg": 3.0,
            "positive": ["pos", 0],
            "negative": ["neg", 0],
            "latent_image": list(latent),
            "denoise": 1.0,
            "rho": 7.0,
            "s_churn": 1.0,
            "s_tmin": 0.05,
            "s_tmax": 50.0,
            "s_noise": 1.003,
        },
    }


def _stats(node: str, kind: str = "Latent") -> dict:
    name = {"Latent": "samples", "Image": "images", "Sigmas": "sigmas"}[kind]
    return {"class_type": f"SamplerLabTest{kind}Stats", "inputs": {name: [node, 0]}}


def _sample_custom(sampler=("sampler", 0), sigmas=("sigmas", 0)) -> dict:
    return {
        "class_type": "SamplerCustom",
        "inputs": {
            "model": ["model", 0],
            "add_noise": True,
            "noise_seed": 0,
            "cfg": 3.0,
            "positive": ["pos", 0],
            "negative": ["neg", 0],
            "sampler": list(sampler),
            "sigmas": list(sigmas),
            "latent_image": ["empty", 0],
        },
    }


def _karras(steps: int = 2) -> dict:
    return {
        "class_type": "SamplerLabKarrasSigmas",
        "inputs": {"steps": steps, "sigma_min": 0.0, "sigma_max": 0.0, "rho": 7.0, "model": ["model", 0]},
    }


def _heun() -> dict:
    return {
        "class_type": "SamplerLabHeunChurn",
        "inputs": {"s_churn": 1.0, "s_tmin": 0.05, "s_tmax": 50.0, "s_noise": 1.003},
    }


#: Sampling runs only where the schedule is short: a long one is checked as SIGMAS.
SAMPLE_UP_TO = 50


def workflow(case: Case) -> tuple[dict, str]:
    """The API prompt of a case and the id of the node that holds the input."""
    p = _demo("v_prediction" if case.node == "ZeroTerminalSNR" and case.value == "v_prediction" else "eps")
    node = {
        "KarrasSigmas": "sigmas",
        "SpacingSigmas": "sigmas",
        "HeunChurn": "sampler",
        "KSampler": "ks",
        "CFGRescale": "patch",
        "CADS": "patch",
        "ZeroTerminalSNR": "patch",
        "DemoDecode": "decode",
        "DemoDataset": "dataset",
    }[case.node]
    if case.node in ("KarrasSigmas", "SpacingSigmas"):
        p["sigmas"] = (
            _karras()
            if case.node == "KarrasSigmas"
            else {
                "class_type": "SamplerLabSpacingSigmas",
                "inputs": {"model": ["model", 0], "steps": 2, "spacing": "trailing"},
            }
        )
        p["sigma_stats"] = _stats("sigmas", "Sigmas")
        p["sampler"] = _heun()
        p["sample"] = _sample_custom()
        p["stats"] = _stats("sample")
    elif case.node == "HeunChurn":
        p.update(sigmas=_karras(), sampler=_heun(), sample=_sample_custom(), stats=_stats("sample"))
    elif case.node == "KSampler":
        p.update(ks=_ksampler(), stats=_stats("ks"))
    elif case.node in ("CFGRescale", "CADS", "ZeroTerminalSNR"):
        p["patch"] = {
            "CFGRescale": {"class_type": "SamplerLabCFGRescale", "inputs": {"model": ["model", 0], "phi": 0.7}},
            "CADS": {
                "class_type": "SamplerLabCADS",
                "inputs": {"model": ["model", 0], "noise_scale": 0.25, "tau1": 0.6, "tau2": 0.9, "psi": 1.0, "seed": 0},
            },
            "ZeroTerminalSNR": {"class_type": "SamplerLabZeroTerminalSNR", "inputs": {"model": ["model", 0]}},
        }[case.node]
        p.update(ks=_ksampler(model=("patch", 0)), stats=_stats("ks"))
        p["ks"]["inputs"]["cfg"] = 7.0
    elif case.node == "DemoDecode":
        p.update(
            ks=_ksampler(),
            decode={"class_type": "SamplerLabDemoDecode", "inputs": {"samples": ["ks", 0], "scale": 2}},
            stats=_stats("decode", "Image"),
        )
    elif case.node == "DemoDataset":
        p.update(
            dataset={
                "class_type": "SamplerLabDemoDataset",
                "inputs": {"class_name": "unconditional", "count": 8, "scale": 1},
            },
            stats=_stats("dataset", "Image"),
        )
    for name, value in ((case.input, case.value), *case.extra):
        _set(p, node, name, value, case.linked and name == case.input)
    steps = p["sigmas"]["inputs"]["steps"] if "sigmas" in p else 0
    if not isinstance(steps, int) or steps > SAMPLE_UP_TO:
        for key in ("sampler", "sample", "stats"):
            p.pop(key, None)
    return p, node


def _set(p: dict, node: str, name: str, value: str, linked: bool) -> None:
    """Set input `name` of node `node` to `value` (text), as a widget value or through a link."""
    inputs = p[node]["inputs"]
    if name in ("latent_image", "samples"):  # a latent: "fill:<value>:<channels>x<size>" or "empty:<w>x<h>"
        inputs = p["sample" if node == "sampler" else node]["inputs"]
        kind, *spec = value.split(":")
        if kind == "empty":
            w, h = spec[0].split("x")
            p["empty"]["inputs"].update(width=int(w), height=int(h))
        else:
            channels, size = spec[1].split("x")
            p["latent"] = {
                "class_type": "SamplerLabTestLatent",
                "inputs": {"value": spec[0], "channels": int(channels), "size": int(size), "batch": 1},
            }
            inputs[name] = ["latent", 0]
        return
    if name == "model":
        return  # the prediction type is chosen in `workflow`
    is_int = name in INT_INPUTS
    if linked:
        p["number"] = {"class_type": "SamplerLabTestNumber", "inputs": {"text": value}}
        inputs[name] = ["number", 1 if is_int else 0]
    else:
        inputs[name] = int(value) if is_int else float(value)


# ---- the cases ---------------------------------------------------------------------------------------------------

P = loader.core().params
#: (node, parameter of the core's table, expected at its min, expected at its max)
NUMBER_INPUTS = [
    ("KarrasSigmas", P.KARRAS_STEPS, "finite", "finite"),
    ("KarrasSigmas", P.SIGMA_MIN, "finite", "refused"),  # 5000 ≥ the model's σmax
    ("KarrasSigmas", P.SIGMA_MAX, "finite", "finite"),
    ("KarrasSigmas", P.RHO, "finite", "finite"),
    ("SpacingSigmas", P.SPACING_STEPS, "finite", "refused"),  # more than the model's 1000 timesteps
    ("HeunChurn", P.S_CHURN, "finite", "finite"),
    ("HeunChurn", P.S_TMIN, "finite", "refused"),  # above s_tmax
    ("HeunChurn", P.S_TMAX, "refused", "finite"),  # below s_tmin
    ("HeunChurn", P.S_NOISE, "finite", "finite"),
    ("KSampler", P.SEED, "finite", "finite"),
    ("KSampler", P.HEUN_STEPS, "finite", "slow"),  # 20 000 model calls: see the 100-step case
    ("KSampler", P.CFG, "finite", "finite"),
    ("KSampler", P.DENOISE, "finite", "finite"),
    ("KSampler", P.RHO, "finite", "finite"),
    ("KSampler", P.S_CHURN, "finite", "finite"),
    ("KSampler", P.S_TMIN, "finite", "refused"),
    ("KSampler", P.S_TMAX, "refused", "finite"),
    ("KSampler", P.S_NOISE, "finite", "finite"),
    ("CFGRescale", P.PHI, "finite", "finite"),
    ("CADS", P.NOISE_SCALE, "finite", "finite"),
    ("CADS", P.TAU1, "finite", "refused"),  # above tau2
    ("CADS", P.TAU2, "refused", "finite"),  # below tau1
    ("CADS", P.PSI, "finite", "finite"),
    ("CADS", P.CADS_SEED, "finite", "finite"),
]
#: The demo's own inputs (demo/nodes.py; not features, so not in the core's table): (node, input, min, max, …).
DEMO_NUMBER_INPUTS = [
    ("DemoDecode", "scale", 1, 64, "finite", "finite"),
    ("DemoDataset", "count", 1, 320, "finite", "finite"),
    ("DemoDataset", "scale", 1, 64, "finite", "finite"),
]
INT_INPUTS = {p.name for _, p, _, _ in NUMBER_INPUTS if p.kind is int} | {"scale", "count"}


def _text(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def _below(lo: str) -> str:
    return "-1" if float(lo) >= 0 else f"{float(lo) - 1:g}"


def _cases() -> list[Case]:
    cases = []
    rows = [(node, p.name, _text(p.minimum), _text(p.maximum), lo, hi) for node, p, lo, hi in NUMBER_INPUTS]
    rows += [(node, name, str(lo), str(hi), at_lo, at_hi) for node, name, lo, hi, at_lo, at_hi in DEMO_NUMBER_INPUTS]
    for node, name, lo, hi, at_lo, at_hi in rows:
        is_int = name in INT_INPUTS
        beyond = str(int(hi) + 1) if is_int else f"{float(hi) * 10:g}"
        cases += [
            Case(node, name, lo, at_lo),
            *([Case(node, name, hi, at_hi)] if at_hi != "slow" else []),
            Case(node, name, _below(lo), "refused"),
            Case(node, name, beyond, "refused"),  # the host's check
            Case(node, name, _below(lo), "refused", linked=True),
            Case(node, name, beyond, "refused", linked=True),
            Case(node, name, "1000000000000000000000000000000", "refused", linked=True),
        ]
        if not is_int:  # NaN passes the host's min/max check as a widget value; ±inf only through a link
            cases += [
                Case(node, name, "nan", "refused"),
                Case(node, name, "inf", "refused"),
                Case(node, name, "inf", "refused", linked=True),
                Case(node, name, "-inf", "refused", linked=True),
                Case(node, name, "1e30", "refused", linked=True),
            ]
    pairs = [("HeunChurn", "s_tmin", "s_tmax"), ("KSampler", "s_tmin", "s_tmax"), ("CADS", "tau1", "tau2")]
    cases += [Case(node, a, v, "finite", extra=((b, v),)) for node, a, b in pairs for v in ("0", "0.7", "1")]
    cases += [
        # schedules: σ ends and ρ at the limits (σmax^(1/ρ) overflows float64 at ρ = 0.01), σmin below float32
        Case("KarrasSigmas", "rho", "0.01", "finite", extra=(("sigma_min", "0.001"), ("sigma_max", "5000"))),
        Case("KarrasSigmas", "rho", "100", "finite", extra=(("sigma_min", "0.001"), ("sigma_max", "5000"))),
        Case("KarrasSigmas", "sigma_min", "0.00001", "finite"),
        Case("KarrasSigmas", "sigma_min", "1e-30", "refused"),
        Case("KarrasSigmas", "sigma_min", "1e-40", "refused"),
        Case("KarrasSigmas", "sigma_max", "0.001", "refused"),  # below the model's σmin
        Case("KarrasSigmas", "steps", "10000", "finite", extra=(("rho", "0.01"),)),
        Case("SpacingSigmas", "steps", "1000", "finite"),
        Case("SpacingSigmas", "steps", "1001", "refused"),
        # denoise near 0: the schedule is steps/denoise long, bounded
        Case("KSampler", "steps", "100", "finite"),
        Case("KSampler", "denoise", "0.0001", "finite"),
        Case("KSampler", "denoise", "0.00001", "refused"),
        Case("KSampler", "denoise", "5e-324", "refused"),
        Case("KSampler", "cfg", "100", "finite", extra=(("s_churn", "1000"), ("s_noise", "2"))),
        # latents: NaN, inf, finite but absurd, and the sizes the demo model takes
        *[
            Case(node, "latent_image", f"fill:{v}:3x16", expect)
            for node in ("KSampler", "HeunChurn")
            for v, expect in (
                ("nan", "refused"),
                ("inf", "refused"),
                ("1e30", "refused"),
                ("100000", "refused"),
                ("1000", "finite"),
            )
        ],
        Case("KSampler", "latent_image", "empty:256x256", "refused"),
        Case("KSampler", "latent_image", "fill:0:4x32", "refused"),
        Case("HeunChurn", "latent_image", "empty:64x64", "refused"),
        Case("DemoDecode", "samples", "fill:nan:3x16", "refused"),
        Case("DemoDecode", "samples", "fill:0:4x16", "refused"),
        Case("DemoDecode", "samples", "fill:0:3x32", "refused"),
        Case("DemoDecode", "samples", "fill:1e30:3x16", "finite"),
        Case("DemoDataset", "scale", "64", "refused", extra=(("count", "320"),)),
        Case("DemoDataset", "scale", "16", "finite", extra=(("count", "320"),)),
        # models
        Case("ZeroTerminalSNR", "model", "eps", "refused"),
        Case("ZeroTerminalSNR", "model", "v_prediction", "finite"),
    ]
    return cases


CASES = _cases()


# ---- running them ------------------------------------------------------------------------------------------------


def _post(server, prompt: dict) -> requests.Response:
    """POST /prompt with NaN and ±inf written as JSON's NaN/Infinity (the host's parser reads them)."""
    body = json.dumps({"prompt": prompt, "client_id": server.client_id})
    return requests.post(server.url + "/prompt", data=body, headers={"Content-Type": "application/json"}, timeout=30)


def _host_refusal(body: dict) -> str:
    """'<message>: <input>' of each input error in a 400 answer of /prompt."""
    errors = [e for node in (body.get("node_errors") or {}).values() for e in node.get("errors", [])]
    return "; ".join(f"{e.get('message')}: {e.get('details')}" for e in errors) or json.dumps(body)[:500]


def run_cases(server, cases: list[Case] = CASES, timeout: float = 600.0) -> dict[str, dict]:
    """{case id: {"outcome": "refused by the host" | "refused by the node" | "finite" | "not finite", "message"}}.

    All prompts are queued first and read back from /history at the end: the server runs them back to back."""
    results, queued = {}, {}
    for case in cases:
        prompt, _ = workflow(case)
        r = _post(server, prompt)
        body = r.json()
        if r.status_code != 200 or "prompt_id" not in body:
            results[case.id] = {"outcome": "refused by the host", "message": _host_refusal(body)}
        else:
            queued[body["prompt_id"]] = case
    deadline = time.monotonic() + timeout
    while True:
        history = server.get("/history?max_items=100000")
        if all(pid in history for pid in queued) or time.monotonic() > deadline or not server.alive():
            break
        time.sleep(0.2)
    for pid, case in queued.items():
        entry = history.get(pid)
        if entry is None:
            results[case.id] = {"outcome": "not run", "message": "no history entry (server died or timed out)"}
            continue
        status = entry.get("status") or {}
        if status.get("status_str") == "error":
            error = next((m[1] for m in status.get("messages", []) if m[0] == "execution_error"), {})
            results[case.id] = {
                "outcome": "refused by the node",
                "message": f"{error.get('node_type')}: {error.get('exception_message', '')}".strip(),
            }
        else:
            stats = [s for out in entry.get("outputs", {}).values() for s in out.get("stats", [])]
            finite = bool(stats) and all(s["finite"] for s in stats)
            summary = "; ".join(f"{s['shape']} min {s['min']:.4g} max {s['max']:.4g}" for s in stats)
            results[case.id] = {"outcome": "finite" if finite else "not finite", "message": summary}
    return {case.id: results[case.id] for case in cases}


def case_passes(case: Case, result: dict) -> bool:
    """Refused naming the input (in the node's message, or as the host's `details`), or finite output, as the case
    expects."""
    if case.expect == "finite":
        return result["outcome"] == "finite"
    name = case.input
    if result["outcome"] == "refused by the host":
        return result["message"].endswith(f": {name}") or f": {name};" in result["message"]
    return result["outcome"] == "refused by the node" and re.search(rf"\b{name}\b", result["message"]) is not None


# ---- the README table --------------------------------------------------------------------------------------------


def _shown(case: Case) -> str:
    value = case.value.replace("fill:", "filled with ").replace("empty:", "EmptyLatentImage ").replace(":", ", ")
    value += "".join(f", {k} = {v}" for k, v in case.extra)
    return f"*{value}*" if case.linked else value


def render_table(results: dict[str, dict], cases: list[Case] = CASES) -> str:
    """The markdown table: one row per node input, the values tried by outcome, and one refusal message."""
    rows: dict[tuple[str, str], dict] = {}
    for case in cases:
        row = rows.setdefault((case.node, case.input), {"finite": [], "node": [], "host": [], "message": ""})
        result = results[case.id]
        key = {"finite": "finite", "refused by the node": "node", "refused by the host": "host"}.get(result["outcome"])
        if key is None:
            key = "finite"
            row["finite"].append(f"{_shown(case)} (**{result['outcome']}**)")
            continue
        row[key].append(_shown(case))
        if key == "node" and not row["message"]:
            row["message"] = result["message"].split(": ", 1)[-1].replace("|", "\\|").replace("\n", " ")
    lines = [
        "| Node | Input | Finite output | Refused by the node | Refused by the host's widget check | The node's "
        "message (first refusal) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for (node, name), row in rows.items():
        lines.append(
            f"| {node} | {name} | {'; '.join(row['finite'])} | {'; '.join(row['node'])} | "
            f"{'; '.join(row['host'])} | {row['message']} |"
        )
    total = len(cases)
    refused = sum(r["outcome"].startswith("refused") for r in results.values())
    finite = sum(r["outcome"] == "finite" for r in results.values())
    return (
        f"{total} cases: {refused} refused naming the input, {finite} with finite output. *Italic* values come "
        "through a link (another node's output), which the host does not check against the widget's min/max.\n\n"
        + "\n".join(lines)
    )


def readme_table(readme: str) -> str:
    """The text between the table markers of the README."""
    start, end = readme.index(TABLE_START) + len(TABLE_START), readme.index(TABLE_END)
    return readme[start:end].strip("\n")


def with_table(readme: str, table: str) -> str:
    start, end = readme.index(TABLE_START) + len(TABLE_START), readme.index(TABLE_END)
    return readme[:start] + "\n" + table + "\n" + readme[end:]
