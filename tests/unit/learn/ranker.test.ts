import { describe, expect, it } from 'vitest';
import { checkModel, fitConditionalLogit, fitLogistic, linearScore, sigmoid } from '../../../src/retrieve/ranker.ts';
import { thresholdFor } from '../../bench/learning.ts';

// A seeded generator, so the synthetic data is the same on every run.
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('conditional logit ranker', () => {
  it('learns which feature marks the gold candidate and ignores noise', () => {
    const r = rng(1);
    const groups = Array.from({ length: 60 }, () => {
      const gold = Math.floor(r() * 8);
      const rows = Array.from({ length: 8 }, (_, i) => [i === gold ? 1 + r() : r(), r()]);
      return { rows, gold: rows.map((_, i) => i === gold) };
    });
    const m = fitConditionalLogit(groups, ['signal', 'noise']);
    expect(m.weights[0]!).toBeGreaterThan(1);
    expect(Math.abs(m.weights[1]!)).toBeLessThan(m.weights[0]! / 4);
    const top = (g: (typeof groups)[number]) => g.rows.map((row, i) => ({ i, s: linearScore(m, row) })).sort((a, b) => b.s - a.s)[0]!.i;
    expect(groups.filter((g) => g.gold[top(g)]).length).toBeGreaterThan(50);
  });

  it('skips questions with no gold candidate and refuses a model whose features differ', () => {
    const m = fitConditionalLogit([{ rows: [[1], [0]], gold: [false, false] }], ['x']);
    expect(m.weights).toEqual([0]);
    expect(() => checkModel(m, ['y'], 'test model')).toThrow(/refit/);
  });
});

describe('logistic answerability and its threshold', () => {
  it('separates a clear signal and keeps false abstention within the rate asked', () => {
    const r = rng(2);
    const rows = Array.from({ length: 200 }, (_, i) => [i % 5 === 0 ? r() - 0.5 : r() + 0.3]);
    const labels = rows.map((_, i) => i % 5 !== 0);
    const m = fitLogistic(rows, labels, ['x']);
    const scored = rows.map((row, i) => ({ p: sigmoid(linearScore(m, row)), answerable: labels[i]! }));
    const t = thresholdFor(scored, 0.05);
    const answerable = scored.filter((s) => s.answerable);
    expect(answerable.filter((s) => s.p < t).length / answerable.length).toBeLessThanOrEqual(0.05);
    expect(scored.filter((s) => !s.answerable && s.p < t).length).toBeGreaterThan(20);
  });
});
