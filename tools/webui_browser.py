"""The A1111 / Forge web UI in Debian's headless Chromium, driven by playwright (the driver only; no browser is
downloaded): the Sampler Lab accordion as a user sees and uses it. Used by tests/webui_boot/test_ui.py and
tools/webui_screenshot.py; the same selectors work in gradio 3.41 (A1111 1.10.1, Forge Classic) and 4.40 (Forge).

    with webui_page(ui.url) as page:          # a WebUIServer's address; only that address is reachable
        page.open_accordion("txt2img")
        page.inputs("txt2img")                # {param name: {"label", "value", "title", "disabled", ...}}
"""

from __future__ import annotations

import base64
import contextlib
import mimetypes
import os
import sys
import tempfile
import urllib.parse
from typing import Any, Iterator

from playwright.sync_api import TimeoutError as PlaywrightTimeout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import only_local_context  # noqa: E402

#: Every input of one tab's accordion in DOM order: its elem_id, label, value (a checkbox's `checked`; a slider's
#: number box), title (the hover tooltip) and whether it is disabled; and each row's id, title and note.
READ_ACCORDION = """(tab) => {
  const accordion = document.querySelector(`#sampler_lab_${tab}`);
  if (!accordion) return null;
  const inputs = [...accordion.querySelectorAll('[id^="sampler_lab_"]')]
    .filter((e) => !e.id.startsWith('sampler_lab_row_') && e.id.endsWith(`_${tab}`))
    .map((e) => {
      const box = e.querySelector('input[type=checkbox]');
      const field = box || e.querySelector('input[type=number], input[type=text], textarea');
      const label = e.querySelector('label span, .label-wrap span, [data-testid="block-info"]');
      return {
        id: e.id,
        label: (label ? label.textContent : e.textContent).trim(),
        kind: box ? 'checkbox' : field ? field.type || field.tagName.toLowerCase() : null,
        value: box ? box.checked : field ? field.value : null,
        title: e.title,
        disabled: field ? field.disabled : null,
        visible: !!(e.offsetWidth || e.offsetHeight),
      };
    });
  const rows = [...accordion.querySelectorAll('[id^="sampler_lab_row_"]')]
    .filter((e) => !e.id.endsWith(`_unavailable`) && e.id.endsWith(`_${tab}`))
    .map((e) => {
      const note = e.querySelector('.sampler-lab-unavailable');
      return {
        id: e.id,
        title: e.title,
        note: note ? note.dataset.reason : null,
        inputs: [...e.querySelectorAll('[id^="sampler_lab_"]')].map((c) => c.id).filter((i) => !i.includes('_row_')),
      };
    });
  return {inputs, rows};
}"""


#: The tab's last result: its infotext as shown, and the gallery's first image.
LAST_RESULT = """(tab) => ({
  info: document.querySelector(`#html_info_${tab}`)?.innerText || '',
  src: document.querySelector(`#${tab}_gallery img`)?.src || '',
})"""
#: A URL's bytes as the page fetches them (through its routes), base64.
FETCH_BASE64 = """async (src) => {
  const answer = await fetch(src);
  if (!answer.ok) throw new Error(`GET ${src}: ${answer.status}`);
  const bytes = new Uint8Array(await answer.arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}"""


