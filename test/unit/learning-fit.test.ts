import { describe, expect, it } from "vitest";
import { featureMatrix, fitLogistic, fitSoftmax, lbfgs, objective, scores, type Problem } from "../../layers/core/ml/learning/fit.js";
import { random } from "../support/random.js";

/** All rows of a matrix built from plain arrays, with labels and weights. */
function problem(dense: number[][], sparse: number[][] | null, labels: number[], weights: number[], sparseScale = 0): Problem {
  const x = featureMatrix(dense.length, dense[0]!.length, sparse ? sparse[0]!.length : 0, (i) => ({ dense: dense[i]!, sparse: sparse?.[i] }));
  return { x, rows: Int32Array.from(dense, (_, i) => i), labels: Int32Array.from(labels), weights: Float64Array.from(weights), sparseScale };
}

// Twelve rows, 2 dense + 3 sparse features (the sparse part read at scale 0.5), uneven weights.
const DENSE = [[0.9, 0.1], [0.8, -0.2], [0.1, 0.9], [-0.2, 0.7], [-0.8, -0.1], [-0.6, -0.5], [0.5, 0.5], [0.3, -0.8], [-0.4, 0.4], [0.7, 0.3], [0, -0.9], [-0.9, 0.2]];
const SPARSE = [[1, 0, 0], [0, 0, 2], [0, 1, 0], [0, 1, 1], [0, 0, 1], [1, 0, 1], [0, 0, 0], [2, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 3], [0, 2, 0]];
const CLASSES = [0, 0, 1, 1, 2, 2, 1, 0, 1, 0, 2, 2];
const URGENT = [1, 1, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0];
const WEIGHTS = [1, 2, 1, 1, 0.5, 1, 3, 1, 1, 1, 2, 1];

const tight = { gtol: 1e-10 };

describe("featureMatrix", () => {
  it("keeps the dense part and stores only the non-zero sparse values", () => {
    const x = featureMatrix(3, 2, 4, (i) => ({ dense: [i, -i], sparse: [[0, 0.5, 0, -2], [0, 0, 0, 0], [1, 0, 0, 0]][i]! }));
    expect(Array.from(x.dense)).toEqual([0, -0, 1, -1, 2, -2]);
    expect(Array.from(x.indptr)).toEqual([0, 2, 2, 3]);
    expect(Array.from(x.indices)).toEqual([1, 3, 0]);
    expect(Array.from(x.values)).toEqual([0.5, -2, 1]);
    expect(() => featureMatrix(1, 2, 4, () => ({ dense: [1], sparse: [0, 0, 0, 0] }))).toThrow(/1 dense features, expected 2/);
  });
});

describe("objective", () => {
  it("has the gradient its finite differences say (softmax and binary, dense and sparse, weighted)", () => {
    const rnd = random(3);
    for (const [classes, labels] of [[3, CLASSES], [1, URGENT]] as const) {
      const { size, evaluate } = objective(problem(DENSE, SPARSE, labels, WEIGHTS, 0.5), classes, 1.5);
      const theta = Float64Array.from({ length: size }, () => rnd() - 0.5);
      const grad = new Float64Array(size);
      evaluate(theta, grad);
      const h = 1e-6;
      for (let q = 0; q < size; q++) {
        const up = Float64Array.from(theta);
        const down = Float64Array.from(theta);
        up[q]! += h;
        down[q]! -= h;
        const numeric = (evaluate(up, new Float64Array(size)) - evaluate(down, new Float64Array(size))) / (2 * h);
        expect(grad[q]).toBeCloseTo(numeric, 7);
      }
    }
  });
});

