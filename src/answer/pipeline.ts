import type { LexicalIndex } from '../index/ports.ts';
import type { CorpusStore } from '../ingest/store.ts';
import { isRecordClause } from '../parse/types.ts';
import { queryTerms } from '../retrieve/evidence.ts';
import type { HybridRetriever, SearchResult } from '../retrieve/retriever.ts';
import type { Turn } from './conversations.ts';
import { conversationNotice, type Conversations } from './conversations-service.ts';
import { analyse, isFollowUp } from '../retrieve/question.ts';
import { abortError, betweenStages, isAborted, throwIfAborted } from '../util/abort.ts';
import { timeNotices } from './time.ts';
import type { Answer, AnswerInput, Answerer, ContextClause, Draft, Notice } from './types.ts';
import { verifyDraft } from './verify.ts';

/**
 * Question → retrieval → answerer → verification → notices → conversation memory. Follow-ups are
 * rewritten for retrieval from the conversation; the LLM answerer, when configured, falls back to
 * the extractive one on error or timeout, and says so.
 */
export interface PipelineDeps {
  retriever: HybridRetriever;
  lexical: LexicalIndex;
  /** For a document's other record units (标题, 落款) when one of them leads. */
  corpus: CorpusStore;
  extractive: Answerer;
  llm?: Answerer;
  conversations: Conversations;
  /** LLM time budget. */
  llmTimeoutMs?: number;
  now?: () => string;
}

export const CONTEXT_CLAUSES = 6;

export class AnswerPipeline {
  constructor(private readonly deps: PipelineDeps) {}

  get mode(): 'extractive' | 'llm' {
    return this.deps.llm ? 'llm' : 'extractive';
  }

  /** `signal` stops the work between stages (an AbortedError) once the asker has gone; nothing is remembered then. */
  async answer(question: string, conversationId?: string, signal?: AbortSignal): Promise<Answer> {
    const { conversations } = this.deps;
    const session = await conversations.resume(conversationId);
    const input = await this.prepare(question, session.history, signal);
    await betweenStages(signal);
    const { searched, context } = input;

    // First: whether this answer continues the conversation asked for.
    const notices: Notice[] = session.reason ? [conversationNotice(session.reason, input.lang)] : [];
    let draft: Draft;
    let mode: Answer['mode'] = 'extractive';
    if (this.deps.llm && context.length) {
      try {
        draft = await withTimeout((s) => this.deps.llm!.answer(input, s), this.llmTimeoutMs, signal);
        mode = 'llm';
      } catch (e) {
        if (isAborted(e)) throw e;
        draft = await this.deps.extractive.answer(input);
        notices.push({
          kind: 'llm_fallback',
          expired: false,
          text:
            input.lang === 'en'
              ? `The language model was unavailable (${(e as Error).message}); this answer was composed offline from the clauses.`
              : `大模型暂不可用（${(e as Error).message}），本回答由系统直接摘录条款原文生成。`,
        });
      }
    } else draft = await this.deps.extractive.answer(input);

    const verified = verifyDraft(draft, context);
    const cited = new Set(verified.citations.map((c) => c.id));
    const abstained = draft.abstained || verified.citations.length === 0;
    if (!abstained) {
      const seen = new Set<string>();
      for (const c of context.filter((x) => cited.has(x.clause.id))) {
        for (const n of timeNotices(c.document, c.clause.text, c.clause.label, this.deps.now?.(), input.lang))
          if (!seen.has(n.text) && (n.expired || !seen.has(c.document.id))) {
            seen.add(n.text);
            seen.add(c.document.id);
            notices.push(n);
          }
      }
    }
    notices.push(...draft.notices);
    const answerText = abstained && !draft.abstained ? abstainText(input) : verified.text;
    throwIfAborted(signal);
    const docIds = [...new Set(context.filter((c) => cited.has(c.clause.id)).map((c) => c.document.id))];
    const recorded = await conversations.record(session.id, { question, searched, answer: answerText, docIds, at: Date.now() });
    if (!recorded && session.reason !== 'unavailable') notices.unshift(conversationNotice('unavailable', input.lang));
    return {
      conversationId: session.id,
      answer: answerText,
      citations: abstained ? [] : verified.citations,
      abstained,
      notices,
      mode,
      searched,
      related: abstained ? context.slice(0, 2).map((c) => ({ id: c.clause.id, label: c.clause.label })) : [],
    };
  }

