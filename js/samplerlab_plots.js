// Sampler Lab: live plots inside the nodes, redrawn as widgets change (before anything is queued).
//
// Safety: every piece of text shown here (numbers, widget values) is drawn on a <canvas> or set with
// textContent; nothing from a workflow is ever parsed as HTML.
// Workflow size: the plot is a DOM widget with serialize = false, added after all of the node's own
// widgets, so it adds nothing to widgets_values, to the prompt, or to the saved workflow.
import { app } from "../../scripts/app.js";
import * as M from "./samplerlab_math.js";
import { PARAMS as P } from "./samplerlab_params.js";

const WIDGET_NAME = "samplerlab_plot";
const PLOT_HEIGHT = 220;
const MIN_WIDTH = 360;
const COLORS = {
  bg: "#16181d",
  frame: "#4a4f5a",
  grid: "#2a2e36",
  text: "#c9ced8",
  dim: "#8b93a1",
  sigma: "#5ec8ff",
  after: "#ffb454",
  gamma: "#ff9f43",
  band: "rgba(255, 159, 67, 0.16)",
  noise: "#b58cff",
  marker: "#7ee787",
  warn: "#ff6b6b",
};

function fmt(v) {
  if (!isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1000 || a < 0.001) return v.toExponential(2);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(3);
  return v.toFixed(4);
}

// A widget's value, or the parameter's default (js/samplerlab_params.js, from the core's table) where it has none.
function num(node, param) {
  const w = node.widgets?.find((x) => x.name === param.name);
  const v = Number(w?.value);
  return Number.isFinite(v) ? v : param.default;
}
function str(node, param) {
  const w = node.widgets?.find((x) => x.name === param.name);
  return w == null || w.value == null ? param.default : String(w.value);
}
function stepsOf(node, param) {
  return Math.min(param.max, Math.max(param.min, Math.floor(num(node, param))));
}

const SD_NOTE = "model-dependent: shown for the SD1.x schedule (scaled_linear β 0.00085..0.012, T=1000)";

// ---------------------------------------------------------------------------------------------
// What each node plots. compute(node) -> data (plain numbers, exposed for tests as node.samplerLabPlot)
// ---------------------------------------------------------------------------------------------

function karrasData(node) {
  const steps = stepsOf(node, P.karras_steps);
  let sigmaMin = num(node, P.sigma_min), sigmaMax = num(node, P.sigma_max);
  const rho = num(node, P.rho);
  const [sdMin, sdMax] = M.sdSigmaRange();
  const notes = [], warnings = [];
  const assumed = sigmaMin === 0 || sigmaMax === 0;
  if (sigmaMin === 0) sigmaMin = sdMin;
  if (sigmaMax === 0) sigmaMax = sdMax;
  if (assumed) notes.push("σ range 0 = model's: " + SD_NOTE);
  if (sigmaMin > sigmaMax) warnings.push("σmin > σmax: the schedule runs upwards");
  const sigmas = M.karrasSigmas(steps, sigmaMin, sigmaMax, rho);
  return { kind: "sigmas", title: `Karras σ, ρ=${fmt(rho)}`, steps, sigmaMin, sigmaMax, rho, sigmas,
           sdSchedule: assumed, notes, warnings };
}

function spacingData(node) {
  const steps = stepsOf(node, P.spacing_steps);
  const spacing = str(node, P.spacing);
  const table = M.sdSigmaTable();
  const notes = [SD_NOTE], warnings = [];
  const S = Math.min(steps, table.length);
  if (steps > table.length) warnings.push(`steps > ${table.length} timesteps: the node will refuse this`);
  const timesteps = M.spacingTimesteps(spacing, S, table.length);
  const sigmas = M.sigmasForTimesteps(table, timesteps);
  return { kind: "sigmas", title: `${spacing} spacing: t = ${timesteps[0]} … ${timesteps[timesteps.length - 1]}`, steps: S, spacing, timesteps, sigmas, sdSchedule: true,
           notes, warnings };
}

