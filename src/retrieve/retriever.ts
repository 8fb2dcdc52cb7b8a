import type { Chunk } from '../chunk/chunk.ts';
import type { Embedder, LexicalIndex, VectorStore } from '../index/ports.ts';
import type { Clause, PolicyDocument } from '../parse/types.ts';
import type { SentenceIndex } from '../index/sentences.ts';
import { betweenStages, throwIfAborted } from '../util/abort.ts';
import type { CorpusStore } from '../ingest/store.ts';
import { matchesFilter, type DocumentFilter } from './filters.ts';
import { expandColloquial } from './colloquial/expand.ts';
import { candidateFeatures, queryEvidence, sentenceEvidence, type SentenceEvidence } from './evidence.ts';
import { isMostlyEnglish, translateQuery, type QueryTranslation } from './english/translate.ts';
import { InvalidQueryError } from './errors.ts';
import { linearScore, type LinearModel } from './ranker.ts';
import { articleOf, parseReference, resolveDocuments } from './reference.ts';

/**
 * Hybrid retrieval: dense (the local embedding model over hnswlib) and lexical (BM25 over jieba
 * tokens), fused, with explicit references in the question ("自贸区条例第十五条", a 文号, a title or
 * short name) pinning or boosting their clauses, and English questions translated term by term.
 */
export interface SearchFilters extends DocumentFilter {
  /** Restrict to these document ids. */
  documentIds?: string[];
  /** Restrict to the documents this text names (title, short name or 文号). */
  document?: string;
}

export interface SearchOptions {
  k?: number;
  filters?: SearchFilters;
  /** Retrieval arm(s) to use; hybrid unless comparing. */
  mode?: 'hybrid' | 'dense' | 'lexical';
  /** Stops the search between stages (an AbortedError) once its caller has gone. */
  signal?: AbortSignal;
}

export interface Scores {
  /** Cosine similarity of the query and the chunk, when the dense arm found it. */
  dense?: number;
  denseRank?: number;
  /** BM25 score, when the lexical arm found it. */
  lexical?: number;
  lexicalRank?: number;
  /** The fused score that orders results. */
  fused: number;
  /** Set when an explicit reference in the query named this clause or its document. */
  reference?: 'clause' | 'document';
  /** Query terms BM25 matched. */
  matched?: string[];
  /** The learned ranker's score (a logit within this query), when it reordered the results. */
  rerank?: number;
}

export interface SearchResult {
  chunk: Chunk;
  clause: Clause;
  document: PolicyDocument;
  scores: Scores;
  /** The clause's sentences and their similarity to the question (with the sentence index). */
  sentences?: SentenceEvidence[];
  /** The ranker's feature row (evidence.ts FEATURES), for answerers and explanations. */
  features?: number[];
}

export interface SearchOutcome {
  results: SearchResult[];
  /** How the query was understood, for explanations. */
  query: {
    original: string;
    lang: 'zh' | 'en';
    /** The Chinese text actually searched (the translation for English questions). */
    searched: string;
    translation?: QueryTranslation;
    namedDocuments: string[];
    article?: number;
  };
}

export interface RetrieverDeps {
  corpus: CorpusStore;
  embedder: Embedder;
  vectors: VectorStore;
  lexical: LexicalIndex;
  /** Sentence vectors; with a ranker, the first-stage pool is reordered by the learned scorer. */
  sentences?: SentenceIndex;
  ranker?: LinearModel;
}

/** Clauses the first stage hands to the ranker: its R@20 is the ceiling of the reranked R@k. */
export const RERANK_POOL = 20;

export interface FusionConfig {
  method: 'rrf' | 'weighted';
  /** RRF constant. */
  rrfK: number;
  /** Weight of the dense arm against the lexical arm (weighted: of normalised scores; rrf: of ranks). */
  denseWeight: number;
  /** How many candidates each arm contributes. */
  depth: number;
  /** Bonus on the fused scale for chunks of a document the question names. */
  documentBoost: number;
  /** Add policy wording for lay phrases to the lexical query. */
  expandColloquial: boolean;
  /** Penalty for a document's unnumbered opening text, which states purposes rather than rules. */
  preamblePenalty: number;
}

export const DEFAULT_FUSION: FusionConfig = { method: 'weighted', rrfK: 60, denseWeight: 0.45, depth: 60, documentBoost: 0.05, expandColloquial: true, preamblePenalty: 0.1 };

