import type { HybridRetriever, Scores, SearchFilters } from '../retrieve/retriever.ts';
import { MAX_K } from '../retrieve/retriever.ts';
import { InvalidQueryError } from '../retrieve/errors.ts';
import { InvalidInputError } from './errors.ts';

export interface SearchInput {
  query: string;
  k?: number;
  filters?: SearchFilters;
}

export interface SearchHit {
  /** Chunk id; its clause id is clauseId (they are equal for a clause that is one chunk). */
  id: string;
  clauseId: string;
  label: string;
  documentId: string;
  documentTitle: string;
  docNumber?: string;
  issuer?: string;
  date?: string;
  /** Verbatim text of the clause piece. */
  text: string;
  headingPath: string[];
  score: number;
  scores: Scores;
}

export interface SearchResponse {
  results: SearchHit[];
  query: { lang: 'zh' | 'en'; searched: string; namedDocuments: string[] };
}

export async function searchPolicies(retriever: HybridRetriever, input: SearchInput, signal?: AbortSignal): Promise<SearchResponse> {
  if (input.k !== undefined && (!Number.isInteger(input.k) || input.k < 1 || input.k > MAX_K)) throw new InvalidInputError(`k must be a whole number from 1 to ${MAX_K}`);
  try {
    const out = await retriever.search(input.query, { k: input.k ?? 10, filters: input.filters, signal });
    return {
      results: out.results.map(({ chunk, clause, document, scores }) => ({
        id: chunk.id,
        clauseId: clause.id,
        label: chunk.label,
        documentId: document.id,
        documentTitle: document.title,
        docNumber: document.docNumber,
        issuer: document.issuer,
        date: document.issueDate,
        text: chunk.text,
        headingPath: chunk.headingPath,
        score: scores.rerank ?? scores.fused,
        scores,
      })),
      query: { lang: out.query.lang, searched: out.query.searched, namedDocuments: out.query.namedDocuments },
    };
  } catch (e) {
    if (e instanceof InvalidQueryError) throw new InvalidInputError(e.message);
    throw e;
  }
}