function ksamplerData(node) {
  const steps = stepsOf(node, P.heun_steps);
  const denoise = num(node, P.denoise);
  const rho = num(node, P.rho);
  const sChurn = num(node, P.s_churn), sTmin = num(node, P.s_tmin), sTmax = num(node, P.s_tmax);
  const [sigmaMin, sigmaMax] = M.sdSigmaRange();
  const notes = [SD_NOTE], warnings = [];
  let sigmas = [];
  const total = M.denoiseTotalSteps(steps, denoise);
  if (total !== null) {
    sigmas = M.denoiseSigmas((n) => M.karrasSigmas(n, sigmaMin, sigmaMax, rho), steps, denoise);
    if (denoise < 1) notes.push(`denoise ${fmt(denoise)}: last ${steps} of ${total} steps`);
  } else if (denoise > 0) {
    warnings.push(`denoise ${fmt(denoise)}: more than ${M.MAX_SCHEDULE_STEPS} schedule steps; the node will refuse this`);
  } else {
    warnings.push("denoise 0: nothing is sampled");
  }
  const gammas = sigmas.length > 1 ? M.churnGammas(sigmas, sChurn, sTmin, sTmax) : [];
  const saturated = sChurn > 0 && sChurn >= M.SQRT2_M1 * steps;
  if (saturated) {
    warnings.push(`S_churn saturates: ${fmt(sChurn)} ≥ (√2−1)·${steps} = ${fmt(M.SQRT2_M1 * steps)}, every γ in the window is the cap √2−1`);
  }
  if (sTmin > sTmax) warnings.push("S_tmin > S_tmax: the node will refuse this");
  return { kind: "sigmas", title: `EDM KSampler: Karras σ ρ=${fmt(rho)}, churn`, steps, denoise, rho, sChurn, sTmin,
           sTmax, sigmaMin, sigmaMax, sigmas, gammas, saturated, sdSchedule: true, notes, warnings };
}

const CADS_POINTS = 201;
function cadsData(node) {
  const s = num(node, P.noise_scale), tau1 = num(node, P.tau1), tau2 = num(node, P.tau2);
  const t = [], gamma = [], noiseStd = [];
  for (let k = 0; k < CADS_POINTS; k++) {
    const tk = 1 - k / (CADS_POINTS - 1);
    const g = M.cadsGamma(tk, tau1, tau2);
    t.push(tk);
    gamma.push(g);
    noiseStd.push(s * Math.sqrt(Math.max(0, 1 - g)));
  }
  const warnings = tau1 > tau2 ? ["τ1 > τ2: the node will refuse this"] : [];
  return { kind: "cads", title: "CADS γ(t) and noise std s·√(1−γ)", noiseScale: s, tau1, tau2, t, gamma, noiseStd,
           notes: [], warnings };
}

let _ztsnr = null;
function ztsnrData() {
  if (!_ztsnr) {
    const betas = M.sdBetas();
    const before = M.alphasCumprod(betas).map(Math.sqrt);
    const after = M.alphasCumprod(M.rescaleZeroTerminalSnr(betas)).map(Math.sqrt);
    _ztsnr = { before, after };
  }
  return { kind: "ztsnr", title: "sqrt(ᾱ_t) before / after zero-terminal-SNR rescale", before: _ztsnr.before,
           after: _ztsnr.after, warnings: [],
           notes: [SD_NOTE, "the node then holds ᾱ_T at float32 ε (σ_T ≈ 2896) so samplers can start there"] };
}

const PLOTS = {
  SamplerLabKarrasSigmas: karrasData,
  SamplerLabSpacingSigmas: spacingData,
  SamplerLabKSampler: ksamplerData,
  SamplerLabCADS: cadsData,
  SamplerLabZeroTerminalSNR: ztsnrData,
};

// ---------------------------------------------------------------------------------------------
// Drawing (canvas only)
// ---------------------------------------------------------------------------------------------

function niceLogTicks(lo, hi) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    const v = Math.pow(10, e);
    if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
  }
  return ticks;
}

function wrap(ctx, text, maxW) {
  const out = [];
  let line = "";
  for (const word of String(text).split(" ")) {
    const next = line ? line + " " + word : word;
    if (line && ctx.measureText(next).width > maxW) { out.push(line); line = word; } else line = next;
  }
  if (line) out.push(line);
  return out;
}

