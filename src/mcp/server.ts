/**
 * The MCP face of the assistant: four read-only tools and two resource templates, each a thin
 * adapter over the tools layer. Tool errors are translated here, once, into results with isError
 * so the calling model can read the message and correct itself.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, type CallToolResult, type ReadResourceResult, type ResourceLink } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { App } from '../app.ts';
import { MAX_K, MAX_QUERY_LENGTH } from '../retrieve/retriever.ts';
import { MAX_REFERENCE_LENGTH, type ClauseView } from '../tools/clauses.ts';
import { InvalidInputError, NotFoundError, ToolError, tools, type DocumentSummary, type DocumentView } from '../tools/index.ts';
import { projectRoot } from '../util/paths.ts';
import { fitList, MAX_RESOURCE_CHARS, shrinkStrings, truncateText, truncationMarker, withinBudget } from './limits.ts';

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
// MCP's code for a resource that does not exist (the SDK has no constant for it).
const RESOURCE_NOT_FOUND = -32002;

export const documentUri = (id: string): string => `policy://documents/${id}`;
export const clauseUri = (id: string): string => `policy://clauses/${id}`;

// ---- schemas -------------------------------------------------------------------------------------

const isoDate = z
  .string()
  .regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, 'use an ISO date: YYYY-MM-DD (or YYYY-MM, YYYY)')
  .describe('ISO date, e.g. 2021-03-01');
const opt = z.string().optional();
const truncated = z.string().optional().describe('Present when results were left off to keep the output bounded: "[truncated: N more …]".');

const documentRef = z.object({
  id: z.string(),
  title: z.string(),
  docNumber: opt.describe('文号, e.g. 京政发〔2021〕3号'),
  issuer: opt,
  issueDate: opt,
  validFrom: opt,
  validUntil: opt,
  timeStatements: z.array(z.string()).describe('Effective/expiry statements as written in the document'),
});

const clauseSchema = z.object({
  id: z.string().describe('Clause id; pass it to get_clause'),
  label: z.string().describe('Citation label, e.g. 《中国（北京）自由贸易试验区条例》第三章 第十五条'),
  number: z.string(),
  headingPath: z.array(z.string()),
  text: z.string().describe('Verbatim clause text'),
  document: documentRef,
  prevId: opt,
  nextId: opt,
  source: z.object({ file: z.string(), start: z.number(), end: z.number() }).describe('Offsets of the clause in its source file'),
});

const searchInput = {
  query: z.string().describe(`What to look for, in Chinese or English; at most ${MAX_QUERY_LENGTH} characters. A reference such as 自贸区条例第十五条 finds that clause first.`),
  // Bounds are the tools layer's to check (one message for every edge); the description states them.
  k: z.number().optional().describe(`How many clauses to return: a whole number from 1 to ${MAX_K} (default 10)`),
  document: opt.describe('Only this document: words from its title, a short name such as 自贸区条例, or its 文号'),
  issuer: opt.describe('Only documents whose issuer contains this, e.g. 北京市人民政府'),
  dateFrom: isoDate.optional().describe('Only documents issued on or after this ISO date'),
  dateTo: isoDate.optional().describe('Only documents issued on or before this ISO date'),
};

const searchOutput = z.object({
  query: z.object({
    lang: z.enum(['zh', 'en']),
    searched: z.string().describe('The query as searched (English is translated to Chinese)'),
    namedDocuments: z.array(z.string()).describe('Ids of documents the query names'),
  }),
  results: z.array(
    z.object({
      id: z.string().describe('Id of the matching piece; get_clause accepts it'),
      clauseId: z.string(),
      label: z.string().describe('Citation label of the clause'),
      documentId: z.string(),
      documentTitle: z.string(),
      docNumber: opt.describe('文号'),
      issuer: opt,
      date: opt.describe('Issue date of the document'),
      text: z.string().describe('Verbatim text'),
      headingPath: z.array(z.string()),
      score: z.number(),
    }),
  ),
  truncated,
});

const answerInput = {
  question: z.string().describe(`The question, in Chinese or English; at most ${MAX_QUERY_LENGTH} characters`),
  conversationId: opt.describe('The conversationId of a previous answer, to ask a follow-up in that conversation'),
};

const answerOutput = z.object({
  conversationId: z.string(),
  answer: z.string().describe('The answer; [n] markers refer to citations'),
  citations: z.array(
    z.object({
      n: z.number(),
      id: z.string().describe('Clause id; check it with get_clause'),
      label: z.string(),
      documentId: z.string(),
      documentTitle: z.string(),
      docNumber: opt,
      date: opt,
      quote: z.string().describe('Verbatim passage of the clause the answer rests on'),
    }),
  ),
  abstained: z.boolean().describe('True when the corpus does not support an answer'),
  notices: z
    .array(
      z.union([
        z.string(),
        z.object({ kind: z.literal('conversation'), reason: z.enum(['invalid', 'unknown', 'expired', 'unavailable']), text: z.string() }).describe('About the conversation: a new one was started (the conversationId given was not continued), or memory is unavailable'),
      ]),
    )
    .describe('Validity and expiry warnings about the cited measures, and notices about the conversation'),
  mode: z.enum(['extractive', 'llm']),
  searched: z.string().describe('The query that was searched (a follow-up with its context filled in)'),
  related: z.array(z.object({ id: z.string(), label: z.string() })).describe('Clauses shown as related when abstaining'),
});

const clauseInput = {
  id: opt.describe('A clause id, e.g. d08419644f-a15-3f9c'),
  reference: opt.describe(`Or a reference, at most ${MAX_REFERENCE_LENGTH} characters: 自贸区条例第十五条, 《中国（北京）自由贸易试验区条例》第15条, 京政发〔2021〕3号第五条`),
};

const clauseOutput = z.object({
  clause: clauseSchema,
  previous: clauseSchema.optional().describe('The clause before, for context'),
  next: clauseSchema.optional().describe('The clause after, for context'),
});

const documentsInput = {
  query: opt.describe('Words from a title, a short name or a 文号'),
  issuer: opt.describe('Issuer contains this'),
  dateFrom: isoDate.optional().describe('Issued on or after this ISO date'),
  dateTo: isoDate.optional().describe('Issued on or before this ISO date'),
};

const documentsOutput = z.object({
  documents: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      shortNames: z.array(z.string()).describe('Names a user may write, e.g. 自贸区条例'),
      docNumber: opt.describe('文号'),
      issuer: opt,
      issueDate: opt,
      validFrom: opt,
      validUntil: opt,
      kind: z.enum(['regulation', 'structured', 'plain']),
      clauseCount: z.number(),
    }),
  ),
  truncated,
});

// ---- server --------------------------------------------------------------------------------------

export function createMcpServer(app: App): McpServer {
  const t = tools(app);
  const server = new McpServer(
    { name: 'policy-assistant', title: 'Beijing policy assistant', version: packageVersion() },
    {
      instructions:
        'Answers questions about Beijing government policies from a fixed corpus of regulations, plans, measures and notices. ' +
        'Quote clause text verbatim and cite its label; check a citation with get_clause before relying on it. ' +
        'When answer_question abstains, say the corpus does not cover the question rather than answering from memory.',
    },
  );

  server.registerTool(
    'search_policies',
    {
      title: 'Search policy clauses',
      description:
        'Search the Beijing government policy corpus (regulations, plans, measures, notices and official interpretations) for the clauses most relevant to a query, in Chinese or English. ' +
        'Returns ranked clauses, each with its id, citation label (e.g. 《中国（北京）自由贸易试验区条例》第三章 第十五条), document title, 文号 (document number), issue date and verbatim text. ' +
        'Quote the text verbatim and cite the label. Filters narrow the search to one document (title, short name such as 自贸区条例, or 文号), an issuer, or an issue-date range. ' +
        'Use get_clause with an id to read a clause with its neighbours; use answer_question for a composed answer.',
      inputSchema: searchInput,
      outputSchema: searchOutput,
      annotations: { title: 'Search policy clauses', ...READ_ONLY },
    },
    ({ query, k, document, issuer, dateFrom, dateTo }) =>
      run(async () => {
        const res = await t.searchPolicies({ query, k, filters: { document, issuer, dateFrom, dateTo } });
        const hits = res.results.map(({ scores: _detail, ...hit }) => hit);
        return fitList(hits, (kept, omitted) => ({
          structured: {
            query: res.query,
            results: kept,
            truncated: omitted ? truncationMarker(omitted, 'results', 'lower k or narrow the query') : undefined,
          } satisfies z.infer<typeof searchOutput>,
          links: uniqueBy(kept, (h) => h.clauseId).map((h) => clauseLink(h.clauseId, h.label)),
        }));
      }),
  );

  server.registerTool(
    'answer_question',
    {
      title: 'Answer a policy question with citations',
      description:
        'Answer a question about Beijing government policies, citing the exact clauses the answer rests on. ' +
        'Returns the answer text whose [n] markers refer to citations (clause id, label, document, 文号, date and the verbatim quote), ' +
        'or abstained: true with notices when the corpus does not support an answer — then do not answer from memory. ' +
        'Pass the conversationId of a previous answer to ask a follow-up in context (ids are issued by the server; any other starts a new conversation, with a notice). mode says whether the answer was extracted offline or written by an LLM. ' +
        'Check any citation with get_clause.',
      inputSchema: answerInput,
      outputSchema: answerOutput,
      annotations: { title: 'Answer a policy question with citations', ...READ_ONLY },
    },
    ({ question, conversationId }) =>
      run(async () => {
        const answer = await t.answerQuestion({ question, conversationId });
        return shrinkStrings({
          structured: { ...answer } satisfies z.infer<typeof answerOutput>,
          links: uniqueBy(answer.citations, (c) => c.id).map((c) => clauseLink(c.id, c.label)),
        });
      }),
  );

  server.registerTool(
    'get_clause',
    {
      title: 'Look up a clause verbatim',
      description:
        'Look up one clause verbatim, to check or quote a citation. Give either its id (from search_policies or answer_question) ' +
        'or a reference as a person writes it: 自贸区条例第十五条, 《中国（北京）自由贸易试验区条例》第15条, 京政发〔2021〕3号第五条. ' +
        "Returns the clause text exactly as published, its citation label, its document's title, 文号, issuer, dates and validity, and the previous and next clauses for context.",
      inputSchema: clauseInput,
      outputSchema: clauseOutput,
      annotations: { title: 'Look up a clause verbatim', ...READ_ONLY },
    },
    ({ id, reference }) =>
      run(() => {
        const view = t.getClauseWithNeighbours({ id, reference });
        const shown = [view.clause, view.previous, view.next].filter((c): c is ClauseView => c !== undefined);
        const full = { structured: view satisfies z.infer<typeof clauseOutput>, links: shown.map((c) => clauseLink(c.id, c.label)) };
        // Neighbours are context: drop them before cutting into the clause asked for.
        if (withinBudget(full)) return full;
        return shrinkStrings({ structured: { clause: view.clause }, links: full.links.slice(0, 1) }, `read ${clauseUri(view.clause.id)}`);
      }),
  );

  server.registerTool(
    'list_documents',
    {
      title: 'List policy documents',
      description:
        'List the policy documents in the corpus: id, title, short names, 文号, issuer, issue date, validity, kind and clause count. ' +
        'Optionally filter by words from a title or 文号 (query), by issuer, or by an issue-date range. ' +
        "Use a document's title or short name as search_policies' document filter; the whole text is the resource policy://documents/{id}.",
      inputSchema: documentsInput,
      outputSchema: documentsOutput,
      annotations: { title: 'List policy documents', ...READ_ONLY },
    },
    (filter) =>
      run(() => {
        const docs = t.listDocuments(filter).map(documentRow);
        return fitList(docs, (kept, omitted) => ({
          structured: {
            documents: kept,
            truncated: omitted ? truncationMarker(omitted, 'documents', 'filter by query, issuer or dates') : undefined,
          } satisfies z.infer<typeof documentsOutput>,
          links: kept.map((d) => documentLink(d.id, d.title)),
        }));
      }),
  );

  server.registerResource(
    'document',
    new ResourceTemplate(documentUri('{id}'), {
      list: () => ({ resources: t.listDocuments().map((d) => ({ uri: documentUri(d.id), name: d.title, mimeType: 'text/plain' })) }),
    }),
    { title: 'Policy document', description: 'The whole clean text of a policy document, headed by its metadata', mimeType: 'text/plain' },
    (uri, { id }) => readResource(uri, () => documentText(t.getDocument(String(id)))),
  );

  server.registerResource(
    'clause',
    // Over a thousand clauses: not listed; tools return links to the ones that matter.
    new ResourceTemplate(clauseUri('{id}'), { list: undefined }),
    { title: 'Policy clause', description: 'One clause verbatim with its citation label and document', mimeType: 'text/plain' },
    (uri, { id }) => readResource(uri, () => clauseText(t.getClause({ id: String(id) }))),
  );

  return server;
}

// ---- helpers -------------------------------------------------------------------------------------

interface Bounded {
  structured: Record<string, unknown>;
  links: ResourceLink[];
}

/** Runs a tool body; the result carries the JSON as text too, for clients without structuredContent. */
async function run(body: () => Bounded | Promise<Bounded>): Promise<CallToolResult> {
  try {
    const { structured, links } = await body();
    return { content: [{ type: 'text', text: JSON.stringify(structured) }, ...links], structuredContent: structured };
  } catch (e) {
    return { isError: true, content: [{ type: 'text', text: errorMessage(e) }] };
  }
}