  /** What an answerer is given: the question as searched, the reranked context and its evidence. */
  async prepare(question: string, history: Turn[], signal?: AbortSignal): Promise<AnswerInput> {
    const searched = await this.searchedFor(question, history, signal);
    const analysed = analyse(question);
    const retrieval = await this.retrieve(searched, analysed.parts, signal);
    const context = withRecord(toContext(retrieval.results), this.deps.corpus);
    const terms = queryTerms(this.deps.lexical, retrieval.searched);
    return { question, searched, analysed, lang: retrieval.lang, context, history, terms: terms.known, unknownTerms: terms.unknown };
  }

  private get llmTimeoutMs(): number {
    return this.deps.llmTimeoutMs ?? 20_000;
  }

  /** A follow-up as searched: rewritten by the LLM when it can, else by the offline heuristic. */
  private async searchedFor(question: string, history: Turn[], signal?: AbortSignal): Promise<string> {
    const llm = this.deps.llm;
    if (!llm?.rewrite || !history.length) return rewriteFollowUp(question, history);
    try {
      return await withTimeout((s) => llm.rewrite!(question, history, s), this.llmTimeoutMs, signal);
    } catch (e) {
      if (isAborted(e)) throw e;
      return rewriteFollowUp(question, history);
    }
  }

  private async retrieve(searched: string, parts: string[], signal?: AbortSignal): Promise<{ results: SearchResult[]; lang: 'zh' | 'en'; searched: string }> {
    const { retriever } = this.deps;
    const whole = await retriever.search(searched, { k: 10, signal });
    if (parts.length < 2) return { results: whole.results, lang: whole.query.lang, searched: whole.query.searched };
    // A question asking several things: retrieve each part and interleave, so every part has evidence.
    const perPart = await Promise.all(parts.map((p) => retriever.search(p, { k: 5, signal })));
    const merged: SearchResult[] = [];
    for (let i = 0; i < 10; i++) for (const list of [...perPart.map((p) => p.results), whole.results]) if (list[i]) merged.push(list[i]!);
    return { results: merged, lang: whole.query.lang, searched: whole.query.searched };
  }
}

/** A follow-up ("那申请条件呢？") is searched together with the question it follows. */
export function rewriteFollowUp(question: string, history: Turn[]): string {
  const last = history[history.length - 1];
  if (!last || !isFollowUp(question)) return question;
  return `${last.searched.slice(-300)} ${question}`;
}

/** One entry per clause (its best chunk), numbered in rank order. */
function toContext(results: SearchResult[]): ContextClause[] {
  const out: ContextClause[] = [];
  for (const r of results) {
    if (out.some((c) => c.clause.id === r.clause.id)) continue;
    out.push({ n: out.length + 1, clause: r.clause, document: r.document, scores: r.scores, rank: out.length, sentences: r.sentences, features: r.features });
    if (out.length >= CONTEXT_CLAUSES) break;
  }
  return out;
}

/**
 * When a document's 标题 or 落款 leads, the question is about the document itself: its other record
 * units join the context, so the answer can cite the whole record (the 文号 sits under the title,
 * issuer and date in the 落款).
 */
function withRecord(context: ContextClause[], corpus: CorpusStore): ContextClause[] {
  const top = context[0];
  if (!top || !isRecordClause(top.clause)) return context;
  const missing = corpus.clausesOf(top.clause.docId).filter((c) => isRecordClause(c) && !context.some((x) => x.clause.id === c.id));
  // Placed right after the lead, with its features but no ranker score of their own.
  const added = missing.map((clause) => ({ ...top, clause, sentences: undefined, scores: { ...top.scores, rerank: undefined } }));
  return [top, ...added, ...context.slice(1)].map((c, i) => ({ ...c, n: i + 1, rank: i }));
}

function abstainText(input: AnswerInput): string {
  return input.lang === 'en' ? 'The policies in this collection do not answer this question.' : '已收录的政策中没有找到能回答这个问题的条款。';
}

/** Runs an LLM call under a time budget; the caller's `outer` signal aborts it too, as an AbortedError. */
async function withTimeout<T>(run: (signal: AbortSignal) => Promise<T>, ms: number, outer?: AbortSignal): Promise<T> {
  throwIfAborted(outer);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`timed out after ${ms} ms`)), ms);
  const onAbort = () => controller.abort(abortError(outer!));
  outer?.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([
      run(controller.signal),
      new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error))),
    ]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}