class WebUIPage:
    """One web UI page (`page`: playwright's Page), with the Sampler Lab accordion's elements by parameter name."""

    def __init__(self, page, url: str):
        self.page = page
        self.url = url
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    # --- the accordion ------------------------------------------------------------------------------------------

    def element(self, tab: str, name: str):
        return self.page.locator(f"#sampler_lab_{name}_{tab}")

    def open_accordion(self, tab: str) -> None:
        """Open the tab (txt2img, img2img) and its Sampler Lab accordion (no-op where open)."""
        self.page.locator(f"#tabs button:has-text('{tab}'), #tabs .tab-nav button:has-text('{tab}')").first.click()
        accordion = self.page.locator(f"#sampler_lab_{tab}")
        accordion.wait_for(state="visible", timeout=60_000)
        seed = self.element(tab, "cads_seed")
        if not seed.is_visible():
            accordion.locator(".label-wrap").first.click()
        seed.wait_for(state="visible", timeout=30_000)

    def accordion(self, tab: str) -> dict:
        """The accordion's inputs and rows as READ_ACCORDION reads them."""
        return self.page.evaluate(READ_ACCORDION, tab)

    def inputs(self, tab: str) -> dict[str, dict]:
        """The accordion's inputs by parameter name, in DOM order."""
        prefix, suffix = "sampler_lab_", f"_{tab}"
        return {e["id"][len(prefix) : -len(suffix)]: e for e in self.accordion(tab)["inputs"]}

    def wait_for_titles(self, tab: str, timeout: float = 30_000) -> None:
        """Until javascript/sampler_lab_hints.js has set the inputs' hover titles (after the UI's first update)."""
        self.page.wait_for_function(
            "(tab) => document.querySelector(`#sampler_lab_s_churn_${tab}`)?.title", arg=tab, timeout=timeout
        )

    def set_checkbox(self, tab: str, name: str, on: bool) -> None:
        box = self.element(tab, name).locator("input[type=checkbox]")
        if box.is_checked() != on:
            box.click()
        assert box.is_checked() == on

    def set_number(self, tab: str, name: str, value: Any) -> None:
        """Type `value` into a slider's or number box's number field, as a user does, and leave the field."""
        field = self.element(tab, name).locator("input[type=number]")
        field.fill(str(value))
        field.press("Enter")
        field.blur()

    def set_text(self, tab: str, name: str, value: str) -> None:
        field = self.element(tab, name).locator("input[type=text], textarea").first
        field.fill(value)
        field.blur()

    # --- the host's own controls --------------------------------------------------------------------------------

    def paste(self, tab: str, infotext: str) -> None:
        """Put `infotext` into the prompt box and press the host's paste button (↙, `#paste`), as a user does. The
        negative prompt box is emptied first (the infotext carries its own): Forge Classic disables the button while
        that box holds text (its toprow's `hook_paste_guard`); click() waits until the button is enabled."""
        negative = self.page.locator(f"#{tab}_neg_prompt textarea")
        button = self.page.locator(f"#{tab}_tools #paste")
        self.page.locator(f"#{tab}_prompt textarea").fill(infotext)
        for _ in range(10):
            # Forge Classic answers each change of the box by enabling or disabling the button; the answer to an
            # earlier change (the last paste's negative prompt) may come after the answer to emptying it.
            negative.fill(" ")
            negative.fill("")
            try:
                button.click(timeout=5_000)
                return
            except PlaywrightTimeout:
                continue
        button.click()

    def generate(self, tab: str, timeout: float = 300_000) -> tuple[str, bytes]:
        """Press Generate; (the new result's infotext as the page shows it, its first image's bytes, fetched by the
        page as it shows it)."""
        before = self.page.evaluate(LAST_RESULT, tab)
        self.page.locator(f"#{tab}_generate").click()
        self.page.wait_for_function(
            """([tab, before, read]) => {
              const now = eval(read)(tab);
              return now.info.includes('Steps:') && now.src && now.src !== before.src && now.info !== before.info;
            }""",
            arg=[tab, before, LAST_RESULT],
            timeout=timeout,
        )
        result = self.page.evaluate(LAST_RESULT, tab)
        data = self.page.evaluate(FETCH_BASE64, result["src"])
        return result["info"], base64.b64decode(data)


def _dotted_file(route, tree: str, roots: tuple[str, ...]) -> None:
    """A `file=` request: the server's answer, except where gradio 3 refuses a file for a dot folder on its path
    (`.host/`, where the test trees live; gradio 3.41's file route refuses every path with a part starting with ".",
    before any allow-list): then the same file, read from disk, if it lies in the tree, this checkout or the
    temporary folder (where the server writes its images)."""
    answer = route.fetch()
    if answer.status != 403:
        route.fulfill(response=answer)
        return
    name = urllib.parse.unquote(route.request.url.split("file=", 1)[1].split("?", 1)[0])
    path = os.path.realpath(name if os.path.isabs(name) else os.path.join(tree, name))
    inside = any(path.startswith(root + os.sep) for root in roots)
    if not inside or not os.path.isfile(path):
        route.fulfill(response=answer)
        return
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    with open(path, "rb") as f:
        route.fulfill(status=200, body=f.read(), content_type=kind)


@contextlib.contextmanager
def webui_page(
    url: str, tree: str | None = None, width: int = 1400, height: int = 1000, timeout: float = 180_000
) -> Iterator[WebUIPage]:
    """The web UI at `url`, loaded (its Sampler Lab accordion on the page); every other address is blocked. `tree`:
    the server's folder, where it lies under a dot folder (see `_dotted_file`)."""
    roots = tuple(
        os.path.realpath(r) for r in (tree, os.path.dirname(os.path.dirname(__file__)), tempfile.gettempdir()) if r
    )

    with only_local_context(url, width, height) as context:
        if tree is not None:
            context.route(lambda u: u.startswith(f"{url}/file="), lambda route: _dotted_file(route, tree, roots))
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(url, timeout=timeout)
        page.locator("#sampler_lab_txt2img").wait_for(state="attached", timeout=timeout)
        yield WebUIPage(page, url)
