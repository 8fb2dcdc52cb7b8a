import { looseKey } from './text.ts';
import type { PolicyDocument, Repeal, RepealedBy } from './types.ts';

/**
 * Whether a document is in force on a date, from what the corpus states: its own effective date
 * and validity period, and any other document that repeals it by title or 文号.
 */
export type DocumentStatusCode = 'in_force' | 'expired' | 'repealed' | 'not_yet_effective';

export interface DocumentStatus {
  status: DocumentStatusCode;
  asOf: string;
  /** The repealing document, when repealed. */
  repealedBy?: RepealedBy;
  /** The date the status turned (effective date, expiry date, repeal date), when known. */
  since?: string;
  /** One line in Chinese saying why, from the record. */
  reason: string;
}

type Doc = Pick<PolicyDocument, 'id' | 'title' | 'titles' | 'aliases' | 'docNumber' | 'issueDate' | 'effectiveDate' | 'expiryDate' | 'validity' | 'repeals'>;

/** True when a repeal entry names this document, by 文号 or by one of its titles. */
export function repealNames(rep: Pick<Repeal, 'title' | 'docNumber'>, doc: Pick<Doc, 'title' | 'titles' | 'aliases' | 'docNumber'>): boolean {
  if (rep.docNumber && doc.docNumber && looseKey(rep.docNumber) === looseKey(doc.docNumber)) return true;
  if (!rep.title) return false;
  const key = looseKey(rep.title);
  return [doc.title, ...doc.titles, ...doc.aliases].some((t) => looseKey(t) === key);
}

/** The corpus documents that repeal doc, each with the date the repeal takes effect. */
export function repealersOf(doc: Doc, corpus: readonly Doc[]): RepealedBy[] {
  const out: RepealedBy[] = [];
  for (const r of corpus) {
    if (r.id === doc.id) continue;
    const rep = r.repeals.find((x) => repealNames(x, doc));
    if (rep) out.push({ id: r.id, title: r.title, docNumber: r.docNumber, effectiveDate: rep.effectiveDate ?? r.effectiveDate ?? r.issueDate });
  }
  return out;
}

/** Status from the record alone, with repealers given (ingest stores them as doc.repealedBy). */
export function statusFromRecord(doc: Omit<Doc, 'repeals'>, repealedBy: readonly RepealedBy[], asOf: string): DocumentStatus {
  // A repeal without a known date counts from now on: the corpus says it happened.
  const rep = repealedBy.find((r) => !r.effectiveDate || r.effectiveDate <= asOf);
  if (rep)
    return {
      status: 'repealed',
      asOf,
      repealedBy: rep,
      since: rep.effectiveDate,
      reason: `已被《${rep.title}》${rep.docNumber ? `（${rep.docNumber}）` : ''}废止${rep.effectiveDate ? `（自${rep.effectiveDate}起）` : ''}`,
    };
  const starts = doc.effectiveDate ?? doc.issueDate;
  if (starts && asOf < starts)
    return { status: 'not_yet_effective', asOf, since: starts, reason: doc.effectiveDate ? `自${doc.effectiveDate}起施行，尚未生效` : `${doc.issueDate}印发，尚未发布` };
  if (doc.expiryDate && asOf > doc.expiryDate)
    return { status: 'expired', asOf, since: doc.expiryDate, reason: `${doc.validity ? `${doc.validity}（至${doc.expiryDate}）` : `有效期至${doc.expiryDate}`}，已过期` };
  return { status: 'in_force', asOf, reason: doc.expiryDate ? `有效期至${doc.expiryDate}` : doc.effectiveDate ? `自${doc.effectiveDate}起施行` : '未见失效或废止的记载' };
}

/** Today's ISO date (UTC), the default date statuses are judged on. */
export const today = (): string => new Date().toISOString().slice(0, 10);

/** A document's status on asOf (ISO date), given the whole corpus it belongs to. */
export function documentStatus(doc: Doc, corpus: readonly Doc[], asOf: string): DocumentStatus {
  return statusFromRecord(doc, repealersOf(doc, corpus), asOf);
}

/** The flat shape the document list, MCP list_documents and search filters use. */
export interface DocumentFacets {
  id: string;
  title: string;
  status: DocumentStatusCode;
  statusReason: string;
  repealedBy?: string;
  issuers: string[];
  docNumber?: string;
  /** ISO dates. */
  issueDate?: string;
  effectiveDate?: string;
  expiryDate?: string;
  bodyMissing: boolean;
}

export function documentFacets(doc: Doc & Pick<PolicyDocument, 'issuers' | 'bodyMissing'>, corpus: readonly Doc[], asOf: string): DocumentFacets {
  const s = documentStatus(doc, corpus, asOf);
  return {
    id: doc.id,
    title: doc.title,
    status: s.status,
    statusReason: s.reason,
    repealedBy: s.repealedBy?.id,
    issuers: doc.issuers,
    docNumber: doc.docNumber,
    issueDate: doc.issueDate,
    effectiveDate: doc.effectiveDate,
    expiryDate: doc.expiryDate,
    bodyMissing: doc.bodyMissing,
  };
}
