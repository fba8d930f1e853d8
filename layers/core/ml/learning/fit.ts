// Weighted L2-regularised logistic regression, binary and multinomial (softmax): the objective of sklearn's
// LogisticRegression(C) that trained the shipped heads (tools/model/train_heads.py),
//   C · Σᵢ wᵢ · lossᵢ + ½‖W‖²   (intercepts not penalised),
// minimised here divided by C · Σᵢ wᵢ, as sklearn does, so the stopping tolerance means the same at any C or
// weight. Pure: no I/O, Float64 maths, every sum in a fixed order (same input → same weights, bit for bit).
//
// The optimiser is a short L-BFGS written here: no maintained npm package fits weighted, L2-regularised softmax
// regression (the nearest, ml-logistic-regression 2.0.0 of 2020, is fixed-step gradient descent, one-vs-all, with
// no sample weights, no penalty and no intercept), and for this smooth convex objective L-BFGS with a
// backtracking line search is all it takes (convexity gives every step sᵀy ≥ 0).

/**
 * n rows of [dense | sparse] features: the embedding (Float32, what the encoder gives) and the hashed n-grams,
 * which charNgramFeatures returns dense but are about 45% zeros, as index/value pairs (CSR). Values are stored
 * as Float32 (an n-gram value has no more precision than the embedding beside it) and read into Float64 sums.
 */
export interface FeatureMatrix {
  readonly rows: number;
  readonly denseDim: number;
  /** rows × denseDim, row-major. */
  readonly dense: Float32Array;
  readonly sparseDim: number;
  /** Row i's sparse entries are indptr[i] … indptr[i + 1] − 1. */
  readonly indptr: Int32Array;
  readonly indices: Uint16Array;
  readonly values: Float32Array;
}

/** Builds the matrix one row at a time, so no more than one dense n-gram vector is alive at once. */
export function featureMatrix(
  rows: number,
  denseDim: number,
  sparseDim: number,
  row: (i: number) => { dense: ArrayLike<number>; sparse?: ArrayLike<number> },
): FeatureMatrix {
  if (sparseDim > 0x10000) throw new Error(`sparse part of ${sparseDim} columns: indices are 16-bit`);
  const dense = new Float32Array(rows * denseDim);
  const indptr = new Int32Array(rows + 1);
  let indices = new Uint16Array(Math.max(16, (rows * sparseDim) >> 1));
  let values = new Float32Array(indices.length);
  let nnz = 0;
  for (let i = 0; i < rows; i++) {
    const r = row(i);
    if (r.dense.length !== denseDim) throw new Error(`row ${i}: ${r.dense.length} dense features, expected ${denseDim}`);
    dense.set(r.dense, i * denseDim);
    const s = r.sparse;
    if (s && s.length !== sparseDim) throw new Error(`row ${i}: ${s.length} sparse features, expected ${sparseDim}`);
    for (let j = 0; s && j < sparseDim; j++) {
      if (s[j] === 0) continue;
      if (nnz === indices.length) {
        const grown = new Uint16Array(indices.length * 2);
        grown.set(indices);
        indices = grown;
        const v = new Float32Array(grown.length);
        v.set(values);
        values = v;
      }
      indices[nnz] = j;
      values[nnz++] = s[j]!;
    }
    indptr[i + 1] = nnz;
  }
  return { rows, denseDim, dense, sparseDim, indptr, indices: indices.slice(0, nnz), values: values.slice(0, nnz) };
}

/** What to fit: some rows of a matrix, their labels and weights, and how much of the sparse part to read. */
export interface Problem {
  x: FeatureMatrix;
  rows: Int32Array;
  /** Class index per row (binary: 0 or 1). */
  labels: Int32Array;
  /** Sample weight per row (sklearn's sample_weight). */
  weights: Float64Array;
  /** The sparse part enters as sparseScale × its values; 0 leaves it out, and the model has denseDim weights. */
  sparseScale: number;
}

/** One weight row (and intercept) per class; binary models have one row, the positive class's. */
export interface LinearModel {
  coef: Float64Array[];
  intercept: Float64Array;
}

export interface FitResult {
  model: LinearModel;
  iterations: number;
  converged: boolean;
  /** The minimised (scaled) objective and its gradient's largest component at the result. */
  objective: number;
  gradientMax: number;
}