describe("fitSoftmax and fitLogistic", () => {
  // Reference: sklearn 1.9.1, LogisticRegression(C, tol=1e-12, max_iter=100000).fit(X, y, sample_weight=WEIGHTS)
  // with X = [DENSE, 0.5 × SPARSE] (tools/model/.venv, run once by hand; no Python when the test runs).
  it("match sklearn's LogisticRegression on a small weighted problem", () => {
    const soft = fitSoftmax(problem(DENSE, SPARSE, CLASSES, WEIGHTS, 0.5), 3, 2.0, tight);
    const sklearnSoftmax = [
      [1.6231803936306115, -0.5688983535908917, 0.9089782049130836, 0.08367854764686608, -0.03610312534532327],
      [-0.04929641573070349, 1.607084629189245, -0.7224628343700418, -0.34272703515658837, -0.6827053396759395],
      [-1.573883977899908, -1.0381862755983537, -0.18651537054304212, 0.25904848750972215, 0.718808465021263],
    ];
    expect(soft.converged).toBe(true);
    soft.model.coef.forEach((w, k) => w.forEach((v, j) => expect(v).toBeCloseTo(sklearnSoftmax[k]![j]!, 6)));
    [-0.31642833988507124, 0.5952950096393119, -0.27886666975424307].forEach((b, k) => expect(soft.model.intercept[k]).toBeCloseTo(b, 6));

    const bin = fitLogistic(problem(DENSE, SPARSE, URGENT, WEIGHTS, 0.5), 0.7, tight);
    [0.7434687985160776, -0.9363956037301409, 0.3556323864014518, -0.19129107638217752, 0.6451581736907018].forEach((v, j) =>
      expect(bin.model.coef[0]![j]).toBeCloseTo(v, 6),
    );
    expect(bin.model.intercept[0]).toBeCloseTo(-0.4414889038638338, 6);
  });

  it("solve a separable problem where L2 alone keeps the weight finite: w = 2C·σ(−w), shrinking with C", () => {
    // x = +1 is class 1, x = −1 class 0: by symmetry b = 0, and the objective 2C·softplus(−w) + ½w² has
    // its minimum where w = 2C·σ(−w).
    const solve = (C: number) => {
      let lo = 0;
      let hi = 2 * C;
      for (let i = 0; i < 100; i++) {
        const mid = (lo + hi) / 2;
        if (mid < (2 * C) / (1 + Math.exp(mid))) lo = mid;
        else hi = mid;
      }
      return lo;
    };
    const fitted = [0.1, 1, 10, 100].map((C) => {
      const r = fitLogistic(problem([[1], [-1]], null, [1, 0], [1, 1]), C, tight);
      expect(r.model.coef[0]![0]).toBeCloseTo(solve(C), 8);
      expect(r.model.intercept[0]).toBeCloseTo(0, 8);
      return r.model.coef[0]![0]!;
    });
    // Stronger regularisation (smaller C), smaller weight.
    expect([...fitted].sort((a, b) => a - b)).toEqual(fitted);
  });

  it("weigh rows: an intercept-only model learns the weighted class shares, and weight 2 equals a duplicated row", () => {
    // No features (all zero): the intercept alone fits, and it is unpenalised, so it is the weighted log-odds.
    const zeros = [[0], [0], [0], [0]];
    const bin = fitLogistic(problem(zeros, null, [1, 1, 1, 0], [1, 1, 1, 6]), 1, tight);
    expect(bin.model.intercept[0]).toBeCloseTo(Math.log(3 / 6), 8);
    const soft = fitSoftmax(problem(zeros, null, [0, 1, 2, 2], [2, 1, 4, 4]), 3, 1, tight);
    const b = soft.model.intercept;
    expect(b[0]! - b[1]!).toBeCloseTo(Math.log(2 / 1), 8);
    expect(b[2]! - b[1]!).toBeCloseTo(Math.log(8 / 1), 8);

    const weighted = fitSoftmax(problem(DENSE, SPARSE, CLASSES, WEIGHTS.map((_, i) => (i === 4 ? 2 : 1)), 0.5), 3, 2, tight);
    const duplicated = fitSoftmax(problem([...DENSE, DENSE[4]!], [...SPARSE, SPARSE[4]!], [...CLASSES, CLASSES[4]!], [...CLASSES, 0].map(() => 1), 0.5), 3, 2, tight);
    const unweighted = fitSoftmax(problem(DENSE, SPARSE, CLASSES, WEIGHTS.map(() => 1), 0.5), 3, 2, tight);
    // Same objective term for term (C · 2 · loss₄ either way): the same model, and not the unweighted one.
    weighted.model.coef.forEach((w, k) => w.forEach((v, j) => expect(v).toBeCloseTo(duplicated.model.coef[k]![j]!, 6)));
    weighted.model.intercept.forEach((v, k) => expect(v).toBeCloseTo(duplicated.model.intercept[k]!, 6));
    const row4 = (m: typeof weighted) => scores(m.model, problem(DENSE, SPARSE, CLASSES, WEIGHTS, 0.5).x, 4, 0.5)[2]!;
    expect(Math.abs(row4(weighted) - row4(unweighted))).toBeGreaterThan(0.05);
  });

  it("recover the model that generated the labels", () => {
    const rnd = random(11);
    const truth = [[2, -1, 0], [-1, 2, 1], [-1, -1, -1]];
    const dense: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const x = [rnd() * 4 - 2, rnd() * 4 - 2, rnd() * 4 - 2];
      const z = truth.map((w) => w.reduce((s, v, j) => s + v * x[j]!, 0));
      const e = z.map((v) => Math.exp(v));
      let u = rnd() * e.reduce((a, b) => a + b, 0);
      let y = 0;
      while ((u -= e[y]!) > 0) y++;
      dense.push(x);
      labels.push(y);
    }
    // Softmax weights are defined up to a shift common to all classes: compare differences between classes.
    const fit = fitSoftmax(problem(dense, null, labels, labels.map(() => 1)), 3, 1000);
    const w = fit.model.coef;
    for (let j = 0; j < 3; j++) {
      expect(w[0]![j]! - w[2]![j]!).toBeCloseTo(truth[0]![j]! - truth[2]![j]!, 0);
      expect(w[1]![j]! - w[2]![j]!).toBeCloseTo(truth[1]![j]! - truth[2]![j]!, 0);
    }
  });

  it("are deterministic, bit for bit", () => {
    const p = problem(DENSE, SPARSE, CLASSES, WEIGHTS, 0.5);
    const a = fitSoftmax(p, 3, 5);
    const b = fitSoftmax(p, 3, 5);
    expect(a.model.coef).toEqual(b.model.coef);
    expect(a.model.intercept).toEqual(b.model.intercept);
    expect(a.iterations).toBe(b.iterations);
  });

  it("refuse what they cannot fit", () => {
    expect(() => fitSoftmax(problem(DENSE, null, CLASSES, WEIGHTS), 2, 1)).toThrow(/fitLogistic/);
    expect(() => fitLogistic(problem(DENSE, null, CLASSES, WEIGHTS), 1)).toThrow(/label 2/);
    expect(() => fitLogistic(problem(DENSE, null, URGENT, WEIGHTS.map(() => 0)), 1)).toThrow(/weights sum to 0/);
  });
});

describe("lbfgs", () => {
  it("finds the minimum of an ill-conditioned quadratic", () => {
    const scale = [1, 10, 100, 1000, 10000];
    const centre = [1, -2, 3, -4, 5];
    const r = lbfgs(
      (x, g) => {
        let f = 0;
        x.forEach((v, i) => {
          f += scale[i]! * (v - centre[i]!) ** 2;
          g[i] = 2 * scale[i]! * (v - centre[i]!);
        });
        return f;
      },
      new Float64Array(5),
      { gtol: 1e-8 },
    );
    expect(r.converged).toBe(true);
    r.x.forEach((v, i) => expect(v).toBeCloseTo(centre[i]!, 9));
  });
});
