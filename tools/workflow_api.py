"""ComfyUI workflow conversion: UI format (what the graph editor saves, version 0.4) → API format (what /prompt takes).

Pure python, no torch. Usage:

    api = ui_to_api(json.load(open("workflow.json")), object_info)   # object_info: GET /object_info of the server

Rules (those of the ComfyUI frontend's graphToPrompt):
- `widgets_values` map onto the node's widget inputs in INPUT_TYPES order (required, then optional; the server's
  `input_order`), skipping the extra `control_after_generate` value ("fixed", "increment", "decrement",
  "randomize") that the editor stores after a seed widget. A dict `widgets_values` maps by name.
- a widget input that the editor has converted to an input socket and linked takes the link instead.
- links map to [source node id (str), output index]; Reroute nodes are followed; PrimitiveNode values are inlined.
- virtual nodes (Note, MarkdownNote, Reroute, PrimitiveNode) and muted nodes (mode 2) are dropped; a bypassed node
  (mode 4) passes the first input of the same type through to each output.
"""

from __future__ import annotations

import copy
import json
import os

VIRTUAL_NODES = {"Note", "MarkdownNote", "Reroute", "PrimitiveNode"}
WIDGET_TYPES = {"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"}
CONTROL_VALUES = {"fixed", "increment", "decrement", "randomize"}
MODE_MUTED, MODE_BYPASS = 2, 4


class WorkflowError(ValueError):
    pass


def _is_widget(spec) -> bool:
    """Whether an INPUT_TYPES entry (as /object_info gives it) is shown as a widget."""
    if not isinstance(spec, (list, tuple)) or not spec:
        return False
    kind, opts = spec[0], (spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {})
    if opts.get("forceInput") or opts.get("rawLink"):
        return False
    return isinstance(kind, list) or kind in WIDGET_TYPES


def _has_control(name: str, spec) -> bool:
    opts = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
    return spec[0] == "INT" and (bool(opts.get("control_after_generate")) or name in ("seed", "noise_seed"))


def widget_names(info: dict) -> list[tuple[str, object]]:
    """[(name, spec)] of a node's widget inputs, in the order the editor lays them out."""
    inputs = info.get("input", {})
    order = info.get("input_order") or {k: list(v) for k, v in inputs.items()}
    out = []
    for section in ("required", "optional"):
        specs = inputs.get(section, {}) or {}
        for name in order.get(section, []):
            if name in specs and _is_widget(specs[name]):
                out.append((name, specs[name]))
    return out


def ui_to_api(ui_workflow: dict, object_info: dict) -> dict:
    """API-format prompt {node_id: {"class_type", "inputs", "_meta"}} of a UI-format workflow."""
    wf = copy.deepcopy(ui_workflow)
    if "nodes" not in wf or "links" not in wf:
        raise WorkflowError("not a UI-format workflow (no 'nodes'/'links'); API-format prompts need no conversion")
    nodes = {n["id"]: n for n in wf["nodes"]}
    links = {}
    for link in wf["links"]:
        if isinstance(link, dict):
            links[link["id"]] = (link["origin_id"], link["origin_slot"])
        else:
            links[link[0]] = (link[1], link[2])

    def resolve(link_id, seen=()):
        """(node id, slot) of the real producer behind a link, or ('value', v) for a PrimitiveNode."""
        if link_id is None or link_id not in links:
            return None
        nid, slot = links[link_id]
        node = nodes.get(nid)
        if node is None:
            raise WorkflowError(f"link {link_id} comes from missing node {nid}")
        if nid in seen:
            raise WorkflowError(f"link cycle through node {nid}")
        t = node.get("type")
        if t == "Reroute":
            return resolve((node.get("inputs") or [{}])[0].get("link"), seen + (nid,))
        if t == "PrimitiveNode":
            return ("value", (node.get("widgets_values") or [None])[0])
        if node.get("mode", 0) == MODE_MUTED:
            return None
        if node.get("mode", 0) == MODE_BYPASS:
            out_type = (node.get("outputs") or [])[slot].get("type") if slot < len(node.get("outputs") or []) else None
            for inp in node.get("inputs") or []:
                if inp.get("type") == out_type and inp.get("link") is not None:
                    return resolve(inp["link"], seen + (nid,))
            return None
        return (str(nid), slot)

    api = {}
    for node in sorted(wf["nodes"], key=lambda n: n["id"]):
        t = node.get("type")
        if t in VIRTUAL_NODES or node.get("mode", 0) in (MODE_MUTED, MODE_BYPASS):
            continue
        info = object_info.get(t)
        if info is None:
            raise WorkflowError(
                f"node {node['id']} has type {t!r}, which the server does not know (missing custom node?)"
            )
        inputs = {}
        values = node.get("widgets_values")
        if isinstance(values, dict):
            for name, _spec in widget_names(info):
                if name in values:
                    inputs[name] = values[name]
        else:
            values = list(values or [])
            i = 0
            for name, spec in widget_names(info):
                if i >= len(values):
                    break
                inputs[name] = values[i]
                i += 1
                if (
                    _has_control(name, spec)
                    and i < len(values)
                    and isinstance(values[i], str)
                    and values[i] in CONTROL_VALUES
                ):
                    i += 1  # the editor's control_after_generate value, not an input
        for inp in node.get("inputs") or []:
            src = resolve(inp.get("link"))
            if src is None:
                continue
            inputs[inp["name"]] = src[1] if src[0] == "value" else [src[0], src[1]]
        title = node.get("title") or info.get("display_name") or t  # the editor titles a node by its display name
        api[str(node["id"])] = {"class_type": t, "inputs": inputs, "_meta": {"title": title}}
    return api


