import type { Clause, PolicyDocument } from '../parse/types.ts';
import type { SentenceEvidence } from '../retrieve/evidence.ts';
import type { Scores } from '../retrieve/retriever.ts';
import type { AnalysedQuestion } from '../retrieve/question.ts';
import type { Turn } from './conversations.ts';
import type { ConversationReason } from './conversations-service.ts';

/** A retrieved clause offered to an answerer, numbered as the answer may cite it. */
export interface ContextClause {
  n: number;
  clause: Clause;
  document: PolicyDocument;
  /** Retrieval scores of the clause's best chunk. */
  scores: Scores;
  rank: number;
  /** The clause's sentences and their similarity to the question. */
  sentences?: SentenceEvidence[];
  /** The ranker's feature row (retrieve/evidence.ts FEATURES). */
  features?: number[];
}

export interface DraftCitation {
  n: number;
  clauseId: string;
  /** Verbatim passage of the clause that supports the answer. */
  quote: string;
}

/**
 * A caveat shown beside an answer, structured so clients render it without parsing its wording:
 * `validity` (an effective date, or a period that ended: `expired`, `until`), `llm_fallback` (the
 * offline answer replaced a failed LLM call), `conversation` (a new conversation was started).
 */
export interface Notice {
  kind: 'validity' | 'llm_fallback' | 'conversation';
  text: string;
  /** A cited measure's period has ended (or its document was repealed) by today. */
  expired: boolean;
  /** ISO date the period ran until, when the text states one. */
  until?: string;
  /**
   * For `conversation`: why the id given was not continued (`invalid`: not issued by this server,
   * made up or tampered with; `unknown`; `expired`), or `unavailable`: the conversation store is
   * down, so the answer neither used nor kept history.
   */
  reason?: ConversationReason;
}

/** An answerer's output before verification. Markers [n] in text refer to citations. */
export interface Draft {
  text: string;
  citations: DraftCitation[];
  abstained: boolean;
  notices: Notice[];
}

export interface AnswerInput {
  /** The user's own words. */
  question: string;
  /** The question as searched, with a follow-up's context filled in. */
  searched: string;
  analysed: AnalysedQuestion;
  lang: 'zh' | 'en';
  context: ContextClause[];
  history: Turn[];
  /** Idf-weighted query terms, for picking sentences. */
  terms: { term: string; weight: number }[];
  /** Query words no indexed text contains. */
  unknownTerms: string[];
}

/** Extractive (offline) or LLM; both are wrapped by citation verification. */
export interface Answerer {
  readonly mode: 'extractive' | 'llm';
  answer(input: AnswerInput, signal?: AbortSignal): Promise<Draft>;
  /** Rewrites a follow-up as a standalone search query from the conversation (LLM answerers). */
  rewrite?(question: string, history: Turn[], signal?: AbortSignal): Promise<string>;
}

/** A citation as the API returns it. */
export interface Citation {
  n: number;
  id: string;
  label: string;
  documentId: string;
  documentTitle: string;
  docNumber?: string;
  date?: string;
  quote: string;
}

export interface Answer {
  conversationId: string;
  answer: string;
  citations: Citation[];
  abstained: boolean;
  notices: Notice[];
  mode: 'extractive' | 'llm';
  /** The query that was searched: a follow-up with its context filled in (for debugging). */
  searched: string;
  /** Clauses shown as related, not as the answer, when abstaining. */
  related: { id: string; label: string }[];
}
