/**
 * The dev set as training data for the learned parts, and 5-fold cross-validation over it. Shared by
 * scripts/fit.ts (which writes the committed models), npm run bench, npm run eval:answers and the
 * regression tests, so every figure comes from one procedure.
 */
import { hits } from '../../../shared/eval/score.mjs';
import type { App } from '../../src/app.ts';
import { ANSWERABLE_FEATURES, answerableRow, ExtractiveAnswerer, SENTENCE_FEATURES, sentenceRows, type AnswerModel } from '../../src/answer/extractive.ts';
import type { Answer, AnswerInput } from '../../src/answer/types.ts';
import { squash } from '../helpers.ts';
import { FEATURES } from '../../src/retrieve/evidence.ts';
import { fitConditionalLogit, fitLogistic, type LinearModel } from '../../src/retrieve/ranker.ts';
import { orderByRanker, RERANK_POOL, type SearchResult } from '../../src/retrieve/retriever.ts';
import { scoreRetrieval, type DevQuestion } from './dev-set.ts';

export const FOLDS = 5;

/** A question's fold: a hash of its id, so folds do not depend on file order. */
export function foldOf(id: string): number {
  let h = 7;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % FOLDS;
}

/** A ranker that keeps the first-stage order: the retriever computes features, nothing moves. */
export const NEUTRAL_RANKER: LinearModel = { version: 1, features: [...FEATURES], mean: FEATURES.map(() => 0), scale: FEATURES.map(() => 1), weights: FEATURES.map(() => 0) };

export interface RankingExample {
  q: DevQuestion;
  pool: SearchResult[];
  gold: boolean[];
}

/** The first-stage pool of every dev question with its features; app must use NEUTRAL_RANKER. */
export async function rankingExamples(app: App, rows: DevQuestion[]): Promise<RankingExample[]> {
  const out: RankingExample[] = [];
  for (const q of rows) {
    const { results } = await app.retriever.search(q.question, { k: RERANK_POOL });
    out.push({ q, pool: results, gold: results.map((r) => q.answerable && hits(r.chunk.text, q.gold)) });
  }
  return out;
}

export const fitRanker = (examples: RankingExample[]): LinearModel =>
  fitConditionalLogit(examples.map((e) => ({ rows: e.pool.map((r) => r.features!), gold: e.gold })));

/** The pool reordered by a ranker, exactly as the retriever orders it. */
export const rerank = (e: RankingExample, model: LinearModel): SearchResult[] => orderByRanker(e.pool, model);

/** Each fold's model fitted on the other four folds. */
export function foldModels<T>(examples: { q: DevQuestion }[], fit: (train: number[]) => T): T[] {
  return Array.from({ length: FOLDS }, (_, k) => fit(examples.flatMap((e, i) => (foldOf(e.q.id) === k ? [] : [i]))));
}

/** A dev question as the answer pipeline prepares it, with a given ranker. */
export interface AnswerExample {
  q: DevQuestion;
  input: AnswerInput;
}

export async function answerExamples(app: App, rows: DevQuestion[]): Promise<AnswerExample[]> {
  const out: AnswerExample[] = [];
  for (const q of rows) out.push({ q, input: await app.answers.prepare(q.question, []) });
  return out;
}

const hasKey = (q: DevQuestion, text: string) => q.answer_key.some((k) => squash(text).includes(squash(k)));

/** Sentence choice: within each gold context clause, the sentences that state an answer key. */
export function fitSentenceModel(examples: AnswerExample[]): LinearModel {
  const groups = examples.flatMap(({ q, input }) =>
    input.context
      .filter((c) => q.answerable && hits(c.clause.text, q.gold))
      .map((c) => {
        const rows = sentenceRows(c, input);
        return { rows: rows.map((r) => r.features), gold: rows.map((r) => hasKey(q, r.text)) };
      }),
  );
  return fitConditionalLogit(groups, SENTENCE_FEATURES);
}

/** Largest threshold whose false-abstention rate on these (probability, answerable) pairs stays within rate. */
export function thresholdFor(scored: { p: number; answerable: boolean }[], rate: number): number {
  const answerable = scored.filter((s) => s.answerable).map((s) => s.p).sort((a, b) => a - b);
  const allowed = Math.floor(rate * answerable.length);
  // Abstain below the (allowed+1)-th lowest answerable probability: at most `allowed` fall under it.
  return answerable.length ? answerable[allowed]! - 1e-9 : 0;
}

