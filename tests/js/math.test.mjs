// The JS mirror of the math (js/samplerlab_math.js) against golden values written by its Python twins in samplers/
// (tools/make_js_goldens.py → goldens.json). Run: node --test tests/js
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as M from "../../js/samplerlab_math.js";

const here = new URL(".", import.meta.url);
const goldens = JSON.parse(readFileSync(new URL("goldens.json", here), "utf8"));
const source = readFileSync(new URL("../../js/samplerlab_math.js", here), "utf8");
const mirrored = Object.keys(M).filter((name) => typeof M[name] === "function");

/** Resolve a golden argument: the name of another mirrored function's output (a table) or the value itself. */
const arg = (a) => (typeof a === "string" && typeof M[a] === "function" && a !== "leading" ? M[a]() : a);

function close(actual, expected, rtol, atol, where) {
  if (expected === null || typeof expected !== "object") {
    if (typeof expected === "number" && typeof actual === "number" && rtol > 0) {
      assert.ok(Math.abs(actual - expected) <= atol + rtol * Math.abs(expected), `${where}: ${actual} != ${expected}`);
    } else {
      assert.deepEqual(actual, expected, where);
    }
    return;
  }
  assert.ok(Array.isArray(actual), `${where}: expected an array, got ${actual}`);
  assert.equal(actual.length, expected.length, `${where}: length`);
  expected.forEach((e, i) => close(actual[i], e, rtol, atol, `${where}[${i}]`));
}

test("every mirrored function has goldens and names its Python twin", () => {
  for (const name of mirrored) {
    assert.ok(goldens[name], `no goldens for ${name} (add them to tools/make_js_goldens.py)`);
    const doc = source.slice(0, source.indexOf(`export function ${name}(`));
    const lastDoc = doc.slice(doc.lastIndexOf("/**"));
    const twin = lastDoc.match(/Python twin: (samplers\.[\w.]*\w)/);
    assert.ok(twin, `${name} does not name its Python twin (samplers.<name>)`);
    assert.equal(twin[1], goldens[name].twin, `${name} names ${twin[1]}, its goldens come from ${goldens[name].twin}`);
  }
  for (const name of Object.keys(goldens).filter((k) => !k.startsWith("_"))) {
    assert.ok(mirrored.includes(name), `goldens for ${name}, which js/samplerlab_math.js does not export`);
  }
});

for (const name of mirrored) {
  test(`${name} matches ${goldens[name]?.twin}`, () => {
    const { cases, rtol, atol = 0 } = goldens[name];
    assert.ok(cases.length > 0);
    for (const [args, expected] of cases) {
      const call = name === "denoiseSigmas"
        ? () => M.denoiseSigmas((n) => M.karrasSigmas(n, 0.0292, 14.6146, 7), ...args)
        : () => M[name](...args.map(arg));
      close(call(), expected, rtol, atol, `${name}(${JSON.stringify(args).slice(0, 80)})`);
    }
  });
}

test("spacingTimesteps matches samplers.spacing_timesteps for every step count 1…T", () => {
  const { checksums, T } = goldens.spacingTimesteps;
  for (const [spacing, rows] of Object.entries(checksums)) {
    rows.forEach(([sum, weighted], i) => {
      const ts = M.spacingTimesteps(spacing, i + 1, T);
      let w = 0;
      ts.forEach((t, k) => { w = (w + (k + 1) * t) % 1000000007; });
      assert.deepEqual([ts.reduce((a, b) => a + b, 0), w], [sum, weighted], `${spacing} S=${i + 1}`);
    });
  }
});
