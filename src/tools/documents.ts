import { z } from './zod.ts';
import type { CorpusStore } from '../ingest/store.ts';
import type { Clause, PolicyDocument } from '../parse/types.ts';
import { statusFromRecord, today } from '../parse/status.ts';
import { matchesFilter, STATUSES } from '../retrieve/filters.ts';
import { NotFoundError } from './errors.ts';
import { shortText, StatusFilter, type ToolDefinition } from './fields.ts';

export const ListDocumentsInput = z.object({
  query: shortText.optional().describe('Words from a title, a short name or a 文号'),
  ...StatusFilter.shape,
});

const Span = z
  .object({ text: z.string(), start: z.number().int(), end: z.number().int(), sourceStart: z.number().int(), sourceEnd: z.number().int() })
  .describe('The words a field was read from, with offsets in the clean text and in the source file');

export const DocumentStatus = z.object({
  status: z.enum(STATUSES).describe('in_force, expired (its period ended), repealed, or not_yet_effective'),
  asOf: z.string().describe('the ISO date the status holds on'),
  since: z.string().optional().describe('the date the status turned, when known'),
  repealedBy: z.object({ id: z.string(), title: z.string(), docNumber: z.string().optional(), effectiveDate: z.string().optional() }).optional(),
  reason: z.string().describe('why, in one line, from the record'),
});

export const DocumentSummary = z.object({
  id: z.string(),
  title: z.string().describe('The official title a citation uses, as written in the document'),
  titles: z.array(z.string()).describe('Every title the document carries (notice and attachment)'),
  aliases: z.array(z.string()).describe("Other names it goes by, e.g. a compiler's short heading"),
  shortNames: z.array(z.string()).describe('Names a user may write, e.g. 自贸区条例'),
  docNumber: z.string().optional().describe('文号'),
  issuer: z.string().optional().describe('the first issuer'),
  issuers: z.array(z.string()).describe('every issuing body, co-issuers included'),
  issueDate: z.string().optional(),
  timeStatements: z.array(z.string()).describe('Effective and expiry statements as written'),
  effectiveDate: z.string().optional().describe('ISO date it takes effect'),
  effectiveRule: z.enum(['date', 'on_issue', 'after_issue']).optional().describe('how the effective date is stated'),
  expiryDate: z.string().optional().describe('ISO date its validity ends, when the text states a period'),
  validity: z.string().optional().describe('the validity period as written'),
  validFrom: z.string().optional(),
  validUntil: z.string().optional(),
  repeals: z.array(z.object({ title: z.string().optional(), docNumber: z.string().optional(), description: z.string().optional(), effectiveDate: z.string().optional(), span: Span })),
  repealedBy: z.array(z.object({ id: z.string(), title: z.string(), docNumber: z.string().optional(), effectiveDate: z.string().optional() })),
  bodyMissing: z.boolean().describe('true when the source holds the title alone ("title only"): nothing of it is cited'),
  provenance: z.object({ docNumber: Span.optional(), issuers: z.array(Span), issueDate: Span.optional(), effective: Span.optional(), expiry: Span.optional() }),
  status: DocumentStatus,
  kind: z.enum(['regulation', 'structured', 'plain']),
  clauseCount: z.number().int(),
  sourceFile: z.string().describe('The corpus file as it was received'),
});

export const ListDocumentsOutput = z.object({ documents: z.array(DocumentSummary) });

export const GetDocumentInput = z.object({ id: z.string().max(40).describe('A document id from list_documents') });

export const DocumentView = DocumentSummary.extend({
  text: z.string().describe('Clean text of the whole document'),
  clauses: z
    .array(z.object({ id: z.string(), label: z.string(), number: z.string(), start: z.number(), end: z.number() }))
    .describe('Clauses in order, with offsets into text for anchors'),
});

export type DocumentFilter = z.infer<typeof ListDocumentsInput>;
export type DocumentSummary = z.infer<typeof DocumentSummary>;
export type DocumentView = z.infer<typeof DocumentView>;

export const listDocumentsTool = {
  name: 'list_documents',
  title: 'List policy documents',
  description:
    'List the policy documents in the corpus: id, title, short names, 文号, issuers, issue and effective dates, validity, status as of today (in force, expired, repealed and by what, not yet effective), kind and clause count. ' +
    'Optionally filter by words from a title or 文号 (query), by issuer, by an issue-date range, or by status (as of asOf, default today). ' +
    "Use a document's title or short name as search_policies' document filter; the whole text is the resource policy://documents/{id}.",
  input: ListDocumentsInput,
  output: ListDocumentsOutput,
} satisfies ToolDefinition;

export const getDocumentTool = {
  name: 'get_document',
  title: 'Read a policy document',
  description: 'The whole clean text of one policy document with its metadata and clause offsets.',
  input: GetDocumentInput,
  output: DocumentView,
} satisfies ToolDefinition;

const summary = (d: PolicyDocument, asOf = today()): DocumentSummary => {
  const { source, ...rest } = d;
  return { ...rest, status: statusFromRecord(d, d.repealedBy, asOf), sourceFile: source.originalName };
};

export function listDocuments(corpus: CorpusStore, filter: DocumentFilter = {}): DocumentSummary[] {
  return corpus.documents.filter((d) => matchesFilter(d, filter)).map((d) => summary(d, filter.asOf));
}

export function getDocument(corpus: CorpusStore, { id }: z.infer<typeof GetDocumentInput>): DocumentView {
  const d = corpus.documentById.get(id);
  if (!d) throw new NotFoundError(`no document has id "${id.slice(0, 40)}"; list them with list_documents`);
  const text = corpus.documentText(id) ?? '';
  const clauses = corpus.clausesOf(id);
  const base = clauses[0]?.start ?? 0;
  return {
    ...summary(d),
    text,
    clauses: clauses.map((c: Clause) => ({ id: c.id, label: c.label, number: c.number, start: c.start - base, end: c.end - base })),
  };
}
