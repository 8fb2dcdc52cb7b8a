/**
 * The MCP face of the assistant: four read-only tools and two resource templates, each a thin
 * adapter over the tools layer, registered with the tools' own schemas. Tool errors are translated here, once, into results with isError
 * so the calling model can read the message and correct itself.
 */
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, type CallToolResult, type ReadResourceResult, type ResourceLink } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { App } from '../app.ts';
import { edgeOf } from '../errors.ts';
import { truncated, type ToolDefinition } from '../tools/fields.ts';
import { tools, TOOLS, type ClauseView, type DocumentView, type ToolCatalogue } from '../tools/index.ts';
import { packageVersion } from '../util/paths.ts';
import { fitList, MAX_RESOURCE_CHARS, shrinkStrings, truncateText, truncationMarker, withinBudget } from './limits.ts';

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
// MCP's code for a resource that does not exist (the SDK has no constant for it).
const RESOURCE_NOT_FOUND = -32002;

export const documentUri = (id: string): string => `policy://documents/${id}`;
export const clauseUri = (id: string): string => `policy://clauses/${id}`;

// ---- schemas: the tools' own, with the bounds MCP adds -------------------------------------------

/** MCP results are bounded (limits.ts): lists say what they left off, search drops its score detail. */
function mcpSchemas(c: ToolCatalogue) {
  const hit = c.search.output.shape.results.element.omit({ scores: true });
  const row = c.listDocuments.output.shape.documents.element.pick({
    id: true,
    title: true,
    shortNames: true,
    docNumber: true,
    issuers: true,
    issueDate: true,
    effectiveDate: true,
    expiryDate: true,
    bodyMissing: true,
    status: true,
    kind: true,
    clauseCount: true,
  });
  return {
    searchOutput: c.search.output.extend({ results: z.array(hit), truncated }),
    documentsOutput: z.object({ documents: z.array(row), truncated }),
    documentRow: row,
  };
}

// ---- server --------------------------------------------------------------------------------------

export function createMcpServer(app: App, catalogue: ToolCatalogue = TOOLS): McpServer {
  const t = tools(app, catalogue);
  const c = catalogue;
  const { searchOutput, documentsOutput, documentRow } = mcpSchemas(c);
  const server = new McpServer(
    { name: 'policy-assistant', title: 'Beijing policy assistant', version: packageVersion() },
    {
      instructions:
        'Answers questions about Beijing government policies from a fixed corpus of regulations, plans, measures and notices. ' +
        'Quote clause text verbatim and cite its label; check a citation with get_clause before relying on it. ' +
        'When answer_question abstains, say the corpus does not cover the question rather than answering from memory.',
    },
  );
  const describe = (d: ToolDefinition) => ({ title: d.title, description: d.description, annotations: { title: d.title, ...READ_ONLY } });

  // extra.signal aborts when the client cancels the call (or its transport closes): the work stops.
  server.registerTool(c.search.name, { ...describe(c.search), inputSchema: c.search.input, outputSchema: searchOutput }, (input, extra) =>
    run(async () => {
      const res = await t.searchPolicies(input, extra.signal);
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

  server.registerTool(c.answer.name, { ...describe(c.answer), inputSchema: c.answer.input, outputSchema: c.answer.output }, (input, extra) =>
    run(async () => {
      const answer = await t.answerQuestion(input, extra.signal);
      return shrinkStrings({
        structured: answer,
        links: uniqueBy(answer.citations, (x) => x.id).map((x) => clauseLink(x.id, x.label)),
      });
    }),
  );

  server.registerTool(c.clause.name, { ...describe(c.clause), inputSchema: c.clause.input, outputSchema: c.clause.output }, (input) =>
    run(() => {
      const view = t.getClauseWithNeighbours(input);
      const shown = [view.clause, view.previous, view.next].filter((x): x is ClauseView => x !== undefined);
      const full = { structured: view, links: shown.map((x) => clauseLink(x.id, x.label)) };
      // Neighbours are context: drop them before cutting into the clause asked for.
      if (withinBudget(full)) return full;
      return shrinkStrings({ structured: { clause: view.clause }, links: full.links.slice(0, 1) }, `read ${clauseUri(view.clause.id)}`);
    }),
  );

  server.registerTool(c.listDocuments.name, { ...describe(c.listDocuments), inputSchema: c.listDocuments.input, outputSchema: documentsOutput }, (input) =>
    run(() => {
      const docs = t.listDocuments(input).map((d) => documentRow.parse(d));
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
    (uri, { id }) => readResource(uri, () => documentText(t.getDocument({ id: String(id) }))),
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
  const edge = edgeOf(e);
  if (!edge.internal) return edge.message;
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
    const { code } = edgeOf(e);
    if (code === 'not_found') throw new ResourceError(RESOURCE_NOT_FOUND, errorMessage(e));
    if (code === 'invalid_input') throw new ResourceError(ErrorCode.InvalidParams, errorMessage(e));
    throw new ResourceError(ErrorCode.InternalError, errorMessage(e));
  }
}

const clauseLink = (id: string, label: string): ResourceLink => ({ type: 'resource_link', uri: clauseUri(id), name: label, mimeType: 'text/plain' });
const documentLink = (id: string, title: string): ResourceLink => ({ type: 'resource_link', uri: documentUri(id), name: title, mimeType: 'text/plain' });

function uniqueBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => !seen.has(key(t)) && seen.add(key(t)));
}

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
    ['issuers', d.issuers.join('、') || undefined],
    ['issue date', d.issueDate],
    ['effective', d.effectiveDate],
    ['valid until', d.expiryDate],
    ['status', `${d.status.status} as of ${d.status.asOf}: ${d.status.reason}`],
    ['body', d.bodyMissing ? 'missing from the source (title only): nothing of it can be cited' : undefined],
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
