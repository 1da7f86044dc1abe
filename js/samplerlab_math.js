// Sampler Lab: the numbers behind the in-node plots, in plain float64 JavaScript.
// Mirrors the Python core in samplers/ (the browser test compares both); no DOM access here.

export const SQRT2_M1 = Math.SQRT2 - 1;
export const SD_T = 1000;
export const SD_BETA_START = 0.00085;
export const SD_BETA_END = 0.012;

/** SD1.x "scaled_linear" betas: linspace(sqrt(b0), sqrt(b1), T)^2. */
export function sdBetas(T = SD_T, start = SD_BETA_START, end = SD_BETA_END) {
  const a = Math.sqrt(start), b = Math.sqrt(end);
  const out = new Array(T);
  for (let i = 0; i < T; i++) {
    const v = T === 1 ? a : a + (b - a) * (i / (T - 1));
    out[i] = v * v;
  }
  return out;
}

/** ᾱ_t = Π_{s≤t} (1 − β_s). */
export function alphasCumprod(betas) {
  const out = new Array(betas.length);
  let p = 1;
  for (let i = 0; i < betas.length; i++) {
    p *= 1 - betas[i];
    out[i] = p;
  }
  return out;
}

/** σ_t = sqrt((1 − ᾱ_t)/ᾱ_t). */
export function sigmasFromAlphasCumprod(acp) {
  return acp.map((a) => Math.sqrt((1 - a) / a));
}

/** Lin et al. 2023, Algorithm 1: betas rescaled to zero terminal SNR. */
export function rescaleZeroTerminalSnr(betas) {
  const acp = alphasCumprod(betas);
  const sq = acp.map(Math.sqrt);
  const a0 = sq[0], aT = sq[sq.length - 1];
  const scaled = sq.map((v) => ((v - aT) * a0) / (a0 - aT));
  const bar = scaled.map((v) => v * v);
  const out = new Array(bar.length);
  out[0] = 1 - bar[0];
  for (let i = 1; i < bar.length; i++) out[i] = 1 - bar[i] / bar[i - 1];
  return out;
}

let _sdTable = null;
/** The SD1.x discrete σ table (index = timestep, ascending). */
export function sdSigmaTable() {
  if (!_sdTable) _sdTable = sigmasFromAlphasCumprod(alphasCumprod(sdBetas()));
  return _sdTable;
}
export function sdSigmaRange() {
  const t = sdSigmaTable();
  return [t[0], t[t.length - 1]];
}

/** EDM eq. 5: N noise levels from σmax to σmin, then 0 (N+1 entries). */
export function karrasSigmas(steps, sigmaMin, sigmaMax, rho) {
  const n = Math.max(1, Math.floor(steps));
  const minInv = Math.pow(sigmaMin, 1 / rho), maxInv = Math.pow(sigmaMax, 1 / rho);
  const out = new Array(n + 1);
  for (let i = 0; i < n; i++) {
    const ramp = n === 1 ? 0 : i / (n - 1);
    out[i] = Math.pow(maxInv + ramp * (minInv - maxInv), rho);
  }
  out[n] = 0;
  return out;
}

/** Round half to even (torch.round / numpy.round). */
export function roundHalfEven(x) {
  const f = Math.floor(x), d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Timesteps (descending) of Lin et al. 2023, Table 2, with the float arithmetic of samplers.spacing_timesteps
 *  (so that values that land on a .5 tie round the same way): leading (S−1)·⌊T/S⌋ … 0;
 *  linspace round(linspace(0, T−1, S)) reversed; trailing round(T − k·T/S) − 1, k = 0 … S−1 (T−1 first). */
export function spacingTimesteps(spacing, steps, T = SD_T) {
  const S = Math.max(1, Math.floor(steps));
  const out = [];
  if (spacing === "leading") {
    const stride = Math.floor(T / S);
    for (let k = S - 1; k >= 0; k--) out.push(k * stride);
  } else if (spacing === "linspace") {
    // torch.linspace fills the first ⌊S/2⌋ entries from the start and the rest from the end.
    const step = S === 1 ? 0 : (T - 1) / (S - 1);
    for (let k = S - 1; k >= 0; k--) {
      out.push(S === 1 ? 0 : roundHalfEven(k < Math.floor(S / 2) ? k * step : T - 1 - step * (S - 1 - k)));
    }
  } else {
    // trailing (the node's default)
    const stride = T / S;
    for (let k = 0; k < S; k++) out.push(roundHalfEven(T - k * stride) - 1);
  }
  return out;
}

/** σ at the given timesteps, then 0. */
export function sigmasForTimesteps(table, timesteps) {
  const out = timesteps.map((t) => table[Math.min(table.length - 1, Math.max(0, t))]);
  out.push(0);
  return out;
}

/** EDM Algorithm 2: γ_i per step i (0..N−1) of a schedule with N+1 entries. */
export function churnGammas(sigmas, sChurn, sTmin, sTmax) {
  const n = sigmas.length - 1;
  const g = Math.min(sChurn / n, SQRT2_M1);
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = sTmin <= sigmas[i] && sigmas[i] <= sTmax ? g : 0;
  return out;
}

/** CADS (Sadat et al.): γ(t) = 1 for t ≤ τ1, 0 for t ≥ τ2, linear between; t = 1 is pure noise. */
export function cadsGamma(t, tau1, tau2) {
  if (t <= tau1) return 1;
  if (t >= tau2) return 0;
  return (tau2 - t) / (tau2 - tau1);
}