export const MAX_QUERY_LENGTH = 2000;
export const MAX_K = 50;

export class HybridRetriever {
  constructor(
    private readonly deps: RetrieverDeps,
    readonly fusion: FusionConfig = DEFAULT_FUSION,
  ) {}

  async search(rawQuery: string, opts: SearchOptions = {}): Promise<SearchOutcome> {
    const original = validateQuery(rawQuery);
    const { signal } = opts;
    throwIfAborted(signal);
    const k = Math.min(Math.max(1, Math.floor(opts.k ?? 10)), MAX_K);
    const { corpus, embedder, vectors, lexical } = this.deps;
    const lang = isMostlyEnglish(original) ? 'en' : 'zh';
    const translation = lang === 'en' ? translateQuery(original, { vocabulary: (t) => lexical.docFreq(t) }) : undefined;
    const searched = translation ? translation.zhQuery : original;
    const lexicalQuery = translation || !this.fusion.expandColloquial ? searched : [searched, ...expandColloquial(searched)].join(' ');

    const ref = parseReference(original);
    const named = ref.docText || ref.docNumber ? resolveDocuments(ref, corpus.documents, 0.8).docs : [];
    const pinned = ref.article !== undefined && named.length ? named.flatMap((d) => corpus.clausesOf(d.id)).find((c) => articleOf(c) === ref.article) : undefined;
    const allowed = this.allowedDocuments(opts.filters);
    const filter = allowed ? (id: string) => allowed.has(corpus.chunkById.get(id)?.docId ?? '') : undefined;
    const outcomeQuery = { original, lang, searched, translation, namedDocuments: named.map((d) => d.id), article: ref.article } as const;
    if (!/[\p{L}\p{N}]/u.test(searched)) return { results: [], query: outcomeQuery };

    const depth = Math.max(this.fusion.depth, k);
    const mode = opts.mode ?? 'hybrid';
    const queryVector = mode === 'lexical' ? undefined : (await embedder.embedQueries([searched], signal))[0]!;
    const { ranker, sentences } = this.deps;
    const reranked = ranker && sentences && queryVector && mode === 'hybrid';
    // The sentence scan runs on its worker while this thread searches both arms and fuses them.
    const scanning = reranked ? sentences.scan(queryVector) : undefined;
    await betweenStages(signal);
    const [dense, lex] = await Promise.all([
      queryVector ? vectors.search(queryVector, depth, filter) : [],
      mode === 'dense' ? [] : lexical.search(lexicalQuery, depth, filter),
    ]);

    const byId = new Map<string, Scores>();
    const entry = (id: string) => {
      let s = byId.get(id);
      if (!s) byId.set(id, (s = { fused: 0 }));
      return s;
    };
    const { method, rrfK, denseWeight } = this.fusion;
    // Weighted fusion min-max normalises each arm over its own candidates, so the weights compare
    // like with like: cosine similarities bunch in a narrow band, BM25 scores do not.
    const norm = (hits: { score: number }[]) => {
      const hi = hits[0]?.score ?? 1;
      const lo = hits[hits.length - 1]?.score ?? 0;
      return (x: number) => (hi > lo ? (x - lo) / (hi - lo) : 1);
    };
    const denseNorm = norm(dense);
    const lexNorm = norm(lex);
    dense.forEach((h, i) => {
      const s = entry(h.id);
      s.dense = h.score;
      s.denseRank = i + 1;
      s.fused += method === 'rrf' ? (2 * denseWeight) / (rrfK + i + 1) : denseWeight * denseNorm(h.score);
    });
    lex.forEach((h, i) => {
      const s = entry(h.id);
      s.lexical = h.score;
      s.lexicalRank = i + 1;
      s.matched = h.matched;
      s.fused += method === 'rrf' ? (2 * (1 - denseWeight)) / (rrfK + i + 1) : (1 - denseWeight) * lexNorm(h.score);
    });
    const namedIds = new Set(named.map((d) => d.id));
    for (const [id, s] of byId) {
      const chunk = corpus.chunkById.get(id)!;
      if (corpus.clauseById.get(chunk.clauseId)?.number === '序言') s.fused -= this.fusion.preamblePenalty;
      if (namedIds.has(chunk.docId)) {
        s.fused += this.fusion.documentBoost;
        s.reference = 'document';
      }
    }
    let ranked = [...byId.entries()].sort((a, b) => b[1].fused - a[1].fused);
    if (pinned && (!allowed || allowed.has(pinned.docId))) {
      // The clause the question cites goes first, whatever the arms found.
      const pinnedChunks = corpus.chunks.filter((c) => c.clauseId === pinned.id);
      const top = (ranked[0]?.[1].fused ?? 0) + 1;
      ranked = [
        ...pinnedChunks.map((c, i): [string, Scores] => [c.id, { ...(byId.get(c.id) ?? { fused: 0 }), fused: top - i * 1e-6, reference: 'clause' }]),
        ...ranked.filter(([id]) => !pinnedChunks.some((c) => c.id === id)),
      ];
    }
    if (!reranked) return { results: this.collapse(ranked, k), query: outcomeQuery };
    await betweenStages(signal);
    const pool = this.collapse(ranked, Math.max(k, RERANK_POOL));
    const q = queryEvidence(await scanning!, lexical, original, searched);
    await betweenStages(signal);
    const evidence = pool.map((r) => sentenceEvidence(sentences, q, r.clause.id));
    const rows = candidateFeatures(pool, evidence, q);
    const withFeatures = pool.map((r, i) => ({ ...r, sentences: evidence[i], features: rows[i] }));
    return { results: orderByRanker(withFeatures, ranker).slice(0, k), query: outcomeQuery };
  }

