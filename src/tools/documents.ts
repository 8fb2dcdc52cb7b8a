import { z } from './zod.ts';
import type { CorpusStore } from '../ingest/store.ts';
import type { Clause, PolicyDocument } from '../parse/types.ts';
import { matchesFilter } from '../retrieve/filters.ts';
import { NotFoundError } from './errors.ts';
import { isoDate, shortText, type ToolDefinition } from './fields.ts';

export const ListDocumentsInput = z.object({
  query: shortText.optional().describe('Words from a title, a short name or a 文号'),
  issuer: shortText.optional().describe('Issuer contains this'),
  dateFrom: isoDate.optional().describe('Issued on or after this ISO date'),
  dateTo: isoDate.optional().describe('Issued on or before this ISO date'),
});

export const DocumentSummary = z.object({
  id: z.string(),
  title: z.string().describe('The official title a citation uses'),
  titles: z.array(z.string()).describe('Every title the document carries (notice and attachment)'),
  shortNames: z.array(z.string()).describe('Names a user may write, e.g. 自贸区条例'),
  docNumber: z.string().optional().describe('文号'),
  issuer: z.string().optional(),
  issueDate: z.string().optional(),
  timeStatements: z.array(z.string()).describe('Effective and expiry statements as written'),
  validFrom: z.string().optional(),
  validUntil: z.string().optional(),
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
    'List the policy documents in the corpus: id, title, short names, 文号, issuer, issue date, validity, kind and clause count. ' +
    'Optionally filter by words from a title or 文号 (query), by issuer, or by an issue-date range. ' +
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

const summary = (d: PolicyDocument): DocumentSummary => {
  const { source, ...rest } = d;
  return { ...rest, sourceFile: source.originalName };
};

export function listDocuments(corpus: CorpusStore, filter: DocumentFilter = {}): DocumentSummary[] {
  return corpus.documents.filter((d) => matchesFilter(d, filter)).map(summary);
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