function errorMessage(e: unknown): string {
  if (e instanceof ToolError) return e.message;
  // A bug, not the caller's mistake: keep the detail in the log (stderr, never the stdio channel).
  process.stderr.write(`policy-assistant mcp: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
  return 'internal error in policy-assistant (logged on the server); try again or rephrase';
}

/** A JSON-RPC error for resources/read; the SDK sends `code` and `message` as they are. */
class ResourceError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

async function readResource(uri: URL, text: () => string): Promise<ReadResourceResult> {
  try {
    return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: text() }] };
  } catch (e) {
    if (e instanceof NotFoundError) throw new ResourceError(RESOURCE_NOT_FOUND, e.message);
    if (e instanceof InvalidInputError) throw new ResourceError(ErrorCode.InvalidParams, e.message);
    throw new ResourceError(ErrorCode.InternalError, errorMessage(e));
  }
}

const clauseLink = (id: string, label: string): ResourceLink => ({ type: 'resource_link', uri: clauseUri(id), name: label, mimeType: 'text/plain' });
const documentLink = (id: string, title: string): ResourceLink => ({ type: 'resource_link', uri: documentUri(id), name: title, mimeType: 'text/plain' });

function uniqueBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => !seen.has(key(t)) && seen.add(key(t)));
}

// Titles (notice and attachment), time statements and the source file make the full list too
// long for one result; they are in each document's resource.
const documentRow = (d: DocumentSummary): z.infer<typeof documentsOutput>['documents'][number] => ({
  id: d.id,
  title: d.title,
  shortNames: d.shortNames,
  docNumber: d.docNumber,
  issuer: d.issuer,
  issueDate: d.issueDate,
  validFrom: d.validFrom,
  validUntil: d.validUntil,
  kind: d.kind,
  clauseCount: d.clauseCount,
});

function metaLines(fields: [string, string | undefined][]): string {
  return fields
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}

function documentText(d: DocumentView): string {
  const head = metaLines([
    ['title', `《${d.title}》`],
    ['other titles', d.titles.filter((x) => x !== d.title).join('；') || undefined],
    ['short names', d.shortNames.join('、') || undefined],
    ['document number (文号)', d.docNumber],
    ['issuer', d.issuer],
    ['issue date', d.issueDate],
    ['valid from', d.validFrom],
    ['valid until', d.validUntil],
    ['time statements', d.timeStatements.join(' ') || undefined],
    ['clauses', String(d.clauseCount)],
    ['id', d.id],
  ]);
  return `${head}\n\n${truncateText(d.text, MAX_RESOURCE_CHARS, `read single clauses with get_clause or ${clauseUri('{id}')}`)}`;
}

function clauseText(c: ClauseView): string {
  const head = metaLines([
    ['label', c.label],
    ['document', `《${c.document.title}》`],
    ['document number (文号)', c.document.docNumber],
    ['issuer', c.document.issuer],
    ['issue date', c.document.issueDate],
    ['id', c.id],
  ]);
  return `${head}\n\n${c.text}`;
}

let version: string | undefined;
function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
