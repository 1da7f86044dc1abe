// Sampler Lab: the numbers behind the in-node plots, in plain float64 JavaScript; no DOM access here.
// MIRRORED CODE: every exported function copies one function of the Python core in samplers/ (named on its
// "Python twin" line). tests/js/math.test.mjs (`node --test tests/js`) checks each against golden values that
// tools/make_js_goldens.py writes from samplers/ into tests/js/goldens.json.

export const SQRT2_M1 = Math.SQRT2 - 1;
export const SD_T = 1000;
export const SD_BETA_START = 0.00085;
export const SD_BETA_END = 0.012;

/** SD1.x "scaled_linear" betas: linspace(sqrt(b0), sqrt(b1), T)^2.
 *  Python twin: samplers.make_betas ("scaled_linear"). */
export function sdBetas(T = SD_T, start = SD_BETA_START, end = SD_BETA_END) {
  const a = Math.sqrt(start), b = Math.sqrt(end);
  const out = new Array(T);
  for (let i = 0; i < T; i++) {
    const v = T === 1 ? a : a + (b - a) * (i / (T - 1));
    out[i] = v * v;
  }
  return out;
}

/** ᾱ_t = Π_{s≤t} (1 − β_s). Python twin: samplers.alphas_cumprod. */
export function alphasCumprod(betas) {
  const out = new Array(betas.length);
  let p = 1;
  for (let i = 0; i < betas.length; i++) {
    p *= 1 - betas[i];
    out[i] = p;
  }
  return out;
}

/** σ_t = sqrt((1 − ᾱ_t)/ᾱ_t). Python twin: samplers.sigmas_from_alphas_cumprod. */
export function sigmasFromAlphasCumprod(acp) {
  return acp.map((a) => Math.sqrt((1 - a) / a));
}

/** Lin et al. 2024, Algorithm 1: betas rescaled to zero terminal SNR. Python twin: samplers.rescale_zero_terminal_snr. */
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
/** The SD1.x discrete σ table (index = timestep, ascending).
 *  Python twin: samplers.sigmas_from_alphas_cumprod (of the SD1.x ᾱ table). */
export function sdSigmaTable() {
  if (!_sdTable) _sdTable = sigmasFromAlphasCumprod(alphasCumprod(sdBetas()));
  return _sdTable;
}
/** [σmin, σmax] of the SD1.x table. Python twin: samplers.sigmas_from_alphas_cumprod (its first and last entry). */
export function sdSigmaRange() {
  const t = sdSigmaTable();
  return [t[0], t[t.length - 1]];
}

/** EDM eq. 5: N noise levels from σmax to σmin, then 0 (N+1 entries); the ends exact. Computed as
 *  σmax·(1 + i/(N−1)·((σmin/σmax)^(1/ρ) − 1))^ρ (eq. 5 divided through by σmax^(1/ρ): no overflow at small ρ).
 *  Python twin: samplers.karras_sigmas. */
export function karrasSigmas(steps, sigmaMin, sigmaMax, rho) {
  const n = Math.max(1, Math.floor(steps));
  const ratio = Math.pow(sigmaMin / sigmaMax, 1 / rho);
  const out = new Array(n + 1);
  for (let i = 0; i < n; i++) {
    const ramp = n === 1 ? 0 : i / (n - 1);
    out[i] = Math.min(sigmaMax, Math.max(sigmaMin, sigmaMax * Math.pow(1 + ramp * (ratio - 1), rho)));
  }
  out[0] = sigmaMax;
  if (n > 1) out[n - 1] = sigmaMin;
  out[n] = 0;
  return out;
}

export const MAX_SCHEDULE_STEPS = 100000;

/** Length of the full schedule a partial denoise takes its last `steps` steps from: ⌊steps/denoise⌋ (or steps at
 *  denoise ≥ 1); null where denoise ≤ 0 or the length is beyond MAX_SCHEDULE_STEPS (Python refuses those).
 *  Python twin: samplers.denoise_total_steps. */
export function denoiseTotalSteps(steps, denoise) {
  if (!(denoise > 0)) return null;
  const total = denoise >= 1 ? steps : Math.floor(steps / denoise);
  return total <= MAX_SCHEDULE_STEPS ? total : null;
}

/** The last `steps` steps (steps + 1 levels) of a full schedule of denoiseTotalSteps(steps, denoise) steps.
 *  Python twin: samplers.denoise_sigmas. */
export function denoiseSigmas(sigmasOf, steps, denoise) {
  const total = denoiseTotalSteps(steps, denoise);
  return total === null ? null : sigmasOf(total).slice(-(steps + 1));
}

/** numerator/denominator (integers, denominator > 0) rounded to the nearest integer, ties to even, exactly.
 *  Python twin: samplers.schedules._round_half_even. */
export function roundHalfEven(numerator, denominator) {
  const q = Math.floor(numerator / denominator), r = numerator - q * denominator;
  if (2 * r > denominator || (2 * r === denominator && Math.abs(q % 2) === 1)) return q + 1;
  return q;
}

/** Timesteps (descending) of Lin et al. 2024, Table 2, in exact integer arithmetic (k = 0 … S−1):
 *  leading k·⌊T/S⌋; linspace round(k·(T−1)/(S−1)); trailing round(T − k·T/S) − 1 (T−1 first).
 *  Python twin: samplers.spacing_timesteps. */
export function spacingTimesteps(spacing, steps, T = SD_T) {
  const S = Math.max(1, Math.floor(steps));
  const out = [];
  for (let k = 0; k < S; k++) {
    if (spacing === "leading") out.push(k * Math.floor(T / S));
    else if (spacing === "linspace") out.push(S === 1 ? 0 : roundHalfEven(k * (T - 1), S - 1));
    else out.push(roundHalfEven(T * (S - k), S) - 1); // trailing (the node's default)
  }
  return out.sort((a, b) => b - a);
}

/** σ at the given timesteps, then 0. Python twin: samplers.sigmas_for_timesteps. */
export function sigmasForTimesteps(table, timesteps) {
  const out = timesteps.map((t) => table[Math.min(table.length - 1, Math.max(0, t))]);
  out.push(0);
  return out;
}

/** EDM Algorithm 2: γ_i per step i (0..N−1) of a schedule with N+1 entries. Python twin: samplers.churn_gammas. */
export function churnGammas(sigmas, sChurn, sTmin, sTmax) {
  const n = sigmas.length - 1;
  const g = n > 0 ? Math.min(sChurn / n, SQRT2_M1) : 0;
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = sTmin <= sigmas[i] && sigmas[i] <= sTmax ? g : 0;
  return out;
}

/** CADS (Sadat et al.): γ(t) = 1 for t ≤ τ1, 0 for t ≥ τ2, linear between; t = 1 is pure noise.
 *  Python twin: samplers.cads_gamma. */
export function cadsGamma(t, tau1, tau2) {
  if (t <= tau1) return 1;
  if (t >= tau2) return 0;
  return (tau2 - t) / (tau2 - tau1);
}