/**
 * False abstention the threshold is chosen for inside the training folds. With the similarity floor
 * (which costs about one answerable question in a hundred) the held-out rate stays under 5%:
 * measured 4.2%, where 4.0% and 4.5% held out 4.9% and 5.6%.
 */
export const TARGET_FALSE_ABSTENTION = 0.035;

/**
 * The answerer's models from training examples: the sentence model, the answerable model, and its
 * threshold chosen on out-of-fold probabilities within the training set (nested CV), so the
 * threshold is never set on the questions it is then scored on.
 */
export function fitAnswerModel(examples: AnswerExample[]): AnswerModel {
  const sentence = fitSentenceModel(examples);
  const fitP = (train: AnswerExample[]) => {
    const answerer = new ExtractiveAnswerer({ version: 1, sentence, answerable: { ...NEUTRAL_LOGISTIC }, threshold: 0, minSimilarity: -1 });
    const rows = train.map((e) => answerableRow(e.input, answerer.leadOf(e.input.context[0]!, e.input)));
    return fitLogistic(rows, train.map((e) => e.q.answerable), ANSWERABLE_FEATURES);
  };
  const usable = examples.filter((e) => e.input.context.length);
  const inner = foldModels(usable, (train) => fitP(train.map((i) => usable[i]!)));
  const scored = usable.map((e) => {
    const model: AnswerModel = { version: 1, sentence, answerable: inner[foldOf(e.q.id)]!, threshold: 0, minSimilarity: -1 };
    const a = new ExtractiveAnswerer(model);
    return { p: a.probability(e.input, a.leadOf(e.input.context[0]!, e.input)), answerable: e.q.answerable };
  });
  const similarity = usable.filter((e) => e.q.answerable).map((e) => e.input.context[0]!.features![FEATURES.indexOf('sentence')]!);
  return { version: 1, sentence, answerable: fitP(usable), threshold: thresholdFor(scored, TARGET_FALSE_ABSTENTION), minSimilarity: Math.min(...similarity) };
}

const NEUTRAL_LOGISTIC = { version: 1 as const, features: [...ANSWERABLE_FEATURES], mean: ANSWERABLE_FEATURES.map(() => 0), scale: ANSWERABLE_FEATURES.map(() => 1), weights: ANSWERABLE_FEATURES.map(() => 0), bias: 0 };

export interface FittedModels {
  ranker: LinearModel;
  answer: AnswerModel;
}

/**
 * The committed models (fitted on every dev question) and, for each fold, models fitted without
 * it. Answer examples of a fold are prepared with that fold's ranker, as its server will serve them.
 */
export async function fitAll(rows: DevQuestion[], open: (ranker: LinearModel) => Promise<App>): Promise<{ full: FittedModels; folds: FittedModels[]; ranking: RankingExample[] }> {
  const first = await open(NEUTRAL_RANKER);
  const ranking = await rankingExamples(first, rows);
  const fitWith = async (train: number[]): Promise<FittedModels> => {
    const ranker = fitRanker(train.map((i) => ranking[i]!));
    const examples = await answerExamples(await open(ranker), train.map((i) => rows[i]!));
    return { ranker, answer: fitAnswerModel(examples) };
  };
  const folds: FittedModels[] = [];
  for (let k = 0; k < FOLDS; k++) folds.push(await fitWith(rows.flatMap((q, i) => (foldOf(q.id) === k ? [] : [i]))));
  return { full: await fitWith(rows.map((_, i) => i)), folds, ranking };
}

/** Retrieval of the ranking examples reordered by the ranker chosen for each question (its fold's, or one for all). */
export function retrievalWith(rows: DevQuestion[], ranking: RankingExample[], rankerFor: (id: string) => LinearModel, k = 10) {
  return scoreRetrieval(rows, ranking.map((e) => ({ id: e.q.id, texts: rerank(e, rankerFor(e.q.id)).slice(0, k).map((r) => r.chunk.text) })));
}

/** Every question answered in process by an app holding the models chosen for it (one app per model). */
export async function answersWith(rows: DevQuestion[], modelFor: (id: string) => FittedModels, open: (m: FittedModels) => Promise<App>): Promise<{ q: DevQuestion; a: Answer; app: App }[]> {
  const apps = new Map<FittedModels, App>();
  const out = [];
  for (const q of rows) {
    const m = modelFor(q.id);
    if (!apps.has(m)) apps.set(m, await open(m));
    const app = apps.get(m)!;
    out.push({ q, a: await app.answers.answer(q.question), app });
  }
  return out;
}