function frame(ctx, W, H, data, { left = 44, right = 12 } = {}) {
  ctx.fillStyle = COLORS.bg;
  ctx.fillRect(0, 0, W, H);
  ctx.textAlign = "left";
  ctx.textBaseline = "alphabetic";
  const lines = [];
  ctx.font = "bold 10px sans-serif";
  for (const t of data.warnings) for (const l of wrap(ctx, "⚠ " + t, W - 8)) lines.push([l, COLORS.warn, ctx.font]);
  ctx.font = "10px sans-serif";
  for (const t of data.notes) for (const l of wrap(ctx, t, W - 8)) lines.push([l, COLORS.dim, ctx.font]);
  ctx.font = "bold 11px sans-serif";
  const titleLines = wrap(ctx, data.title, W - 8);
  ctx.fillStyle = COLORS.text;
  titleLines.forEach((t, k) => ctx.fillText(t, 5, 13 + 12 * k));
  const top = 8 + 12 * titleLines.length;
  const bottom = 20 + 12 * lines.length;
  const box = { x0: left, y0: top, x1: W - right, y1: H - bottom };
  let y = H - bottom + 29;
  for (const [t, c, font] of lines) {
    ctx.fillStyle = c;
    ctx.font = font;
    ctx.fillText(t, 4, y);
    y += 12;
  }
  ctx.font = "10px sans-serif";
  return box;
}

function drawBox(ctx, b) {
  ctx.strokeStyle = COLORS.frame;
  ctx.lineWidth = 1;
  ctx.strokeRect(b.x0 + 0.5, b.y0 + 0.5, b.x1 - b.x0, b.y1 - b.y0);
}

function polyline(ctx, xs, ys, color, width = 1.5, dash = []) {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.setLineDash(dash);
  ctx.beginPath();
  for (let i = 0; i < xs.length; i++) (i ? ctx.lineTo : ctx.moveTo).call(ctx, xs[i], ys[i]);
  ctx.stroke();
  ctx.restore();
}

