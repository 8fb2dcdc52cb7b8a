import { readFileSync } from 'node:fs';
import { AppError } from '../errors.ts';
import { stripMarker } from '../chunk/sentences.ts';
import { coverageOf, FEATURES, type FeatureName } from '../retrieve/evidence.ts';
import { statesKind } from '../retrieve/question.ts';
import { checkModel, linearScore, sigmoid, type LinearModel } from '../retrieve/ranker.ts';
import { isRecordClause } from '../parse/types.ts';
import { projectFile } from '../util/paths.ts';
import { englishDate, englishFigures } from './english.ts';
import { REGIONS } from './regions.ts';
import type { AnswerInput, Answerer, ContextClause, Draft, DraftCitation } from './types.ts';

/**
 * The offline answerer: no LLM. The retriever has already reordered the clauses with the learned
 * ranker; this answerer decides, with two more fitted models (scripts/fit.ts → answerer.v1.json):
 *  - whether the corpus answers the question at all (a logistic model over the evidence of the
 *    best clauses, with a threshold chosen by cross-validation for ≤ 5% false abstention);
 *  - which sentence of a clause states the answer (a conditional logit over its sentences).
 * The first line states that sentence; the quotes follow; further clauses are cited while the
 * ranker is not yet sure enough (their probability mass), so the reader sees the two or three best
 * passages honestly rather than one confident guess.
 */
export const SENTENCE_FEATURES = ['similarity', 'similarityGap', 'coverage', 'states', 'first', 'length', 'heading'] as const;
export const ANSWERABLE_FEATURES = ['confidence', 'rerank', 'sentence', 'dense', 'coverage', 'states', 'statesBest', 'leadStates', 'asksKind', 'unknown', 'sentenceRank'] as const;

export interface AnswerModel {
  version: 1;
  sentence: LinearModel;
  answerable: LinearModel & { bias: number };
  /** P(answerable) below this abstains. */
  threshold: number;
  /**
   * The lowest similarity of question and best sentence among the answerable training questions:
   * a question less like every sentence of the corpus than that (chit-chat, instructions to the
   * assistant) is outside what the model was fitted on, and is declined.
   */
  minSimilarity: number;
}

export const ANSWERER_FILE = 'src/answer/answerer.v1.json';

export function loadAnswerModel(): AnswerModel | undefined {
  const file = projectFile(ANSWERER_FILE);
  if (!file) return undefined;
  const model = JSON.parse(readFileSync(file, 'utf8')) as AnswerModel;
  checkModel(model.sentence, SENTENCE_FEATURES, `${file} (sentence)`);
  checkModel(model.answerable, ANSWERABLE_FEATURES, `${file} (answerable)`);
  if (!Number.isFinite(model.threshold) || !Number.isFinite(model.minSimilarity)) throw new AppError('learned_model', `${file} has no threshold; refit it with npm run fit`);
  return model;
}

/** Probability mass of the ranker's softmax that the cited clauses should cover. */
const CITED_MASS = 0.99;
const MAX_CITATIONS = 3;
const MAX_QUOTE = 450;

/** A sentence of a context clause, scored as the passage that states the answer. */
export interface ScoredSentence {
  ctx: ContextClause;
  start: number;
  end: number;
  text: string;
  features: number[];
  score: number;
}

const feature = (ctx: ContextClause, name: FeatureName): number => ctx.features?.[FEATURES.indexOf(name)] ?? 0;

/** A heading line names a topic but states nothing. */
function isHeading(ctx: ContextClause, text: string, start: number): boolean {
  const body = stripMarker(text);
  return body.replace(/[。；]$/, '') === stripMarker(ctx.clause.number) || (!/[。；！？]$/.test(body) && body.length <= 40 && start === 0 && !isRecord(ctx));
}

const isRecord = (ctx: Pick<ContextClause, 'clause'>): boolean => isRecordClause(ctx.clause);

/** Feature rows of a clause's sentences (SENTENCE_FEATURES order). */
export function sentenceRows(ctx: ContextClause, input: Pick<AnswerInput, 'terms' | 'analysed'>): Omit<ScoredSentence, 'score'>[] {
  const kinds = input.analysed.kinds.filter((k) => k !== 'open');
  const sents = ctx.sentences ?? [{ start: 0, end: ctx.clause.text.length, similarity: ctx.scores.dense ?? 0 }];
  const best = Math.max(...sents.map((s) => s.similarity));
  return sents.map((s, i) => {
    const text = ctx.clause.text.slice(s.start, s.end);
    const values: Record<(typeof SENTENCE_FEATURES)[number], number> = {
      similarity: s.similarity,
      similarityGap: s.similarity - best,
      coverage: coverageOf(text, input.terms),
      states: kinds.length ? (kinds.some((k) => statesKind(text, k)) ? 1 : 0) : 0.5,
      first: i === 0 ? 1 : 0,
      length: Math.log(1 + text.length),
      heading: isHeading(ctx, text, s.start) ? 1 : 0,
    };
    return { ctx, start: s.start, end: s.end, text, features: SENTENCE_FEATURES.map((f) => values[f]) };
  });
}

