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

export interface JudgedAnswer {
  answer: string;
  citations: { quote: string }[];
  abstained: boolean;
}

/** The first paragraph of an answer: what people read. */
export const firstParagraph = (text: string): string => text.split(/\n\s*\n/)[0] ?? '';

export interface AnswerSummary {
  answerable: number;
  unanswerable: number;
  /** States a key and cites a gold clause. */
  correct: number;
  /** The first paragraph states a key and citation [1] is a gold clause. */
  firstLine: number;
  falseAbstention: number;
  /** Unanswerable questions declined. */
  declined: number;
  failures: string[];
}

/** Scores answers as the held-out sets are scored (see ../shared/eval/README.md). */
export function scoreAnswers(pairs: { q: DevQuestion; a: JudgedAnswer }[]): AnswerSummary {
  const s: AnswerSummary = { answerable: 0, unanswerable: 0, correct: 0, firstLine: 0, falseAbstention: 0, declined: 0, failures: [] };
  for (const { q, a } of pairs) {
    if (!q.answerable) {
      s.unanswerable++;
      if (a.abstained) s.declined++;
      else s.failures.push(`${q.id} (unanswerable) answered: ${a.answer.slice(0, 80).replace(/\n/g, ' ')}`);
      continue;
    }
    s.answerable++;
    if (a.abstained) {
      s.falseAbstention++;
      s.failures.push(`${q.id} abstained: ${q.question}`);
      continue;
    }
    const { hasKey, hitsGold } = judgeAnswer(q, a);
    if (hasKey && hitsGold) s.correct++;
    else s.failures.push(`${q.id} wrong (key ${hasKey ? 'yes' : 'no'}, gold citation ${hitsGold ? 'yes' : 'no'}): ${q.question}`);
    const first = judgeAnswer(q, { answer: firstParagraph(a.answer), citations: a.citations.slice(0, 1) });
    if (first.hasKey && first.hitsGold) s.firstLine++;
  }
  return s;
}

const pct = (n: number, d: number) => `${((100 * n) / Math.max(1, d)).toFixed(1)}% (${n}/${d})`;

export function formatAnswers(s: AnswerSummary): string {
  return [
    `correct (key + gold citation):        ${pct(s.correct, s.answerable)}`,
    `first line (key + [1] gold):          ${pct(s.firstLine, s.answerable)}`,
    `false abstention:                     ${pct(s.falseAbstention, s.answerable)}`,
    `abstention on unanswerable:           ${pct(s.declined, s.unanswerable)}`,
  ].join('\n');
}