class Graph:
    """A tiny builder of UI-format workflows: sockets and widget order come from the host's /object_info."""

    def __init__(self, info: dict):
        self.info = info
        self.nodes, self.links = [], []

    def node(self, type_: str, col: int, row: float, title: str | None = None, widgets: dict | None = None, **links):
        info = self.info[type_]
        nid = len(self.nodes) + 1
        widgets = dict(widgets or {})
        specs = widget_names(info)
        values = []
        for name, spec in specs:
            if name in widgets:
                values.append(widgets.pop(name))
            else:
                default = spec[1].get("default") if len(spec) > 1 and isinstance(spec[1], dict) else None
                values.append(spec[0][0] if default is None and isinstance(spec[0], list) else default)
            if _has_control(name, spec):
                values.append("fixed")
        if widgets:
            raise KeyError(f"{type_}: unknown widgets {sorted(widgets)}")
        inputs = []
        order = info.get("input_order", {})
        for section in ("required", "optional"):
            for name in order.get(section, []):
                spec = info["input"][section][name]
                if not _is_widget(spec):
                    inputs.append({"name": name, "type": spec[0], "link": None})
        outputs = [
            {"name": n, "type": t, "links": [], "slot_index": i}
            for i, (t, n) in enumerate(zip(info["output"], info["output_name"]))
        ]
        size = [310, 60 + 26 * (len(values) + len(inputs))]
        node = {
            "id": nid,
            "type": type_,
            "pos": [40 + col * 340, 40 + row * 170],
            "size": size,
            "flags": {},
            "order": nid - 1,
            "mode": 0,
            "inputs": inputs,
            "outputs": outputs,
            "properties": {"Node name for S&R": type_},
            "widgets_values": values,
        }
        if title:
            node["title"] = title
        self.nodes.append(node)
        for name, (src, slot) in links.items():
            self.connect(src, slot, nid, name)
        return nid

    def connect(self, src: int, slot: int, dst: int, name: str):
        s, d = self.nodes[src - 1], self.nodes[dst - 1]
        idx = next(i for i, inp in enumerate(d["inputs"]) if inp["name"] == name)
        lid = len(self.links) + 1
        typ = s["outputs"][slot]["type"]
        self.links.append([lid, src, slot, dst, idx, typ])
        s["outputs"][slot]["links"].append(lid)
        d["inputs"][idx]["link"] = lid

    def note(self, text: str, col: int, row: float):
        nid = len(self.nodes) + 1
        self.nodes.append(
            {
                "id": nid,
                "type": "Note",
                "pos": [40 + col * 340, 40 + row * 170],
                "size": [420, 220],
                "flags": {},
                "order": nid - 1,
                "mode": 0,
                "inputs": [],
                "outputs": [],
                "properties": {},
                "widgets_values": [text],
                "color": "#432",
                "bgcolor": "#653",
            }
        )
        return nid

    def save(self, folder: str, name: str):
        wf = {
            "last_node_id": len(self.nodes),
            "last_link_id": len(self.links),
            "nodes": self.nodes,
            "links": self.links,
            "groups": [],
            "config": {},
            "extra": {"ds": {"scale": 0.8, "offset": [0, 0]}},
            "version": 0.4,
        }
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            json.dump(wf, f, indent=1, ensure_ascii=False)
            f.write("\n")