/** Softmax of the ranker's scores over the context: how sure it is of each clause. */
export function confidences(context: ContextClause[]): number[] {
  // A clause the ranker did not score (a record unit added beside the lead) takes no share.
  const ranked = context.some((c) => c.scores.rerank !== undefined);
  const s = context.map((c) => c.scores.rerank ?? (ranked ? -Infinity : 0));
  const m = Math.max(...s);
  const e = s.map((x) => Math.exp(x - m));
  const total = e.reduce((a, b) => a + b, 0) || 1;
  return e.map((x) => x / total);
}

/** Question-level evidence for the answerable model (ANSWERABLE_FEATURES order). */
export function answerableRow(input: AnswerInput, lead: ScoredSentence | undefined): number[] {
  const top = input.context[0];
  const kinds = input.analysed.kinds.filter((k) => k !== 'open');
  const words = input.terms.length + input.unknownTerms.length;
  if (!top) return ANSWERABLE_FEATURES.map(() => 0);
  const values: Record<(typeof ANSWERABLE_FEATURES)[number], number> = {
    confidence: confidences(input.context)[0]!,
    rerank: top.scores.rerank ?? 0,
    sentence: feature(top, 'sentence'),
    dense: feature(top, 'dense'),
    coverage: feature(top, 'coverage'),
    states: feature(top, 'states'),
    statesBest: feature(top, 'statesBest'),
    leadStates: lead ? lead.features[SENTENCE_FEATURES.indexOf('states')]! : 0,
    asksKind: kinds.length ? 1 : 0,
    unknown: words ? input.unknownTerms.length / words : 0,
    sentenceRank: feature(top, 'sentenceRank'),
  };
  return ANSWERABLE_FEATURES.map((f) => values[f]);
}

export class ExtractiveAnswerer implements Answerer {
  readonly mode = 'extractive' as const;

  /** Without a model (not fitted yet) it never abstains on evidence and leads with the most similar sentence that is not a heading. */
  constructor(readonly model?: AnswerModel) {}

  /** The sentence of a clause that states the answer best. */
  leadOf(ctx: ContextClause, input: AnswerInput, avoid: string[] = []): ScoredSentence | undefined {
    const unfitted = (f: number[]) => f[SENTENCE_FEATURES.indexOf('similarity')]! - f[SENTENCE_FEATURES.indexOf('heading')]!;
    const rows = sentenceRows(ctx, input).map((r) => ({ ...r, score: this.model ? linearScore(this.model.sentence, r.features) : unfitted(r.features) }));
    const usable = rows.filter((r) => stripMarker(r.text).length >= 2);
    // A follow-up should not get the sentence it was already given.
    const fresh = usable.filter((r) => !avoid.some((a) => a.includes(r.text)));
    return (fresh.length ? fresh : usable).sort((a, b) => b.score - a.score)[0];
  }

  probability(input: AnswerInput, lead: ScoredSentence | undefined): number {
    return this.model ? sigmoid(linearScore(this.model.answerable, answerableRow(input, lead))) : 1;
  }

  async answer(input: AnswerInput): Promise<Draft> {
    const { context } = input;
    const outside = outOfScope(input.unknownTerms);
    if (outside) return abstention(input, undefined, outside);
    const previous = input.history.length ? [input.history[input.history.length - 1]!.answer] : [];
    const top = context[0];
    const lead = top && this.leadOf(top, input, previous);
    if (!top || !lead || (this.model && (feature(top, 'sentence') < this.model.minSimilarity || this.probability(input, lead) < this.model.threshold))) return abstention(input, top);

    const chosen: ScoredSentence[] = [lead];
    // A question about the document itself: cite its whole record (标题 and 落款).
    if (isRecord(top)) for (const ctx of context.slice(1)) if (isRecord(ctx) && ctx.clause.docId === top.clause.docId) chosen.push(this.leadOf(ctx, input)!);
    // Further clauses while the ranker's confidence in those cited stays below CITED_MASS; never a
    // preamble, and never another document's clause when the question cites one by number.
    const conf = confidences(context);
    let mass = conf[0]!;
    for (let i = 1; i < context.length && chosen.length < MAX_CITATIONS && mass < CITED_MASS; i++) {
      const ctx = context[i]!;
      if (chosen.some((c) => c.ctx.clause.id === ctx.clause.id)) continue;
      if (ctx.clause.number === '序言' || (top.scores.reference === 'clause' && ctx.clause.docId !== top.clause.docId)) continue;
      const s = this.leadOf(ctx, input, previous);
      if (!s || chosen.some((c) => c.text === s.text)) continue;
      chosen.push(s);
      mass += conf[i]!;
    }
    const citations: DraftCitation[] = chosen.map((c, i) => ({ n: i + 1, clauseId: c.ctx.clause.id, quote: quoteOf(c) }));
    return { text: compose(input, chosen, citations), citations, abstained: false, notices: [] };
  }
}

