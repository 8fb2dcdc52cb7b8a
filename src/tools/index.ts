/**
 * The one tools layer. Each tool is one definition (name, description, one zod input and one zod
 * output schema) next to its function; HTTP validation, MCP registerTool, the OpenAPI document, the
 * CLI and the widget's types all derive from these, so a limit is written once. Inputs are parsed
 * here with the tool's schema, for every edge alike; failures are catalogue errors (src/errors.ts)
 * that each edge translates once.
 */
import type { z } from 'zod';
import type { AnswerPipeline } from '../answer/pipeline.ts';
import { AppError } from '../errors.ts';
import type { CorpusStore } from '../ingest/store.ts';
import type { HybridRetriever } from '../retrieve/retriever.ts';
import { answerQuestion, answerTool } from './answer.ts';
import { clauseTool, getClause, getClauseWithNeighbours } from './clauses.ts';
import { getDocument, getDocumentTool, listDocuments, listDocumentsTool } from './documents.ts';
import { InvalidInputError } from './errors.ts';
import { searchPolicies, searchTool } from './search.ts';

export const TOOLS = { search: searchTool, answer: answerTool, clause: clauseTool, listDocuments: listDocumentsTool, getDocument: getDocumentTool };
export type ToolCatalogue = typeof TOOLS;

/** What the tools run on. Lookups need only the corpus, so the CLI can serve them without the model. */
export interface ToolDeps {
  corpus: CorpusStore;
  retriever?: HybridRetriever;
  answers?: AnswerPipeline;
}

/** One readable line for every schema failure: "field: message; …". */
export function issuesMessage(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`).join('; ');
}

export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) throw new InvalidInputError(issuesMessage(parsed.error));
  return parsed.data;
}

const need = <T>(dep: T | undefined, what: string): T => {
  if (!dep) throw new AppError('unavailable', `${what} needs the search index; open the app with its index (policy-assistant serve)`);
  return dep;
};

/** The tools over one set of deps; `catalogue` is the schemas they validate with (tests vary it). */
export function tools(deps: ToolDeps, catalogue: ToolCatalogue = TOOLS) {
  return {
    searchPolicies: (input: z.input<ToolCatalogue['search']['input']>, signal?: AbortSignal) => searchPolicies(need(deps.retriever, 'search'), parseInput(catalogue.search.input, input), signal),
    answerQuestion: (input: z.input<ToolCatalogue['answer']['input']>, signal?: AbortSignal) => answerQuestion(need(deps.answers, 'answering'), parseInput(catalogue.answer.input, input), signal),
    getClause: (input: z.input<ToolCatalogue['clause']['input']>) => getClause(deps.corpus, parseInput(catalogue.clause.input, input)),
    getClauseWithNeighbours: (input: z.input<ToolCatalogue['clause']['input']>) => getClauseWithNeighbours(deps.corpus, parseInput(catalogue.clause.input, input)),
    listDocuments: (input: z.input<ToolCatalogue['listDocuments']['input']> = {}) => listDocuments(deps.corpus, parseInput(catalogue.listDocuments.input, input)),
    getDocument: (input: z.input<ToolCatalogue['getDocument']['input']>) => getDocument(deps.corpus, parseInput(catalogue.getDocument.input, input)),
  };
}

export type Tools = ReturnType<typeof tools>;
export { InvalidInputError, NotFoundError } from './errors.ts';
export type { Answer, AnswerQuestionInput } from './answer.ts';
export type { SearchInput, SearchHit, SearchResponse } from './search.ts';
export type { ClauseView } from './clauses.ts';
export type { DocumentFilter, DocumentSummary, DocumentView } from './documents.ts';
