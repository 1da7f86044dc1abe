"""Developer check: load every workflows/demo/*.json in the real ComfyUI frontend (headless Chromium) and compare the
frontend's own graphToPrompt() with demo/workflow_api.ui_to_api(). Needs `chromium` on PATH.

Run: .venv/bin/python demo/check_ui_load.py [WORKFLOW.json ...]   (default: workflows/demo/*.json; exit 1 on any difference)
"""
import asyncio
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from server import REPO_DIR, DemoServer, _free_port  # noqa: E402
from workflow_api import ui_to_api  # noqa: E402

import aiohttp  # noqa: E402  (a ComfyUI requirement)

FAILED = []


async def main():
    with DemoServer() as srv:
        info = srv.object_info()
        prof = tempfile.mkdtemp()
        port = _free_port()
        chrome = subprocess.Popen([shutil.which("chromium") or "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={port}",
                                   f"--user-data-dir={prof}", "--remote-allow-origins=*", srv.url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            async with aiohttp.ClientSession() as s:
                for _ in range(100):
                    try:
                        async with s.get(f"http://127.0.0.1:{port}/json") as r:
                            tabs = await r.json()
                        tab = [t for t in tabs if t["type"] == "page"][0]
                        break
                    except Exception:
                        await asyncio.sleep(0.3)
                async with s.ws_connect(tab["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                    mid = 0
                    async def ev(expr):
                        nonlocal mid
                        mid += 1
                        await ws.send_json({"id": mid, "method": "Runtime.evaluate", "params": {"expression": expr, "awaitPromise": True, "returnByValue": True}})
                        while True:
                            m = await ws.receive_json()
                            if m.get("id") == mid:
                                return m["result"]
                    for _ in range(120):
                        r = await ev("!!(window.app && window.app.graph && window.LiteGraph)")
                        if r.get("result", {}).get("value"):
                            break
                        await asyncio.sleep(0.5)
                    else:
                        print("frontend never ready")
                        FAILED.append("frontend")
                        return
                    await asyncio.sleep(2)
                    for path in sys.argv[1:] or sorted(glob.glob(os.path.join(REPO_DIR, "workflows", "demo", "*.json"))):
                        wf = json.load(open(path))
                        r = await ev(f"(async () => {{ await app.loadGraphData({json.dumps(wf)}); const p = await app.graphToPrompt(); return {{n: app.graph._nodes.length, types: app.graph._nodes.map(n => n.type), out: p.output}}; }})()")
                        if "exceptionDetails" in r:
                            print(path, "EXC", r["exceptionDetails"])
                            FAILED.append(path)
                            continue
                        v = r["result"]["value"]
                        mine = ui_to_api(wf, info)
                        fe = {k: {"class_type": x["class_type"], "inputs": x["inputs"]} for k, x in v["out"].items()}
                        me = {k: {"class_type": x["class_type"], "inputs": x["inputs"]} for k, x in mine.items()}
                        same = fe == me
                        print(os.path.basename(path), "nodes", v["n"], "/", len(wf["nodes"]), "converter == frontend:", same)
                        if not same or v["n"] != len(wf["nodes"]):
                            FAILED.append(path)
                            for k in sorted(set(fe) | set(me)):
                                if fe.get(k) != me.get(k):
                                    print("  ", k, "frontend", fe.get(k), "\n   converter", me.get(k))
                    d = await ev("Array.from(document.querySelectorAll('.p-dialog')).map(e => e.innerText.slice(0, 300)).join(' || ')")
                    print("dialogs open (the template browser on first start is expected):",
                          (d.get("result", {}).get("value") or "none")[:80].replace("\n", " "))
        finally:
            chrome.terminate()
            chrome.wait()
            shutil.rmtree(prof, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(1 if FAILED else 0)