/**
 * The quote: the whole clause when it is short; else the lead sentence with the sentences after it
 * up to MAX_QUOTE characters (conditions and amounts often follow the sentence naming the measure),
 * starting one sentence earlier when that one introduces the lead ("应具备以下条件：").
 */
function quoteOf(s: ScoredSentence): string {
  const text = s.ctx.clause.text;
  if (text.length <= MAX_QUOTE || isRecord(s.ctx)) return text;
  const sents = s.ctx.sentences ?? [];
  const before = sents.filter((x) => x.end <= s.start).at(-1);
  const start = before && /[：:]$/.test(text.slice(before.start, before.end)) ? before.start : s.start;
  let end = s.end;
  for (const x of sents) if (x.start >= end && x.end - start <= MAX_QUOTE) end = x.end;
  return text.slice(start, end);
}

const where = (c: ContextClause): string => c.clause.label;

const isoToChinese = (iso: string): string => {
  const [y, m, d] = iso.split('-').map(Number);
  return `${y}年${m}月${d}日`;
};

/** A document's own record (issuer, date, 文号) stated from its metadata, for 标题 and 落款 leads. */
function recordLine(c: ContextClause, en: boolean): string {
  const d = c.document;
  const parts = en
    ? [d.issuer && `issued by ${d.issuer}`, d.issueDate && `on ${englishDate(d.issueDate)}`, d.docNumber && `document number ${d.docNumber}`]
    : [d.issuer && `发文机关为${d.issuer}`, d.issueDate && `发布日期为${isoToChinese(d.issueDate)}`, d.docNumber && `文号为${d.docNumber}`];
  const stated = parts.filter(Boolean).join(en ? ', ' : '，');
  return en ? `《${d.title}》 was ${stated || 'issued as quoted below'}.` : `《${d.title}》${stated || '的落款与文号见原文'}。`;
}

/**
 * First line: the fact, in the lead sentence's words (or the document record); then the quote it
 * rests on, once; then any further passages with theirs, introduced as such.
 */
function compose(input: AnswerInput, chosen: ScoredSentence[], citations: DraftCitation[]): string {
  const en = input.lang === 'en';
  const lead = chosen[0]!;
  const fact = stripMarker(lead.text).replace(/[。；;，,：:]$/, '');
  const figures = en ? englishFigures(fact) : [];
  const first = isRecord(lead.ctx) ? recordLine(lead.ctx, en) : en ? `The policy states${figures.length ? ` (${figures.join('; ')})` : ''}: “${fact}”.` : `${fact}。`;
  const quoteLine = (i: number) => `[${citations[i]!.n}] ${where(chosen[i]!.ctx)}${en ? ': ' : '：'}“${citations[i]!.quote.replace(/\n/g, ' ')}”`;
  const lines = [`${first}[1]`, quoteLine(0)];
  if (chosen.length > 1) {
    lines.push('', en ? 'See also (quoted verbatim; the policies are in Chinese):' : '另见：');
    for (let i = 1; i < chosen.length; i++) lines.push(quoteLine(i));
  } else if (en) lines.push('(Quoted verbatim; the policies are in Chinese.)');
  return lines.join('\n');
}

function abstention(input: AnswerInput, closest: ContextClause | undefined, outside?: string): Draft {
  const en = input.lang === 'en';
  const asked = input.question.trim().replace(/[？?。]+$/, '');
  let text = en
    ? `The policies in this collection do not answer this: no clause states it (“${asked}”).`
    : `已收录的政策中没有找到能回答“${asked}”的条款。`;
  if (outside) {
    text += en
      ? ` The collection holds Beijing policies and none of them mentions ${outside}.`
      : `收录的是北京市的政策文件，其中没有涉及“${outside}”的内容。`;
  } else if (closest) {
    text += en
      ? ` The closest related clause is ${where(closest)}, shown for reference only — it does not state what you asked.`
      : `最相关的是${where(closest)}，仅供参考，其中并未写明您所问的内容。`;
  }
  return { text, citations: [], abstained: true, notices: [] };
}

/** A place the question names that no policy here mentions: the corpus is Beijing's. */
function outOfScope(unknown: string[]): string | undefined {
  return unknown.find((t) => REGIONS.some((r) => t.includes(r)));
}
