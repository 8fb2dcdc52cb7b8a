import { z } from './zod.ts';
import type { HybridRetriever } from '../retrieve/retriever.ts';
import { MAX_K } from '../retrieve/retriever.ts';
import { queryText, shortText, StatusFilter, type ToolDefinition } from './fields.ts';

export const SearchFilters = z.object({
  document: shortText.optional().describe('Only this document: words from its title, a short name such as 自贸区条例, or its 文号'),
  documentIds: z.array(z.string().max(20)).max(100).optional().describe('Only these document ids'),
  ...StatusFilter.shape,
});

export const SearchInput = z.object({
  query: queryText('query').describe(
    'What to look for, in Chinese or English. A reference such as 自贸区条例第十五条 finds that clause first.',
  ),
  k: z
    .number({ error: `k must be a whole number from 1 to ${MAX_K}` })
    .int(`k must be a whole number from 1 to ${MAX_K}`).min(1, `k must be a whole number from 1 to ${MAX_K}`).max(MAX_K, `k must be a whole number from 1 to ${MAX_K}`).optional().describe(`How many clauses to return, 1 to ${MAX_K} (default 10)`),
  filters: SearchFilters.optional(),
});

const Scores = z.object({
  dense: z.number().optional().describe('cosine similarity of query and clause'),
  denseRank: z.number().optional(),
  lexical: z.number().optional().describe('BM25 score'),
  lexicalRank: z.number().optional(),
  fused: z.number().describe('the first-stage score'),
  reference: z.enum(['clause', 'document']).optional().describe('set when the query named this clause or its document'),
  matched: z.array(z.string()).optional().describe('query terms BM25 matched'),
  rerank: z.number().optional().describe("the learned ranker's score"),
});

export const SearchHit = z.object({
  id: z.string().describe('Id of the matching piece; get_clause accepts it'),
  clauseId: z.string(),
  label: z.string().describe('Citation label, e.g. 《中国（北京）自由贸易试验区条例》第三章 第十五条'),
  documentId: z.string(),
  documentTitle: z.string(),
  docNumber: z.string().optional().describe('文号'),
  issuer: z.string().optional(),
  date: z.string().optional().describe('Issue date of the document'),
  text: z.string().describe('Verbatim text'),
  headingPath: z.array(z.string()),
  score: z.number().describe('the ranking score (the learned ranker, else the fused score)'),
  scores: Scores,
});

export const SearchOutput = z.object({
  results: z.array(SearchHit),
  query: z.object({
    lang: z.enum(['zh', 'en']),
    searched: z.string().describe('The query as searched (English is translated to Chinese)'),
    namedDocuments: z.array(z.string()).describe('Ids of documents the query names'),
  }),
});

export type SearchInput = z.infer<typeof SearchInput>;
export type SearchHit = z.infer<typeof SearchHit>;
export type SearchResponse = z.infer<typeof SearchOutput>;

export const searchTool = {
  name: 'search_policies',
  title: 'Search policy clauses',
  description:
    'Search the Beijing government policy corpus (regulations, plans, measures, notices and official interpretations) for the clauses most relevant to a query, in Chinese or English. ' +
    'Returns ranked clauses, each with its id, citation label (e.g. 《中国（北京）自由贸易试验区条例》第三章 第十五条), document title, 文号 (document number), issue date and verbatim text. ' +
    'Quote the text verbatim and cite the label. Filters narrow the search to one document (title, short name such as 自贸区条例, or 文号), an issuer, or an issue-date range. ' +
    'Use get_clause with an id to read a clause with its neighbours; use answer_question for a composed answer.',
  input: SearchInput,
  output: SearchOutput,
} satisfies ToolDefinition;

export async function searchPolicies(retriever: HybridRetriever, input: SearchInput, signal?: AbortSignal): Promise<SearchResponse> {
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
}
