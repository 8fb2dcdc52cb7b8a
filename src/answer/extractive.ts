import { statesKind, type AnswerKind } from './question.ts';
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

interface Candidate {
  ctx: ContextClause;
  sentence: Sentence;
  /** Weighted share of question terms the sentence holds. */
  coverage: number;
  /** Whether it states the kind of fact asked for. */
  states: boolean;
  score: number;
}

export class ExtractiveAnswerer implements Answerer {
  readonly mode = 'extractive' as const;

  constructor(readonly abstain: AbstainConfig = DEFAULT_ABSTAIN) {}

  async answer(input: AnswerInput): Promise<Draft> {
    const { context, analysed, lang } = input;
    const kinds = analysed.kinds.filter((k) => k !== 'open');
    const parts = analysed.parts.length > 1 ? analysed.parts : [input.searched];
    const picks: Candidate[] = [];
    for (const part of parts) {
      const best = rankSentences(context, weightsFor(part, input), kinds)[0];
      if (best && !picks.some((p) => p.ctx.clause.id === best.ctx.clause.id && p.sentence.start === best.sentence.start)) picks.push(best);
    }
    const lead = picks[0];
    if (!lead || this.unsupported(lead, kinds, context)) return abstention(input, lead);

    // Supporting quotes: the picks, then other well-covered clauses among the top results.
    const support = rankSentences(context, input.terms, kinds).filter(
      (c) => c.score >= lead.score * 0.75 && c.ctx.rank <= 4 && !picks.some((p) => p.ctx.clause.id === c.ctx.clause.id),
    );
    const chosen = [...picks, ...dedupeByClause(support)].slice(0, 3);
    const citations: DraftCitation[] = chosen.map((c, i) => ({ n: i + 1, clauseId: c.ctx.clause.id, quote: quoteFor(c) }));
    const text = compose(input, chosen, citations, picks.length);
    return { text, citations, abstained: false, notices: [] };
  }

  /** No sentence states the kind of fact asked for, or nothing is close enough to the question. */
  private unsupported(lead: Candidate, kinds: AnswerKind[], context: ContextClause[]): boolean {
    const top = context[0]?.scores.dense ?? 0;
    if (top < this.abstain.minDense && lead.coverage < this.abstain.minCoverage) return true;
    if (!kinds.length) return false;
    // The fact must be stated somewhere in the best few clauses, not just in the lead sentence.
    return !context.slice(0, 3).some((c) => kinds.some((k) => statesKind(c.clause.text, k)));
  }
}

function weightsFor(part: string, input: AnswerInput): { term: string; weight: number }[] {
  if (part === input.searched) return input.terms;
  const own = input.terms.filter((t) => part.includes(t.term));
  return own.length ? own : input.terms;
}

function rankSentences(context: ContextClause[], terms: { term: string; weight: number }[], kinds: AnswerKind[]): Candidate[] {
  const total = terms.reduce((s, t) => s + t.weight, 0) || 1;
  const out: Candidate[] = [];
  for (const ctx of context) {
    const sentences = sentencesOf(ctx.clause.text);
    sentences.forEach((sentence, i) => {
      const body = stripMarker(sentence.text);
      if (body.length < 6) return;
      // A clause's heading line counts toward its first sentence, which it introduces.
      const scope = i === 0 && sentences[1] ? body + sentences[1].text : body;
      const coverage = terms.reduce((s, t) => s + (scope.includes(t.term) ? t.weight : 0), 0) / total;
      const states = kinds.some((k) => statesKind(body, k));
      // Retrieval rank carries the question's meaning beyond shared words; coverage picks the sentence.
      const score = coverage + 0.5 / (ctx.rank + 1) + (states ? 0.25 : 0) - (body.length > 220 ? 0.05 : 0);
      out.push({ ctx, sentence, coverage, states, score });
    });
  }
  return out.sort((a, b) => b.score - a.score);
}

function dedupeByClause(cands: Candidate[]): Candidate[] {
  const seen = new Set<string>();
  return cands.filter((c) => !seen.has(c.ctx.clause.id) && seen.add(c.ctx.clause.id));
}

/** The sentence, with its neighbour when it only introduces a list or is too short to stand alone. */
function quoteFor(c: Candidate): string {
  const sentences = sentencesOf(c.ctx.clause.text);
  const i = sentences.findIndex((s) => s.start === c.sentence.start);
  let end = c.sentence.end;
  let start = c.sentence.start;
  if ((/[：:]$/.test(c.sentence.text) || c.sentence.text.length < 30) && sentences[i + 1]) end = sentences[i + 1]!.end;
  if (c.sentence.text.length < 30 && i > 0 && end === c.sentence.end) start = sentences[i - 1]!.start;
  return c.ctx.clause.text.slice(start, end);
}

const where = (c: ContextClause): string => c.clause.label;

function compose(input: AnswerInput, chosen: Candidate[], citations: DraftCitation[], leads: number): string {
  const en = input.lang === 'en';
  const lines: string[] = [];
  const leadParts = chosen.slice(0, leads).map((c, i) => {
    const fact = stripMarker(c.sentence.text).replace(/[。；;]$/, '');
    return en ? `According to ${where(c.ctx)}: “${fact}” [${i + 1}]` : `根据${where(c.ctx)}，${fact}。[${i + 1}]`;
  });
  lines.push(leadParts.join(en ? '\n' : '\n'));
  lines.push('');
  lines.push(en ? 'Sources (quoted verbatim; the policies are in Chinese):' : '依据原文：');
  citations.forEach((cit, i) => lines.push(`[${cit.n}] ${where(chosen[i]!.ctx)}：“${cit.quote.replace(/\n/g, ' ')}”`));
  return lines.join('\n');
}

function abstention(input: AnswerInput, closest: Candidate | undefined): Draft {
  const en = input.lang === 'en';
  const related = closest ?? rankSentences(input.context, input.terms, [])[0];
  const asked = input.question.trim().replace(/[？?。]+$/, '');
  let text = en
    ? `The policies in this collection do not answer this: no clause states it (“${asked}”).`
    : `已收录的政策中没有找到能回答“${asked}”的条款。`;
  if (related && (related.ctx.scores.dense ?? 0) >= 0.45) {
    text += en
      ? ` The closest related clause is ${where(related.ctx)}, shown for reference only — it does not state what you asked.`
      : `最相关的是${where(related.ctx)}，仅供参考，其中并未写明您所问的内容。`;
  }
  return { text, citations: [], abstained: true, notices: [] };
}
