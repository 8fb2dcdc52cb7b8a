import { statesKind, type AnswerKind } from './question.ts';
import { REGIONS } from './regions.ts';
import { sentencesOf, stripMarker, type Sentence } from './sentences.ts';
import type { AnswerInput, Answerer, ContextClause, Draft, DraftCitation } from './types.ts';

/**
 * The offline answerer: no LLM. It picks, from the retrieved clauses, the sentences that state what
 * the question asks (an amount, a period, a department, a condition), leads with the best one and
 * quotes the supporting passages verbatim, each tied to a citation. When the clauses do not state
 * that kind of fact it abstains, showing the closest clause as related rather than as the answer.
 */
export interface AbstainConfig {
  /** Below this cosine similarity of the best clause, with weak term overlap, nothing answers. */
  minDense: number;
  /** Share of the question's weighted terms the best sentence must contain when the dense score is low. */
  minCoverage: number;
}

export const DEFAULT_ABSTAIN: AbstainConfig = { minDense: 0.55, minCoverage: 0.35 };

/** A window of one to three consecutive sentences of a clause: the unit the answer quotes. */
interface Candidate {
  ctx: ContextClause;
  sentences: Sentence[];
  /** The sentence that states the answer best; the answer's first line. */
  lead: Sentence;
  /** Weighted share of question terms the window (with its clause heading) holds. */
  coverage: number;
  /** Whether it states the kind of fact asked for. */
  states: boolean;
  score: number;
}

const MAX_WINDOW = 3;
/** Words that name the kind of fact asked for rather than its subject. */
const FACT_WORDS = /^(工作日|工作日内|日内|日|天|年|月|个月|年度|每年|每月|期限|时限|时间|金额|万元|元|比例|股比|多少|最高|最多|部门|机构|单位|负责)$/;
const MAX_WINDOW_CHARS = 300;

export class ExtractiveAnswerer implements Answerer {
  readonly mode = 'extractive' as const;

  constructor(readonly abstain: AbstainConfig = DEFAULT_ABSTAIN) {}

  async answer(input: AnswerInput): Promise<Draft> {
    const { context, analysed } = input;
    const outside = outOfScope(input.unknownTerms);
    if (outside) return abstention(input, undefined, outside);
    const kinds = analysed.kinds.filter((k) => k !== 'open');
    const ranked = rankWindows(context, input.terms, kinds);
    const parts = analysed.parts.length > 1 ? analysed.parts : [input.searched];
    // One lead per part of the question; parts may be answered by different sentences of one clause.
    const picks: Candidate[] = [];
    for (const part of parts) {
      const forPart = part === input.searched ? ranked : rankWindows(context, weightsFor(part, input), kinds);
      const best = forPart.find((c) => !picks.some((p) => overlaps(p, c)));
      if (best) picks.push(best);
    }
    const lead = picks[0];
    if (!lead || this.unsupported(lead, kinds, ranked, input.terms)) return abstention(input, lead ?? ranked[0]);

    // Supporting quotes: the best window of the other top clauses that share enough of the question.
    const support = bestPerClause(ranked).filter(
      (c) => c.ctx.rank <= 3 && c.coverage >= lead.coverage * 0.6 && !picks.some((p) => p.ctx.clause.id === c.ctx.clause.id),
    );
    const chosen = [...picks, ...support].slice(0, 3);
    const citations: DraftCitation[] = chosen.map((c, i) => ({ n: i + 1, clauseId: c.ctx.clause.id, quote: quoteOf(c) }));
    return { text: compose(input, chosen, citations, picks.length), citations, abstained: false, notices: [] };
  }

  /**
   * Nothing is close enough to the question, or the question asks for a kind of fact (an amount, a
   * period, a department) that no top clause states next to the question's most specific terms.
   */
  private unsupported(lead: Candidate, kinds: AnswerKind[], ranked: Candidate[], terms: AnswerInput['terms']): boolean {
    const top = Math.max(...ranked.map((c) => c.ctx.scores.dense ?? 0));
    if (top < this.abstain.minDense && lead.coverage < this.abstain.minCoverage) return true;
    if (!kinds.length) return false;
    // The fact must be stated next to the question's most specific word that the lead clause uses
    // (not a word of the fact asked for, such as 天 or 部门): a period stated beside something else
    // in the same clause answers a different question.
    if (!lead.states) return true;
    // …and the passage stating it must be about the question's subject as much as the best match is.
    const subject = terms.filter((t) => !FACT_WORDS.test(t.term));
    const about = (c: Candidate) => coverageOf(`${headingOf(c.ctx)} ${textOf(c)}`, subject);
    if (about(lead) < 0.6 * Math.max(...ranked.filter((c) => c.ctx.rank <= 2).map(about))) return true;
    const clause = `${headingOf(lead.ctx)} ${lead.ctx.clause.text}`;
    const focus = [...terms].sort((a, b) => b.weight - a.weight).find((t) => !FACT_WORDS.test(t.term) && clause.includes(t.term))?.term;
    return !!focus && !`${headingOf(lead.ctx)} ${textOf(lead)}`.includes(focus);
  }
}

function weightsFor(part: string, input: AnswerInput): { term: string; weight: number }[] {
  const own = input.terms.filter((t) => part.includes(t.term));
  return own.length ? own : input.terms;
}

/** The clause's own heading without its number: "二、4.支持成果转化" → "支持成果转化". */
const headingOf = (ctx: ContextClause): string => stripMarker(ctx.clause.number).replace(/^序言$/, '');

const textOf = (c: Pick<Candidate, 'ctx' | 'sentences'>): string =>
  c.ctx.clause.text.slice(c.sentences[0]!.start, c.sentences[c.sentences.length - 1]!.end);