export interface FitOptions {
  /**
   * Stop when no gradient component of the scaled objective exceeds this. 1e-5 by default, ten times sklearn's
   * tol: at 1e-4 one correction's pull (weight ≈ 8 in ~1,000) is hardly above the tolerance, and the invoice
   * scenario's figures moved by a ticket against a 1e-6 fit; at 1e-5 every figure matched it.
   */
  gtol?: number;
  maxIterations?: number;
  /** Start here rather than at zero (the optimum is unique; a nearby start only saves iterations). */
  init?: LinearModel;
}

const softplus = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/**
 * The scaled objective f(θ) = Σᵢ wᵢ lossᵢ / Σw + ‖W‖² / (2 C Σw) and its gradient, θ = [W row by row, intercepts].
 * `classes` = 1 is binary logistic regression (label 1 is positive); otherwise softmax over that many classes.
 */
export function objective(p: Problem, classes: number, C: number): { size: number; evaluate: (theta: Float64Array, grad: Float64Array) => number } {
  const { x, rows, labels, weights, sparseScale } = p;
  if (labels.length !== rows.length || weights.length !== rows.length) throw new Error("rows, labels and weights differ in length");
  const K = classes;
  const dd = x.denseDim;
  const sparse = sparseScale > 0;
  const d = dd + (sparse ? x.sparseDim : 0);
  let wsum = 0;
  for (let r = 0; r < rows.length; r++) {
    const y = labels[r]!;
    if (weights[r]! < 0 || !(y >= 0 && y < Math.max(K, 2))) throw new Error(`row ${r}: label ${y} or weight ${weights[r]} out of range`);
    wsum += weights[r]!;
  }
  if (!(wsum > 0)) throw new Error("nothing to fit: the weights sum to 0");
  if (!(C > 0)) throw new Error(`C must be positive, got ${C}`);
  const { dense, indptr, indices, values } = x;
  const z = new Float64Array(K);
  const evaluate = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r]!;
      const w = weights[r]!;
      const y = labels[r]!;
      const base = i * dd;
      const lo = indptr[i]!;
      const hi = indptr[i + 1]!;
      for (let k = 0; k < K; k++) {
        const o = k * d;
        let s = theta[K * d + k]!;
        for (let j = 0; j < dd; j++) s += theta[o + j]! * dense[base + j]!;
        if (sparse) {
          let t = 0;
          for (let q = lo; q < hi; q++) t += theta[o + dd + indices[q]!]! * values[q]!;
          s += sparseScale * t;
        }
        z[k] = s;
      }
      // z becomes the residual w · (p − y) per class: the loss's derivative in that class's score.
      if (K === 1) {
        const s = z[0]!;
        loss += w * (softplus(s) - y * s);
        z[0] = w * (1 / (1 + Math.exp(-s)) - y);
      } else {
        let max = -Infinity;
        for (let k = 0; k < K; k++) max = Math.max(max, z[k]!);
        let sum = 0;
        for (let k = 0; k < K; k++) sum += Math.exp(z[k]! - max);
        const lse = max + Math.log(sum);
        loss += w * (lse - z[y]!);
        for (let k = 0; k < K; k++) z[k] = w * (Math.exp(z[k]! - lse) - (k === y ? 1 : 0));
      }
      for (let k = 0; k < K; k++) {
        const e = z[k]!;
        if (e === 0) continue;
        const o = k * d;
        for (let j = 0; j < dd; j++) grad[o + j]! += e * dense[base + j]!;
        if (sparse) {
          const es = e * sparseScale;
          for (let q = lo; q < hi; q++) grad[o + dd + indices[q]!]! += es * values[q]!;
        }
        grad[K * d + k]! += e;
      }
    }
    const lambda = 1 / (C * wsum);
    let penalty = 0;
    for (let q = 0; q < K * d; q++) {
      penalty += theta[q]! * theta[q]!;
      grad[q] = grad[q]! / wsum + lambda * theta[q]!;
    }
    for (let k = 0; k < K; k++) grad[K * d + k] = grad[K * d + k]! / wsum;
    return loss / wsum + 0.5 * lambda * penalty;
  };
  return { size: K * d + K, evaluate };
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const maxAbs = (a: Float64Array) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

