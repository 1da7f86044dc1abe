// The web UI accordion's tooltips (javascript/sampler_lab_hints.js, written by tools/make_webui_hints.py) on a small
// stand-in page: each text becomes its element's `title`; a row with an "unavailable" note adds its reason to the
// row's and its inputs' titles; missing elements are skipped; a second UI update changes nothing.
// Run: node --test tests/js
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";

const source = readFileSync(new URL("../../javascript/sampler_lab_hints.js", import.meta.url), "utf8");

/** A page with `rows` ({row key: [input keys]}) in one tab and the reason of each row in `notes`. */
function page(tab, rows, notes) {
  const elements = {};
  let writes = 0;
  const element = (id, row) => {
    let title = "";
    const e = {
      id,
      get title() { return title; },
      set title(value) { title = value; writes += 1; },
      closest: (selector) => (selector === "[id^='sampler_lab_row_']" ? row || e : null),
      querySelector: (selector) =>
        selector === ".sampler-lab-unavailable" && !row && notes[id] ? { dataset: { reason: notes[id] } } : null,
    };
    return e;
  };
  for (const [rowKey, inputs] of Object.entries(rows)) {
    const row = element(`sampler_lab_${rowKey}_${tab}`, null);
    elements[row.id] = row;
    for (const key of inputs) elements[`sampler_lab_${key}_${tab}`] = element(`sampler_lab_${key}_${tab}`, row);
  }
  const callbacks = [];
  const context = {
    gradioApp: () => ({ querySelector: (selector) => elements[selector.slice(1)] || null }),
    onAfterUiUpdate: (f) => callbacks.push(f),
    document: {},
  };
  vm.runInNewContext(source, context);
  return { elements, callbacks, titles: vm.runInNewContext("SAMPLER_LAB_TITLES", context), writes: () => writes };
}

test("every input and row of both tabs gets its text; an unavailable row's reason is added", () => {
  for (const tab of ["txt2img", "img2img"]) {
    const rows = { row_churn: ["s_churn", "s_tmin"], row_cads: ["cads_enabled", "cads_seed"] };
    const p = page(tab, rows, { [`sampler_lab_row_cads_${tab}`]: "no hook here" });
    assert.equal(p.callbacks.length, 1, "registered once, on the host's onAfterUiUpdate");
    p.callbacks[0]();
    const title = (key) => p.elements[`sampler_lab_${key}_${tab}`].title;
    for (const key of ["row_churn", "s_churn", "s_tmin"]) assert.equal(title(key), p.titles[key], key);
    for (const key of ["row_cads", "cads_enabled", "cads_seed"]) {
      assert.equal(title(key), `${p.titles[key]}\n\nNot available on this web UI: no hook here`, key);
    }
    const written = p.writes();
    p.callbacks[0]();
    assert.equal(p.writes(), written, "a second update writes no title (no mutation loop)");
  }
});

test("the table has a text for each of the 16 inputs and 5 rows", () => {
  const p = page("txt2img", {}, {});
  const keys = Object.keys(p.titles);
  assert.equal(keys.filter((k) => k.startsWith("row_")).length, 5);
  assert.equal(keys.filter((k) => !k.startsWith("row_")).length, 16);
  assert.ok(Object.values(p.titles).every((t) => typeof t === "string" && t.length > 20));
  p.callbacks[0](); // no element on the page: nothing to do, no error
});
