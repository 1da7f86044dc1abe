"""Screenshots of the Sampler Lab accordion in the real, booted web UIs, for the README: a development tool, not a
test (the web UIs import every .py under scripts/; this file lives in tools/).

    .venv/bin/python tools/webui_screenshot.py [a1111] [forge] [forge-classic] [--out-dir docs] [--width 1400]

For each host (default: a1111 and forge), one after the other: boots it as tests/webui_boot does
(tools/webui_server.py; set up by tools/setup_webui_boot.sh HOST), opens its page in Debian's headless Chromium
(tools/webui_browser.py), opens the txt2img tab's Sampler Lab accordion and saves that accordion, at its defaults,
as OUT_DIR/webui-accordion-HOST.png; then stops the host. The host's own theme, fonts and layout (a viewport
`--width` CSS pixels wide, the accordion as wide as the host's settings column).
"""

from __future__ import annotations

import argparse
import os
import time

from PIL import Image

from webui_browser import webui_page
from webui_server import HOSTS, REPO, WebUIServer


def screenshot(host: str, out_dir: str, width: int) -> str:
    out = os.path.join(out_dir, f"webui-accordion-{host}.png")
    started = time.monotonic()
    with WebUIServer(host) as ui, webui_page(ui.url, ui.tree, width=width) as page:
        page.open_accordion("txt2img")
        page.wait_for_titles("txt2img")
        page.page.mouse.move(0, 0)
        page.page.wait_for_timeout(1000)  # the accordion's opening transition
        os.makedirs(out_dir, exist_ok=True)
        page.page.locator("#sampler_lab_txt2img").screenshot(path=out, animations="disabled")
    with Image.open(out) as image:
        image.load()
        image.save(out, optimize=True)
        size = image.size
    print(f"{host}: wrote {os.path.relpath(out, REPO)} ({size[0]}×{size[1]}) in {time.monotonic() - started:.0f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hosts", nargs="*", metavar="HOST", help=f"of {', '.join(HOSTS)} (default: a1111 forge)")
    parser.add_argument("--out-dir", default=os.path.join(REPO, "docs"))
    parser.add_argument("--width", type=int, default=1400, help="browser width in CSS pixels")
    args = parser.parse_args()
    unknown = sorted(set(args.hosts) - set(HOSTS))
    if unknown:
        parser.error(f"unknown host(s) {unknown}; known: {', '.join(HOSTS)}")
    for host in args.hosts or ["a1111", "forge"]:
        screenshot(host, args.out_dir, args.width)


if __name__ == "__main__":
    main()
