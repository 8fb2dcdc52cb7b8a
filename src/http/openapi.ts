import { z } from 'zod';
import { ChatRequest } from './routes/chat.ts';
import { ClauseQuery } from './routes/clauses.ts';
import { DocumentsQuery } from './routes/documents.ts';
import { SearchRequest } from './routes/search.ts';

/**
 * The OpenAPI 3.1 description served at /openapi.json. Request schemas are generated from the zod
 * schemas the routes validate with, so the two cannot disagree; response schemas mirror the tools
 * layer's types (Answer, SearchResponse, ClauseView, DocumentView).
 */
type Schema = Record<string, unknown>;

const jsonSchema = (s: z.ZodType): Schema => {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io: 'input' });
  return rest;
};

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str: Schema = { type: 'string' };
const strs: Schema = { type: 'array', items: str };
const obj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({ type: 'object', properties, required });

const json = (schema: Schema) => ({ 'application/json': { schema } });
const ok = (description: string, schema: Schema) => ({ description, content: json(schema) });
const error = (description: string) => ({ description, content: json(ref('Error')) });

/** Query parameters from a zod object schema. */
const queryParams = (s: z.ZodObject) =>
  Object.entries(s.shape).map(([name, field]) => {
    const schema = jsonSchema(field as z.ZodType);
    return { name, in: 'query', required: !(field as z.ZodType).safeParse(undefined).success, description: schema.description, schema };
  });

const idParam = (description: string) => ({ name: 'id', in: 'path', required: true, description, schema: str });

const Citation = obj(
  {
    n: { type: 'integer', description: 'the number its marker [n] has in the answer' },
    id: { ...str, description: 'clause id, for /api/clauses/{id}' },
    label: str,
    documentId: str,
    documentTitle: str,
    docNumber: str,
    date: str,
    quote: { ...str, description: 'verbatim passage of the clause' },
  },
  ['n', 'id', 'label', 'documentId', 'documentTitle', 'quote'],
);

const Answer = obj(
  {
    conversationId: { ...str, description: 'send it back with the next message to continue the conversation' },
    answer: { ...str, description: 'the answer text; [n] markers refer to citations' },
    citations: { type: 'array', items: ref('Citation') },
    abstained: { type: 'boolean', description: 'true when no clause answers the question' },
    notices: { ...strs, description: 'validity and expiry warnings about the cited measures, and other caveats' },
    mode: { enum: ['extractive', 'llm'] },
    searched: { ...str, description: 'the query that was searched: a follow-up with its conversation context filled in' },
    related: { type: 'array', items: obj({ id: str, label: str }, ['id', 'label']), description: 'clauses shown for reference when abstaining' },
  },
  ['conversationId', 'answer', 'citations', 'abstained', 'notices', 'mode', 'searched', 'related'],
);

const scores = obj({
  fused: { type: 'number' },
  dense: { type: 'number' },
  denseRank: { type: 'integer' },
  lexical: { type: 'number' },
  lexicalRank: { type: 'integer' },
  reference: { enum: ['clause', 'document'] },
  matched: strs,
});

const SearchResponse = obj(
  {
    results: {
      type: 'array',
      items: obj(
        {
          id: { ...str, description: 'chunk id; it also resolves at /api/clauses/{id}' },
          clauseId: str,
          label: str,
          documentId: str,
          documentTitle: str,
          docNumber: str,
          issuer: str,
          date: str,
          text: { ...str, description: 'verbatim text of the clause piece' },
          headingPath: strs,
          score: { type: 'number' },
          scores,
        },
        ['id', 'clauseId', 'label', 'documentId', 'documentTitle', 'text', 'headingPath', 'score', 'scores'],
      ),
    },
    query: obj({ lang: { enum: ['zh', 'en'] }, searched: str, namedDocuments: strs }),
  },
  ['results', 'query'],
);

const Clause = obj(
  {
    id: str,
    label: str,
    number: str,
    headingPath: { ...strs, description: 'headings above the clause' },
    text: { ...str, description: 'verbatim clause text' },
    document: obj(
      { id: str, title: str, docNumber: str, issuer: str, issueDate: str, validFrom: str, validUntil: str, timeStatements: strs },
      ['id', 'title', 'timeStatements'],
    ),
    prevId: str,
    nextId: str,
    source: obj({ file: str, start: { type: 'integer' }, end: { type: 'integer' } }),
  },
  ['id', 'label', 'number', 'headingPath', 'text', 'document', 'source'],
);

const ClauseWithNeighbours = {
  allOf: [ref('Clause'), obj({ previous: ref('Clause'), next: ref('Clause') })],
};