function drawSigmas(ctx, W, H, d) {
  const b = frame(ctx, W, H, d, { right: d.gammas ? 40 : 12 });
  if (b.y1 - b.y0 < 20 || b.x1 - b.x0 < 20) return;
  const n = d.sigmas.length - 1; // σ_N = 0 is off a log axis
  if (n < 1) { drawBox(ctx, b); return; }
  const vals = d.sigmas.slice(0, n).filter((v) => v > 0 && isFinite(v));
  let lo = Math.min(...vals), hi = Math.max(...vals);
  if (d.gammas && d.sChurn > 0) {
    // keep the churn window visible when it lies near the schedule
    if (d.sTmin > 0 && d.sTmin < lo && d.sTmin > lo / 100) lo = d.sTmin;
    if (d.sTmax > hi && d.sTmax < hi * 100) hi = d.sTmax;
  }
  if (!(lo > 0)) lo = 1e-3;
  if (hi <= lo) { hi = lo * 10; lo = lo / 10; }
  const pad = Math.max(0.08, 0.04 * (Math.log10(hi) - Math.log10(lo)));
  const llo = Math.log10(lo) - pad, lhi = Math.log10(hi) + pad;
  const X = (i) => b.x0 + (n === 1 ? 0.5 : i / (n - 1)) * (b.x1 - b.x0);
  const Y = (s) => b.y1 - ((Math.log10(s) - llo) / (lhi - llo)) * (b.y1 - b.y0);
  // grid + log ticks
  ctx.fillStyle = COLORS.dim;
  ctx.textAlign = "right";
  for (const v of niceLogTicks(Math.pow(10, llo), Math.pow(10, lhi))) {
    const y = Y(v);
    ctx.strokeStyle = COLORS.grid;
    ctx.beginPath(); ctx.moveTo(b.x0, y); ctx.lineTo(b.x1, y); ctx.stroke();
    ctx.fillText(fmt(v), b.x0 - 3, y + 3);
  }
  ctx.save();
  ctx.translate(9, (b.y0 + b.y1) / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center";
  ctx.fillText("σ (log)", 0, 0);
  ctx.restore();
  // churn window + γ bars
  if (d.gammas) {
    const yTop = Math.max(b.y0, Math.min(b.y1, Y(Math.max(d.sTmax, 1e-12))));
    const yBot = Math.max(b.y0, Math.min(b.y1, d.sTmin > 0 ? Y(d.sTmin) : b.y1));
    if (d.sTmax >= d.sTmin && yBot > yTop) {
      ctx.fillStyle = COLORS.band;
      ctx.fillRect(b.x0, yTop, b.x1 - b.x0, yBot - yTop);
      ctx.fillStyle = COLORS.gamma;
      ctx.textAlign = "right";
      ctx.fillText(`churn window [${fmt(d.sTmin)}, ${fmt(d.sTmax)}]`, b.x1 - 4, Math.max(b.y0 + 24, yTop + 11));
    }
    const gy = (g) => b.y1 - (g / M.SQRT2_M1) * (b.y1 - b.y0) * 0.4; // γ bars use the lower 40%
    const bw = Math.max(1, Math.min(8, ((b.x1 - b.x0) / n) * 0.6));
    ctx.fillStyle = d.saturated ? "rgba(255, 107, 107, 0.6)" : "rgba(255, 159, 67, 0.6)";
    for (let i = 0; i < n; i++) {
      if (d.gammas[i] > 0) ctx.fillRect(X(i) - bw / 2, gy(d.gammas[i]), bw, b.y1 - gy(d.gammas[i]));
    }
    ctx.fillStyle = COLORS.gamma;
    ctx.textAlign = "left";
    ctx.fillText("γ_i", b.x1 + 4, gy(M.SQRT2_M1 / 2) + 3);
    ctx.fillText(fmt(M.SQRT2_M1), b.x1 + 3, gy(M.SQRT2_M1) + 3);
    ctx.fillText("0", b.x1 + 3, b.y1);
  }
  // σ_i
  const xs = [], ys = [];
  for (let i = 0; i < n; i++) if (d.sigmas[i] > 0) { xs.push(X(i)); ys.push(Y(d.sigmas[i])); }
  ctx.save();
  ctx.beginPath(); ctx.rect(b.x0 - 2, b.y0 - 2, b.x1 - b.x0 + 4, b.y1 - b.y0 + 4); ctx.clip();
  polyline(ctx, xs, ys, COLORS.sigma);
  ctx.fillStyle = COLORS.sigma;
  if (n <= 80) for (let k = 0; k < xs.length; k++) ctx.fillRect(xs[k] - 1.5, ys[k] - 1.5, 3, 3);
  ctx.restore();
  // end values
  ctx.textAlign = "left";
  ctx.fillStyle = COLORS.text;
  ctx.fillText(`σ₀ = ${fmt(d.sigmas[0])}`, b.x0 + 4, Math.min(b.y1 - 4, Math.max(b.y0 + 22, ys[0] + 12)));
  ctx.textAlign = "right"; // the top-right corner is free: σ falls from left to right
  ctx.fillText(`last: σ_${n - 1} = ${fmt(d.sigmas[n - 1])}, then σ_${n} = 0`, b.x1 - 4, b.y0 + 11);
  ctx.fillStyle = COLORS.dim;
  ctx.textAlign = "center";
  ctx.fillText(`step i (0 … ${n - 1})`, (b.x0 + b.x1) / 2, b.y1 + 12);
  drawBox(ctx, b);
}

function drawCads(ctx, W, H, d) {
  const b = frame(ctx, W, H, d, { left: 30, right: 40 });
  if (b.y1 - b.y0 < 20 || b.x1 - b.x0 < 20) return;
  const X = (t) => b.x0 + (1 - t) * (b.x1 - b.x0); // t = 1 (pure noise) on the left
  const Yg = (g) => b.y1 - g * (b.y1 - b.y0);
  const smax = d.noiseScale > 0 ? d.noiseScale : 1;
  const Yn = (v) => b.y1 - (v / smax) * (b.y1 - b.y0);
  ctx.strokeStyle = COLORS.grid;
  for (const g of [0.25, 0.5, 0.75]) { ctx.beginPath(); ctx.moveTo(b.x0, Yg(g)); ctx.lineTo(b.x1, Yg(g)); ctx.stroke(); }
  for (const [tau, label] of [[d.tau1, "τ1"], [d.tau2, "τ2"]]) {
    if (tau < 0 || tau > 1) continue;
    const x = X(tau);
    polyline(ctx, [x, x], [b.y0, b.y1], COLORS.marker, 1, [4, 3]);
    ctx.fillStyle = COLORS.marker;
    ctx.textAlign = tau < 0.2 ? "right" : "left";
    ctx.fillText(`${label}=${fmt(tau)}`, x + (tau < 0.2 ? -3 : 3), b.y0 + (label === "τ2" ? 11 : 23));
  }
  polyline(ctx, d.t.map(X), d.noiseStd.map(Yn), COLORS.noise, 1.5, [5, 2]);
  polyline(ctx, d.t.map(X), d.gamma.map(Yg), COLORS.sigma, 2);
  ctx.font = "10px sans-serif";
  ctx.textAlign = "right";
  ctx.fillStyle = COLORS.sigma;
  ctx.fillText("1", b.x0 - 3, b.y0 + 8); ctx.fillText("0", b.x0 - 3, b.y1);
  ctx.fillText("γ", b.x0 - 3, (b.y0 + b.y1) / 2);
  ctx.textAlign = "left";
  ctx.fillStyle = COLORS.noise;
  ctx.fillText(fmt(d.noiseScale), b.x1 + 3, b.y0 + 8); ctx.fillText("0", b.x1 + 3, b.y1);
  ctx.fillText("s√(1−γ)", b.x1 + 2, (b.y0 + b.y1) / 2);
  ctx.fillStyle = COLORS.dim;
  ctx.textAlign = "left"; ctx.fillText("t=1 (noise)", b.x0, b.y1 + 12);
  ctx.textAlign = "right"; ctx.fillText("t=0 (clean)", b.x1, b.y1 + 12);
  drawBox(ctx, b);
}

function drawZtsnr(ctx, W, H, d) {
  const b = frame(ctx, W, H, d, { left: 34 });
  if (b.y1 - b.y0 < 20 || b.x1 - b.x0 < 20) return;
  const T = d.before.length;
  const X = (t) => b.x0 + (t / (T - 1)) * (b.x1 - b.x0);
  const Y = (v) => b.y1 - v * (b.y1 - b.y0);
  const idx = [];
  for (let t = 0; t < T; t++) idx.push(t);
  ctx.strokeStyle = COLORS.grid;
  for (const v of [0.25, 0.5, 0.75]) { ctx.beginPath(); ctx.moveTo(b.x0, Y(v)); ctx.lineTo(b.x1, Y(v)); ctx.stroke(); }
  polyline(ctx, idx.map(X), d.before.map(Y), COLORS.sigma, 2);
  polyline(ctx, idx.map(X), d.after.map(Y), COLORS.after, 2, [6, 3]);
  ctx.textAlign = "right";
  ctx.fillStyle = COLORS.dim;
  ctx.fillText("1", b.x0 - 3, b.y0 + 8); ctx.fillText("0", b.x0 - 3, b.y1);
  ctx.fillText("0.5", b.x0 - 3, Y(0.5) + 3);
  ctx.textAlign = "right";
  ctx.fillStyle = COLORS.sigma;
  ctx.fillText(`before: sqrt(ᾱ_T) = ${fmt(d.before[T - 1])}`, b.x1 - 4, b.y0 + 12);
  ctx.fillStyle = COLORS.after;
  ctx.fillText(`after: sqrt(ᾱ_T) = ${fmt(d.after[T - 1])} (zero SNR)`, b.x1 - 4, b.y0 + 24);
  ctx.fillStyle = COLORS.dim;
  ctx.textAlign = "left"; ctx.fillText("t = 0", b.x0, b.y1 + 12);
  ctx.textAlign = "right"; ctx.fillText(`t = ${T - 1}`, b.x1, b.y1 + 12);
  drawBox(ctx, b);
}

const DRAW = { sigmas: drawSigmas, cads: drawCads, ztsnr: drawZtsnr };

// ---------------------------------------------------------------------------------------------
// The widget
// ---------------------------------------------------------------------------------------------

const live = new Set();

function signature(node) {
  const vals = (node.widgets || []).filter((w) => w.name !== WIDGET_NAME).map((w) => w.value);
  return JSON.stringify(vals);
}

function render(plot, force = false) {
  const { node, canvas, container } = plot;
  const sig = signature(node);
  const w = Math.round(container.clientWidth), h = Math.round(container.clientHeight);
  const dpr = window.devicePixelRatio || 1;
  if (!force && sig === plot.sig && w === plot.w && h === plot.h && dpr === plot.dpr) return;
  let data;
  try {
    data = PLOTS[node.comfyClass](node);
  } catch (err) {
    console.warn("[Sampler Lab] plot failed", err);
    return;
  }
  plot.sig = sig; plot.w = w; plot.h = h; plot.dpr = dpr;
  data.draws = (node.samplerLabPlot?.draws || 0) + 1;
  data.width = w; data.height = h;
  node.samplerLabPlot = data; // read by tests; never serialized (not a property, not a widget value)
  container.dataset.samplerlabDraws = String(data.draws);
  container.dataset.samplerlabWarnings = String(data.warnings.length);
  // Plain-text copy of the on-canvas messages, for screen readers and tests (textContent only).
  plot.caption.textContent = [...data.warnings, ...data.notes].join("\n");
  if (w < 2 || h < 2) return;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  DRAW[data.kind](ctx, w, h, data);
}

let ticker = null;
function ensureTicker() {
  if (ticker) return;
  // Safety net for value changes that fire no callback (workflow load, links, undo): cheap signature check.
  ticker = setInterval(() => {
    for (const plot of live) {
      const g = plot.node.graph;
      if (!g || g.getNodeById?.(plot.node.id) !== plot.node) {
        if (!plot.container.isConnected) live.delete(plot); // gone (graph cleared / node removed)
        continue;
      }
      render(plot);
    }
  }, 200);
}

function addPlot(node) {
  if (node.widgets?.some((w) => w.name === WIDGET_NAME)) return;
  const container = document.createElement("div");
  // widget-expands: in Vue nodes mode the row then takes the height the node is resized to.
  container.className = "samplerlab-plot widget-expands";
  container.dataset.samplerlabNode = node.comfyClass;
  Object.assign(container.style, {
    position: "relative", width: "100%", height: "100%", minHeight: `${PLOT_HEIGHT - 20}px`,
    boxSizing: "border-box", overflow: "hidden", borderRadius: "4px", background: COLORS.bg,
  });
  const canvas = document.createElement("canvas");
  Object.assign(canvas.style, { position: "absolute", left: "0", top: "0", width: "100%", height: "100%", display: "block" });
  const caption = document.createElement("div");
  caption.className = "samplerlab-plot-caption";
  Object.assign(caption.style, { position: "absolute", width: "1px", height: "1px", overflow: "hidden",
                                  clip: "rect(0 0 0 0)", whiteSpace: "pre" });
  container.append(canvas, caption);

  const widget = node.addDOMWidget(WIDGET_NAME, "samplerlab-plot", container, {
    serialize: false,
    hideOnZoom: true,
    getValue: () => "",
    setValue: () => {},
    getMinHeight: () => (node.comfyClass === "SamplerLabKSampler" ? PLOT_HEIGHT + 40 : PLOT_HEIGHT),
  });
  widget.serialize = false; // not in widgets_values (node.serialize / configure skip it)

  const plot = { node, widget, container, canvas, caption, sig: null };
  node.samplerLabPlotWidget = plot;
  live.add(plot);
  ensureTicker();

  // Redraw at once when any widget is edited (canvas widgets and Vue widgets both call widget.callback).
  for (const w of node.widgets) {
    if (w === widget) continue;
    const orig = w.callback;
    w.callback = function (...args) {
      const r = orig?.apply(this, args);
      render(plot);
      return r;
    };
  }
  const onConfigure = node.onConfigure;
  node.onConfigure = function (...args) {
    const r = onConfigure?.apply(this, args);
    requestAnimationFrame(() => render(plot, true));
    return r;
  };
  const onRemoved = node.onRemoved;
  node.onRemoved = function (...args) {
    live.delete(plot);
    return onRemoved?.apply(this, args);
  };
  if (typeof ResizeObserver !== "undefined") new ResizeObserver(() => render(plot)).observe(container);

  // Make room for the plot on a freshly created node (a loaded workflow brings its own size).
  const min = node.computeSize?.();
  if (min && node.size) node.setSize([Math.max(node.size[0], min[0], MIN_WIDTH), Math.max(node.size[1], min[1])]);
  requestAnimationFrame(() => render(plot, true));
}

app.registerExtension({
  name: "SamplerLab.Plots",
  nodeCreated(node) {
    if (PLOTS[node.comfyClass]) addPlot(node);
  },
});

// For tests and debugging: recompute a node's plot now.
window.SamplerLabPlots = { render: (node) => node.samplerLabPlotWidget && render(node.samplerLabPlotWidget, true) };
