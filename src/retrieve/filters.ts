import { statusFromRecord, today, type DocumentStatusCode } from '../parse/status.ts';
import type { PolicyDocument } from '../parse/types.ts';
import { documentMatchScore } from './reference.ts';

export const STATUSES = ['in_force', 'expired', 'repealed', 'not_yet_effective'] as const satisfies readonly DocumentStatusCode[];

/** Which documents a search or a listing keeps. */
export interface DocumentFilter {
  /** Words from a title, a short name or a 文号. */
  query?: string;
  /** Any of the issuers contains this. */
  issuer?: string;
  /** ISO dates bounding the issue date. */
  dateFrom?: string;
  dateTo?: string;
  status?: DocumentStatusCode;
  /** ISO date the status is judged on; today by default. */
  asOf?: string;
}

export function matchesFilter(d: PolicyDocument, f: DocumentFilter): boolean {
  if (f.query && !(d.docNumber?.includes(f.query) || documentMatchScore(f.query, d) >= 0.6)) return false;
  if (f.issuer && !d.issuers.some((i) => i.includes(f.issuer!))) return false;
  if ((f.dateFrom || f.dateTo) && !d.issueDate) return false;
  if (f.dateFrom && d.issueDate! < f.dateFrom) return false;
  if (f.dateTo && d.issueDate! > f.dateTo) return false;
  if (f.status && statusFromRecord(d, d.repealedBy, f.asOf ?? today()).status !== f.status) return false;
  return true;
}