const documentProperties = {
  id: str,
  title: str,
  titles: strs,
  shortNames: strs,
  docNumber: str,
  issuer: str,
  issueDate: str,
  timeStatements: strs,
  validFrom: str,
  validUntil: str,
  kind: { enum: ['regulation', 'structured', 'plain'] },
  clauseCount: { type: 'integer' },
  sourceFile: str,
};
const documentRequired = ['id', 'title', 'titles', 'shortNames', 'timeStatements', 'kind', 'clauseCount', 'sourceFile'];
const DocumentSummary = obj(documentProperties, documentRequired);
const DocumentView = obj(
  {
    ...documentProperties,
    text: { ...str, description: 'clean text of the whole document' },
    clauses: {
      type: 'array',
      description: 'clauses in order, with offsets into text for anchors',
      items: obj({ id: str, label: str, number: str, start: { type: 'integer' }, end: { type: 'integer' } }, ['id', 'label', 'number', 'start', 'end']),
    },
  },
  [...documentRequired, 'text', 'clauses'],
);

const Health = obj(
  {
    status: { enum: ['ok', 'rebuilding'] },
    index: obj({
      state: { enum: ['ok', 'rebuilding'] },
      repairing: { type: 'array', items: str },
      serving: { type: 'object' },
      corpus: { enum: ['same', 'differs'] },
      differences: { type: 'object' },
      documents: { type: 'integer' },
      clauses: { type: 'integer' },
      chunks: { type: 'integer' },
      builtAt: str,
      generation: str,
      openedAs: { enum: ['loaded', 'incremental', 'full', 'repaired', 'degraded'] },
      openMs: { type: 'integer' },
    }),
    model: obj({ id: str, sha256: str, dims: { type: 'integer' } }),
    answerMode: { enum: ['extractive', 'llm'] },
    startedAt: str,
    uptimeSeconds: { type: 'integer' },
  },
  ['status', 'index', 'model', 'uptimeSeconds'],
);

const ErrorSchema = obj({ error: obj({ code: str, message: str }, ['code', 'message']) }, ['error']);

const badInput = error('invalid input: malformed JSON, a failed validation, or a wrong type');

export function openApiDocument(): Schema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'policy-assistant',
      version: '0.1.0',
      description: 'Answers questions about Beijing government policies and quotes the exact clause each answer rests on. Every error is {"error":{"code","message"}}.',
    },
    paths: {
      '/api/chat': {
        post: {
          summary: 'Answer a question, citing clauses',
          description:
            'With Accept: text/event-stream the answer streams as Server-Sent Events: `citations` ({conversationId, citations}) first, then `delta` ({text}) pieces of the answer, then `done` with the complete Answer; `error` ({error:{code,message}}) if answering fails after the stream opened.',
          requestBody: { required: true, content: json(jsonSchema(ChatRequest)) },
          responses: {
            200: {
              description: 'the answer',
              content: { ...json(ref('Answer')), 'text/event-stream': { schema: { ...str, description: 'events: citations, delta…, done (or error)' } } },
            },
            400: badInput,
            413: error('the body is over the size limit'),
            415: error('the body is not JSON'),
          },
        },
      },
      '/api/search': {
        post: {
          summary: 'Search the clauses',
          requestBody: { required: true, content: json(jsonSchema(SearchRequest)) },
          responses: { 200: ok('ranked clause pieces', ref('SearchResponse')), 400: badInput, 413: error('the body is over the size limit'), 415: error('the body is not JSON') },
        },
      },
      '/api/clauses': {
        get: {
          summary: 'Resolve a written reference to a clause',
          parameters: queryParams(ClauseQuery),
          responses: { 200: ok('the clause and its neighbours', ref('ClauseWithNeighbours')), 400: badInput, 404: error('no such document or article; the message says what exists') },
        },
      },
      '/api/clauses/{id}': {
        get: {
          summary: 'A clause by id',
          parameters: [idParam('a clause id (or a chunk id, which names its clause)')],
          responses: { 200: ok('the clause and its neighbours', ref('ClauseWithNeighbours')), 400: error('not a clause id'), 404: error('no clause has this id') },
        },
      },
      '/api/documents': {
        get: {
          summary: 'List the policy documents',
          parameters: queryParams(DocumentsQuery),
          responses: { 200: ok('the matching documents', obj({ documents: { type: 'array', items: ref('DocumentSummary') } }, ['documents'])), 400: badInput },
        },
      },
      '/api/documents/{id}': {
        get: {
          summary: 'One document with its full clean text and clause anchors',
          parameters: [idParam('a document id')],
          responses: { 200: ok('the document', ref('DocumentView')), 404: error('no document has this id') },
        },
      },
      '/healthz': {
        get: { summary: 'Index and model state', responses: { 200: ok('serving', ref('Health')) } },
      },
      '/openapi.json': {
        get: { summary: 'This document', responses: { 200: ok('the OpenAPI description', { type: 'object' }) } },
      },
    },
    components: {
      schemas: { Answer, Citation, SearchResponse, Clause, ClauseWithNeighbours, DocumentSummary, DocumentView, Health, Error: ErrorSchema },
    },
  };
}