  /**
   * One result per clause: pieces of a long clause found together become one passage running from
   * the first to the last of them, so they do not crowd other clauses out of the top k.
   */
  private collapse(ranked: [string, Scores][], k: number): SearchResult[] {
    const { corpus } = this.deps;
    const byClause = new Map<string, { chunks: Chunk[]; scores: Scores }>();
    for (const [id, scores] of ranked) {
      const chunk = corpus.chunkById.get(id)!;
      const group = byClause.get(chunk.clauseId);
      if (group) group.chunks.push(chunk);
      else if (byClause.size < k) byClause.set(chunk.clauseId, { chunks: [chunk], scores });
    }
    return [...byClause.values()].map(({ chunks, scores }) => {
      const clause = corpus.clauseById.get(chunks[0]!.clauseId)!;
      const chunk = chunks.length === 1 ? chunks[0]! : spanOf(clause, chunks);
      return { chunk, clause, document: corpus.documentById.get(clause.docId)!, scores };
    });
  }

  private allowedDocuments(f: SearchFilters | undefined): Set<string> | undefined {
    if (!f) return undefined;
    const { corpus } = this.deps;
    let docs = corpus.documents;
    if (f.documentIds?.length) docs = docs.filter((d) => f.documentIds!.includes(d.id));
    if (f.document) {
      const named = resolveDocuments(parseReference(f.document), docs, 0.6).docs;
      docs = named;
    }
    if (f.issuer || f.dateFrom || f.dateTo || f.query) docs = docs.filter((d) => matchesFilter(d, f));
    return docs.length === corpus.documents.length ? undefined : new Set(docs.map((d) => d.id));
  }
}

/** Results with feature rows, scored by a ranker and reordered; the clause a question cites by number stays first. */
export function orderByRanker(results: SearchResult[], ranker: LinearModel): SearchResult[] {
  return results
    .map((r) => ({ ...r, scores: { ...r.scores, rerank: linearScore(ranker, r.features!) } }))
    .sort((a, b) => Number(b.scores.reference === 'clause') - Number(a.scores.reference === 'clause') || b.scores.rerank - a.scores.rerank);
}

/** Trims and checks a query; control characters are dropped rather than refused. */
export function validateQuery(q: unknown): string {
  if (typeof q !== 'string') throw new InvalidQueryError('the query must be a string');
  // eslint-disable-next-line no-control-regex
  const clean = q.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ').trim();
  if (!clean) throw new InvalidQueryError('the query is empty');
  if (clean.length > MAX_QUERY_LENGTH) throw new InvalidQueryError(`the query is ${clean.length} characters; at most ${MAX_QUERY_LENGTH} are searched`);
  return clean;
}

/** A passage of a clause covering several of its chunks, labelled as the clause. */
function spanOf(clause: Clause, chunks: Chunk[]): Chunk {
  const sorted = [...chunks].sort((a, b) => a.start - b.start);
  const start = sorted[0]!.start;
  const end = Math.max(...sorted.map((c) => c.end));
  return { ...sorted[0]!, label: clause.label, text: clause.text.slice(start, end), start, end };
}
