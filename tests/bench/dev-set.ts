import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { coverage, scoreRows, summarize } from '../../../shared/eval/score.mjs';
import { projectRoot } from '../../src/util/paths.ts';
import { squash } from '../helpers.ts';

/** The dev eval set and its scorer (../shared/eval), shared by the benchmark and the answer eval. */
export interface DevQuestion {
  id: string;
  question: string;
  lang: 'zh' | 'en';
  type: string;
  answerable: boolean;
  gold: { seed: string; span: string }[];
  answer_key: string[];
}

export const SHARED_EVAL = path.resolve(projectRoot(), '../shared/eval');

export async function loadDevSet(file = path.join(SHARED_EVAL, 'dev.jsonl')): Promise<DevQuestion[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as DevQuestion);
}

export type Summary = ReturnType<typeof summarize>;

/** Scores ranked texts per question id, overall and by language. */
export function scoreRetrieval(rows: DevQuestion[], results: { id: string; texts: string[] }[]): { all: Summary; zh: Summary; en: Summary } {
  const per = scoreRows(rows, results);
  return { all: summarize(per), zh: summarize(per.filter((p) => p.lang === 'zh')), en: summarize(per.filter((p) => p.lang === 'en')) };
}

export const fmt = (s: Summary): string =>
  `n=${s.n} R@1=${s.r1.toFixed(3)} R@3=${s.r3.toFixed(3)} R@5=${s.r5.toFixed(3)} R@10=${s.r10.toFixed(3)} MRR@10=${s.mrr10.toFixed(3)} allGold@10=${s.allGold10.toFixed(3)}`;

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/**
 * How the held-out set scores an answer to an answerable question: its text holds one of
 * answer_key (whitespace ignored) and one of its citations' quotes hits a gold span.
 */
export function judgeAnswer(q: DevQuestion, a: { answer: string; citations: { quote: string }[] }): { hasKey: boolean; hitsGold: boolean } {
  return {
    hasKey: q.answer_key.some((k) => squash(a.answer).includes(squash(k))),
    hitsGold: a.citations.some((c) => q.gold.some((g) => coverage(c.quote, g.span) >= 0.6)),
  };
}
