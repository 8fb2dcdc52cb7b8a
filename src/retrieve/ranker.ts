import { readFileSync } from 'node:fs';
import { AppError } from '../errors.ts';
import { projectFile } from '../util/paths.ts';
import { FEATURES } from './evidence.ts';

/**
 * A linear scorer of (question, passage) pairs, fitted as a conditional logit: for each question,
 * softmax over its candidates, maximising the probability of the gold candidates (L2-regularised,
 * on standardised features). It ranks candidates within one question, which is the decision the
 * product makes; a pointwise logistic regression wastes capacity on between-question offsets.
 * A few lines of plain code, since no maintained JavaScript library fits a conditional logit.
 */
export interface LinearModel {
  version: 1;
  features: string[];
  mean: number[];
  scale: number[];
  weights: number[];
}

export interface RankingGroup {
  rows: number[][];
  gold: boolean[];
}

export interface FitOptions {
  l2?: number;
  iterations?: number;
  learningRate?: number;
}

export function standardiser(rows: number[][]): { mean: number[]; scale: number[] } {
  const d = rows[0]?.length ?? 0;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j]!, 0) / (rows.length || 1));
  const scale = Array.from({ length: d }, (_, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / (rows.length || 1)) || 1);
  return { mean, scale };
}

export function fitConditionalLogit(groups: RankingGroup[], names: readonly string[] = FEATURES, opts: FitOptions = {}): LinearModel {
  const { l2 = 1, iterations = 400, learningRate = 0.1 } = opts;
  const { mean, scale } = standardiser(groups.flatMap((g) => g.rows));
  const d = mean.length;
  const data = groups
    .filter((g) => g.gold.some(Boolean))
    .map((g) => ({ z: g.rows.map((r) => r.map((x, j) => (x - mean[j]!) / scale[j]!)), gold: g.gold }));
  const w = new Float64Array(d);
  for (let it = 0; it < iterations; it++) {
    const grad = new Float64Array(d);
    for (const g of data) {
      const s = g.z.map((z) => dot(z, w));
      const m = Math.max(...s);
      const e = s.map((x) => Math.exp(x - m));
      const total = e.reduce((a, b) => a + b, 0);
      const goldTotal = e.reduce((a, x, i) => a + (g.gold[i] ? x : 0), 0);
      // Gradient of log Σ_gold p: observed minus expected features.
      g.z.forEach((z, i) => {
        const coef = (g.gold[i] ? e[i]! / goldTotal : 0) - e[i]! / total;
        for (let j = 0; j < d; j++) grad[j]! += coef * z[j]!;
      });
    }
    for (let j = 0; j < d; j++) w[j]! += learningRate * ((grad[j]! - l2 * w[j]!) / Math.max(1, data.length));
  }
  return { version: 1, features: [...names], mean, scale, weights: [...w] };
}

/**
 * Plain logistic regression (batch gradient descent, L2) for a yes/no outcome such as "the corpus
 * answers this question"; same model shape as the ranker, so one scorer reads both.
 */
export function fitLogistic(rows: number[][], labels: boolean[], names: readonly string[], opts: FitOptions = {}): LinearModel & { bias: number } {
  const { l2 = 1, iterations = 1500, learningRate = 0.1 } = opts;
  const { mean, scale } = standardiser(rows);
  const z = rows.map((r) => r.map((x, j) => (x - mean[j]!) / scale[j]!));
  const d = mean.length;
  const w = new Float64Array(d);
  let b = 0;
  const n = Math.max(1, rows.length);
  for (let it = 0; it < iterations; it++) {
    const grad = new Float64Array(d);
    let gb = 0;
    z.forEach((x, i) => {
      const err = (labels[i] ? 1 : 0) - sigmoid(dot(x, w) + b);
      for (let j = 0; j < d; j++) grad[j]! += err * x[j]!;
      gb += err;
    });
    for (let j = 0; j < d; j++) w[j]! += learningRate * ((grad[j]! - l2 * w[j]!) / n);
    b += (learningRate * gb) / n;
  }
  return { version: 1, features: [...names], mean, scale, weights: [...w], bias: b };
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The model's score of one feature row (a logit). */
export function linearScore(model: LinearModel & { bias?: number }, row: readonly number[]): number {
  let s = model.bias ?? 0;
  for (let j = 0; j < model.weights.length; j++) s += model.weights[j]! * ((row[j]! - model.mean[j]!) / model.scale[j]!);
  return s;
}

/** Checks a model read from disk against the features this code computes. */
export function checkModel<T extends LinearModel>(model: T, names: readonly string[], what: string): T {
  const ok =
    model?.version === 1 &&
    Array.isArray(model.features) &&
    model.features.length === names.length &&
    model.features.every((f, i) => f === names[i]) &&
    [model.mean, model.scale, model.weights].every((a) => Array.isArray(a) && a.length === names.length && a.every(Number.isFinite));
  if (!ok) throw new AppError('learned_model', `${what} does not match this version's features (${names.join(', ')}); refit it with npm run fit`);
  return model;
}

function dot(a: readonly number[], b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}

export const RANKER_FILE = 'src/retrieve/ranker.v1.json';

/** The committed ranker (scripts/fit.ts writes it); undefined when it has not been fitted yet. */
export function loadRanker(): LinearModel | undefined {
  const file = projectFile(RANKER_FILE);
  if (!file) return undefined;
  return checkModel(JSON.parse(readFileSync(file, 'utf8')) as LinearModel, FEATURES, file);
}
