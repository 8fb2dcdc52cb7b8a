import type { Clause, PolicyDocument } from '../parse/types.ts';
import { documentMatchScore } from '../retrieve/reference.ts';
import type { CorpusStore } from '../index/store.ts';
import { NotFoundError } from './errors.ts';

export interface DocumentFilter {
  /** Words from a title, a short name or a 文号. */
  query?: string;
  issuer?: string;
  /** ISO dates bounding the issue date. */
  dateFrom?: string;
  dateTo?: string;
}

export type DocumentSummary = Omit<PolicyDocument, 'source'> & { sourceFile: string };

const summary = (d: PolicyDocument): DocumentSummary => {
  const { source, ...rest } = d;
  return { ...rest, sourceFile: source.originalName };
};

export function listDocuments(corpus: CorpusStore, filter: DocumentFilter = {}): DocumentSummary[] {
  return corpus.documents.filter((d) => matchesFilter(d, filter)).map(summary);
}

export function matchesFilter(d: PolicyDocument, f: DocumentFilter): boolean {
  if (f.query && !(d.docNumber?.includes(f.query) || documentMatchScore(f.query, d) >= 0.6)) return false;
  if (f.issuer && !(d.issuer ?? '').includes(f.issuer)) return false;
  if ((f.dateFrom || f.dateTo) && !d.issueDate) return false;
  if (f.dateFrom && d.issueDate! < f.dateFrom) return false;
  if (f.dateTo && d.issueDate! > f.dateTo) return false;
  return true;
}

export interface DocumentView extends DocumentSummary {
  /** Clean text of the whole document. */
  text: string;
  /** Clauses in order, with offsets into text for anchors. */
  clauses: { id: string; label: string; number: string; start: number; end: number }[];
}

export function getDocument(corpus: CorpusStore, id: string): DocumentView {
  const d = corpus.documentById.get(id);
  if (!d) throw new NotFoundError(`no document has id "${id}"; list them with list_documents`);
  const text = corpus.documentText(id) ?? '';
  const clauses = corpus.clausesOf(id);
  const base = clauses[0]?.start ?? 0;
  return {
    ...summary(d),
    text,
    clauses: clauses.map((c: Clause) => ({ id: c.id, label: c.label, number: c.number, start: c.start - base, end: c.end - base })),
  };
}
