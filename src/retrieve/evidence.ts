import { stripMarker } from '../chunk/sentences.ts';
import type { LexicalIndex } from '../index/ports.ts';
import type { Scan } from '../index/scan-worker.ts';
import type { SentenceIndex } from '../index/sentences.ts';
import { isRecordClause } from '../parse/types.ts';
import { analyse, asksAboutDocument, statesKind, type AnswerKind } from './question.ts';
import type { SearchResult } from './retriever.ts';

/**
 * What the system knows about one (question, retrieved clause) pair, as numbers for the learned
 * ranker (ranker.ts): retrieval scores and ranks, the question's similarity to the clause's best
 * sentences (precomputed sentence vectors), coverage of the question's rare terms, whether the
 * clause states the kind of fact asked, and how much of the evidence its document gathers.
 */
export const FEATURES = [
  'fused', // fused retrieval score
  'fusedGap', // fused score minus the best candidate's
  'dense', // cosine of question and clause
  'denseGap',
  'lexical', // BM25 over the best candidate's BM25
  'rankPrior', // 1 / (first-stage rank + 1)
  'sentence', // cosine of question and the clause's best sentence
  'sentenceGap', // … minus the best sentence of the whole corpus
  'sentence2', // cosine of the second-best sentence
  'sentenceRank', // 1 / (1 + rank of the best sentence among all sentences)
  'coverage', // idf-weighted share of question terms in heading + clause
  'coverageBest', // … in the best sentence
  'coverageHeading', // … in document title and headings
  'documentShare', // share of the pool's fused score held by the clause's document
  'states', // the clause states the kind of fact asked (0.5 when the question asks no kind)
  'statesBest', // the best sentence does
  'preamble', // a document's unnumbered opening text
  'namedDocument', // the question names the clause's document
  'length', // log clause length
  'record', // a document's 标题 or 落款 unit, when the question asks about the document itself
  'recordOther', // such a unit when the question does not
] as const;

export type FeatureName = (typeof FEATURES)[number];

/** A clause's sentence with the question's similarity to it. */
export interface SentenceEvidence {
  start: number;
  end: number;
  similarity: number;
}

export interface QueryEvidence {
  /** The question's similarity to every indexed sentence. */
  similarities: Float32Array;
  /** Sorted descending, for ranks. */
  sorted: Float32Array;
  terms: WeightedTerm[];
  kinds: AnswerKind[];
  aboutDocument: boolean;
}

export interface WeightedTerm {
  term: string;
  weight: number;
}

/** Query terms weighted by inverse document frequency, and the terms no indexed text has. */
export function queryTerms(lexical: LexicalIndex, text: string): { known: WeightedTerm[]; unknown: string[] } {
  const n = lexical.size || 1;
  const known: WeightedTerm[] = [];
  const unknown: string[] = [];
  for (const term of new Set(lexical.tokenize(text))) {
    const df = lexical.docFreq(term);
    if (df) known.push({ term, weight: Math.log(1 + (n - df + 0.5) / (df + 0.5)) });
    else unknown.push(term);
  }
  return { known, unknown };
}

/** Weighted share of the terms that text contains. */
export function coverageOf(text: string, terms: readonly WeightedTerm[]): number {
  let total = 0;
  let hit = 0;
  for (const t of terms) {
    total += t.weight;
    if (text.includes(t.term)) hit += t.weight;
  }
  return total ? hit / total : 0;
}

/** The question's evidence, given its scan of the sentence index (SentenceIndex.scan). */
export function queryEvidence({ similarities, sorted }: Scan, lexical: LexicalIndex, question: string, searched: string): QueryEvidence {
  return {
    similarities,
    sorted,
    terms: queryTerms(lexical, searched).known,
    kinds: analyse(question).kinds.filter((k) => k !== 'open'),
    aboutDocument: asksAboutDocument(question),
  };
}

/** A clause's sentences with their similarity to the question, in reading order. */
export function sentenceEvidence(sentences: SentenceIndex, q: QueryEvidence, clauseId: string): SentenceEvidence[] {
  return sentences.sentencesOf(clauseId).map((row) => ({ start: sentences.rows[row]!.start, end: sentences.rows[row]!.end, similarity: q.similarities[row]! }));
}


/** One feature row per result, in FEATURES order. */
export function candidateFeatures(results: SearchResult[], evidence: SentenceEvidence[][], q: QueryEvidence): number[][] {
  const topFused = Math.max(...results.map((r) => r.scores.fused));
  const denseHits = results.map((r) => r.scores.dense).filter((d): d is number => d !== undefined);
  // A clause the dense arm did not return scores at most what its weakest hit did.
  const denseFloor = denseHits.length ? Math.min(...denseHits) : 0;
  const topDense = denseHits.length ? Math.max(...denseHits) : 0;
  const topLexical = Math.max(1e-9, ...results.map((r) => r.scores.lexical ?? 0));
  const byDoc = new Map<string, number>();
  for (const r of results) byDoc.set(r.document.id, (byDoc.get(r.document.id) ?? 0) + Math.max(0, r.scores.fused));
  const poolTotal = [...byDoc.values()].reduce((a, b) => a + b, 0) || 1;
  const best = q.sorted[0] ?? 0;
  const rankOf = (x: number) => {
    let lo = 0;
    let hi = q.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (q.sorted[mid]! > x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const stated = (text: string) => (q.kinds.length ? (q.kinds.some((k) => statesKind(text, k)) ? 1 : 0) : 0.5);
  return results.map((r, rank) => {
    const sents = [...evidence[rank]!].sort((a, b) => b.similarity - a.similarity);
    const top = sents[0];
    const topText = top ? r.clause.text.slice(top.start, top.end) : '';
    const heading = `${r.document.title} ${r.clause.headingPath.join(' ')} ${stripMarker(r.clause.number)}`;
    const dense = r.scores.dense ?? denseFloor;
    const s1 = top?.similarity ?? 0;
    const values: Record<FeatureName, number> = {
      fused: r.scores.fused,
      fusedGap: r.scores.fused - topFused,
      dense,
      denseGap: dense - topDense,
      lexical: (r.scores.lexical ?? 0) / topLexical,
      rankPrior: 1 / (rank + 1),
      sentence: s1,
      sentenceGap: s1 - best,
      sentence2: sents[1]?.similarity ?? s1,
      sentenceRank: 1 / (1 + rankOf(s1)),
      coverage: coverageOf(`${heading} ${r.clause.text}`, q.terms),
      coverageBest: coverageOf(topText, q.terms),
      coverageHeading: coverageOf(heading, q.terms),
      documentShare: (byDoc.get(r.document.id) ?? 0) / poolTotal,
      states: stated(r.clause.text),
      statesBest: stated(topText),
      preamble: r.clause.number === '序言' ? 1 : 0,
      namedDocument: r.scores.reference ? 1 : 0,
      length: Math.log(1 + r.clause.text.length),
      record: isRecordClause(r.clause) && q.aboutDocument ? 1 : 0,
      recordOther: isRecordClause(r.clause) && !q.aboutDocument ? 1 : 0,
    };
    return FEATURES.map((f) => values[f]);
  });
}
