/**
 * The one tools layer. HTTP routes, MCP tools and the CLI are thin adapters over these functions,
 * so they cannot drift apart. Each takes validated input and returns plain data, and throws a
 * ToolError (InvalidInputError, NotFoundError) that each edge translates once.
 */
import type { App } from '../app.ts';
import { answerQuestion, type AnswerQuestionInput } from './answer.ts';
import { getClause, getClauseWithNeighbours } from './clauses.ts';
import { getDocument, listDocuments, type DocumentFilter } from './documents.ts';
import { searchPolicies, type SearchInput } from './search.ts';

export function tools(app: App) {
  return {
    searchPolicies: (input: SearchInput, signal?: AbortSignal) => searchPolicies(app.retriever, input, signal),
    answerQuestion: (input: AnswerQuestionInput, signal?: AbortSignal) => answerQuestion(app.answers, input, signal),
    getClause: (input: { id?: string; reference?: string }) => getClause(app.corpus, input),
    getClauseWithNeighbours: (input: { id?: string; reference?: string }) => getClauseWithNeighbours(app.corpus, input),
    listDocuments: (filter?: DocumentFilter) => listDocuments(app.corpus, filter),
    getDocument: (id: string) => getDocument(app.corpus, id),
  };
}

export type Tools = ReturnType<typeof tools>;
export { InvalidInputError, NotFoundError, ToolError } from './errors.ts';
export type { AnswerQuestionInput } from './answer.ts';
export type { SearchInput, SearchHit, SearchResponse } from './search.ts';
export type { ClauseView } from './clauses.ts';
export type { DocumentFilter, DocumentSummary, DocumentView } from './documents.ts';