/** L-BFGS (10 pairs) with a backtracking Armijo line search, from x0 (not modified). */
export function lbfgs(
  f: (x: Float64Array, grad: Float64Array) => number,
  x0: Float64Array,
  { gtol = 1e-5, maxIterations = 2000 }: FitOptions = {},
): { x: Float64Array; value: number; gradientMax: number; iterations: number; converged: boolean } {
  const n = x0.length;
  const MEMORY = 10;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  const dir = new Float64Array(n);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(MEMORY);
  for (let iter = 0; iter < maxIterations; iter++) {
    if (maxAbs(g) <= gtol) return { x, value: fx, gradientMax: maxAbs(g), iterations: iter, converged: true };
    // Two-loop recursion: dir = −H g, H the inverse-Hessian estimate from the last MEMORY steps.
    for (let i = 0; i < n; i++) dir[i] = -g[i]!;
    for (let m = S.length - 1; m >= 0; m--) {
      alpha[m] = rho[m]! * dot(S[m]!, dir);
      const y = Y[m]!;
      for (let i = 0; i < n; i++) dir[i]! -= alpha[m]! * y[i]!;
    }
    // First step: a unit-length move; later, the usual sᵀy / yᵀy scaling.
    const last = S.length - 1;
    const gamma = last >= 0 ? 1 / (rho[last]! * dot(Y[last]!, Y[last]!)) : 1 / Math.sqrt(dot(g, g));
    for (let i = 0; i < n; i++) dir[i]! *= gamma;
    for (let m = 0; m < S.length; m++) {
      const beta = rho[m]! * dot(Y[m]!, dir);
      const s = S[m]!;
      for (let i = 0; i < n; i++) dir[i]! += (alpha[m]! - beta) * s[i]!;
    }
    const slope = dot(dir, g);
    if (!(slope < 0)) {
      // Rounding made the estimate useless: forget it and take a steepest-descent step.
      S.length = Y.length = rho.length = 0;
      continue;
    }
    let step = 1;
    let fNew = Infinity;
    for (let tries = 0; tries < 50; tries++, step /= 2) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * dir[i]!;
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * step * slope) break;
    }
    // No decrease along a descent direction: the objective is flat to rounding here.
    if (!(fNew <= fx + 1e-4 * step * slope)) return { x, value: fx, gradientMax: maxAbs(g), iterations: iter, converged: false };
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 0) {
      if (S.length === MEMORY) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    fx = fNew;
  }
  return { x, value: fx, gradientMax: maxAbs(g), iterations: maxIterations, converged: maxAbs(g) <= gtol };
}

function fit(p: Problem, classes: number, C: number, options: FitOptions = {}): FitResult {
  const { size, evaluate } = objective(p, classes, C);
  const d = (size - classes) / classes;
  const start = new Float64Array(size);
  if (options.init) {
    const { coef, intercept } = options.init;
    if (coef.length !== classes || coef.some((w) => w.length !== d)) throw new Error(`init is not ${classes} × ${d} weights`);
    coef.forEach((w, k) => start.set(w, k * d));
    start.set(intercept, classes * d);
  }
  const r = lbfgs(evaluate, start, options);
  return {
    model: {
      coef: Array.from({ length: classes }, (_, k) => r.x.slice(k * d, (k + 1) * d)),
      intercept: r.x.slice(classes * d),
    },
    iterations: r.iterations,
    converged: r.converged,
    objective: r.value,
    gradientMax: r.gradientMax,
  };
}

/** Binary logistic regression (labels 0/1). */
export const fitLogistic = (p: Problem, C: number, options?: FitOptions) => fit(p, 1, C, options);

/** Multinomial (softmax) logistic regression over `classes` ≥ 3 classes (sklearn's model for 3+). */
export function fitSoftmax(p: Problem, classes: number, C: number, options?: FitOptions): FitResult {
  if (classes < 3) throw new Error("softmax over fewer than 3 classes: use fitLogistic (sklearn's binary model)");
  return fit(p, classes, C, options);
}

/** The model's score per class (before the sigmoid/softmax) for row i of x. */
export function scores(model: LinearModel, x: FeatureMatrix, i: number, sparseScale: number): Float64Array {
  const dd = x.denseDim;
  return Float64Array.from(model.coef, (w, k) => {
    let s = model.intercept[k]!;
    for (let j = 0; j < dd; j++) s += w[j]! * x.dense[i * dd + j]!;
    let t = 0;
    for (let q = x.indptr[i]!; sparseScale > 0 && q < x.indptr[i + 1]!; q++) t += w[dd + x.indices[q]!]! * x.values[q]!;
    return s + sparseScale * t;
  });
}