/** A heading line names a topic but states nothing; it may not lead an answer. */
function isHeadingLine(ctx: ContextClause, s: Sentence): boolean {
  const body = stripMarker(s.text);
  return body.replace(/[。；]$/, '') === headingOf(ctx) || (!/[。；！？]$/.test(body) && body.length <= 40 && s.start === 0);
}

/** Weighted share of the terms that text contains. */
function coverageOf(text: string, terms: AnswerInput['terms']): number {
  const total = terms.reduce((sum, t) => sum + t.weight, 0) || 1;
  return terms.reduce((sum, t) => sum + (text.includes(t.term) ? t.weight : 0), 0) / total;
}

function rankWindows(context: ContextClause[], terms: AnswerInput['terms'], kinds: AnswerKind[]): Candidate[] {
  const coverage = (text: string) => coverageOf(text, terms);
  const out: Candidate[] = [];
  for (const ctx of context) {
    const heading = headingOf(ctx);
    const sentences = sentencesOf(ctx.clause.text).filter((s) => stripMarker(s.text).length >= 4 && !isHeadingLine(ctx, s));
    for (let i = 0; i < sentences.length; i++)
      for (let n = 1; n <= MAX_WINDOW && i + n <= sentences.length; n++) {
        const win = sentences.slice(i, i + n);
        const text = textOf({ ctx, sentences: win });
        if (n > 1 && text.length > MAX_WINDOW_CHARS) break;
        const cov = coverage(`${heading} ${text}`);
        const states = kinds.some((k) => statesKind(text, k));
        const lead = [...win].sort((a, b) => rankSentence(b) - rankSentence(a))[0]!;
        // Retrieval rank carries the question's meaning beyond shared words; coverage picks the
        // passage; one stating the kind of fact asked for is most likely the answer; shorter is better.
        const score = cov + 0.5 / (ctx.rank + 1) + (states ? 0.4 : 0) - 0.03 * (n - 1);
        out.push({ ctx, sentences: win, lead, coverage: cov, states, score });
      }
    function rankSentence(s: Sentence): number {
      return coverage(s.text) + (kinds.some((k) => statesKind(s.text, k)) ? 0.4 : 0);
    }
  }
  return out.sort((a, b) => b.score - a.score);
}

const overlaps = (a: Candidate, b: Candidate): boolean =>
  a.ctx.clause.id === b.ctx.clause.id && a.sentences[0]!.start < b.sentences.at(-1)!.end && b.sentences[0]!.start < a.sentences.at(-1)!.end;

function bestPerClause(cands: Candidate[]): Candidate[] {
  const seen = new Set<string>();
  return cands.filter((c) => !seen.has(c.ctx.clause.id) && seen.add(c.ctx.clause.id));
}

/** The window, run on to the end of its sentence when it stops at a "；" or "：" inside one. */
function quoteOf(c: Candidate): string {
  const text = c.ctx.clause.text;
  const start = c.sentences[0]!.start;
  let end = c.sentences[c.sentences.length - 1]!.end;
  if (/[；;：:]$/.test(text.slice(start, end))) {
    // A semicolon list is one sentence: run on to its full stop or the end of the paragraph.
    const stop = text.slice(end).search(/[。！？]|\n(?![（(]?[一二三四五六七八九十\d]+[、.．)）])/);
    const full = stop < 0 ? text.length : end + stop + (text[end + stop] === '\n' ? 0 : 1);
    if (full - start <= MAX_WINDOW_CHARS * 2) end = full;
  }
  return text.slice(start, end);
}

const where = (c: ContextClause): string => c.clause.label;

function compose(input: AnswerInput, chosen: Candidate[], citations: DraftCitation[], leads: number): string {
  const en = input.lang === 'en';
  const lines: string[] = [];
  const leadParts = chosen.slice(0, leads).map((c, i) => {
    const fact = stripMarker(c.lead.text).replace(/[。；;，,]$/, '');
    return en ? `According to ${where(c.ctx)}: “${fact}” [${i + 1}]` : `根据${where(c.ctx)}，${fact}。[${i + 1}]`;
  });
  lines.push(leadParts.join(en ? '\n' : '\n'));
  lines.push('');
  lines.push(en ? 'Sources (quoted verbatim; the policies are in Chinese):' : '依据原文：');
  citations.forEach((cit, i) => lines.push(`[${cit.n}] ${where(chosen[i]!.ctx)}：“${cit.quote.replace(/\n/g, ' ')}”`));
  return lines.join('\n');
}

function abstention(input: AnswerInput, closest: Candidate | undefined, outside?: string): Draft {
  const en = input.lang === 'en';
  const asked = input.question.trim().replace(/[？?。]+$/, '');
  let text = en
    ? `The policies in this collection do not answer this: no clause states it (“${asked}”).`
    : `已收录的政策中没有找到能回答“${asked}”的条款。`;
  if (outside) {
    text += en
      ? ` The collection holds Beijing policies and none of them mentions ${outside}.`
      : `收录的是北京市的政策文件，其中没有涉及“${outside}”的内容。`;
  } else if (closest && (closest.ctx.scores.dense ?? 0) >= 0.45) {
    text += en
      ? ` The closest related clause is ${where(closest.ctx)}, shown for reference only — it does not state what you asked.`
      : `最相关的是${where(closest.ctx)}，仅供参考，其中并未写明您所问的内容。`;
  }
  return { text, citations: [], abstained: true, notices: [] };
}

/** A place the question names that no policy here mentions: the corpus is Beijing's. */
function outOfScope(unknown: string[]): string | undefined {
  return unknown.find((t) => REGIONS.some((r) => t.includes(r)));
}
